"""The vial from the chart: the chart lists the location's open vials of the record's product,
says why when there is none, and reconstitutes a sealed one there with one of the label's
volumes; bad input is refused on its field with nothing written."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from glabella.catalogue.labels import LABELS
from glabella.catalogue.products import Product
from glabella.core.models import AccessLog
from glabella.inventory import services as stock
from glabella.inventory.models import Vial
from glabella.treatments import chart_vials
from glabella.treatments.models import TreatmentRecord
from tests.conftest import clear_for_treatment, future_appointment, receive_lot
from tests.test_queries import add_location
from tests.test_treatments import sign_consent

BOTOX = LABELS[Product("botox_cosmetic")].name
DYSPORT = LABELS[Product("dysport")].name


@pytest.fixture
def record(patient, clinic, client_for):
    clear_for_treatment(patient)
    sign_consent(patient)
    visit = future_appointment(
        patient, clinic, days=0, service_slug="neuromodulator", checked_in=True
    )
    client_for("injector").post(
        reverse("treatments:start", args=[visit.public_id]), {"product": "botox_cosmetic"}
    )
    return TreatmentRecord.objects.get(appointment=visit)


def _url(record):
    return reverse("treatments:vials", args=[record.public_id])


def _why(record) -> str:
    return " ".join(chart_vials.menu(record).why_none)


def test_no_lot_of_the_product_at_the_location_is_said(record, clinic):
    receive_lot(clinic, product="dysport", vial_units=300, lot_number="D1")
    assert chart_vials.menu(record).open == []
    assert _why(record) == (
        f"No lot of {BOTOX} has been received at {clinic.name}: receive one on the "
        "Stock page first."
    )


def test_all_sealed_is_said_and_a_sealed_vial_is_offered(record, clinic, client_for):
    lot = receive_lot(clinic, lot_number="S1", vials_received=30)
    menu = chart_vials.menu(record)
    assert menu.open == [] and len(menu.sealed) == 1 and menu.sealed_counts[lot.pk] == 30
    assert "30 sealed vials can be reconstituted below" in _why(record)
    page = client_for("injector").get(reverse("treatments:record", args=[record.public_id]))
    text = page.content.decode()
    assert "30 sealed vials can be reconstituted below" in text
    assert "2.5 mL of" in text and "4 U per 0.1 mL" in text  # the label's volume for 100 U


def test_a_vial_past_its_hours_of_use_is_not_open_and_is_said(record, clinic, actor_of):
    lot = receive_lot(clinic, lot_number="H1")
    stock.reconstitute(actor_of("injector"), lot.vials.get(), "2.5")
    assert len(chart_vials.menu(record).open) == 1
    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=False):
        assert chart_vials.menu(record).open == []
        assert "passed the 24 hours of use after reconstitution" in _why(record)


def test_an_expired_lot_is_said(record, clinic):
    lot = receive_lot(clinic, lot_number="E1")
    with time_machine.travel(timezone.now() + timedelta(days=301), tick=False):
        assert chart_vials.menu(record).sealed == []
        assert f"Lot {lot.lot_number} of {BOTOX} is past its expiry date" in _why(record)


def test_used_up_vials_are_said(record, clinic, actor_of):
    lot = receive_lot(clinic, lot_number="U1")
    stock.discard(actor_of("injector"), lot.vials.get(), "dropped")
    assert "is used up, discarded or written off" in _why(record)


def test_open_vials_of_the_product_here_are_listed_and_in_the_vial_menu(
    record, clinic, actor_of, client_for
):
    here = receive_lot(clinic, lot_number="O1")
    opened = stock.reconstitute(actor_of("injector"), here.vials.get(), "2.5")
    other = receive_lot(clinic, product="dysport", vial_units=300, lot_number="D2")
    stock.reconstitute(actor_of("injector"), other.vials.get(), "2.5")
    assert chart_vials.menu(record).open == [opened]
    page = client_for("injector").get(reverse("treatments:record", args=[record.public_id]))
    assert f'<option value="{opened.public_id}"' in page.content.decode()


def test_reconstituting_from_the_chart_with_htmx_brings_the_vial_menu_again(
    record, clinic, client_for
):
    lot = receive_lot(clinic, lot_number="R1", vials_received=3)
    first = lot.vials.order_by("number").first()
    answer = client_for("injector").post(
        _url(record),
        {"sealed_vial": str(first.public_id), "diluent_ml": "2.5"},
        HTTP_HX_REQUEST="true",
    )
    assert answer.status_code == 200
    first.refresh_from_db()
    assert first.state == Vial.State.RECONSTITUTED and str(first.diluent_ml) == "2.50"
    text = answer.content.decode()
    assert 'id="vial-field" hx-swap-oob="true"' in text
    assert f'<option value="{first.public_id}" selected>' in text
    assert "4 U per 0.1 mL" in text


def test_reconstituting_without_javascript_goes_back_to_the_chart(record, clinic, client_for):
    lot = receive_lot(clinic, lot_number="R2")
    answer = client_for("injector").post(
        _url(record), {"sealed_vial": str(lot.vials.get().public_id), "diluent_ml": "2.5"}
    )
    assert answer.status_code == 302
    assert answer["Location"] == reverse("treatments:record", args=[record.public_id])
    assert lot.vials.get().state == Vial.State.RECONSTITUTED


def _refused(client, record, data):
    before = (
        list(Vial.objects.values_list("state", flat=True).order_by("pk")),
        AccessLog.objects.filter(action="update").count(),
    )
    answer = client.post(_url(record), data, HTTP_HX_REQUEST="true")
    assert answer.status_code == 422
    after = (
        list(Vial.objects.values_list("state", flat=True).order_by("pk")),
        AccessLog.objects.filter(action="update").count(),
    )
    assert after == before  # nothing written
    return answer.content.decode()


def test_a_volume_off_the_label_list_is_refused_on_its_field(record, clinic, client_for):
    lot = receive_lot(clinic, lot_number="B1")
    vial = str(lot.vials.get().public_id)
    client = client_for("injector")
    for wrong in ("3", "", "abc", "1e3", "-2.5"):
        text = _refused(client, record, {"sealed_vial": vial, "diluent_ml": wrong})
        assert "Choose the label&#x27;s volume for a 100 U vial: 2.5 mL." in text


def test_a_vial_of_another_product_is_refused(record, clinic, client_for):
    other = receive_lot(clinic, product="dysport", vial_units=300, lot_number="B2")
    text = _refused(
        client_for("injector"),
        record,
        {"sealed_vial": str(other.vials.get().public_id), "diluent_ml": "2.5"},
    )
    assert f"That vial holds {DYSPORT}; this record charts {BOTOX}." in text


def test_a_vial_at_another_location_is_refused(record, clinic, client_for):
    elsewhere = add_location(1, clinic.organisation)
    other = receive_lot(elsewhere, lot_number="B3")
    text = _refused(
        client_for("injector"),
        record,
        {"sealed_vial": str(other.vials.get().public_id), "diluent_ml": "2.5"},
    )
    assert "That vial is at another location." in text


def test_a_vial_that_is_no_vial_or_not_sealed_is_refused(record, clinic, client_for, actor_of):
    lot = receive_lot(clinic, lot_number="B4")
    opened = stock.reconstitute(actor_of("injector"), lot.vials.get(), "2.5")
    client = client_for("injector")
    assert "not sealed" in _refused(
        client, record, {"sealed_vial": str(opened.public_id), "diluent_ml": "2.5"}
    )
    assert "Choose one of the sealed vials listed." in _refused(
        client, record, {"sealed_vial": "not-a-vial", "diluent_ml": "2.5"}
    )


def test_only_the_injector_charting_the_record_reconstitutes_for_it(record, clinic, client_for):
    lot = receive_lot(clinic, lot_number="B5")
    data = {"sealed_vial": str(lot.vials.get().public_id), "diluent_ml": "2.5"}
    assert client_for("front_desk").post(_url(record), data).status_code == 403
    assert client_for("medical_director").post(_url(record), data).status_code == 403
    assert lot.vials.get().state == Vial.State.SEALED
