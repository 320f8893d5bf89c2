"""The stock pages and the recall page: receiving by form, a vial's actions, the recall list,
its CSV, and the notices sent once."""

from datetime import timedelta
from decimal import Decimal as D

from django.urls import reverse

from glabella.core.models import AccessLog
from glabella.inventory.models import Lot, Movement, Vial
from glabella.messaging.models import Message
from glabella.treatments import charting
from tests.conftest import (
    clear_for_treatment,
    clinic_today,
    future_appointment,
    proof_for,
    receive_lot,
)
from tests.test_treatments import GLABELLAR, sign_consent


def delivery(**changes):
    data = {
        "product": "botox_cosmetic",
        "lot_number": "C5150",
        "expires_on": (clinic_today() + timedelta(days=200)).isoformat(),
        "vial_units": "100",
        "vials_received": "4",
        "supplier": "Allergan Direct",
        "seal_checked": "on",
        "licence_checked": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_delivery_is_received_by_form_and_refused_field_by_field(client_for, clinic):
    client = client_for("injector")
    url = reverse("inventory:stock")
    bad = client.post(url, delivery(seal_checked=None, vial_units="300", lot_number=" "))
    assert bad.status_code == 422
    assert b"Check the seal" in bad.content and b"comes in 50 U or 100 U vials" in bad.content
    assert not Lot.objects.exists()
    good = client.post(url, delivery())
    assert good.status_code == 302
    assert Lot.objects.get().vials.count() == 4
    page = client.get(url)
    assert b"C5150" in page.content and b"4 sealed, 0 reconstituted" in page.content
    assert b"(of 4 received)" in page.content
    assert client_for("front_desk").post(url, delivery(lot_number="X")).status_code == 403


def test_a_vials_actions_on_the_lot_page(client_for, clinic):
    lot = receive_lot(clinic, lot_number="C1", vials_received=2)
    client = client_for("injector")
    first, second = lot.vials.order_by("number")
    act = lambda vial, action, data: client.post(  # noqa: E731
        reverse("inventory:vial-action", args=[vial.public_id, action]), data, follow=True
    )
    refused = act(first, "reconstitute", {"diluent_ml": "40"})
    assert b"1.25 to 5 mL" in refused.content
    act(first, "reconstitute", {"diluent_ml": "2.5"})
    act(first, "waste", {"units": "2", "reason": "Air bubble"})
    act(second, "discard", {"reason": "Dropped"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, first.units_left) == ("reconstituted", 98)
    assert second.state == "discarded"
    assert list(Movement.objects.values_list("kind", flat=True).order_by("id")) == [
        "waste",
        "discard",
    ]
    page = client.get(reverse("inventory:lot", args=[lot.public_id]))
    assert b"4 U per 0.1 mL" in page.content


def test_the_recall_page_lists_exports_and_notifies_once(client_for, patient, clinic, actor_of):
    clear_for_treatment(patient)
    sign_consent(patient)
    appointment = future_appointment(
        patient, clinic, days=0, service_slug="neuromodulator", checked_in=True
    )
    lot = receive_lot(clinic, lot_number="C8")
    vial = Vial.objects.get(lot=lot)
    from glabella.inventory import services as stock

    stock.reconstitute(actor_of("injector"), vial, "2.5")
    record = charting.start(actor_of("injector"), appointment, "botox_cosmetic")
    charting.save_draft(actor_of("injector"), record, points=GLABELLAR, vial=vial)
    charting.lock(actor_of("injector"), record, proof=proof_for(actor_of("injector")))
    client = client_for("medical_director")
    url = reverse("treatments:recall", args=[lot.public_id])
    page = client.get(url)
    assert (
        b"Grace Holloway" in page.content and b"Frown lines between the brows 20 U" in page.content
    )
    csv = client.get(url, {"format": "csv"})
    assert csv["Content-Type"] == "text/csv"
    assert csv.content.decode().splitlines()[1].startswith("Grace Holloway,")
    assert AccessLog.objects.filter(object_type="recall", action="export").exists()
    client.post(url)
    client.post(url)
    notices = Message.objects.filter(topic="recall")
    assert notices.count() == 1
    assert "botox" not in notices.get().body.lower() and "call us" in notices.get().body


def test_reports_add_up_units_waste_and_stock_value(client_for, patient, clinic, actor_of):
    clear_for_treatment(patient)
    sign_consent(patient)
    appointment = future_appointment(
        patient, clinic, days=0, service_slug="neuromodulator", checked_in=True
    )
    lot = receive_lot(clinic, lot_number="R1", vials_received=3, unit_cost="500")
    from glabella.inventory import services as stock

    vial = stock.reconstitute(actor_of("injector"), lot.vials.order_by("number").first(), "2.5")
    record = charting.start(actor_of("injector"), appointment, "botox_cosmetic")
    charting.save_draft(actor_of("injector"), record, points=GLABELLAR, vial=vial)
    charting.lock(actor_of("injector"), record, proof=proof_for(actor_of("injector")))
    stock.waste(actor_of("injector"), vial, "5", "Spilled")
    from glabella.treatments.reports import figures

    found = figures(clinic)
    assert [(r["area"], r["units"], r["points"]) for r in found.units_by] == [("glabellar", 20, 5)]
    assert found.waste == [
        {"product": "botox_cosmetic", "drawn": 20, "wasted": 5, "percent": D("20.0")}
    ]
    assert found.stock_value == [{"lot__product": "botox_cosmetic", "vials": 2, "value": 1000}]
    # The reports read treatment records: the owner opens them once clinical access is granted.
    assert client_for("owner").get(reverse("treatments:reports")).status_code == 403
    from glabella.core.models import StaffMember
    from glabella.core.staff import set_clinical_access

    owner = StaffMember.objects.get(role="owner")
    set_clinical_access(actor_of("medical_director"), owner, True)
    page = client_for("owner").get(reverse("treatments:reports"))
    assert page.status_code == 200 and b"20.0 %" in page.content and b"$1,000.00" in page.content


def test_house_doses_are_set_on_their_page_by_the_medical_director(client_for):
    url = reverse("treatments:protocol")
    data = {"product": "dysport", "area": "glabellar", "house_max": "40", "reason": "Start lower"}
    assert client_for("injector").post(url, data).status_code == 403
    assert client_for("medical_director").post(url, data).status_code == 302
    bad = client_for("medical_director").post(url, {**data, "area": "cheek", "reason": ""})
    assert bad.status_code == 422 and b"treatment areas" in bad.content
    assert b"Say why" in bad.content
    shown = client_for("injector").get(url).content
    assert b"Start lower" in shown and b"Dysport (abobotulinumtoxinA), Frown lines" in shown


def test_house_maximums_cover_every_off_label_area_and_one_point_on_their_page(client_for):
    url = reverse("treatments:protocol")
    shown = client_for("medical_director").get(url).content
    for name in (b"Jaw (masseter)", b"Lip lines", b"Chin", b"Brow lift", b"Another area"):
        assert name in shown
    assert b"off-label" in shown
    data = {"product": "dysport", "area": "masseter", "house_max": "100", "point_max": "20"}
    made = client_for("medical_director").post(url, {**data, "reason": "Our jaw protocol"})
    assert made.status_code == 302
    shown = client_for("injector").get(url).content
    assert b"100 U (shipped: 120 U)" in shown and b"20 U (shipped: 25 U)" in shown
    above = client_for("medical_director").post(
        url, {**data, "point_max": "150", "reason": "x" * 9}
    )
    assert above.status_code == 422 and b"one point cannot be above" in above.content
