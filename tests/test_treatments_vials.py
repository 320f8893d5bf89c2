"""The stock half of the label in full: every vial size received (Dysport's 500 U), the diluent
and its volume chosen from the label's list with the concentration it gives, units in the steps
the vial's concentration allows, and a record drawn from several vials with the ledger adding up.
Through the API, the pages and the services; bad input refused on its field, nothing written."""

import io
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from glabella.catalogue.areas import ChartArea
from glabella.catalogue.labels import LABELS, measurable_step
from glabella.catalogue.products import Product
from glabella.core.errors import ValidationFailed
from glabella.core.models import AccessLog
from glabella.demo.clinic import DEMO_PASSWORD as SECRET
from glabella.inventory import services as stock
from glabella.inventory.models import Lot, Movement, Vial
from glabella.treatments import charting, draws, recall
from glabella.treatments.dosing import Level, Plan, Point, VialState, check
from glabella.treatments.guard import record_vials
from glabella.treatments.models import InjectionPoint, RecordVial, TreatmentRecord
from tests.conftest import clear_for_treatment, future_appointment, proof_for, receive_lot
from tests.test_treatments import GLABELLAR, NOW, sign_consent

D = Decimal


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def written():
    return (
        Lot.objects.count(),
        Movement.objects.count(),
        list(Vial.objects.order_by("pk").values_list("state", "diluent_ml")),
    )


def delivery(**changes) -> dict:
    data = {
        "location": "thousand-oaks",
        "product": "dysport",
        "lot_number": "D500A",
        "expires_on": (date.today() + timedelta(days=300)).isoformat(),
        "vial_units": 500,
        "vials_received": 2,
        "supplier": "Authorised distributor",
        "seal_checked": True,
        "licence_checked": True,
    }
    data.update(changes)
    return data


# ---------------------------------------------------------------- receiving


def test_dysports_500_unit_vial_is_received_through_the_api(client_for, clinic):
    response = post(client_for("injector"), "/api/v1/treatments/stock/lots", delivery())
    assert response.status_code == 201, response.content
    assert [v["units_left"] for v in response.json()["vials"]] == ["500.00", "500.00"]


def test_a_vial_size_the_product_does_not_come_in_is_refused_on_its_field(client_for, clinic):
    client = client_for("injector")
    for product, units in (("dysport", 100), ("botox_cosmetic", 500), ("daxxify", 300)):
        response = post(
            client,
            "/api/v1/treatments/stock/lots",
            delivery(product=product, vial_units=units),
        )
        assert response.status_code == 422
        assert "vial_units" in response.json()["error"]["fields"]
    assert not Lot.objects.exists()


def test_dysports_500_unit_vial_is_received_by_the_stock_page(client_for, clinic):
    data = {k: v for k, v in delivery().items() if k != "location"}
    data.update(seal_checked="on", licence_checked="on", vials_received="3")
    response = client_for("injector").post(reverse("inventory:stock"), data)
    assert response.status_code == 302
    assert Lot.objects.get().vials.filter(units_total=500).count() == 3


# ---------------------------------------------------------------- reconstitution


def reconstitute_url(vial) -> str:
    return f"/api/v1/treatments/stock/vials/{vial.public_id}/reconstitute"


@pytest.mark.parametrize(
    ("product", "units", "ml", "per_01ml", "step"),
    [
        ("botox_cosmetic", 100, "2.5", "4.00", "0.25"),
        ("dysport", 300, "1.5", "20.00", "1"),
        ("dysport", 500, "2.5", "20.00", "1"),
        ("xeomin", 50, "1.25", "4.00", "0.25"),
        ("jeuveau", 100, "2.5", "4.00", "0.25"),
        ("daxxify", 100, "1.2", "8.33", "0.5"),
        ("letybo", 100, "2.5", "4.00", "0.25"),
    ],
)
def test_the_api_returns_the_concentration_of_a_label_reconstitution(
    client_for, clinic, product, units, ml, per_01ml, step
):
    lot = receive_lot(clinic, product=product, vial_units=units)
    response = post(client_for("injector"), reconstitute_url(lot.vials.get()), {"diluent_ml": ml})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["units_per_01ml"], D(body["unit_step"])) == (per_01ml, D(step))
    assert body["diluent"] == "0.9% sodium chloride, preservative-free"
    assert body["dilution_note"] == ""


def test_a_volume_off_the_label_through_the_api_needs_a_reason_and_is_kept(client_for, clinic):
    lot = receive_lot(clinic, vials_received=1)
    client = client_for("injector")
    vial = lot.vials.get()
    refused = post(client, reconstitute_url(vial), {"diluent_ml": "4"})
    assert refused.status_code == 422
    assert "not on the label" in refused.json()["error"]["fields"]["reason"][0]
    assert Vial.objects.get(pk=vial.pk).state == "sealed"
    done = post(client, reconstitute_url(vial), {"diluent_ml": "4", "reason": "House dilution"})
    assert done.status_code == 200
    assert done.json()["units_per_01ml"] == "2.50" and done.json()["unit_step"] == "0.25"
    assert done.json()["dilution_note"].endswith("Reason: House dilution")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"diluent_ml": "20"}, "diluent_ml"),
        ({"diluent_ml": "0.2"}, "diluent_ml"),
        ({"diluent_ml": "2.501"}, "diluent_ml"),
        ({"diluent_ml": "NaN"}, "diluent_ml"),
        ({"diluent_ml": "a lot"}, "diluent_ml"),
        ({}, "diluent_ml"),
        ({"diluent_ml": "2.5", "diluent": "tap water"}, "diluent"),
        ({"diluent_ml": "2.5", "diluent": ["saline"]}, "diluent"),
        ({"diluent_ml": "3", "reason": "x" * 301}, "reason"),
        ({"diluent_ml": "3", "reason": "line\u0000break"}, "reason"),
        ({"diluent_ml": "2.5", "volume": "2.5"}, "volume"),
    ],
)
def test_a_bad_reconstitution_through_the_api_is_refused_on_its_field(
    client_for, clinic, body, field
):
    lot = receive_lot(clinic, vials_received=1)
    before = written(), AccessLog.objects.filter(object_type="stock-vial").count()
    response = post(client_for("injector"), reconstitute_url(lot.vials.get()), body)
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]
    assert (written(), AccessLog.objects.filter(object_type="stock-vial").count()) == before


def test_the_reconstitution_page_lists_the_label_volumes_with_their_concentration(
    client_for, clinic
):
    lot = receive_lot(clinic, product="dysport", vial_units=300, vials_received=1)
    url = reverse("inventory:reconstitution", args=[lot.vials.get().public_id])
    page = client_for("injector").get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "2.5 mL: 12 U per 0.1 mL" in text and "1.5 mL: 20 U per 0.1 mL" in text
    assert "0.9% sodium chloride, preservative-free" in text and "bacteriostatic" in text


def test_the_reconstitution_page_warns_on_its_field_and_records_the_concentration(
    client_for, clinic
):
    lot = receive_lot(clinic, vials_received=1)
    vial = lot.vials.get()
    client = client_for("injector")
    url = reverse("inventory:reconstitution", args=[vial.public_id])
    other = {"diluent": "saline", "volume": "other", "other_ml": "3"}
    warned = client.post(url, other)
    assert warned.status_code == 422
    assert b'id="id_reason_error"' in warned.content
    assert b"it makes 3.33 U per 0.1 mL" in warned.content
    absurd = client.post(url, {**other, "other_ml": "25"})
    assert absurd.status_code == 422 and b'id="id_other_ml_error"' in absurd.content
    assert b"1.25 to 5 mL" in absurd.content
    unknown = client.post(url, {"diluent": "water", "volume": "2.5"})
    assert unknown.status_code == 422 and b'id="id_diluent_error"' in unknown.content
    assert Vial.objects.get(pk=vial.pk).state == "sealed"
    done = client.post(url, {"diluent": "saline", "volume": "2.5"}, follow=True)
    assert b"4 U per 0.1 mL, charted in steps of 0.25 U" in done.content
    vial.refresh_from_db()
    assert (vial.state, vial.diluent_ml, vial.units_per_01ml) == ("reconstituted", D("2.5"), 4)


# ---------------------------------------------------------------- the step of units


@pytest.mark.parametrize(
    ("per_01ml", "step"),
    [
        *[("2.5", "0.25"), ("4", "0.25"), ("5", "0.25"), ("8.33", "0.5"), ("10", "0.5")],
        *[("12", "1"), ("20", "1"), ("25", "2.5"), ("50", "2.5"), ("100", "5")],
    ],
)
def test_the_step_of_units_is_the_finest_that_is_at_least_half_a_syringe_mark(per_01ml, step):
    assert measurable_step(D(per_01ml)) == D(step)
    # what one step holds, in mL: never less than 0.005 mL
    assert D(step) / (D(per_01ml) * 10) >= D("0.005")


@pytest.mark.parametrize(
    ("product", "step"),
    [
        (Product.BOTOX_COSMETIC, "0.25"),
        (Product.XEOMIN, "0.25"),
        (Product.JEUVEAU, "0.25"),
        (Product.LETYBO, "0.25"),
        (Product.DAXXIFY, "0.5"),  # 8.33 U per 0.1 mL: 0.25 U would be 0.003 mL
        (Product.DYSPORT, "0.5"),  # the 500 U vial in 5 mL: 10 U per 0.1 mL
    ],
)
def test_without_a_vial_the_step_is_the_finest_a_label_reconstitution_allows(product, step):
    assert LABELS[product].unit_step == D(step)


AT = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def vial_state(product, per_01ml, left="100", **kw):
    values = dict(
        product=product,
        units_left=D(left),
        expires_on=date(2027, 6, 30),
        reconstituted_at=AT - timedelta(hours=1),
        units_per_01ml=D(per_01ml),
    )
    return VialState(**{**values, **kw})


def guard(product, units, vials):
    plan = Plan(
        product=product,
        points=tuple(Point(ChartArea.GLABELLAR, D(u)) for u in units),
        at=AT,
        vials=tuple(vials) if len(vials) > 1 else (),
        vial=vials[0] if len(vials) == 1 else None,
        cleared=frozenset(LABELS[product].doses),
        consented=True,
    )
    return check(LABELS[product], plan)


@pytest.mark.parametrize(
    ("product", "per_01ml", "fine", "coarse"),
    [
        (Product.BOTOX_COSMETIC, "4", "2.25", "2.1"),
        (Product.XEOMIN, "4", "3.75", "3.7"),
        (Product.JEUVEAU, "4", "0.25", "0.2"),
        (Product.LETYBO, "4", "4.25", "4.2"),
        (Product.DAXXIFY, "8.33", "7.5", "7.25"),
        (Product.DYSPORT, "12", "9", "9.5"),
        (Product.DYSPORT, "20", "10", "10.5"),
    ],
)
def test_units_finer_than_the_vials_concentration_allows_block(product, per_01ml, fine, coarse):
    assert guard(product, [fine], [vial_state(product, per_01ml)]).level == Level.OK
    blocked = guard(product, [coarse], [vial_state(product, per_01ml)])
    assert {f.code: f.level for f in blocked.findings} == {"units": Level.BLOCK}


def test_with_several_vials_the_coarsest_step_holds():
    botox = Product.BOTOX_COSMETIC
    vials = [vial_state(botox, "4"), vial_state(botox, "10")]
    assert guard(botox, ["2.25"], vials).findings[0].code == "units"
    assert guard(botox, ["2.5"], vials).level == Level.OK


def test_each_point_is_drawn_whole_from_the_first_vial_that_holds_it():
    assert draws.allocate([D(4)] * 5, [D(6), D(100)]) == [0, 1, 1, 1, 1]
    assert draws.allocate([D(4), D(2)], [D(5), D(100)]) == [0, 1]
    assert draws.allocate([D(4), D(1)], [D(5), D(100)]) == [0, 0]
    assert draws.allocate([D(8)], [D(5), D(5)]) is None


def test_several_vials_short_together_block_and_each_vial_is_checked():
    botox = Product.BOTOX_COSMETIC
    short = guard(botox, ["4"] * 5, [vial_state(botox, "4", "6"), vial_state(botox, "4", "12")])
    assert {f.code for f in short.findings} == {"vial-short"}
    assert "18 U left together; the plan needs 20 U" in short.findings[0].message
    split = guard(botox, ["4"] * 5, [vial_state(botox, "4", "10"), vial_state(botox, "4", "10")])
    assert {f.code for f in split.findings} == {"vial-short"}
    assert "some point fits in none of them" in split.findings[0].message
    enough = guard(botox, ["4"] * 5, [vial_state(botox, "4", "6"), vial_state(botox, "4", "16")])
    assert enough.level == Level.OK
    old = vial_state(botox, "4", reconstituted_at=AT - timedelta(hours=30))
    stale = guard(botox, ["4"], [vial_state(botox, "4"), old])
    assert [f.message.split(":")[0] for f in stale.findings] == ["Vial 2 of 2"]
    assert stale.findings[0].code == "vial-beyond-use"


# ---------------------------------------------------------------- charting from several vials


@pytest.fixture
def injector(actor_of):
    return actor_of("injector")


@pytest.fixture
def ready(patient, clinic):
    clear_for_treatment(patient)
    sign_consent(patient)
    return future_appointment(
        patient, clinic, days=0, service_slug="neuromodulator", checked_in=True
    )


@pytest.fixture
def draft(injector, ready):
    return charting.start(injector, ready, "botox_cosmetic")


@pytest.fixture
def two_vials(injector, clinic):
    """Vial 1 with 6 U left (94 U wasted), vial 2 full."""
    lot = receive_lot(clinic, lot_number="C2020", vials_received=2)
    first, second = (
        stock.reconstitute(injector, v, "2.5", now=NOW - timedelta(hours=1))
        for v in lot.vials.order_by("number")
    )
    stock.waste(injector, first, "94", "Spilled", now=NOW - timedelta(minutes=30))
    first.refresh_from_db()
    return first, second


def ledger_adds_up(vial) -> bool:
    vial.refresh_from_db()
    out = Movement.objects.filter(vial=vial).values_list("units", flat=True)
    return vial.units_total - sum(out, D(0)) == vial.units_left


def test_a_record_draws_from_the_next_vial_when_the_first_runs_out(injector, draft, two_vials):
    first, second = two_vials
    charting.save_draft(injector, draft, points=GLABELLAR, vial=first, vials=[second])
    assert [rv.vial for rv in RecordVial.objects.filter(record=draft)] == [first, second]
    locked = charting.lock(injector, draft, now=NOW, proof=proof_for(injector))
    drawn = [p.movement.vial_id for p in locked.points.order_by("id")]
    assert drawn == [first.pk, second.pk, second.pk, second.pk, second.pk]
    assert ledger_adds_up(first) and ledger_adds_up(second)
    assert (first.units_left, second.units_left) == (D(2), D(84))
    assert {m.patient_id for m in Movement.objects.filter(kind="draw")} == {draft.patient_id}
    treated = recall.recall(second.lot)
    assert [t.units for t in treated] == [D(20)]


def test_a_record_whose_vials_are_short_together_is_not_signed(injector, draft, two_vials):
    first, _ = two_vials
    charting.save_draft(injector, draft, points=GLABELLAR, vials=[first])
    before = Movement.objects.count()
    with pytest.raises(ValidationFailed) as failed:
        charting.lock(injector, draft, now=NOW, proof=proof_for(injector))
    assert "vial has 6 U left" in " ".join(failed.value.fields["guard"])
    assert Movement.objects.count() == before
    assert TreatmentRecord.objects.get(pk=draft.pk).status == "draft"


def test_a_locked_records_vials_never_change(injector, draft, two_vials):
    first, second = two_vials
    charting.save_draft(injector, draft, points=GLABELLAR, vial=second)
    charting.lock(injector, draft, now=NOW, proof=proof_for(injector))
    with pytest.raises(Exception, match="never changes"):
        RecordVial.objects.create(record=draft, vial=first, position=1)


def test_an_amendment_keeps_the_records_vials(injector, draft, two_vials):
    first, second = two_vials
    charting.save_draft(injector, draft, points=GLABELLAR[:1], vial=first, vials=[second])
    locked = charting.lock(injector, draft, now=NOW, proof=proof_for(injector))
    amendment = charting.amend(injector, locked, now=NOW)
    assert record_vials(amendment) == [first, second]


@pytest.mark.parametrize("product", ["dysport", "daxxify"])
def test_another_products_vial_in_the_list_is_refused_on_its_field(
    injector, draft, two_vials, clinic, product
):
    other = receive_lot(clinic, product=product, vial_units=100 if product == "daxxify" else 300)
    with pytest.raises(ValidationFailed) as failed:
        charting.save_draft(
            injector, draft, points=GLABELLAR, vial=two_vials[0], vials=[other.vials.get()]
        )
    assert "never converted" in failed.value.fields["vials.0"][0]
    assert not RecordVial.objects.exists() and not InjectionPoint.objects.exists()


@pytest.mark.parametrize(
    ("product", "units", "ml", "fine", "coarse", "step"),
    [
        ("botox_cosmetic", 100, "2.5", "2.25", "2.1", "0.25"),
        ("dysport", 300, "2.5", "9", "9.5", "1"),
        ("dysport", 500, "2", "10", "9", "2.5"),
        ("daxxify", 100, "1.2", "7.5", "7.25", "0.5"),
        ("xeomin", 100, "2.5", "3.75", "3.7", "0.25"),
        ("jeuveau", 100, "2.5", "4.25", "4.1", "0.25"),
        ("letybo", 100, "2.5", "3.25", "3.3", "0.25"),
    ],
)
def test_a_draft_refuses_units_finer_than_its_vial_allows_on_the_points_field(
    injector, ready, clinic, product, units, ml, fine, coarse, step
):
    record = charting.start(injector, ready, product)
    lot = receive_lot(clinic, product=product, vial_units=units)
    vial = stock.reconstitute(injector, lot.vials.get(), ml, now=NOW - timedelta(hours=1))
    point = {**GLABELLAR[0], "units": coarse}
    with pytest.raises(ValidationFailed) as failed:
        charting.save_draft(injector, record, points=[point], vial=vial)
    assert f"steps of {step} " in failed.value.fields["points.0.units"][0]
    assert not InjectionPoint.objects.exists()
    charting.save_draft(injector, record, points=[{**point, "units": fine}], vial=vial)
    assert record.points.get().units == D(fine)


def test_the_api_charts_and_signs_from_several_vials(client_for, ready, two_vials):
    first, second = two_vials
    client = client_for("injector")
    started = post(
        client,
        "/api/v1/treatments/records",
        {"appointment": str(ready.public_id), "product": "botox_cosmetic"},
    )
    url = f"/api/v1/treatments/records/{started.json()['id']}"
    body = {"points": GLABELLAR, "vial": str(first.public_id), "vials": [str(second.public_id)]}
    saved = post(client, f"{url}/draft", body)
    assert saved.status_code == 200, saved.content
    assert [v["id"] for v in saved.json()["vials"]] == [str(first.public_id), str(second.public_id)]
    assert saved.json()["vial"] == str(first.public_id)  # the single field: the first vial
    assert saved.json()["vials"][0]["units_per_01ml"] == "4.00"
    signed = post(client, f"{url}/sign", {"secret": SECRET})
    assert signed.status_code == 200, signed.content
    drawn_from = [p["vial"] for p in signed.json()["points"]]
    assert drawn_from == [str(first.public_id)] + [str(second.public_id)] * 4


@pytest.mark.parametrize(
    ("vials", "field"),
    [
        (["not-a-uuid"], "vials.0"),
        ([None], "vials.0"),
        ("one", "vials"),
        (["<second>", "00000000-0000-4000-8000-000000000000"], "vials.1"),
        (["<second>"] * 11, "vials"),
    ],
)
def test_a_bad_vials_list_is_refused_on_its_field_and_nothing_is_written(
    client_for, draft, two_vials, vials, field
):
    vials = [str(two_vials[1].public_id) if v == "<second>" else v for v in vials]
    if vials == ["o", "n", "e"]:
        vials = "one"
    url = f"/api/v1/treatments/records/{draft.public_id}/draft"
    response = post(client_for("injector"), url, {"points": GLABELLAR, "vials": vials})
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"], response.json()
    assert not RecordVial.objects.exists() and not InjectionPoint.objects.exists()


def test_the_check_endpoint_reads_several_vials(client_for, ready, two_vials):
    first, second = two_vials
    client = client_for("injector")
    body = {"product": "botox_cosmetic", "points": [{"area": "glabellar", "units": 4}] * 5}
    only_first = post(client, "/api/v1/treatments/check", {**body, "vials": [str(first.public_id)]})
    assert {f["code"] for f in only_first.json()["findings"]} == {"vial-short"}
    both = post(
        client,
        "/api/v1/treatments/check",
        {**body, "vial": str(first.public_id), "vials": [str(second.public_id)]},
    )
    assert both.status_code == 200 and both.json()["level"] == "ok", both.json()
    fine = {"product": "botox_cosmetic", "points": [{"area": "glabellar", "units": "2.25"}]}
    assert post(client, "/api/v1/treatments/check", fine).json()["level"] == "ok"
    unknown = post(
        client, "/api/v1/treatments/check", {**body, "vials": [str(first.public_id), "x"]}
    )
    assert unknown.status_code == 422 and "vials.1" in unknown.json()["error"]["fields"]


def test_the_chart_page_picks_more_than_one_vial(client_for, draft, two_vials):
    first, second = two_vials
    client = client_for("injector")
    url = reverse("treatments:record", args=[draft.public_id])
    shown = client.get(url)
    assert shown.content.count(b'name="vials"') == 2  # one box for each open vial
    rows = {"p-TOTAL_FORMS": "5", "p-INITIAL_FORMS": "0", "action": "save"}
    for i in range(5):
        rows |= {f"p-{i}-area": "glabellar", f"p-{i}-units": "4", f"p-{i}-x": "0.5"}
        rows |= {f"p-{i}-y": "0.3"}
    saved = client.post(
        url, {**rows, "vial": str(first.public_id), "vials": [str(second.public_id)]}
    )
    assert saved.status_code == 302
    assert record_vials(draft) == [first, second]
    page = client.get(url).content.decode()
    assert "lot C2020, vial 1" in page and "lot C2020, vial 2" in page
    signed = client.post(url, {"action": "sign", "secret": SECRET})
    assert signed.status_code == 302
    assert ledger_adds_up(first) and ledger_adds_up(second)
    note = client.get(reverse("treatments:note-pdf", args=[draft.public_id]))
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(note.content)).pages)
    assert "C2020" in text and "vial 1 (2.5 mL, 4 U/0.1 mL); C2020" in text


def test_a_chart_page_vial_of_another_location_is_never_offered(client_for, draft, clinic):
    url = reverse("treatments:record", args=[draft.public_id])
    page = client_for("injector").post(
        url,
        {
            "action": "save",
            "p-TOTAL_FORMS": "0",
            "p-INITIAL_FORMS": "0",
            "vials": ["00000000-0000-4000-8000-000000000000"],
        },
    )
    assert page.status_code == 422 and b"Choose the vials from the list." in page.content
    assert not RecordVial.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_records_sharing_vials_signed_at_once_never_overdraw_and_never_deadlock(clinic, actor_of):
    """Four records of 5 x 4 U share two vials holding 32 U each, listed in opposite orders:
    three are signed (15 points of the 16 the vials hold whole), the fourth is refused, and the
    ledger adds up."""
    import threading

    from django.db import connection

    from tests.conftest import make_patient

    injector = actor_of("injector")
    lot = receive_lot(clinic, lot_number="C3030", vials_received=2)
    a, b = (
        stock.reconstitute(injector, v, "2.5", now=NOW - timedelta(hours=1))
        for v in lot.vials.order_by("number")
    )
    for v in (a, b):
        stock.waste(injector, v, "68", "Practice draw", now=NOW - timedelta(minutes=30))
    records = []
    for n in range(4):
        patient = make_patient(given_name=f"P{n}", email=f"p{n}@example.com")
        clear_for_treatment(patient)
        sign_consent(patient)
        appointment = future_appointment(
            patient, clinic, days=0, service_slug="neuromodulator", checked_in=True
        )
        shift = timedelta(hours=n + 1)  # one provider: the visits may not overlap
        for name in ("starts_at", "ends_at", "blocked_from", "blocked_until"):
            setattr(appointment, name, getattr(appointment, name) - shift)
        appointment.save()
        record = charting.start(injector, appointment, "botox_cosmetic")
        order = [a, b] if n % 2 else [b, a]
        charting.save_draft(injector, record, points=GLABELLAR, vials=order)
        records.append(record)
    start = threading.Barrier(4)
    outcomes: list[str] = []

    def sign(record):
        try:
            start.wait()
            charting.lock(
                injector,
                TreatmentRecord.objects.get(pk=record.pk),
                now=NOW,
                proof=proof_for(injector),
            )
            outcomes.append("signed")
        except ValidationFailed as exc:
            outcomes.append(" ".join(m for ms in exc.fields.values() for m in ms))
        finally:
            connection.close()

    threads = [threading.Thread(target=sign, args=(r,)) for r in records]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("signed") == 3, outcomes
    assert "4 U left together; the plan needs 20 U" in next(o for o in outcomes if o != "signed")
    assert ledger_adds_up(a) and ledger_adds_up(b)
    assert a.units_left + b.units_left == D(4)
    drawn = Movement.objects.filter(kind="draw")
    assert sum(m.units for m in drawn) == D(60)
    assert TreatmentRecord.objects.filter(status="locked").count() == 3


def test_the_api_and_the_page_refuse_units_finer_than_a_dysport_vial_allows(
    client_for, injector, ready, clinic
):
    record = charting.start(injector, ready, "dysport")
    lot = receive_lot(clinic, product="dysport", vial_units=300, lot_number="D12")
    vial = stock.reconstitute(injector, lot.vials.get(), "2.5", now=NOW - timedelta(hours=1))
    client = client_for("injector")
    url = f"/api/v1/treatments/records/{record.public_id}/draft"
    point = {"area": "glabellar", "x": "0.5", "y": "0.3", "units": "9.5"}
    refused = post(client, url, {"points": [point], "vials": [str(vial.public_id)]})
    assert refused.status_code == 422
    message = refused.json()["error"]["fields"]["points.0.units"][0]
    assert "steps of 1 for this product (at 12 U per 0.1 mL" in message
    page_url = reverse("treatments:record", args=[record.public_id])
    rows = {"action": "save", "p-TOTAL_FORMS": "1", "p-INITIAL_FORMS": "0", "vial": vial.public_id}
    rows |= {"p-0-area": "glabellar", "p-0-units": "9.5", "p-0-x": "0.5", "p-0-y": "0.3"}
    page = client.post(page_url, rows)
    assert page.status_code == 422 and b"at 12 U per 0.1 mL" in page.content
    assert not InjectionPoint.objects.exists()
    saved = post(client, url, {"points": [{**point, "units": "10"}], "vial": str(vial.public_id)})
    assert saved.status_code == 200 and saved.json()["points"][0]["units"] == "10.00"
