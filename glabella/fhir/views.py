"""The FHIR API's HTTP face: /fhir/R4/metadata, /fhir/R4/<Type>/<id>, /fhir/R4/<Type>?search.

Thin: who is asking (the same bearer tokens and browser session as /api/, `core.api.AUTH`), then
`server.read` or `server.search`, answered as application/fhir+json. Every refusal is an
OperationOutcome: 401 without a token or session, 404 for what does not exist or may not be read,
400 for a search the server does not take.
"""

import json

from django.http import HttpResponse
from django.views.decorators.http import require_GET
from ninja.errors import HttpError

from glabella.core import audit
from glabella.core.access import ANONYMOUS
from glabella.core.api import AUTH, api_actor
from glabella.core.errors import DomainError
from glabella.core.rendering import private_bytes
from glabella.fhir import capability, codes, server
from glabella.fhir.server import FhirError, outcome


def fhir_json(body: dict, status: int = 200) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status=status,
        content_type=f"{codes.MIME}; charset=utf-8",
    )
    return response


def _refused(status: int, code: str, message: str, parameter=None) -> HttpResponse:
    response = fhir_json(outcome(code, message, parameter=parameter), status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="fhir"'
    return response


def authenticated(request, auth_list=AUTH):
    """The actor behind a valid token or a signed-in session, or None."""
    for auth in auth_list:
        try:
            if auth(request):
                actor = api_actor(request)
                return actor if actor.role != ANONYMOUS else None
        except (DomainError, HttpError):
            # A refused token, or a session's write without its CSRF token: not signed in.
            return None
    return None


def answering(view):
    """Sign-in checked and every refusal shaped as an OperationOutcome."""

    @require_GET
    def wrapped(request, *args, **kwargs):
        actor = authenticated(request)
        if actor is None:
            return _refused(401, "login", "Send a valid API token (Authorization: Bearer ...).")
        try:
            return view(request, actor, *args, **kwargs)
        except FhirError as exc:
            if exc.status == 404 and "resource_id" in kwargs:
                # A read of something absent or not hers is logged as a refusal: who tried what.
                audit.record_refusal(actor, request.path, request.method)
            return _refused(exc.status, exc.code, exc.message, exc.parameter)
        except DomainError as exc:
            code = "forbidden" if exc.status == 403 else "invalid"
            return _refused(exc.status, code, exc.message)

    wrapped.fhir_view = True
    return wrapped


@require_GET
def metadata(request):
    """The CapabilityStatement: public, as the FHIR specification asks."""
    return fhir_json(capability.statement())


@answering
def read(request, actor, resource_type: str, resource_id: str):
    kind = server.resource_type(resource_type)
    if kind.native is not None and not wants_fhir(request):
        part, row = server.fetch(actor, kind, resource_id)
        content_type, data, filename = part.native(row)
        response = private_bytes(data, content_type)
        response["Content-Disposition"] = f'inline; filename="{filename}"'
        return response
    return fhir_json(server.read(actor, resource_type, resource_id))


FHIR_TYPES = ("application/fhir+json", "application/json", "json")


def wants_fhir(request) -> bool:
    """A Binary is answered as itself (a PDF, a JPEG) unless the client asks for FHIR JSON, by
    Accept or _format, as the specification has it."""
    asked = request.GET.get("_format", "") + "," + request.headers.get("Accept", "")
    return any(t.strip().split(";")[0] in FHIR_TYPES for t in asked.split(","))


@answering
def search(request, actor, resource_type: str):
    page = server.search(actor, resource_type, request.GET)
    return fhir_json(server.bundle(resource_type, page, request.GET))
