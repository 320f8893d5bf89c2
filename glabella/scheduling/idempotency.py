"""Idempotency-Key: a POST that carries the header is answered once per key and caller; a retry
with the same key and body gets the first answer again (status and body), never a second write.

The first request holds the key (a row in `scheduling.IdempotentRequest`, unique per caller and
key) before it runs; a second one that arrives while the first is still running is told so
(409), and one with the same key but another body is refused on the header's field (422). An
answer that is a refusal (a `DomainError`) is kept and replayed like a success; an unexpected
error lets the key go, so a retry runs afresh. Booking uses it, and billing (which sits above
scheduling) for every write that moves money.
"""

import hashlib
import json
import time
from typing import Annotated

from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from ninja import Header, Status

from glabella.core.api import error_body
from glabella.core.errors import Conflict, DomainError, ValidationFailed
from glabella.scheduling.models import IdempotentRequest

KEY_MAX = 200
WAIT_STEP = 0.05  # seconds between looks at a key whose first request is still running

# Declared on the routes that honour it, so the spec says what `idempotent` reads.
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=KEY_MAX,
        description="Any unique text: a retry with the same key and body gets the first answer",
    ),
]


def idempotent(request: HttpRequest, run, *, wait_seconds: float = 0):
    """Runs `run()` once per Idempotency-Key (per caller); replays the stored answer after.
    `run` returns (status, body). A retry that arrives while the first is still running waits
    up to `wait_seconds` for its answer (booking: none, it is told 409 at once)."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return Status(*run())
    if len(key) > KEY_MAX:
        raise ValidationFailed({"Idempotency-Key": [f"Use at most {KEY_MAX} characters."]})
    scope = f"user:{request.user.pk}"
    fingerprint = hashlib.sha256(
        request.method.encode() + request.path.encode() + request.body
    ).hexdigest()
    try:
        with transaction.atomic():
            held = IdempotentRequest.objects.create(
                scope=scope, key=key, fingerprint=fingerprint, status_code=0, body={}
            )
    except IntegrityError:
        earlier = _answered(scope, key, wait_seconds)
        if earlier.fingerprint != fingerprint:
            raise ValidationFailed(
                {"Idempotency-Key": ["This key was used for a different request."]}
            ) from None
        if earlier.status_code == 0:
            raise Conflict("A request with this Idempotency-Key is still being handled.") from None
        if earlier.status_code >= 400:
            # A refusal replayed as it was first answered (in the API's error shape).
            return JsonResponse(earlier.body, status=earlier.status_code)
        return Status(earlier.status_code, earlier.body)
    try:
        status, body = run()
    except DomainError as exc:
        fields = exc.fields if isinstance(exc, ValidationFailed) else None
        stored = error_body(exc.code, exc.message, fields, exc.extra)
        IdempotentRequest.objects.filter(pk=held.pk).update(status_code=exc.status, body=stored)
        raise
    except Exception:
        IdempotentRequest.objects.filter(pk=held.pk).delete()
        raise
    IdempotentRequest.objects.filter(pk=held.pk).update(
        status_code=status, body=json.loads(json.dumps(body, default=str))
    )
    return Status(status, body)


def _answered(scope: str, key: str, wait_seconds: float) -> IdempotentRequest:
    """The row holding `key`, once answered or when `wait_seconds` are up (unanswered yet)."""
    deadline = time.monotonic() + wait_seconds
    while True:
        earlier = IdempotentRequest.objects.filter(scope=scope, key=key).first()
        if earlier is None:  # the first one failed unexpectedly and let the key go
            raise Conflict("A request with this Idempotency-Key failed; send it again.")
        if earlier.status_code != 0 or time.monotonic() >= deadline:
            return earlier
        time.sleep(WAIT_STEP)
