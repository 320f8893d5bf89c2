"""FHIR care resources: the facial-area CodeSystem, a signed treatment as a Procedure, each area's
MedicationAdministration with the lot and expiry drawn, adverse events and wrinkle grades; who may
read them (VIEW_CLINICAL, or the patient herself) and their searches."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from glabella.aftercare import medwatch
from glabella.catalogue.areas import ChartArea
from glabella.core.access import actor_for
from glabella.core.models import AccessLog, StaffMember
from glabella.fhir import codes
from glabella.fhir.server import instant
from glabella.inventory import services as stock
from glabella.outcomes import services as grading
from glabella.scheduling.models import Appointment
from glabella.screening.decisions import sign_decision
from glabella.screening.intake import submit_intake
from glabella.treatments import charting
from tests.conftest import (
    STAFF_EMAILS,
    clinic_today,
    future_appointment,
    intake_answers,
    issue_token,
    make_patient,
    proof_for,
    receive_lot,
)
from tests.fhir_support import bearer, fhir_get, patient_token, valid
from tests.test_treatments import GLABELLAR, sign_consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(users):
    """The injector's read token: VIEW_CLINICAL."""
    return bearer(issue_token(users["injector"], preset="read"))


def entries(body) -> list[dict]:
    valid(body)
    return [e["resource"] for e in body.get("entry", [])]


def site_codes(concept: dict) -> list[str]:
    return [
        c["code"] for c in concept["coding"] if c["system"] == codes.local_system("facial-area")
    ]


@pytest.fixture
def two_lots(clinic, actor_of):
    """Rosa, treated between the brows and at both crow's feet from two lots: the first vial
    (lot S1) held 8 U, so two glabellar points came from it and the rest from lot S2."""
    patient = make_patient(given_name="Rosa", family_name="Ibarra", email="rosa@example.com")
    director = StaffMember.objects.get(user__username=STAFF_EMAILS["medical_director"])
    signer = actor_for(director.user, ip="127.0.0.1")
    submit_intake(signer, patient, intake_answers(), via="staff")
    lines = [
        {"product": "botox_cosmetic", "area": area, "allowed": True}
        for area in ("glabellar", "lateral_canthal")
    ]
    sign_decision(signer, patient, lines, proof=proof_for(signer))
    sign_consent(patient)
    # Now, as Grace's visit in `treated`: on the medical director's calendar, so that the two
    # visits do not overlap on one provider's (PostgreSQL refuses that).
    appointment = future_appointment(
        patient, clinic, days=1, service_slug="neuromodulator", checked_in=True
    )
    start = timezone.now().replace(microsecond=0)
    Appointment.objects.filter(pk=appointment.pk).update(
        provider=director,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        blocked_from=start,
        blocked_until=start + timedelta(minutes=30),
        checked_in_at=start,
    )
    appointment.refresh_from_db()
    injector = actor_of("injector")
    first = stock.reconstitute(
        injector, receive_lot(clinic, lot_number="S1", ndc="0023-3919-50").vials.get(), "2.5"
    )
    stock.waste(injector, first, "92", "Dropped syringe")
    second = stock.reconstitute(injector, receive_lot(clinic, lot_number="S2").vials.get(), "2.5")
    crows = [
        {"area": area, "x": x, "y": "0.4", "units": "4"}
        for area, x in (("lateral_canthal_left", "0.8"), ("lateral_canthal_right", "0.2"))
        for _ in range(3)
    ]
    record = charting.start(injector, appointment, "botox_cosmetic")
    charting.save_draft(
        injector, record, points=GLABELLAR + crows, vials=[first, second], notes_after="Iced"
    )
    return charting.lock(injector, record, proof=proof_for(injector))


# -- the code system -------------------------------------------------------------------------


def test_the_facial_area_code_system_is_published_for_any_signed_in_reader(client, patient):
    assert fhir_get(client, "CodeSystem/facial-area")[0] == 401
    status, body = fhir_get(bearer(patient_token(patient)), "CodeSystem/facial-area")
    assert status == 200
    valid(body)
    assert body["url"] == codes.local_system("facial-area")
    assert body["url"].endswith("/fhir/R4/CodeSystem/facial-area")
    assert (body["status"], body["content"], body["hierarchyMeaning"]) == (
        "active",
        "complete",
        "part-of",
    )
    top = {c["code"]: c for c in body["concept"]}
    nested = {c["code"]: c for c in top["lateral_canthal"]["concept"]}
    assert set(top) | set(nested) == {a.value for a in ChartArea} | {"lateral_canthal"}
    assert body["count"] == len(ChartArea) + 1
    glabellar = top["glabellar"]
    assert glabellar["display"] == "Glabellar"
    assert {(d["language"], d["value"]) for d in glabellar["designation"]} == {
        ("en", "Frown lines between the brows"),
        ("es", "Líneas del entrecejo"),
        ("es", "Glabelar"),
    }
    left = nested["lateral_canthal_left"]
    assert left["display"] == "Lateral canthal, patient's left"
    assert ("es", "Patas de gallo, lado izquierdo") in {
        (d["language"], d["value"]) for d in left["designation"]
    }
    assert left["property"][0]["code"] == "laterality"
    assert left["property"][0]["valueCoding"]["code"] == "7771000"
    right = nested["lateral_canthal_right"]["property"][0]["valueCoding"]
    assert right["code"] == "24028007"
    assert {"code": "off-label", "valueBoolean": True} in top["masseter"]["property"]
    status, body = fhir_get(
        bearer(patient_token(patient)), "CodeSystem", url=codes.local_system("facial-area")
    )
    assert [r["id"] for r in entries(body)] == ["facial-area"]
    assert fhir_get(bearer(patient_token(patient)), "CodeSystem/nothing")[0] == 404


# -- Procedure and MedicationAdministration ---------------------------------------------------


def test_a_signed_treatment_is_a_procedure_and_a_draft_is_not(reader, treated, actor_of):
    draft = charting.amend(actor_of("injector"), treated)  # an amendment, not yet signed
    status, body = fhir_get(reader, f"Procedure/{treated.public_id}")
    assert status == 200
    valid(body)
    assert body["status"] == "completed"
    assert body["subject"] == {"reference": f"Patient/{treated.patient.public_id}"}
    assert body["code"]["text"] == (
        "Botulinum toxin type A injection, BOTOX Cosmetic (onabotulinumtoxinA)"
    )
    assert body["usedCode"][0]["coding"][0]["code"] == "108890005"
    assert body["performedDateTime"] == instant(treated.locked_at)
    assert body["performer"][0]["actor"]["reference"] == (
        f"Practitioner/{treated.injector.public_id}"
    )
    assert body["location"]["reference"] == (f"Location/{treated.appointment.location.public_id}")
    assert [site_codes(s) for s in body["bodySite"]] == [["glabellar"]]
    assert body["note"][0]["text"] == (
        "20 U of BOTOX Cosmetic (onabotulinumtoxinA) in 5 injection points."
    )
    assert body["meta"]["profile"] == [f"{codes.US_CORE}/us-core-procedure"]
    assert fhir_get(reader, f"Procedure/{draft.public_id}")[0] == 404
    _, found = fhir_get(reader, "Procedure", patient=str(treated.patient.public_id))
    assert [r["id"] for r in entries(found)] == [str(treated.public_id)]


def test_each_area_is_an_administration_with_its_lot_and_expiry(reader, treated):
    lot = treated.vial.lot
    expected = f"{treated.public_id}-glabellar"
    assert len(expected) <= 64
    status, body = fhir_get(reader, f"MedicationAdministration/{expected}")
    assert status == 200
    valid(body)
    assert body["status"] == "completed"
    assert body["partOf"] == [{"reference": f"Procedure/{treated.public_id}"}]
    assert body["subject"]["reference"] == f"Patient/{treated.patient.public_id}"
    medication = body["contained"][0]
    assert body["medicationReference"] == {"reference": f"#{medication['id']}"}
    assert medication["batch"] == {
        "lotNumber": "A1",
        "expirationDate": lot.expires_on.isoformat(),
    }
    assert {"system": codes.HCPCS, "code": "J0585"} in medication["code"]["coding"]
    assert medication["manufacturer"] == {"display": "Allergan, Inc."}
    dosage = body["dosage"]
    assert dosage["dose"] == {
        "value": 20,
        "unit": "U",
        "system": "http://unitsofmeasure.org",
        "code": "{U}",
    }
    assert site_codes(dosage["site"]) == ["glabellar"]
    assert dosage["route"]["coding"][0]["code"] == "78421000"
    row = AccessLog.objects.filter(object_id=expected).latest("id")
    assert row.patient_public_id == treated.patient.public_id  # the read names whose it is
    _, found = fhir_get(reader, "MedicationAdministration", patient=str(treated.patient.public_id))
    assert [r["id"] for r in entries(found)] == [expected]
    _, found = fhir_get(reader, "MedicationAdministration", _id=expected)
    assert found["total"] == 1
    for missing in (f"{treated.public_id}-forehead", f"{treated.public_id}-glabellar-2", "x-1"):
        assert fhir_get(reader, f"MedicationAdministration/{missing}")[0] == 404


def test_an_area_drawn_from_two_lots_is_two_administrations_and_sides_are_sites(
    reader, two_lots, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10):  # the same handful for a page of any size
        _, body = fhir_get(
            reader, "MedicationAdministration", patient=str(two_lots.patient.public_id)
        )
    given = {r["id"].removeprefix(f"{two_lots.public_id}-"): r for r in entries(body)}
    assert set(given) == {
        "glabellar-1",
        "glabellar-2",
        "lateral-canthal-left",
        "lateral-canthal-right",
    }
    shown = {
        key: (r["dosage"]["dose"]["value"], r["contained"][0]["batch"]["lotNumber"])
        for key, r in given.items()
    }
    assert shown == {
        "glabellar-1": (8, "S1"),
        "glabellar-2": (12, "S2"),
        "lateral-canthal-left": (12, "S2"),
        "lateral-canthal-right": (12, "S2"),
    }
    assert given["glabellar-1"]["dosage"]["text"] == "8 U in 2 injection points"
    first = given["glabellar-1"]["contained"][0]["code"]["coding"]
    assert {"system": codes.NDC, "code": "0023-3919-50"} in first
    assert site_codes(given["lateral-canthal-left"]["dosage"]["site"]) == ["lateral_canthal_left"]
    status, read = fhir_get(reader, f"MedicationAdministration/{two_lots.public_id}-glabellar-2")
    assert status == 200 and read["contained"][0]["batch"]["lotNumber"] == "S2"
    assert fhir_get(reader, f"MedicationAdministration/{two_lots.public_id}-glabellar")[0] == 404
    _, procedure = fhir_get(reader, f"Procedure/{two_lots.public_id}")
    valid(procedure)
    assert [site_codes(s) for s in procedure["bodySite"]] == [
        ["glabellar"],
        ["lateral_canthal_left"],
        ["lateral_canthal_right"],
    ]
    assert procedure["bodySite"][1]["text"] == (
        "Crow's feet, patient's left (Lateral canthal, patient's left)"
    )
    assert procedure["note"][1]["text"] == "Iced"


# -- AdverseEvent and Observation ------------------------------------------------------------


def test_an_adverse_event_names_the_treatment_and_what_it_gave(reader, treated, actor_of):
    today = clinic_today()
    event = medwatch.open_event(
        actor_of("injector"),
        treated,
        {
            "description": "Drooping left eyelid from day 3",
            "onset_on": today.isoformat(),
            "causality": "probable",
            "source": "call",
            "outcomes": ["other_serious", "hospitalisation"],
            "resolved": False,
        },
    )
    status, body = fhir_get(reader, f"AdverseEvent/{event.public_id}")
    assert status == 200
    valid(body)
    assert body["actuality"] == "actual"
    assert body["event"]["text"] == "Drooping left eyelid from day 3"
    assert body["date"] == today.isoformat()
    assert body["seriousness"]["coding"][0]["code"] == "serious"
    assert body["seriousness"]["text"] == (
        "Hospitalization, initial or prolonged; Other serious (important medical event)"
    )
    assert body["outcome"]["coding"][0]["code"] == "ongoing"
    assert body["recorder"]["reference"] == f"Practitioner/{treated.injector.public_id}"
    suspects = [s["instance"]["reference"] for s in body["suspectEntity"]]
    assert suspects == [
        f"Procedure/{treated.public_id}",
        f"MedicationAdministration/{treated.public_id}-glabellar",
    ]
    assessment = body["suspectEntity"][0]["causality"][0]["assessment"]
    assert assessment["coding"][0]["code"] == "probably-likely"
    patient = str(treated.patient.public_id)
    _, found = fhir_get(reader, "AdverseEvent", patient=patient, date=today.isoformat())
    assert [r["id"] for r in entries(found)] == [str(event.public_id)]
    _, found = fhir_get(reader, "AdverseEvent", patient=patient, date=f"gt{today.isoformat()}")
    assert found["total"] == 0


def test_wrinkle_grades_are_exam_observations(reader, treated, actor_of):
    today = clinic_today().isoformat()
    grading.record(
        actor_of("injector"),
        treated,
        {
            "scored_on": today,
            "grades": [
                {"area": "glabellar", "state": "contraction", "rater": "injector", "grade": 3},
                {"area": "glabellar", "state": "contraction", "rater": "patient", "grade": 2},
                {"area": "lateral_canthal", "state": "rest", "rater": "injector", "grade": 1},
            ],
        },
    )
    patient = str(treated.patient.public_id)
    status, body = fhir_get(reader, "Observation", patient=patient, date=today)
    assert status == 200
    found = entries(body)
    shown = {
        (
            r["bodySite"]["coding"][0]["code"],
            r["code"]["coding"][0]["code"],
            r["performer"][0]["reference"].split("/")[0],
        ): r["valueInteger"]
        for r in found
    }
    assert shown == {
        ("glabellar", "contraction", "Practitioner"): 3,
        ("glabellar", "contraction", "Patient"): 2,
        ("lateral_canthal", "rest", "Practitioner"): 1,
    }
    first = found[0]
    assert first["status"] == "final"
    assert first["category"][0]["coding"][0]["code"] == "exam"
    assert first["code"]["coding"][0]["system"] == codes.local_system("facial-wrinkle-scale")
    assert first["effectiveDateTime"] == today
    _, none = fhir_get(reader, "Observation", patient=patient, _lastUpdated=f"lt{today}")
    assert none["total"] == 0
    _, scale = fhir_get(reader, "CodeSystem/facial-wrinkle-scale")
    assert {c["code"] for c in valid(scale)["concept"]} == {"rest", "contraction"}


# -- who reads them ----------------------------------------------------------------------------


def _care_paths(treated, event, score) -> list[str]:
    return [
        f"Procedure/{treated.public_id}",
        f"MedicationAdministration/{treated.public_id}-glabellar",
        f"AdverseEvent/{event.public_id}",
        f"Observation/{score.public_id}",
    ]


@pytest.fixture
def care_records(treated, actor_of):
    event = medwatch.open_event(
        actor_of("injector"),
        treated,
        {
            "description": "Bruise at one site",
            "onset_on": clinic_today().isoformat(),
            "causality": "certain",
            "source": "visit",
            "outcomes": ["none"],
            "resolved": True,
        },
    )
    score = grading.record(
        actor_of("injector"),
        treated,
        {
            "scored_on": clinic_today().isoformat(),
            "grades": [{"area": "glabellar", "state": "rest", "rater": "injector", "grade": 1}],
        },
    )[0]
    return _care_paths(treated, event, score)


TYPES = ["Procedure", "MedicationAdministration", "AdverseEvent", "Observation"]


def test_the_front_desk_reads_none_of_them(users, care_records):
    client = bearer(issue_token(users["front_desk"], preset="read"))
    for path in care_records:
        status, body = fhir_get(client, path)
        assert status == 404, path
        valid(body)
    for name in TYPES:
        status, body = fhir_get(client, name)
        assert (status, body["total"]) == (200, 0), name


def test_a_patient_reads_her_own_and_nothing_of_anothers(patient, care_records, two_lots):
    client = bearer(patient_token(patient))
    for path in care_records:
        status, body = fhir_get(client, path)
        assert status == 200, path
        valid(body)
    for path in (
        f"Procedure/{two_lots.public_id}",
        f"MedicationAdministration/{two_lots.public_id}-lateral-canthal-left",
    ):
        assert fhir_get(client, path)[0] == 404
    for name in TYPES:
        _, body = fhir_get(client, name, _count=100)
        subjects = {(r.get("subject") or {}).get("reference") for r in entries(body)}
        assert subjects == {f"Patient/{patient.public_id}"}, name
    _, body = fhir_get(client, "MedicationAdministration", patient=str(two_lots.patient.public_id))
    assert body["total"] == 0


def test_procedures_search_by_date_and_last_change(reader, treated):
    patient = str(treated.patient.public_id)
    # A day without an offset is the clinic's day.
    signed_on = treated.locked_at.astimezone(ZoneInfo("America/Los_Angeles")).date()
    _, body = fhir_get(reader, "Procedure", patient=patient, date=signed_on.isoformat())
    assert body["total"] == 1
    day = clinic_today()
    _, body = fhir_get(reader, "Procedure", patient=patient, date=f"lt{day.isoformat()}")
    assert body["total"] == 0
    _, body = fhir_get(reader, "Procedure", patient=patient, _lastUpdated=f"ge{day.isoformat()}")
    assert body["total"] == 1
    _, body = fhir_get(
        reader, "MedicationAdministration", patient=patient, date=f"ge{day.isoformat()}"
    )
    assert body["total"] == 1
    status, body = fhir_get(reader, "MedicationAdministration", _id="not-ours")
    assert status == 400 and body["issue"][0]["expression"] == ["_id"]
