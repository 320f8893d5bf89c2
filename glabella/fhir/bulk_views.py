"""Bulk export's HTTP face (the Bulk Data Access IG's asynchronous pattern).

Kick-off: GET `$export`, `Group/<id>/$export`, `Patient/$export`, `Patient/<id>/$export` with
`Prefer: respond-async`, answered 202 with the status address in Content-Location. Status: GET
`$export-status/<job>`: 202 with X-Progress and Retry-After while it runs, 200 with the manifest
when done, an OperationOutcome when it failed (500), expired (410) or is unknown (404); DELETE
cancels (202). Files: GET `$export-file/<job>/<file>`, application/fhir+ndjson. Thin: who asks,
then `glabella.fhir.bulk`.
"""

import json

from django.http import HttpResponse
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from glabella.core.api import SAFE_METHODS, BrowserSession, TokenAuth
from glabella.core.errors import DomainError
from glabella.fhir import bulk, codes
from glabella.fhir.models import BulkExport
from glabella.fhir.server import FhirError, outcome
from glabella.fhir.views import _refused, authenticated, fhir_json

# A read-only token may cancel its own export (DELETE), nothing else it could not before.
CANCELLING = [TokenAuth(reading=SAFE_METHODS | {"DELETE"}), BrowserSession()]
FHIR_JSON = ("application/fhir+json", "application/json", "application/*", "*/*")
NDJSON = ("application/fhir+ndjson", "application/ndjson", "application/*", "*/*")


def _accepts(request, kinds) -> bool:
    given = request.headers.get("Accept", "").strip()
    if not given:
        return True
    offered = {part.split(";")[0].strip().lower() for part in given.split(",")}
    return bool(offered & set(kinds))


def bulk_view(*methods):
    """Sign-in checked, every refusal an OperationOutcome (429 with Retry-After)."""

    def decorate(view):
        @csrf_exempt  # bearer tokens carry no cookie; a session's DELETE is checked by its auth
        @require_http_methods(list(methods))
        def wrapped(request, *args, **kwargs):
            deleting = request.method == "DELETE"
            actor = authenticated(request, CANCELLING) if deleting else authenticated(request)
            if actor is None:
                return _refused(401, "login", "Send a valid API token (Authorization: Bearer ...).")
            try:
                return view(request, actor, *args, **kwargs)
            except FhirError as exc:
                response = _refused(exc.status, exc.code, exc.message, exc.parameter)
                if exc.status == 429:
                    response["Retry-After"] = "60"
                return response
            except DomainError as exc:
                code = "forbidden" if exc.status == 403 else "invalid"
                return _refused(exc.status, code, exc.message)

        wrapped.fhir_view = True
        return wrapped

    return decorate


def _kick_off(request, actor, level: str, **where) -> HttpResponse:
    if not _accepts(request, FHIR_JSON):
        raise FhirError(406, "not-supported", "Kick-off answers application/fhir+json.")
    prefer = request.headers.get("Prefer", "").replace(";", ",").split(",")
    url = f"{codes.base_url()}{request.get_full_path().removeprefix('/fhir/R4')}"
    job = bulk.kick_off(
        actor,
        level,
        request.GET,
        url=url,
        asynchronous="respond-async" in {p.strip().lower() for p in prefer},
        **where,
    )
    response = fhir_json(
        outcome(
            "informational",
            "The export is queued; poll the address in Content-Location.",
            severity="information",
        ),
        status=202,
    )
    response["Content-Location"] = bulk.status_url(job)
    return response


@bulk_view("GET")
def system_export(request, actor):
    return _kick_off(request, actor, BulkExport.Level.SYSTEM)


@bulk_view("GET")
def patients_export(request, actor):
    return _kick_off(request, actor, BulkExport.Level.PATIENTS)


@bulk_view("GET")
def patient_export(request, actor, patient_id: str):
    return _kick_off(request, actor, BulkExport.Level.PATIENT, patient_id=patient_id)


@bulk_view("GET")
def group_export(request, actor, group_id: str):
    return _kick_off(request, actor, BulkExport.Level.GROUP, group_id=group_id)


@bulk_view("GET", "DELETE")
def export_status(request, actor, job_id: str):
    if request.method == "DELETE":
        bulk.cancel(actor, job_id)
        return fhir_json(
            outcome("informational", "The export is canceled.", severity="information"),
            status=202,
        )
    poll = bulk.status(actor, job_id)
    if poll.code == 202:
        response = HttpResponse(status=202)
        response["X-Progress"] = poll.progress
        response["Retry-After"] = str(bulk.RETRY_SECONDS)
        return response
    response = HttpResponse(
        json.dumps(poll.manifest, separators=(",", ":")),
        content_type="application/json",
    )
    response["Expires"] = http_date(poll.expires_at.timestamp())
    return response


@bulk_view("GET")
def export_file(request, actor, job_id: str, file_id: str):
    if not _accepts(request, NDJSON):
        raise FhirError(406, "not-supported", "Export files are application/fhir+ndjson.")
    body = bulk.download(actor, job_id, file_id)
    return HttpResponse(body, content_type=f"{bulk.NDJSON}; charset=utf-8")
