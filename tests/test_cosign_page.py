"""The chart page's platysma bands and the medical director's co-signature above a ceiling: the
bands saved with the draft and read by the live panel, the co-sign form, and signing after it."""

import pytest
from django.urls import reverse

from glabella.demo.clinic import DEMO_PASSWORD as SECRET
from glabella.inventory import services as stock
from glabella.treatments import cosign
from glabella.treatments.models import TreatmentRecord
from tests.conftest import clear_for_treatment, future_appointment, proof_for, receive_lot
from tests.test_treatments import sign_consent
from tests.test_treatments_pages import rows

NECK = [("platysma", "2")] * 18  # 36 U


@pytest.fixture
def vial(clinic, actor_of):
    lot = receive_lot(clinic, lot_number="N1")
    return stock.reconstitute(actor_of("injector"), lot.vials.get(), "2.5")


@pytest.fixture
def neck(client_for, patient, clinic, vial):
    """A BOTOX Cosmetic draft on the page, the neck allowed for the patient."""
    clear_for_treatment(patient, area="platysma")
    sign_consent(patient)
    visit = future_appointment(
        patient, clinic, days=0, service_slug="neuromodulator", checked_in=True
    )
    client = client_for("injector")
    client.post(reverse("treatments:start", args=[visit.public_id]), {"product": "botox_cosmetic"})
    record = TreatmentRecord.objects.get(appointment=visit)
    return client, reverse("treatments:record", args=[record.public_id]), record


def bands(left, right, action="save") -> dict:
    return {"bands_left": str(left), "bands_right": str(right), "action": action}


def test_the_page_records_the_neck_bands_and_one_a_side_holds_36_units_to_the_ceiling(neck, vial):
    client, url, record = neck
    page = client.get(url)
    assert b'name="bands_left"' in page.content
    assert b"Neck bands, patient&#x27;s left" in page.content
    assert client.post(url, rows(*NECK, vial=vial, extra=bands(1, 1))).status_code == 302
    record.refresh_from_db()
    assert record.platysma_bands == (1, 1)
    shown = client.get(url)
    assert (
        b"Dose guard: block" in shown.content and b'data-code="area-above-label"' in shown.content
    )
    assert b'<option value="1" selected>1</option>' in shown.content
    assert client.post(url, rows(*NECK, vial=vial, extra=bands(2, 2))).status_code == 302
    record.refresh_from_db()
    assert record.platysma_bands == (2, 2)
    assert b"Dose guard: ok" in client.get(url).content


def test_the_live_panel_reads_the_bands_on_the_screen(neck, vial):
    client, _, record = neck
    check = reverse("treatments:check", args=[record.public_id])
    one = client.post(check, rows(*NECK, vial=vial, extra=bands(1, 1)))
    assert one.status_code == 200 and b'data-code="area-above-label"' in one.content
    two = client.post(check, rows(*NECK, vial=vial, extra=bands(2, 2)))
    assert two.status_code == 200 and b"Dose guard: ok" in two.content
    unknown = client.post(check, rows(*NECK, vial=vial))
    assert b'data-code="platysma-bands"' in unknown.content
    bad = client.post(check, rows(*NECK, vial=vial, extra=bands(3, 1)))
    assert bad.status_code == 422 and b'data-field="platysma_bands.left"' in bad.content
    assert record.points.count() == 0


@pytest.mark.parametrize(("left", "right"), [(3, 1), (0, 2), (1, ""), ("", "two")])
def test_bad_neck_bands_are_refused_on_their_field_and_nothing_is_written(neck, vial, left, right):
    client, url, record = neck
    response = client.post(url, rows(*NECK, vial=vial, extra=bands(left, right)))
    assert response.status_code == 422
    assert b"Give 1 or 2 bands on this side." in response.content
    record.refresh_from_db()
    assert record.points.count() == 0 and record.platysma_bands is None


def test_the_medical_director_cosigns_from_the_page_and_the_injector_then_signs(
    neck, vial, client_for
):
    client, url, record = neck
    client.post(url, rows(*NECK, vial=vial, extra=bands(1, 1)))
    refused = client.post(url, {"action": "sign", "secret": SECRET})
    assert refused.status_code == 422 and b"Sign and lock" in refused.content
    assert b"co-signature is needed" in client.get(url).content
    assert b'value="cosign"' not in client.get(url).content
    director = client_for("medical_director")
    assert b"Co-sign above the ceiling" in director.get(url).content
    too_long = director.post(url, {"action": "cosign", "secret": SECRET, "note": "x" * 301})
    assert too_long.status_code == 422 and b"300 plain characters" in too_long.content
    assert not record.cosignatures.exists()
    done = director.post(url, {"action": "cosign", "secret": SECRET, "note": "Strong bands"})
    assert done.status_code == 302
    shown = client.get(url).content
    assert b"Co-signed by" in shown and b"Strong bands" in shown
    assert client.post(url, {"action": "sign", "secret": SECRET}).status_code == 302
    record.refresh_from_db()
    assert record.locked and record.guard[0]["code"] == "area-above-label"


@pytest.mark.parametrize("persona", ["injector", "owner", "front_desk"])
def test_only_the_medical_director_cosigns_on_the_page(neck, vial, client_for, persona):
    client, url, record = neck
    client.post(url, rows(*NECK, vial=vial, extra=bands(1, 1)))
    other = client_for(persona)
    assert other.post(url, {"action": "cosign", "secret": SECRET}).status_code in (403, 404)
    assert not record.cosignatures.exists()


def test_a_cosignature_for_another_plan_is_not_shown_as_valid(neck, vial, client_for, actor_of):
    client, url, record = neck
    client.post(url, rows(*NECK, vial=vial, extra=bands(1, 1)))
    cosign.cosign(
        actor_of("medical_director"), record, proof=proof_for(actor_of("medical_director"))
    )
    assert b"Co-signed by" in client.get(url).content
    client.post(url, rows(*NECK, ("platysma", "2"), vial=vial, extra=bands(1, 1)))  # 38 U
    shown = client.get(url).content
    assert b"Co-signed by" not in shown and b"An earlier co-signature covered" in shown
    assert client.post(url, {"action": "sign", "secret": SECRET}).status_code == 422


def test_the_neck_bands_are_asked_only_for_botox_cosmetic(client_for, patient, clinic):
    clear_for_treatment(patient, product="dysport")
    visit = future_appointment(
        patient, clinic, days=0, service_slug="neuromodulator", checked_in=True
    )
    client = client_for("injector")
    client.post(reverse("treatments:start", args=[visit.public_id]), {"product": "dysport"})
    record = TreatmentRecord.objects.get(appointment=visit)
    page = client.get(reverse("treatments:record", args=[record.public_id]))
    assert page.status_code == 200 and b'name="bands_left"' not in page.content
