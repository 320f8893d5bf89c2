"""API authentication (session for the browser, bearer tokens for integrations) and error shape.

Every error the API returns has one JSON shape:
    {"error": {"code": "validation_error", "message": "...", "fields": {"phone": ["..."]}}}
"""

import dataclasses
import logging
import threading

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.errors import Throttled as NinjaThrottled
from ninja.security import HttpBearer, SessionAuth
from ninja.throttling import BaseThrottle

from glabella.core import throttle, two_factor
from glabella.core.access import (
    Actor,
    actor_for,
    actor_from_request,
    client_ip,
    set_acting_organisation,
)
from glabella.core.errors import DomainError, Forbidden, ValidationFailed
from glabella.core.models import ApiToken
from glabella.core.roles import READ_CAPABILITIES, Capability

logger = logging.getLogger(__name__)

UNEXPECTED_MESSAGE = (
    "Something went wrong on our side. Please try again; if it keeps happening, tell the clinic."
)

# last_used_at is written at most this often per token, not on every request.
TOKEN_TOUCH_SECONDS = 60
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def _admit(request, user, capability: Capability | None):
    """The user, if they hold `capability`; a signed-in user without it is refused (403)
    before the request body is even read."""
    if user is None:
        return None
    if capability is not None and not api_actor(request).can(capability):
        raise Forbidden("Your role may not do this.")
    return user


class TokenAuth(HttpBearer):
    """Authorization: Bearer glb_... for integrations; the token acts as its user."""

    def __init__(self, capability: Capability | None = None, *, reading=SAFE_METHODS):
        super().__init__()
        self.capability = capability
        # The methods a read-only token may use: a FHIR export's DELETE cancels only the
        # token holder's own export, so such a token may send it.
        self.reading = frozenset(reading)

    def authenticate(self, request, token: str):
        if not token.startswith(ApiToken.PREFIX):
            return None
        found = (
            ApiToken.objects.live()
            .select_related("user")
            .filter(digest=ApiToken.digest_of(token))
            .first()
        )
        if found is None:
            return None
        # The token acts as its user, with what both its scope and the user's role hold today.
        actor = actor_for(found.user, channel="api", ip=client_ip(request))
        actor = dataclasses.replace(
            actor,
            capabilities=actor.capabilities & set(found.scope),
            label=f"{actor.label} (API token {found.hint}…)",  # the log says which token acted
        )
        request._glabella_actor = actor
        set_acting_organisation(actor.organisation_id)  # the token's clinic (decision 0047)
        if request.method not in self.reading and actor.capabilities <= READ_CAPABILITIES:
            raise Forbidden("This API token may only read.")
        now = timezone.now()
        stale = (
            found.last_used_at is None
            or (now - found.last_used_at).total_seconds() > TOKEN_TOUCH_SECONDS
        )
        if stale:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return _admit(request, found.user, self.capability)


class BrowserSession(SessionAuth):
    """The browser's session, with Django's CSRF check on writes."""

    def __init__(self, capability: Capability | None = None):
        super().__init__(csrf=True)
        self.capability = capability

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is not None and two_factor.pending(api_actor(request), request.user):
            return None  # a staff session before its second factor is not signed in yet
        return _admit(request, user, self.capability)


AUTH = [TokenAuth(), BrowserSession()]


def requires(capability: Capability) -> list:
    """auth= for an operation that only people holding `capability` may call."""
    return [TokenAuth(capability), BrowserSession(capability)]


class PublicApiThrottle(BaseThrottle):
    """Anonymous calls (availability, locations, services, a check-in's answer: every operation
    without authentication) are counted per client address (`core.access.client_ip`) in the
    database, so every web process sees one count: `THROTTLE_PUBLIC_API` uses per window.
    More are answered 429 in the API's shape with Retry-After. Authenticated calls pass."""

    SCOPE = "api:ip"

    def __init__(self):
        self._local = threading.local()  # one throttle object serves every thread

    def allow_request(self, request) -> bool:
        self._local.wait = None
        if getattr(request, "auth", None) is not None:
            return True
        ip = client_ip(request)
        if ip is None:
            return True
        limit, seconds = settings.THROTTLE_PUBLIC_API
        if throttle.allow(self.SCOPE, ip, limit=limit, seconds=seconds):
            return True
        self._local.wait = throttle.seconds_until_free(self.SCOPE, ip, seconds=seconds)
        return False

    def wait(self):
        return getattr(self._local, "wait", None)


def secret_field():
    """The signer's PIN or password in a signing request's body (core.signing checks it)."""
    from ninja import Field

    return Field("", max_length=128, description="The signer's signing PIN or password")


def api_actor(request) -> Actor:
    return actor_from_request(request, channel="api")


def error_body(
    code: str, message: str, fields: dict | None = None, extra: dict | None = None
) -> dict:
    body = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    body.update(extra or {})
    return {"error": body}


def _field_name(loc: list) -> str:
    # ("body", "payload", "phone") -> "phone"; ("query", "q") -> "q"; ("path", "public_id") -> ...
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[2:] if len(parts) > 2 else parts[1:]
    elif parts and parts[0] in {"query", "path", "header", "cookie", "form", "file"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def _message(err: dict) -> str:
    msg = err.get("msg", "This value is not valid.")
    return msg.removeprefix("Value error, ")


def install_error_handlers(api) -> None:
    def validation(request, exc: ValidationError):
        fields: dict[str, list[str]] = {}
        for err in exc.errors:
            fields.setdefault(_field_name(err.get("loc", [])), []).append(_message(err))
        return api.create_response(
            request,
            error_body("validation_error", "Please correct the fields shown.", fields),
            status=422,
        )

    def domain(request, exc: DomainError):
        fields = exc.fields if isinstance(exc, ValidationFailed) else None
        response = api.create_response(
            request, error_body(exc.code, exc.message, fields, exc.extra), status=exc.status
        )
        if exc.status == 429:
            # A throttled form's window is the longest it may have to wait.
            wait = max(settings.THROTTLE_EMAIL[1], settings.THROTTLE_ADDRESS[1])
            response["Retry-After"] = str(wait)
        return response

    def not_found(request, exc):
        return api.create_response(request, error_body("not_found", "Not found."), status=404)

    def http_error(request, exc: HttpError):
        code = "unauthorised" if isinstance(exc, AuthenticationError) else f"http_{exc.status_code}"
        message = "Sign in or send a valid API token." if exc.status_code == 401 else str(exc)
        if isinstance(exc, NinjaThrottled):
            code, message = "throttled", gettext(throttle.MESSAGE)
        return api.create_response(request, error_body(code, message), status=exc.status_code)

    def too_big(request, exc: RequestDataTooBig):
        return api.create_response(
            request,
            error_body(
                "too_large",
                f"The request is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 2**20} MB.",
            ),
            status=413,
        )

    def unexpected(request, exc: Exception):
        # Logged with its traceback for the operator; the client sees the API's shape only.
        logger.exception("Unexpected error answering %s %s", request.method, request.path)
        return api.create_response(
            request, error_body("server_error", UNEXPECTED_MESSAGE), status=500
        )

    api.add_exception_handler(Exception, unexpected)
    api.add_exception_handler(RequestDataTooBig, too_big)
    api.add_exception_handler(ValidationError, validation)
    api.add_exception_handler(DomainError, domain)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(HttpError, http_error)
