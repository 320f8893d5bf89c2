"""The FHIR API's frame: who may read, searches and paging, refusals as OperationOutcomes, and
every read in the access log. Each resource type's own tests are beside it (tests/test_fhir_*.py).
"""

import pytest

from glabella.core.models import AccessLog
from tests.conftest import issue_token, make_patient
from tests.fhir_support import bearer, fhir_get, patient_token, valid

pytestmark = pytest.mark.django_db


def test_the_capability_statement_is_public_valid_and_lists_every_type(client, clinic):
    status, body = fhir_get(client, "metadata")
    assert status == 200
    valid(body)
    served = {r["type"] for r in body["rest"][0]["resource"]}
    assert "Patient" in served
    assert body["fhirVersion"] == "4.0.1"


def test_without_a_token_nothing_is_read(client, patient):
    status, body = fhir_get(client, f"Patient/{patient.public_id}")
    assert status == 401
    valid(body)
    assert body["issue"][0]["code"] == "login"
    status, _ = fhir_get(bearer("glb_not-a-token"), "Patient")
    assert status == 401


def test_a_staff_token_reads_a_patient_and_the_read_is_logged(users, patient):
    client = bearer(issue_token(users["front_desk"], preset="read"))
    status, body = fhir_get(client, f"Patient/{patient.public_id}")
    assert status == 200
    valid(body)
    assert body["name"][0]["family"] == patient.family_name
    assert body["meta"]["profile"] == [
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"
    ]
    row = AccessLog.objects.filter(patient_public_id=patient.public_id).latest("id")
    assert row.action == AccessLog.Action.READ
    assert row.channel == "api"
    assert row.detail == {"fhir": f"Patient/{patient.public_id}"}


def test_a_patients_token_reads_her_own_record_and_nothing_of_anothers(patient):
    other = make_patient()
    client = bearer(patient_token(patient))
    assert fhir_get(client, f"Patient/{patient.public_id}")[0] == 200
    status, body = fhir_get(client, f"Patient/{other.public_id}")
    assert status == 404
    valid(body)
    status, body = fhir_get(client, "Patient", _count=100)
    assert [e["resource"]["id"] for e in body["entry"]] == [str(patient.public_id)]
    assert body["total"] == 1


def test_a_search_pages_and_every_page_is_logged_with_the_patients_it_showed(users, clinic):
    for n in range(3):
        make_patient(given_name=f"Paged{n}", email=f"paged{n}@example.com")
    client = bearer(issue_token(users["front_desk"], preset="read"))
    status, first = fhir_get(client, "Patient", _count=2)
    assert status == 200
    valid(first)
    assert len(first["entry"]) == 2
    assert first["total"] > 2
    following = next(link["url"] for link in first["link"] if link["relation"] == "next")
    assert "_offset=2" in following
    status, second = fhir_get(client, "Patient", _count=2, _offset=2)
    shown = {e["resource"]["id"] for e in first["entry"]} | {
        e["resource"]["id"] for e in second["entry"]
    }
    assert len(shown) == 4
    row = AccessLog.objects.filter(object_id="Patient").latest("id")
    assert set(row.detail["patients"]) == {e["resource"]["id"] for e in second["entry"]}


def test_searches_by_name_birth_date_id_and_last_change(users, clinic):
    maya = make_patient(given_name="Maya", family_name="Zúñiga")
    client = bearer(issue_token(users["front_desk"], preset="read"))
    _, body = fhir_get(client, "Patient", name="zuniga")
    assert [e["resource"]["id"] for e in body["entry"]] == [str(maya.public_id)]
    _, body = fhir_get(client, "Patient", _id=str(maya.public_id), birthdate="1979-09-30")
    assert body["total"] == 1
    day = maya.updated_at.date().isoformat()
    _, body = fhir_get(client, "Patient", _id=str(maya.public_id), _lastUpdated=f"ge{day}")
    assert body["total"] == 1
    _, body = fhir_get(client, "Patient", _id=str(maya.public_id), _lastUpdated=f"lt{day}")
    assert body["total"] == 0


@pytest.mark.parametrize(
    "params, parameter",
    [
        ({"_count": "0"}, "_count"),
        ({"_count": "5000"}, "_count"),
        ({"_offset": "-1"}, "_offset"),
        ({"_lastUpdated": "ge99999-01-01"}, "_lastUpdated"),
        ({"_lastUpdated": "ge0001-01-01"}, "_lastUpdated"),
        ({"_lastUpdated": "soon"}, "_lastUpdated"),
        ({"_lastUpdated": "ge2026-01-01T09:00:00"}, "_lastUpdated"),
        ({"patient": "Patient/not-an-id"}, "patient"),
        ({"colour": "red"}, "colour"),
        ({"birthdate": "yesterday"}, "birthdate"),
    ],
)
def test_a_search_it_does_not_take_is_refused_with_the_parameter_named(
    users, clinic, params, parameter
):
    client = bearer(issue_token(users["front_desk"], preset="read"))
    status, body = fhir_get(client, "Patient", **params)
    assert status == 400, body
    valid(body)
    assert body["issue"][0]["expression"] == [parameter]


def test_an_unknown_type_or_id_is_not_found(users, clinic):
    client = bearer(issue_token(users["front_desk"], preset="read"))
    assert fhir_get(client, "Spaceship")[0] == 404
    assert fhir_get(client, "Patient/123")[0] == 404


def test_a_token_without_the_capability_reads_no_patient(users, patient):
    from datetime import timedelta

    from django.utils import timezone

    from glabella.core.models import ApiToken

    _, raw = ApiToken.issue(
        users["front_desk"],
        "set-up only",
        scope=["clinic.view"],
        expires_at=timezone.now() + timedelta(days=1),
    )
    client = bearer(raw)
    assert fhir_get(client, f"Patient/{patient.public_id}")[0] == 404
    status, body = fhir_get(client, "Patient")
    assert status == 200 and body["total"] == 0
