"""Charting with the database: a record from draft to signature, the guard with the patient's
decision, consent, history and vial, locked records that never change, amendments, house doses
and the recall of a lot."""

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from glabella.core.errors import Forbidden, ValidationFailed
from glabella.inventory import services as stock
from glabella.inventory.models import Movement, Vial
from glabella.screening import services as screening
from glabella.treatments import services
from glabella.treatments.models import InjectionPoint, RecordLocked, TreatmentRecord
from tests.conftest import (
    clear_for_treatment,
    future_appointment,
    make_patient,
    receive_lot,
)

D = Decimal
NOW = datetime.now(UTC).replace(microsecond=0)
GLABELLAR = [{"area": "glabellar", "x": "0.5", "y": "0.3", "units": "4"} for _ in range(5)]


def sign_consent(patient):
    document = screening.current_documents()["neuromodulator"]
    return screening.sign_consent(
        screening.forms_actor(patient, "tablet"),
        patient,
        document,
        typed_name=f"{patient.given_name} {patient.family_name}",
        strokes=[],
        adopt_typed=True,
        shown_sha256=document.text_sha256,
        via="tablet",
    )


@pytest.fixture
def injector(actor_of):
    return actor_of("injector")


@pytest.fixture
def vial(injector, clinic):
    lot = receive_lot(clinic, lot_number="C7777", vials_received=2)
    return stock.reconstitute(injector, lot.vials.first(), "2.5", now=NOW - timedelta(hours=1))


@pytest.fixture
def ready(patient, clinic):
    """Grace: answers, a decision allowing BOTOX Cosmetic between the brows, a consent, and a
    treatment appointment."""
    clear_for_treatment(patient)
    sign_consent(patient)
    return future_appointment(
        patient, clinic, days=0, service_slug="neuromodulator", checked_in=True
    )


@pytest.fixture
def draft(injector, ready):
    return services.start(injector, ready, "botox_cosmetic")


def test_a_treatment_is_charted_checked_and_signed(injector, draft, vial):
    services.save_draft(injector, draft, points=GLABELLAR, vial=vial, notes_before="Frowns hard")
    assert services.check(draft, at=NOW).ok
    locked = services.lock(injector, draft, now=NOW)
    locked.refresh_from_db()
    assert locked.status == "locked" and locked.guard == [] and locked.decision is not None
    assert locked.consent is not None
    vial.refresh_from_db()
    assert vial.units_left == D(80)
    draws = Movement.objects.filter(vial=vial, kind="draw")
    assert draws.count() == 5 and {m.patient_id for m in draws} == {locked.patient_id}
    assert all(p.movement_id for p in locked.points.all())


def test_only_a_clinician_charts_and_only_a_treatment_appointment(actor_of, ready, clinic):
    with pytest.raises(Forbidden):
        services.start(actor_of("front_desk"), ready, "botox_cosmetic")
    with pytest.raises(Forbidden):
        services.start(actor_of("owner"), ready, "botox_cosmetic")
    consultation = future_appointment(ready.patient, clinic, days=2)
    with pytest.raises(ValidationFailed) as failed:
        services.start(actor_of("injector"), consultation, "botox")
    assert set(failed.value.fields) == {"product", "appointment"}
    services.start(actor_of("injector"), ready, "botox_cosmetic")
    with pytest.raises(ValidationFailed):
        services.start(actor_of("injector"), ready, "botox_cosmetic")


@pytest.mark.parametrize(
    ("point", "field"),
    [
        ({"area": "cheekbone"}, "points.0.area"),
        ({"x": "1.5"}, "points.0.x"),
        ({"y": "-0.1"}, "points.0.y"),
        ({"x": "left"}, "points.0.x"),
        ({"units": "-4"}, "points.0.units"),
        ({"units": "0"}, "points.0.units"),
        ({"units": "0.3"}, "points.0.units"),
        ({"units": "NaN"}, "points.0.units"),
        ({"depth": "x" * 61}, "points.0.depth"),
        ({"colour": "red"}, "points.0"),
    ],
)
def test_bad_points_are_refused_field_by_field(injector, draft, point, field):
    before = InjectionPoint.objects.count()
    with pytest.raises(ValidationFailed) as failed:
        services.save_draft(injector, draft, points=[{**GLABELLAR[0], **point}])
    assert field in failed.value.fields
    assert InjectionPoint.objects.count() == before


def test_another_products_vial_is_refused(injector, draft, clinic):
    lot = receive_lot(clinic, product="dysport", vial_units=300, lot_number="D1")
    with pytest.raises(ValidationFailed) as failed:
        services.save_draft(injector, draft, points=GLABELLAR, vial=lot.vials.get())
    assert "never converted" in failed.value.fields["vial"][0]


def test_signing_stops_at_a_block_and_draws_nothing(injector, clinic, vial):
    patient = make_patient()
    clear_for_treatment(patient)  # a decision, but no consent
    appointment = future_appointment(
        patient, clinic, days=0, service_slug="neuromodulator", checked_in=True
    )
    record = services.start(injector, appointment, "botox_cosmetic")
    crows = [{"area": "lateral_canthal_left", "x": "0.2", "y": "0.4", "units": "4"}] * 3
    services.save_draft(injector, record, points=GLABELLAR + crows, vial=vial)
    with pytest.raises(ValidationFailed) as failed:
        services.lock(injector, record, now=NOW)
    guard = " ".join(failed.value.fields["guard"])
    assert "No current signed consent" in guard and "crow's feet" in guard
    vial.refresh_from_db()
    assert vial.units_left == D(100) and not Movement.objects.exists()
    assert TreatmentRecord.objects.get(pk=record.pk).status == "draft"


def test_a_warning_needs_a_reason_which_is_kept(injector, draft, vial):
    heavy = [{**GLABELLAR[0], "units": "6"} for _ in range(5)]  # 30 U
    services.save_draft(injector, draft, points=heavy, vial=vial)
    with pytest.raises(ValidationFailed) as failed:
        services.lock(injector, draft, now=NOW)
    assert "reasons.area-above-label" in failed.value.fields
    locked = services.lock(
        injector, draft, reasons={"area-above-label": "Strong corrugators"}, now=NOW
    )
    locked.refresh_from_db()
    assert locked.reasons == {"area-above-label": "Strong corrugators"}
    assert locked.guard[0]["code"] == "area-above-label"


def test_a_locked_record_never_changes_by_any_path(injector, draft, vial):
    services.save_draft(injector, draft, points=GLABELLAR, vial=vial)
    services.lock(injector, draft, now=NOW)
    record = TreatmentRecord.objects.get(pk=draft.pk)
    with pytest.raises(ValidationFailed):
        services.save_draft(injector, record, points=GLABELLAR[:1], vial=vial)
    with pytest.raises(ValidationFailed):
        services.lock(injector, record, now=NOW)
    record.notes_after = "changed"
    with pytest.raises(RecordLocked):
        record.save()
    with pytest.raises(RecordLocked):
        record.delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        TreatmentRecord.objects.filter(pk=record.pk).update(notes_after="changed")
    with pytest.raises(IntegrityError), transaction.atomic():
        InjectionPoint.objects.filter(record=record).update(units=D(40))
    with pytest.raises(IntegrityError), transaction.atomic():
        InjectionPoint.objects.create(record=record, area="glabellar", x=0, y=0, units=D(4))
    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError), transaction.atomic():
            InjectionPoint.objects.filter(record=record).delete()
    assert record.points.count() == 5


def test_an_amendment_adds_to_the_session_and_leaves_the_original(injector, draft, vial):
    services.save_draft(injector, draft, points=GLABELLAR, vial=vial)
    original = services.lock(injector, draft, now=NOW)
    amendment = services.amend(injector, TreatmentRecord.objects.get(pk=original.pk))
    touch_up = [{"area": "glabellar", "x": "0.5", "y": "0.32", "units": "2"}]
    services.save_draft(injector, amendment, points=touch_up, vial=vial, notes_after="Asymmetry")
    with pytest.raises(ValidationFailed) as failed:  # 22 U between the brows in the session
        services.lock(injector, amendment, now=NOW + timedelta(minutes=5))
    assert "reasons.area-above-label" in failed.value.fields
    assert "reasons.interval" not in failed.value.fields  # the session is not its own past
    services.lock(
        injector,
        amendment,
        reasons={"area-above-label": "Asymmetric frown"},
        now=NOW + timedelta(minutes=5),
    )
    vial.refresh_from_db()
    assert vial.units_left == D(78)
    assert [a.pk for a in TreatmentRecord.objects.get(pk=original.pk).amendments.all()] == [
        amendment.pk
    ]
    assert TreatmentRecord.objects.get(pk=original.pk).points.count() == 5


def test_an_earlier_session_and_a_reported_toxin_count_in_the_history(
    injector, actor_of, clinic, vial
):
    patient = make_patient()
    clear_for_treatment(
        patient,
        recent_toxin=True,
        toxins=[{"product": "Dysport", "date": (date.today() - timedelta(days=30)).isoformat()}],
    )
    sign_consent(patient)
    appointment = future_appointment(
        patient, clinic, days=0, service_slug="neuromodulator", checked_in=True
    )
    record = services.start(injector, appointment, "botox_cosmetic")
    services.save_draft(injector, record, points=GLABELLAR, vial=vial)
    found = {f.code for f in services.check(record, at=NOW).findings}
    assert "interval" in found


def test_house_doses_are_the_medical_directors(actor_of, injector, draft, vial):
    with pytest.raises(Forbidden):
        services.set_house_dose(injector, "botox_cosmetic", "glabellar", "16", "House style")
    with pytest.raises(ValidationFailed) as failed:
        services.set_house_dose(actor_of("medical_director"), "botox_cosmetic", "chin", "-1", "")
    assert set(failed.value.fields) == {"area", "house_max", "reason"}
    services.set_house_dose(
        actor_of("medical_director"), "botox_cosmetic", "glabellar", "16", "Our starting dose"
    )
    services.save_draft(injector, draft, points=GLABELLAR, vial=vial)
    assert {f.code for f in services.check(draft, at=NOW).findings} == {"area-above-protocol"}
    services.set_house_dose(
        actor_of("medical_director"), "botox_cosmetic", "glabellar", None, "Back to the label"
    )
    assert services.check(draft, at=NOW).ok


def test_a_recall_finds_everyone_treated_from_the_lot_in_one_query(
    injector, draft, vial, django_assert_num_queries
):
    services.save_draft(injector, draft, points=GLABELLAR, vial=vial)
    services.lock(injector, draft, now=NOW)
    with django_assert_num_queries(1):
        treated = services.recall(vial.lot)
    assert len(treated) == 1
    assert treated[0].areas == {"glabellar": D(20)} and treated[0].units == D(20)
    assert treated[0].email == draft.patient.email
    other = Vial.objects.filter(lot=vial.lot, state="sealed").first()
    assert services.recall(other.lot)[0].name == "Grace Holloway"


# ---------------------------------------------------------------- through the API


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_the_check_endpoint_answers_the_guard_and_writes_nothing(client_for, ready, vial):
    before = (TreatmentRecord.objects.count(), Movement.objects.count())
    client = client_for("injector")
    plain = post(
        client, "/api/v1/treatments/check", {"product": "dysport", "areas": {"glabellar": 50}}
    )
    assert plain.status_code == 200
    assert plain.json()["level"] == "ok" and plain.json()["clearance_checked"] is False
    mine = post(
        client,
        "/api/v1/treatments/check",
        {
            "product": "botox_cosmetic",
            "points": [{"area": "glabellar", "units": 20}, {"area": "forehead", "units": 20}],
            "patient": str(ready.patient.public_id),
            "vial": str(vial.public_id),
        },
    ).json()
    assert mine["clearance_checked"] is True
    assert {f["code"] for f in mine["findings"]} == {"no-decision"}  # forehead is not allowed
    assert mine["area_totals"] == {"glabellar": "20", "forehead": "20"}
    assert (TreatmentRecord.objects.count(), Movement.objects.count()) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"product": "botox", "areas": {"glabellar": 4}}, "product"),
        ({"product": "dysport"}, "points"),
        ({"product": "dysport", "areas": {"cheek": 4}}, "areas.cheek"),
        ({"product": "dysport", "points": [{"area": "cheek", "units": 4}]}, "points.0.area"),
        ({"product": "dysport", "points": [{"area": "glabellar", "units": "x"}]}, "points.0.units"),
        ({"product": "dysport", "areas": {"glabellar": 4}, "vial": "not-a-uuid"}, "vial"),
        (
            {"product": "dysport", "areas": {"glabellar": 4}, "patient": str(uuid.uuid4())},
            "patient",
        ),
    ],
)
def test_the_check_endpoint_refuses_bad_input_field_by_field(client_for, body, field):
    response = post(client_for("injector"), "/api/v1/treatments/check", body)
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]


def test_charting_signing_and_amending_through_the_api(client_for, ready, vial):
    client = client_for("injector")
    started = post(
        client,
        "/api/v1/treatments/records",
        {"appointment": str(ready.public_id), "product": "botox_cosmetic"},
    )
    assert started.status_code == 201
    url = f"/api/v1/treatments/records/{started.json()['id']}"
    bad = post(
        client, f"{url}/draft", {"points": [{**GLABELLAR[0], "x": 2}], "vial": str(vial.public_id)}
    )
    assert bad.status_code == 422 and "points.0.x" in bad.json()["error"]["fields"]
    saved = post(client, f"{url}/draft", {"points": GLABELLAR, "vial": str(vial.public_id)})
    assert saved.status_code == 200 and len(saved.json()["points"]) == 5
    signed = post(client, f"{url}/sign", {})
    assert signed.status_code == 200 and signed.json()["status"] == "locked"
    assert signed.json()["lot"] == "C7777"
    for method in ("put", "patch", "delete"):
        assert getattr(client, method)(url).status_code == 405
    again = post(client, f"{url}/draft", {"points": GLABELLAR})
    assert again.status_code == 422
    amendment = post(client, f"{url}/amend", {})
    assert amendment.status_code == 201 and amendment.json()["amends"] == started.json()["id"]
    recall = client.get(f"/api/v1/treatments/stock/lots/{vial.lot.public_id}/recall")
    assert recall.status_code == 200 and recall.json()[0]["units"] == "20.00"


@pytest.mark.parametrize(
    "persona", ["patient", "front_desk", "injector", "medical_director", "owner"]
)
def test_no_role_changes_a_locked_record_through_any_endpoint(
    client_for, injector, draft, vial, persona
):
    services.save_draft(injector, draft, points=GLABELLAR, vial=vial)
    services.lock(injector, draft, now=NOW)
    before = list(InjectionPoint.objects.filter(record=draft).values_list("units", flat=True))
    client = client_for(persona)
    url = f"/api/v1/treatments/records/{draft.public_id}"
    for method in ("put", "patch", "delete"):
        assert (
            getattr(client, method)(url, "{}", content_type="application/json").status_code == 405
        )
    changed = post(client, f"{url}/draft", {"points": [{**GLABELLAR[0], "units": "40"}]})
    assert changed.status_code in (403, 404, 422)
    signed_again = post(client, f"{url}/sign", {})
    assert signed_again.status_code in (403, 404, 422)
    page = client.post(
        reverse("treatments:record", args=[draft.public_id]),
        {
            "action": "save",
            "p-TOTAL_FORMS": "1",
            "p-INITIAL_FORMS": "0",
            "p-0-area": "glabellar",
            "p-0-units": "40",
        },
    )
    assert page.status_code in (302, 403)  # 302: a patient is sent to sign in as staff
    record = TreatmentRecord.objects.get(pk=draft.pk)
    assert record.status == "locked"
    assert list(record.points.values_list("units", flat=True)) == before
