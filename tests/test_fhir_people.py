"""The clinic's set-up and scheduling through /fhir/R4/ (Organization, Location, Practitioner,
PractitionerRole, Schedule, Slot, Appointment), and the portal page where a patient makes and
revokes the tokens her apps read it with."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.urls import reverse

from glabella.clinic.models import Service
from glabella.core.models import AccessLog, ApiToken, StaffMember
from glabella.demo.clinic import DEMO_DOMAIN
from glabella.fhir import codes
from glabella.fhir.resources.clinic import role_id
from glabella.scheduling.models import Appointment, Status
from tests.conftest import issue_token, make_patient
from tests.fhir_support import bearer, fhir_get, patient_token, valid

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")
# A Monday morning at the clinic, before opening: Tuesday is a whole working day ahead.
MONDAY = datetime(2027, 3, 1, 7, 0, tzinfo=LA)
TUESDAY = "2027-03-02T00:00:00-08:00"
WEDNESDAY = "2027-03-03T00:00:00-08:00"


def _staff(key: str) -> StaffMember:
    return StaffMember.objects.get(user__username=f"{key}@{DEMO_DOMAIN}")


def _ids(bundle: dict) -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", [])]


@pytest.fixture
def desk(users):
    return bearer(issue_token(users["front_desk"], preset="read"))


@pytest.fixture
def frozen():
    with time_machine.travel(MONDAY, tick=False):
        yield


def _visit(patient, location, start, *, status=Status.BOOKED, provider=None, slug="consultation"):
    service = Service.objects.get(slug=slug)
    end = start + timedelta(minutes=service.duration_minutes)
    return Appointment.objects.create(
        location=location,
        service=service,
        provider=provider or _staff("injector"),
        patient=patient,
        starts_at=start,
        ends_at=end,
        blocked_from=start,
        blocked_until=end + timedelta(minutes=service.buffer_after_minutes),
        status=status,
    )


# -- the clinic's set-up ---------------------------------------------------------------------


def test_the_organization_is_the_clinic_with_its_first_locations_address(patient, clinic):
    client = bearer(patient_token(patient))  # a patient's app reads the clinic too
    status, body = fhir_get(client, "Organization")
    assert status == 200
    valid(body)
    assert body["total"] == 1
    org = body["entry"][0]["resource"]
    assert org["name"] == "Conejo Aesthetic Medicine"
    assert org["active"] is True
    assert {"system": "phone", "value": "+18055550100", "use": "work"} in org["telecom"]
    assert any(t["system"] == "email" and t["value"] == clinic.email for t in org["telecom"])
    assert org["address"][0]["line"] == ["2100 E Thousand Oaks Blvd", "Suite 200"]
    assert org["address"][0]["postalCode"] == "91362"
    assert org["meta"]["profile"] == [f"{codes.US_CORE}/us-core-organization"]
    status, read = fhir_get(client, f"Organization/{org['id']}")
    assert status == 200 and valid(read)["name"] == org["name"]


def test_a_location_has_its_address_zone_and_opening_hours(desk, clinic):
    status, body = fhir_get(desk, f"Location/{clinic.public_id}")
    assert status == 200
    valid(body)
    assert body["name"] == "Thousand Oaks"
    assert body["status"] == "active"
    assert body["address"]["city"] == "Thousand Oaks" and body["address"]["state"] == "CA"
    assert body["extension"] == [
        {"url": "http://hl7.org/fhir/StructureDefinition/timezone", "valueCode": clinic.time_zone}
    ]
    hours = {
        h["daysOfWeek"][0]: (h["openingTime"], h["closingTime"]) for h in body["hoursOfOperation"]
    }
    assert hours["mon"] == ("09:00:00", "18:00:00")
    assert hours["sat"] == ("09:00:00", "14:00:00")
    assert "sun" not in hours
    assert body["managingOrganization"]["reference"].startswith("Organization/")
    _, found = fhir_get(desk, "Location", **{"address-postalcode": "91362"})
    assert _ids(found) == [str(clinic.public_id)]
    _, found = fhir_get(desk, "Location", name="nowhere")
    assert found["total"] == 0


def test_an_inactive_location_is_not_shown(desk, clinic):
    clinic.active = False
    clinic.save(update_fields=["active"])
    assert fhir_get(desk, f"Location/{clinic.public_id}")[0] == 404
    _, body = fhir_get(desk, "Practitioner")
    assert body["total"] == 0  # nobody works at an open location


def test_practitioners_are_the_active_clinicians_with_their_credential_and_licence(patient):
    client = bearer(patient_token(patient))
    status, body = fhir_get(client, "Practitioner", _count=100)
    assert status == 200
    valid(body)
    names = {e["resource"]["name"][0]["text"] for e in body["entry"]}
    # The owner and the front desk treat nobody: they are not practitioners.
    assert names == {"Dr. Daniel Reyes", "Nina Patel", "Rosa Alvarez"}
    director = _staff("director")
    status, one = fhir_get(client, f"Practitioner/{director.public_id}")
    valid(one)
    assert one["name"][0] == {
        "use": "official",
        "text": "Dr. Daniel Reyes",
        "family": "Reyes",
        "given": ["Daniel"],
        "prefix": ["Dr."],
        "suffix": ["MD"],
    }
    qualification = one["qualification"][0]
    assert qualification["code"]["coding"][0]["code"] == "MD"
    assert qualification["identifier"][0]["value"] == "A123456"
    assert qualification["period"]["end"] == director.licence_expires.isoformat()
    assert "telecom" not in one  # a clinician's own phone and email stay private
    assert fhir_get(client, f"Practitioner/{_staff('desk').public_id}")[0] == 404
    nurse = _staff("nurse")
    nurse.active = False
    nurse.save(update_fields=["active"])
    assert fhir_get(client, f"Practitioner/{nurse.public_id}")[0] == 404
    _, found = fhir_get(client, "Practitioner", name="patel")
    assert [e["resource"]["name"][0]["family"] for e in found["entry"]] == ["Patel"]


def test_a_practitioner_role_is_a_clinician_at_a_location(desk, clinic):
    nina = _staff("injector")
    status, body = fhir_get(desk, "PractitionerRole", practitioner=f"Practitioner/{nina.public_id}")
    assert status == 200
    valid(body)
    assert body["total"] == 1
    role = body["entry"][0]["resource"]
    assert role["id"] == role_id(nina, clinic)
    assert role["practitioner"]["reference"] == f"Practitioner/{nina.public_id}"
    assert role["location"][0]["reference"] == f"Location/{clinic.public_id}"
    assert role["code"][0]["coding"][0]["code"] == "nurse"
    assert role["code"][0]["text"] == "Injector (NP)"
    assert role["telecom"][0]["value"] == clinic.phone
    status, read = fhir_get(desk, f"PractitionerRole/{role['id']}")
    assert status == 200 and valid(read) == role
    _, everyone = fhir_get(desk, "PractitionerRole", location=str(clinic.public_id))
    assert everyone["total"] == 3
    assert fhir_get(desk, f"PractitionerRole/{role_id(_staff('desk'), clinic)}")[0] == 404


# -- schedules and free times ----------------------------------------------------------------


def test_a_schedule_per_clinician_and_location_with_its_horizon(desk, clinic, frozen):
    nina = _staff("injector")
    status, body = fhir_get(desk, "Schedule", actor=f"Practitioner/{nina.public_id}")
    assert status == 200
    valid(body)
    schedule = body["entry"][0]["resource"]
    assert schedule["id"] == role_id(nina, clinic)
    actors = [a["reference"] for a in schedule["actor"]]
    assert actors == [
        f"PractitionerRole/{schedule['id']}",
        f"Practitioner/{nina.public_id}",
        f"Location/{clinic.public_id}",
    ]
    assert [t["coding"][0]["code"] for t in schedule["serviceType"]] == ["consultation"]
    assert schedule["planningHorizon"] == {
        "start": "2027-03-01T15:00:00Z",
        "end": "2027-05-30T15:00:00Z",  # the consultation is booked up to 90 days ahead
    }
    status, read = fhir_get(desk, f"Schedule/{schedule['id']}")
    assert status == 200 and valid(read) == schedule
    _, there = fhir_get(desk, "Schedule", actor=f"Location/{clinic.public_id}")
    assert there["total"] == 3
    assert fhir_get(desk, "Schedule", actor="Spaceship/1")[0] == 400


def test_slots_are_the_free_times_the_booking_page_offers(desk, clinic, patient, frozen):
    nina = _staff("injector")
    schedule = role_id(nina, clinic)
    status, body = fhir_get(
        desk,
        "Slot",
        schedule=f"Schedule/{schedule}",
        start=[f"ge{TUESDAY}", f"lt{WEDNESDAY}"],
        _count=100,
    )
    assert status == 200, body
    valid(body)
    starts = [e["resource"]["start"] for e in body["entry"]]
    # Tuesday 9:00 to 12:00 and 13:00 to 16:30 (lunch at 12:30), every quarter hour, in UTC.
    assert len(starts) == 13 + 15
    assert starts[0] == "2027-03-02T17:00:00Z" and starts[-1] == "2027-03-03T00:30:00Z"
    slot = body["entry"][0]["resource"]
    assert slot["status"] == "free"
    assert slot["end"] == "2027-03-02T17:30:00Z"
    assert slot["schedule"] == {"reference": f"Schedule/{schedule}"}
    assert slot["serviceType"][0]["coding"][0]["code"] == "consultation"
    assert slot["id"].startswith(f"{schedule}.") and slot["id"].endswith(".202703021700")
    status, read = fhir_get(desk, f"Slot/{slot['id']}")
    assert status == 200 and valid(read) == slot

    # Booked at 10:00: that time and those whose buffer reaches it are gone, and read 404.
    _visit(patient, clinic, datetime(2027, 3, 2, 10, 0, tzinfo=LA), provider=nina)
    _, after = fhir_get(
        desk, "Slot", schedule=schedule, start=[f"ge{TUESDAY}", f"lt{WEDNESDAY}"], _count=100
    )
    gone = set(starts) - {e["resource"]["start"] for e in after["entry"]}
    assert gone == {
        f"2027-03-02T{h}:{m}:00Z"
        for h, m in [("17", "30"), ("17", "45"), ("18", "00"), ("18", "15"), ("18", "30")]
    }
    taken = next(e for e in body["entry"] if e["resource"]["start"] == "2027-03-02T18:00:00Z")
    status, refused = fhir_get(desk, f"Slot/{taken['resource']['id']}")
    assert status == 404 and valid(refused)["resourceType"] == "OperationOutcome"


def test_slots_by_location_cover_every_clinician_and_a_patient_may_search(patient, clinic, frozen):
    client = bearer(patient_token(patient))
    status, body = fhir_get(
        client,
        "Slot",
        location=f"Location/{clinic.public_id}",
        start=["ge2027-03-02T09:00:00-08:00", "lt2027-03-02T09:15:00-08:00"],
        **{"service-type": f"{codes.local_system('service')}|consultation"},
    )
    assert status == 200, body
    valid(body)
    schedules = {e["resource"]["schedule"]["reference"] for e in body["entry"]}
    assert len(schedules) == 3  # one free 9:00 per clinician
    _, none = fhir_get(
        client,
        "Slot",
        location=str(clinic.public_id),
        start=[f"ge{TUESDAY}", f"lt{WEDNESDAY}"],
        status="busy",
    )
    assert none["total"] == 0


@pytest.mark.parametrize(
    "params",
    [
        {"start": [f"ge{TUESDAY}", f"lt{WEDNESDAY}"]},  # whose times?
        {"schedule": "x", "start": f"ge{TUESDAY}"},  # no upper bound
        {"schedule": "x", "start": [f"ge{TUESDAY}", "lt2027-04-15"]},  # 44 days
        {"schedule": "x", "start": [f"ge{TUESDAY}", "ltsoon"]},
        {"schedule": "x", "start": [TUESDAY, WEDNESDAY]},  # no prefixes
        {"schedule": "x", "start": [f"ge{TUESDAY}", f"lt{WEDNESDAY}"], "status": "maybe"},
        {"location": "x", "start": [f"ge{TUESDAY}", f"lt{WEDNESDAY}"], "service-type": "a|b"},
    ],
)
def test_a_slot_search_without_bounds_is_refused(desk, clinic, frozen, params):
    status, body = fhir_get(desk, "Slot", **params)
    assert status == 400, body
    valid(body)
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["expression"][0] in set(params) | {"schedule"}


def test_a_slot_id_that_means_nothing_is_not_found(desk, clinic, frozen):
    schedule = role_id(_staff("injector"), clinic)
    for bad in (f"{schedule}.00000000.202703021700", f"{schedule}.x.y", "1.2.3", "nothing"):
        assert fhir_get(desk, f"Slot/{bad}")[0] == 404, bad
    code = Service.objects.get(slug="consultation").public_id.hex[:8]
    assert fhir_get(desk, f"Slot/{schedule}.{code}.202703021710")[0] == 404  # off the grid
    assert fhir_get(desk, f"Slot/{schedule}.{code}.202702261700")[0] == 404  # passed


# -- appointments ----------------------------------------------------------------------------


def test_an_appointment_with_its_state_times_service_and_participants(desk, clinic, patient):
    start = datetime(2027, 3, 2, 10, 0, tzinfo=LA)
    visit = _visit(patient, clinic, start)
    status, body = fhir_get(desk, f"Appointment/{visit.public_id}")
    assert status == 200
    valid(body)
    assert body["status"] == "booked"
    assert body["start"] == "2027-03-02T18:00:00Z" and body["end"] == "2027-03-02T18:30:00Z"
    assert body["minutesDuration"] == 30
    assert body["serviceType"][0]["coding"][0] == {
        "system": codes.local_system("service"),
        "code": "consultation",
        "display": "Consultation",
    }
    actors = [p["actor"]["reference"] for p in body["participant"]]
    assert actors == [
        f"Patient/{patient.public_id}",
        f"Practitioner/{visit.provider.public_id}",
        f"Location/{clinic.public_id}",
    ]
    assert body["meta"]["lastUpdated"]
    row = AccessLog.objects.filter(object_id=str(visit.public_id)).latest("id")
    assert row.patient_public_id == patient.public_id and row.object_type == "appointment"


@pytest.mark.parametrize(
    "state, fhir",
    [
        (Status.CHECKED_IN, "checked-in"),
        (Status.COMPLETED, "fulfilled"),
        (Status.CANCELLED_BY_PATIENT, "cancelled"),
        (Status.CANCELLED_BY_CLINIC, "cancelled"),
        (Status.NO_SHOW, "noshow"),
    ],
)
def test_each_state_maps_to_fhirs(desk, clinic, patient, state, fhir):
    visit = _visit(patient, clinic, datetime(2027, 3, 2, 10, 0, tzinfo=LA), status=state)
    _, body = fhir_get(desk, f"Appointment/{visit.public_id}")
    valid(body)
    assert body["status"] == fhir
    if fhir == "cancelled":
        reason = body["cancelationReason"]["coding"][0]["code"]
        assert reason == ("pat" if state == Status.CANCELLED_BY_PATIENT else "prov")
    _, found = fhir_get(desk, "Appointment", status=fhir, _id=str(visit.public_id))
    assert found["total"] == 1


def test_appointment_searches(desk, clinic, patient):
    maya = make_patient()
    nina, reyes = _staff("injector"), _staff("director")
    early = _visit(patient, clinic, datetime(2027, 3, 2, 10, 0, tzinfo=LA), provider=nina)
    late = _visit(maya, clinic, datetime(2027, 3, 9, 10, 0, tzinfo=LA), provider=reyes)
    mine = {str(early.public_id), str(late.public_id)}

    def found(**params):
        _, body = fhir_get(desk, "Appointment", _count=100, **params)
        valid(body)
        return set(_ids(body)) & mine

    assert found(patient=f"Patient/{patient.public_id}") == {str(early.public_id)}
    assert found(date=["ge2027-03-01", "lt2027-03-05"]) == {str(early.public_id)}
    assert found(date="2027-03-09") == {str(late.public_id)}
    assert found(practitioner=f"Practitioner/{reyes.public_id}") == {str(late.public_id)}
    assert found(location=f"Location/{clinic.public_id}") == mine
    assert found(status="booked") == mine
    assert found(status="cancelled") == set()
    today = early.booked_at.date()
    assert found(_lastUpdated=f"ge{today.isoformat()}") == mine
    assert found(_lastUpdated=f"lt{today.isoformat()}") == set()
    for bad in ({"status": "pencilled"}, {"practitioner": "Practitioner/x"}):
        status, body = fhir_get(desk, "Appointment", **bad)
        assert status == 400 and valid(body)["issue"][0]["expression"] == list(bad)


def test_a_page_of_appointments_takes_the_same_few_queries_however_many(
    desk, clinic, patient, django_assert_max_num_queries
):
    for day in range(2, 8):
        _visit(patient, clinic, datetime(2027, 3, day, 10, 0, tzinfo=LA))
    fhir_get(desk, "Appointment", _count=1)  # the token's last use is written once
    with django_assert_max_num_queries(8):
        _, body = fhir_get(desk, "Appointment", _count=100)
    assert body["total"] >= 6


def test_a_patients_token_sees_only_her_appointments(clinic, patient):
    maya = make_patient()
    hers = _visit(patient, clinic, datetime(2027, 3, 2, 10, 0, tzinfo=LA))
    other = _visit(maya, clinic, datetime(2027, 3, 2, 11, 0, tzinfo=LA))
    client = bearer(patient_token(patient))
    _, body = fhir_get(client, "Appointment", _count=100)
    valid(body)
    assert str(hers.public_id) in _ids(body)
    assert str(other.public_id) not in _ids(body)
    assert {e["resource"]["participant"][0]["actor"]["reference"] for e in body["entry"]} == {
        f"Patient/{patient.public_id}"
    }
    assert fhir_get(client, f"Appointment/{other.public_id}")[0] == 404
    _, none = fhir_get(client, "Appointment", patient=f"Patient/{maya.public_id}")
    assert none["total"] == 0


def test_the_capability_statement_lists_the_new_types(client, clinic):
    _, body = fhir_get(client, "metadata")
    valid(body)
    served = {r["type"]: r for r in body["rest"][0]["resource"]}
    for name in (
        "Organization",
        "Location",
        "Practitioner",
        "PractitionerRole",
        "Schedule",
        "Slot",
        "Appointment",
    ):
        assert name in served
    slot_params = {p["name"] for p in served["Slot"]["searchParam"]}
    assert {"schedule", "start", "service-type", "location", "status"} <= slot_params
    appointment = {p["name"] for p in served["Appointment"]["searchParam"]}
    assert {"patient", "date", "_lastUpdated", "status", "practitioner", "location"} <= appointment


# -- the portal's page of app tokens ---------------------------------------------------------


def _page(client, **data):
    url = reverse("portal:app-tokens")
    return client.post(url, data) if data else client.get(url)


def test_a_patient_makes_a_token_sees_it_once_reads_with_it_and_revokes_it(client_for, patient):
    client = client_for("patient")
    response = _page(client, name="My health app", days="30")
    assert response.status_code == 201
    html = response.content.decode()
    token = ApiToken.objects.get(user=patient.user, name="My health app")
    raw = re.search(r"glb_[A-Za-z0-9_\-]+", html).group(0)
    assert ApiToken.digest_of(raw) == token.digest
    assert codes.base_url() in html
    assert f'curl -H "Authorization: Bearer {raw}" {codes.base_url()}/Patient' in html
    assert round((token.expires_at - token.created_at).total_seconds() / 86400) == 30
    # Shown once: the list afterwards names it but never shows the secret again.
    listed = _page(client).content.decode()
    assert "My health app" in listed and raw not in listed
    status, body = fhir_get(bearer(raw), "Patient")
    assert status == 200 and _ids(body) == [str(patient.public_id)]
    revoke = reverse("portal:app-token-revoke", args=[token.public_id])
    assert client.post(revoke).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert fhir_get(bearer(raw), "Patient")[0] == 401
    row = AccessLog.objects.filter(object_id=str(token.public_id)).latest("id")
    assert row.detail == {"revoked": True} and row.channel == "portal"
    # Revoked twice: told so, nothing changes.
    again = client.post(revoke, follow=True)
    assert "already revoked" in again.content.decode()
    assert AccessLog.objects.filter(object_id=str(token.public_id)).count() == 2  # made, revoked


@pytest.mark.parametrize(
    "data, field",
    [
        ({"name": "  ", "days": "30"}, "name"),
        ({"name": "x" * 101, "days": "30"}, "name"),
        ({"name": "App", "days": "0"}, "days"),
        ({"name": "App", "days": "9999"}, "days"),
        ({"name": "App", "days": "soon"}, "days"),
    ],
)
def test_bad_input_gets_field_errors_and_makes_no_token(client_for, patient, data, field):
    client = client_for("patient")
    response = _page(client, **data)
    assert response.status_code == 422
    assert response.context["form"].errors[field]
    assert not ApiToken.objects.filter(user=patient.user).exists()


def test_the_page_speaks_spanish(client_for, patient):
    client = client_for("patient")
    response = client.post("/es" + reverse("portal:app-tokens"), {"name": "", "days": "30"})
    html = response.content.decode()
    assert "Sus aplicaciones" in html
    assert "Diga para qué aplicación es el token." in html


def test_maya_cannot_revoke_graces_token(client, patient, other_patient):
    token = _grace_token(patient)
    user = get_user_model().objects.create_user(username="maya@example.com", password=None)
    other_patient.user = user
    other_patient.save()
    client.force_login(user)
    response = client.post(reverse("portal:app-token-revoke", args=[token.public_id]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert "tracker" not in client.get(reverse("portal:app-tokens")).content.decode()


def _grace_token(patient) -> ApiToken:
    patient_token(patient, "Grace's tracker")
    return ApiToken.objects.get(user=patient.user, name="Grace's tracker")
