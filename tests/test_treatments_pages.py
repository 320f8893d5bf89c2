"""The charting pages: the day's treatments, a record charted by rows and label patterns, bad
rows shown where they are, signing with reasons, amendments, and a fixed number of queries."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from glabella.demo.clinic import DEMO_PASSWORD as SECRET
from glabella.inventory import services as stock
from glabella.screening.decisions import sign_decision
from glabella.treatments import cosign
from glabella.treatments.models import TreatmentRecord
from tests.conftest import clear_for_treatment, future_appointment, proof_for, receive_lot
from tests.test_treatments import sign_consent

D = Decimal


@pytest.fixture
def ready(patient, clinic):
    clear_for_treatment(patient)
    sign_consent(patient)
    return future_appointment(
        patient, clinic, days=0, service_slug="neuromodulator", checked_in=True
    )


@pytest.fixture
def vial(clinic, actor_of):
    lot = receive_lot(clinic, lot_number="C9")
    return stock.reconstitute(actor_of("injector"), lot.vials.get(), "2.5")


@pytest.fixture
def page(client_for, ready, vial):
    client = client_for("injector")
    response = client.post(
        reverse("treatments:start", args=[ready.public_id]), {"product": "botox_cosmetic"}
    )
    record = TreatmentRecord.objects.get(appointment=ready)
    assert response["Location"] == reverse("treatments:record", args=[record.public_id])
    return client, reverse("treatments:record", args=[record.public_id]), record


def rows(*points, vial=None, extra=None) -> dict:
    data = {
        "p-TOTAL_FORMS": str(len(points) + 1),
        "p-INITIAL_FORMS": "0",
        "p-MIN_NUM_FORMS": "0",
        "p-MAX_NUM_FORMS": "100",
        "vial": str(vial.public_id) if vial else "",
    }
    for i, (area, units) in enumerate(points):
        data[f"p-{i}-area"] = area
        data[f"p-{i}-units"] = units
    data.update(extra or {})
    return data


def test_the_day_lists_treatments_to_chart(client_for, ready):
    response = client_for("injector").get(reverse("treatments:day"))
    assert response.status_code == 200
    assert ready.patient.full_name.encode() in response.content and b"Chart" in response.content


def test_a_label_pattern_and_rows_make_the_chart(page, vial):
    client, url, record = page
    response = client.post(
        url, rows(vial=vial, extra={"action": "pattern", "pattern_area": "glabellar"})
    )
    assert response.status_code == 302
    points = list(record.points.all())
    assert [(p.area, p.units) for p in points] == [("glabellar", D(4))] * 5
    assert (points[0].x, points[0].y) == (D("0.5"), D("0.335"))
    shown = client.get(url)
    assert shown.status_code == 200 and b"Dose guard: ok" in shown.content
    assert shown.content.count(b'class="point area-glabellar"') == 5


def test_bad_rows_are_shown_in_their_row_and_nothing_is_saved(page, vial):
    client, url, record = page
    response = client.post(
        url,
        rows(
            ("glabellar", "4"),
            ("glabellar", "-2"),
            ("forehead", "0.3"),
            vial=vial,
            extra={"action": "save"},
        ),
    )
    assert response.status_code == 422
    assert b"Give a positive number of units." in response.content
    assert b"Give units in steps of 0.25 for this product." in response.content
    assert record.points.count() == 0


def test_signing_asks_a_reason_for_each_warning_then_locks(page, vial, actor_of):
    client, url, record = page
    sign_decision(
        actor_of("medical_director"),
        record.patient,
        [
            {"product": "botox_cosmetic", "area": area, "allowed": True}
            for area in ("glabellar", "forehead")
        ],
        proof=proof_for(actor_of("medical_director")),
    )
    client.post(url, rows(*[("forehead", "4")] * 5, vial=vial, extra={"action": "save"}))
    asked = client.post(
        url, {"action": "sign", "secret": SECRET}
    )  # forehead without glabellar: a drooping brow
    assert asked.status_code == 422 and b"Give a reason to proceed" in asked.content
    signed = client.post(
        url, {"action": "sign", "secret": SECRET, "reason_companion": "Brows sit high"}
    )
    assert signed.status_code == 302
    record.refresh_from_db()
    assert record.locked and record.reasons == {"companion": "Brows sit high"}
    locked = client.get(url)
    assert b"Amend this record" in locked.content and b'id="draft-form"' not in locked.content
    changed = client.post(url, rows(("glabellar", "4"), vial=vial, extra={"action": "save"}))
    assert changed.status_code == 403
    amended = client.post(url, {"action": "amend"})
    amendment = TreatmentRecord.objects.get(amends=record)
    assert amended["Location"] == reverse("treatments:record", args=[amendment.public_id])


def test_a_dose_above_the_label_waits_on_the_page_for_the_medical_directors_cosignature(
    page, vial, actor_of
):
    client, url, record = page
    client.post(url, rows(*[("glabellar", "6")] * 5, vial=vial, extra={"action": "save"}))
    asked = client.post(
        url, {"action": "sign", "secret": SECRET, "reason_area-above-label": "Strong frown"}
    )
    assert asked.status_code == 422 and b"medical director&#x27;s co-signature" in asked.content
    record.refresh_from_db()
    assert not record.locked
    cosign.cosign(
        actor_of("medical_director"),
        record,
        note="Strong corrugators",
        proof=proof_for(actor_of("medical_director")),
    )
    assert client.post(url, {"action": "sign", "secret": SECRET}).status_code == 302
    record.refresh_from_db()
    assert record.locked


def test_the_record_page_runs_a_fixed_number_of_queries(page, vial):
    client, url, _ = page
    client.post(url, rows(("glabellar", "4"), vial=vial, extra={"action": "save"}))
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    client.post(
        url,
        rows(*[("glabellar", "2")] * 10, ("forehead", "2"), vial=vial, extra={"action": "save"}),
    )
    with CaptureQueriesContext(connection) as eleven:
        client.get(url)
    assert len(one) == len(eleven)


def test_the_printable_note_holds_the_chart_points_lot_and_signature(page, vial):
    import io

    from pypdf import PdfReader

    client, url, record = page
    client.post(url, rows(vial=vial, extra={"action": "pattern", "pattern_area": "glabellar"}))
    client.post(url, {"action": "sign", "secret": SECRET})
    response = client.get(reverse("treatments:note-pdf", args=[record.public_id]))
    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Signed and locked" in text and "C9" in text and "Grace Holloway" in text
    assert "1. Frown lines between the brows: 4 U" in text and "Session: 20 U." in text
