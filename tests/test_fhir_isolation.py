"""The isolation sweep for /fhir/R4/, as for the portal: nothing of Grace's reaches Maya's token,
nor a staff token whose scope lacks the capability, and every read is in the access log.

The resource types are taken from the registry, not listed by hand, so a new type is swept the
day it is registered. Grace has a signed treatment with check-ins, a report and its photo, an
adverse event, a grade, a clinical photo, consents, an appointment and an invitation; a
clinician's token finds every resource of hers, and each is then read with the other tokens.
"""

import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from glabella.core.access import system_actor
from glabella.core.models import AccessLog, ApiToken
from glabella.core.roles import Capability
from glabella.fhir import registry, server
from glabella.outcomes.models import Score
from tests.conftest import future_appointment, issue_token
from tests.fhir_support import bearer, fhir_get, patient_token
from tests.test_permissions import _treatment_objects

pytestmark = pytest.mark.django_db


@pytest.fixture
def grace_has_everything(patient, clinic, treated):
    objects = _treatment_objects(patient, clinic)
    future_appointment(patient, clinic)
    Score.objects.create(
        treatment=treated,
        patient=patient,
        area="glabellar",
        state="rest",
        rater="injector",
        grade=2,
        scored_on=timezone.now().date(),
        day=0,
        via="chart",
    )
    return objects


@pytest.fixture
def maya(other_patient):
    other_patient.user = get_user_model().objects.create_user(username="maya@example.com")
    other_patient.save()
    return other_patient


def searchable_for_a_patient() -> list[str]:
    return [n for n in registry.names() if registry.get(n).patient is not None]


def graces_resources(users, patient) -> list[tuple[str, str]]:
    """(type, id) of everything a clinician's token finds of Grace's, through every type."""
    client = bearer(issue_token(users["medical_director"], preset="read"))
    found = []
    for name in searchable_for_a_patient():
        status, body = fhir_get(client, name, patient=str(patient.public_id), _count=100)
        assert status == 200, (name, body)
        found += [(name, e["resource"]["id"]) for e in body.get("entry", [])]
    return found


def needs(name: str, resource_id: str | None = None):
    """The capability a staff member needs to read a type's rows (its model's access rule); of
    a type served from several models, the one holding `resource_id` (or the most closed)."""
    kind = registry.get(name)
    if kind.rows is None and not kind.parts:
        return None
    needed = set()
    everything = system_actor("tests")
    for part in server.sources(kind):
        rows = part.rows(everything)
        if resource_id is not None and not rows.filter(server._by_id(part, resource_id)).exists():
            continue
        rule = getattr(rows.model, "access_rule", None)
        needed.add(rule.staff.get("view") if rule else None)
    # A type served from several models is as closed as its most closed part.
    for capability in (Capability.VIEW_AUDIT, Capability.VIEW_CLINICAL, Capability.VIEW_PATIENT):
        if capability in needed:
            return capability
    return None


def hidden_from(whose: str, name: str, resource_id: str | None = None) -> bool:
    """Whether this token must not read Grace's resource (or any of this type): Maya and a
    set-up-only token nothing of hers; the desk nothing that needs more than seeing patients."""
    if whose != "front desk":
        return True
    return needs(name, resource_id) not in {Capability.VIEW_PATIENT, Capability.VIEW_CLINIC, None}


def set_up_only_token(user) -> str:
    return ApiToken.issue(
        user, "set-up only", scope=["clinic.view"], expires_at=timezone.now() + timedelta(days=1)
    )[1]


def test_the_sweep_finds_graces_records_in_many_types(users, patient, grace_has_everything):
    found = graces_resources(users, patient)
    types = {name for name, _ in found}
    assert "Patient" in types
    # As each type lands it adds itself: at least every patient type registered has a row of hers
    # (the fixture gives her one of everything).
    assert types == set(searchable_for_a_patient()), set(searchable_for_a_patient()) - types


@pytest.mark.parametrize("whose", ["maya", "set-up only", "front desk"])
def test_no_token_reads_anything_of_graces_it_may_not(
    users, patient, grace_has_everything, maya, whose
):
    found = graces_resources(users, patient)
    raw = {
        "maya": lambda: patient_token(maya),
        "set-up only": lambda: set_up_only_token(users["medical_director"]),
        "front desk": lambda: issue_token(users["front_desk"], preset="read"),
    }[whose]()
    client = bearer(raw)
    grace = str(patient.public_id)
    for name, resource_id in found:
        if not hidden_from(whose, name, resource_id):
            continue  # the desk sees demographics, visits and consents, never clinical records
        before = AccessLog.objects.count()
        status, body = fhir_get(client, f"{name}/{resource_id}")
        assert status == 404, (whose, name, body)
        assert grace not in json.dumps(body)
        # Every read is in the log, refused ones too: who tried which.
        row = AccessLog.objects.latest("id")
        assert AccessLog.objects.count() == before + 1
        assert row.action == AccessLog.Action.REFUSED
        assert row.detail["path"] == f"/fhir/R4/{name}/{resource_id}"
    # The files behind her documents (a consent's PDF, her photos), read as files.
    files = [resource_id for name, resource_id in found if name == "DocumentReference"]
    assert files
    for resource_id in files:
        response = client.get(f"/fhir/R4/Binary/{resource_id}")
        if hidden_from(whose, "Binary", resource_id):
            assert response.status_code == 404, (whose, resource_id)
            assert grace.encode() not in response.content
    for name in registry.names():
        kind = registry.get(name)
        if kind.listing is not None and kind.patient is None:
            continue  # worked-out resources of the clinic's set-up (slots, code systems)
        searches = [{"_count": 100}]
        if kind.patient is not None:
            searches.append({"patient": grace, "_count": 100})
        for params in searches:
            status, body = fhir_get(client, name, **params)
            if status in (400, 405):
                continue  # a type that requires a search parameter, or is read only
            assert status == 200, (whose, name, body)
            for entry in body.get("entry", []):
                if grace in json.dumps(entry):
                    # Only what this token may read of hers: the desk's consents, say.
                    assert not hidden_from(whose, name, entry["resource"]["id"]), (whose, name)


def test_every_read_and_search_is_in_the_access_log(users, patient, grace_has_everything):
    found = graces_resources(users, patient)
    client = bearer(issue_token(users["injector"], preset="read"))
    for name, resource_id in found:
        before = AccessLog.objects.count()
        status, _ = fhir_get(client, f"{name}/{resource_id}")
        assert status == 200, name
        row = AccessLog.objects.latest("id")
        assert AccessLog.objects.count() == before + 1
        assert row.detail["fhir"] == f"{name}/{resource_id}"
        assert str(row.patient_public_id) == str(patient.public_id), name
    for name in searchable_for_a_patient():
        before = AccessLog.objects.latest("id").pk
        fhir_get(client, name, patient=str(patient.public_id))
        # One listing row per model the type is served from, each naming the type and Grace.
        rows = AccessLog.objects.filter(pk__gt=before)
        assert 1 <= rows.count() <= max(len(registry.get(name).parts), 1), name
        assert {r.detail["fhir"] for r in rows} == {name}
        assert str(patient.public_id) in {p for r in rows for p in r.detail["patients"]}, name
