"""FHIR Bulk Data export: kick-off, the worker's run, status, manifest and files; who may ask,
poll and download; `_type` and `_since`; expiry and cancel; the Groups it exports; and the
FHIR page (docs/fhir.md) naming every registered type and search.

The round trip reads the demo clinic's data with a clinician's token: every NDJSON line parses
with the R4B models and each type's count is what that clinician may read of it.
"""

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db.models import DateTimeField
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from glabella.core import periodic
from glabella.core.models import AccessLog, ApiToken
from glabella.fhir import bulk, capability, registry, server
from glabella.fhir.models import BulkExport, BulkExportFile
from glabella.fhir.resources.groups import ALL_PATIENTS
from glabella.patients.models import Patient
from tests.conftest import future_appointment, issue_token, make_patient
from tests.fhir_support import bearer, fhir_get, patient_token, valid

pytestmark = pytest.mark.django_db

ASYNC = {"Prefer": "respond-async", "Accept": "application/fhir+json"}


def kick(client, path: str = "$export", headers=ASYNC, **params):
    return client.get(f"/fhir/R4/{path}", params, headers=headers)


def local(url: str) -> str:
    assert url.startswith(f"{settings.SITE_URL}/fhir/R4/"), url
    return url.removeprefix(settings.SITE_URL)


def job_of(response) -> BulkExport:
    assert response.status_code == 202, response.content
    return BulkExport.objects.get(public_id=response["Content-Location"].rsplit("/", 1)[1])


def exported(client, response) -> tuple[dict, dict[str, list[dict]]]:
    """Runs the job on the worker's task, then reads its manifest and every file."""
    job = job_of(response)
    assert bulk.export_task.call(job.pk) == "complete"
    status = client.get(local(response["Content-Location"]))
    assert status.status_code == 200, status.content
    assert status["Content-Type"].startswith("application/json")
    assert status["Expires"]
    manifest = status.json()
    files: dict[str, list[dict]] = {}
    for output in manifest["output"]:
        got = client.get(local(output["url"]), headers={"Accept": "application/fhir+ndjson"})
        assert got.status_code == 200
        assert got["Content-Type"].startswith("application/fhir+ndjson")
        lines = got.content.decode().splitlines()
        assert len(lines) == output["count"]
        files.setdefault(output["type"], []).extend(valid(json.loads(line)) for line in lines)
    return manifest, files


def expected_count(name: str, actor, until: datetime | None = None) -> int:
    """The resources of a type the actor may read (of every model it is served from), changed
    no later than the export's transaction time (the access log grows as the export runs)."""
    kind = registry.get(name)
    if kind.rows is None and not kind.parts:
        return len(kind.listing(actor, {}))
    total = 0
    for part in server.sources(kind):
        rows = part.rows(actor)
        if until and part.updated:
            field = server._field(rows.model, part.updated)
            if isinstance(field, DateTimeField):
                rows = rows.filter(**{f"{part.updated}__lte": until})
        total += rows.count()
    return total


# -- The round trip ---------------------------------------------------------------------------


def test_a_clinicians_system_export_holds_what_she_may_read_and_parses(users, actor_of, treated):
    client = bearer(issue_token(users["medical_director"], preset="read"))
    response = kick(client)
    assert response.status_code == 202
    valid(response.json())
    job = job_of(response)
    # Queued on the worker, in the kick-off's transaction, and polled before it runs.
    queued = DBTaskResult.objects.filter(task_path="glabella.fhir.bulk.export_task")
    assert [r.args_kwargs["args"] for r in queued] == [[job.pk]]
    waiting = client.get(local(response["Content-Location"]))
    assert waiting.status_code == 202
    assert waiting["X-Progress"] and int(waiting["Retry-After"]) > 0

    manifest, files = exported(client, response)
    assert manifest["request"] == f"{settings.SITE_URL}/fhir/R4/$export"
    assert manifest["requiresAccessToken"] is True
    assert manifest["error"] == []
    assert manifest["transactionTime"].endswith("Z")
    actor = actor_of("medical_director", channel="api")
    for name in bulk.exportable(BulkExport.Level.SYSTEM):
        job.refresh_from_db()
        assert len(files.get(name, [])) == expected_count(name, actor, job.transaction_time), name
        ids = [r["id"] for r in files.get(name, [])]
        assert len(ids) == len(set(ids)), f"{name} exported a resource twice"
        assert all(r["resourceType"] == name for r in files.get(name, []))
    # Counted against the table itself too: a clinician reads every patient.
    everyone = {str(p) for p in Patient.objects.values_list("public_id", flat=True)}
    assert {r["id"] for r in files["Patient"]} == everyone
    assert len(files["Group"]) == 2  # all patients, and the demo's one location
    grace = next(r for r in files["Patient"] if r["id"] == str(treated.patient.public_id))
    assert grace["name"][0]["family"] == "Holloway"

    rows = AccessLog.objects.filter(object_type="fhir-export", object_id=str(job.public_id))
    assert rows.filter(action="create").get().detail["types"] == job.types
    finished = rows.get(action="export")
    assert set(finished.detail["patients"]) == everyone
    assert finished.detail["counts"]["Patient"] == len(everyone)
    downloads = rows.filter(action="read")
    assert downloads.count() == len(manifest["output"])
    assert set().union(*(set(r.detail["patients"]) for r in downloads)) == everyone


def test_type_and_since_are_honoured(users):
    client = bearer(issue_token(users["injector"], preset="read"))
    _, files = exported(client, kick(client, _type="Patient"))
    assert set(files) == {"Patient"}
    later = timezone.now() + timedelta(days=1)
    with time_machine.travel(later, tick=False):
        newer = make_patient(given_name="Newer", email="newer@example.com")
        since = (later - timedelta(seconds=1)).isoformat()
        # A "+" of an offset left unencoded in the query string is read as meant.
        raw = f"/fhir/R4/$export?_type=Patient&_since={since}"
        assert "+00:00" in raw
        assert client.get(raw, headers=ASYNC).status_code == 202
        _, files = exported(client, kick(client, _type="Patient,Group", _since=since))
    assert [r["id"] for r in files["Patient"]] == [str(newer.public_id)]
    assert len(files["Group"]) == 2  # no change time: a Group is always whole


def test_files_of_a_type_are_split_at_the_most_resources_a_file_holds(users, settings):
    settings.FHIR_EXPORT_FILE_RESOURCES = 2
    client = bearer(issue_token(users["injector"], preset="read"))
    manifest, files = exported(client, kick(client, _type="Patient"))
    assert [o["count"] for o in manifest["output"]][:-1] == [2] * (len(manifest["output"]) - 1)
    assert len(files["Patient"]) == Patient.objects.count()


# -- Refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, parameter",
    [
        ({"_type": "Spaceship"}, "_type"),
        ({"_type": "Patient,Spaceship"}, "_type"),
        ({"_since": "yesterday"}, "_since"),
        ({"_since": "2026-01-01T09:00:00"}, "_since"),
        ({"_since": "2999-01-01T00:00:00Z"}, "_since"),
        ({"_since": "1800-01-01T00:00:00Z"}, "_since"),
        ({"_outputFormat": "application/fhir+json"}, "_outputFormat"),
        ({"_typeFilter": "Patient?name=x"}, "_typeFilter"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_parameters_are_refused_with_the_parameter_named(users, params, parameter):
    client = bearer(issue_token(users["injector"], preset="read"))
    response = kick(client, **params)
    assert response.status_code == 400
    body = valid(response.json())
    assert body["issue"][0]["expression"] == [parameter]
    assert not BulkExport.objects.exists()


def test_an_export_must_be_asked_for_asynchronously(users):
    client = bearer(issue_token(users["injector"], preset="read"))
    response = kick(client, headers={})
    assert response.status_code == 400
    assert "respond-async" in valid(response.json())["issue"][0]["diagnostics"]
    assert kick(client, headers={**ASYNC, "Accept": "text/csv"}).status_code == 406
    assert not BulkExport.objects.exists()


def test_a_patient_level_export_takes_only_compartment_types(users, patient):
    client = bearer(issue_token(users["injector"], preset="read"))
    response = kick(client, f"Patient/{patient.public_id}/$export", _type="Group")
    assert response.status_code == 400
    assert "compartment" in response.json()["issue"][0]["diagnostics"]


@pytest.mark.parametrize("persona", ["front_desk", "owner"])
def test_staff_without_clinical_access_may_not_export(users, patient, persona):
    client = bearer(issue_token(users[persona], preset="read"))
    for path in ("$export", "Patient/$export", f"Group/{ALL_PATIENTS}/$export"):
        response = kick(client, path)
        assert response.status_code == 403, path
        valid(response.json())
    assert kick(bearer("glb_nothing"), "$export").status_code == 401
    assert not BulkExport.objects.exists()


def test_a_patients_token_exports_her_own_records_only(users, patient, other_patient, treated):
    client = bearer(patient_token(patient))
    for path in ("$export", "Patient/$export", f"Group/{ALL_PATIENTS}/$export"):
        assert kick(client, path).status_code == 403, path
    assert kick(client, f"Patient/{other_patient.public_id}/$export").status_code == 403
    response = kick(client, f"Patient/{patient.public_id}/$export")
    _, files = exported(client, response)
    assert [r["id"] for r in files["Patient"]] == [str(patient.public_id)]
    assert set(files) <= set(bulk.exportable(BulkExport.Level.PATIENT))
    text = json.dumps(files)
    strangers = Patient.objects.exclude(pk=patient.pk).values_list("public_id", flat=True)
    assert not [p for p in strangers if str(p) in text]
    finished = AccessLog.objects.get(object_type="fhir-export", action="export")
    assert finished.detail["patients"] == [str(patient.public_id)]
    assert finished.patient_public_id is None and finished.actor_role == "patient"


def test_only_the_requester_polls_downloads_or_cancels(users):
    director = bearer(issue_token(users["medical_director"], preset="read"))
    injector = bearer(issue_token(users["injector"], preset="read"))
    response = kick(director, _type="Patient")
    manifest, _ = exported(director, response)
    status_url = local(response["Content-Location"])
    file_url = local(manifest["output"][0]["url"])
    assert injector.get(status_url).status_code == 404
    assert injector.get(file_url).status_code == 404
    assert injector.delete(status_url).status_code == 404
    assert director.get(status_url).status_code == 200
    assert director.get(file_url).status_code == 200
    # Another token of the same person with the same reach is the same requester; one of less
    # reach (set-up only) is not.
    again = bearer(issue_token(users["medical_director"], name="another", preset="read"))
    assert again.get(file_url).status_code == 200
    narrow = ApiToken.issue(
        users["medical_director"],
        "set-up only",
        scope=["clinic.view"],
        expires_at=timezone.now() + timedelta(days=1),
    )[1]
    assert bearer(narrow).get(status_url).status_code == 404
    assert bearer(narrow).get(file_url).status_code == 404


def test_a_person_has_at_most_two_exports_waiting(users):
    client = bearer(issue_token(users["injector"], preset="read"))
    assert kick(client).status_code == 202
    assert kick(client).status_code == 202
    refused = kick(client)
    assert refused.status_code == 429
    assert refused["Retry-After"]
    valid(refused.json())
    assert BulkExport.objects.count() == 2


# -- Expiry and cancel ------------------------------------------------------------------------


def test_files_expire_and_the_scheduler_deletes_them(users):
    client = bearer(issue_token(users["injector"], preset="read"))
    response = kick(client, _type="Patient")
    manifest, _ = exported(client, response)
    job = job_of(response)
    file_url = local(manifest["output"][0]["url"])
    job.refresh_from_db()
    assert job.expires_at == job.finished_at + timedelta(hours=settings.FHIR_EXPORT_HOURS)
    sweep = periodic.JOBS["fhir_exports_expired"]
    assert sweep(timezone.now()) == 0
    with time_machine.travel(job.expires_at + timedelta(seconds=1), tick=False):
        token = bearer(issue_token(users["injector"], preset="read"))
        assert token.get(local(response["Content-Location"])).status_code == 410
        gone = token.get(file_url)
        assert gone.status_code == 410
        assert valid(gone.json())["issue"][0]["code"] == "expired"
        assert BulkExportFile.objects.filter(export=job).exists()
        assert sweep(timezone.now()) == 1
        assert not BulkExportFile.objects.filter(export=job).exists()
        assert token.get(local(response["Content-Location"])).status_code == 410
        assert sweep(timezone.now()) == 0


def test_a_running_export_whose_worker_died_fails(users):
    client = bearer(issue_token(users["injector"], preset="read"))
    job = job_of(kick(client, _type="Patient"))
    BulkExport.objects.filter(pk=job.pk).update(
        status="running", heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    assert bulk.sweep(timezone.now()) == 1
    failed = client.get(local(bulk.status_url(job)))
    assert failed.status_code == 500
    assert "stopped" in valid(failed.json())["issue"][0]["diagnostics"]


def test_an_export_asked_by_someone_whose_role_changed_since_fails(users):
    client = bearer(issue_token(users["injector"], preset="read"))
    job = job_of(kick(client, _type="Patient"))
    users["injector"].staff.__class__.objects.filter(user=users["injector"]).update(
        role="front_desk"
    )
    assert bulk.export_task.call(job.pk) == "failed"
    assert not BulkExportFile.objects.exists()
    job.refresh_from_db()
    assert job.status == "failed" and "no longer" in job.error


def test_a_read_only_token_cancels_its_export(users):
    client = bearer(issue_token(users["injector"], preset="read"))
    response = kick(client, _type="Patient")
    job = job_of(response)
    status_url = local(response["Content-Location"])
    cancelled = client.delete(status_url)
    assert cancelled.status_code == 202
    valid(cancelled.json())
    assert client.get(status_url).status_code == 404
    assert bulk.export_task.call(job.pk) == "not claimed"
    assert client.delete(status_url).status_code == 404
    assert AccessLog.objects.filter(
        object_type="fhir-export", action="delete", object_id=str(job.public_id)
    ).exists()
    # A finished export's cancel deletes its files.
    response = kick(client, _type="Patient")
    manifest, _ = exported(client, response)
    assert client.delete(local(response["Content-Location"])).status_code == 202
    assert client.get(local(manifest["output"][0]["url"])).status_code == 404
    assert not BulkExportFile.objects.exists()


def test_a_cancel_while_the_worker_runs_stops_it(users, monkeypatch):
    client = bearer(issue_token(users["injector"], preset="read"))
    job = job_of(kick(client, _type="Patient,Group"))
    plain = bulk._Files.flush

    def cancel_first(self):
        if self.lines:
            bulk.cancel(bulk.requester(job), str(job.public_id))
        plain(self)

    monkeypatch.setattr(bulk._Files, "flush", cancel_first)
    assert bulk.run(job.pk) == "cancelled"
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert not BulkExportFile.objects.exists()
    assert not AccessLog.objects.filter(object_type="fhir-export", action="export").exists()


# -- Groups -----------------------------------------------------------------------------------


def test_groups_read_with_their_size_and_a_locations_group_exports_its_patients(users, clinic):
    seen = make_patient(given_name="Seen", email="seen@example.com")
    make_patient(given_name="Unseen", email="unseen@example.com")
    future_appointment(seen, clinic)
    client = bearer(issue_token(users["injector"], preset="read"))
    status, body = fhir_get(client, "Group")
    assert status == 200
    valid(body)
    found = {e["resource"]["id"]: e["resource"] for e in body["entry"]}
    assert found[ALL_PATIENTS]["quantity"] == Patient.objects.count()
    place = found[str(clinic.public_id)]
    booked = Patient.objects.filter(appointments__location=clinic).distinct()
    assert place["quantity"] == booked.count()
    assert (
        place["characteristic"][0]["valueReference"]["reference"] == f"Location/{clinic.public_id}"
    )
    status, one = fhir_get(client, f"Group/{clinic.public_id}")
    assert status == 200 and valid(one) == place

    _, files = exported(client, kick(client, f"Group/{clinic.public_id}/$export"))
    assert {r["id"] for r in files["Patient"]} == {
        str(p) for p in booked.values_list("public_id", flat=True)
    }
    assert str(seen.public_id) in {r["id"] for r in files["Patient"]}
    assert kick(client, "Group/not-a-group/$export").status_code == 404
    # A patient's token reads no group.
    mine = bearer(patient_token(Patient.objects.get(user=users["patient"])))
    assert fhir_get(mine, "Group")[1]["total"] == 0
    assert fhir_get(mine, f"Group/{ALL_PATIENTS}")[0] == 404


def test_the_capability_statement_declares_the_exports(client):
    _, body = fhir_get(client, "metadata")
    valid(body)
    assert body["instantiates"] == ["http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"]
    assert body["rest"][0]["operation"][0]["name"] == "export"
    served = {r["type"]: r for r in body["rest"][0]["resource"]}
    for name in ("Patient", "Group"):
        assert served[name]["operation"][0]["definition"].endswith(f"{name.lower()}-export")


# -- The FHIR page ----------------------------------------------------------------------------


def test_the_fhir_page_names_every_type_and_search_the_server_has():
    text = (Path(settings.BASE_DIR) / "docs" / "fhir.md").read_text()
    sections = dict(re.findall(r"^### (\w+)\n(.*?)(?=^#{2,3} |\Z)", text, re.M | re.S))
    for entry in capability.statement()["rest"][0]["resource"]:
        name = entry["type"]
        assert name in sections, f"docs/fhir.md has no section for {name}"
        for param in entry.get("searchParam", []):
            assert f"`{param['name']}`" in sections[name], f"{name}: {param['name']}"
        assert f"$BASE/{name}" in sections[name], f"{name} has no curl example"


def test_a_session_without_its_csrf_token_is_not_signed_in_for_a_cancel(client_for):
    """A DELETE from a browser session without the CSRF token answers 401, never 500."""
    from django.test import Client

    director = client_for("medical_director")
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = director.cookies
    response = strict.delete("/fhir/R4/$export-status/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 401
    valid(response.json())


def test_the_demo_clinics_history_round_trips_through_the_export(users, actor_of):
    """The demo clinic with its history (visits, charted treatments with their lots, consents,
    intakes, grades, check-ins): every line of every file parses as its R4B model and each
    type's count is the database's."""
    from django.core.management import call_command

    call_command(
        "demo-data", "--patients", "6", "--history-days", "150", "--quiet-logins", stdout=None
    )
    client = bearer(issue_token(users["medical_director"], preset="read"))
    response = kick(client)
    manifest, files = exported(client, response)  # every line checked with valid()
    job = job_of(response)
    actor = actor_of("medical_director", channel="api")
    for name in bulk.exportable(BulkExport.Level.SYSTEM):
        assert len(files.get(name, [])) == expected_count(name, actor, job.transaction_time), name
    # The history reaches the clinical types, not only the set-up.
    for name in ("Appointment", "Procedure", "MedicationAdministration", "Consent"):
        assert files.get(name), f"the demo history exported no {name}"
    assert sum(o["count"] for o in manifest["output"]) == sum(len(v) for v in files.values())
