"""Posting webhook deliveries with background tasks (django-tasks), signed, retried, kept.

`deliver(delivery_id)` posts one delivery. It claims it first (`core.claims`, the outbox's
conditional UPDATE from queued to sending), so however many workers are handed the id, one
posts it. The body is the payload as stored, signed afresh each attempt (`signing`) with the
endpoint's secret; an answer 2xx within WEBHOOK_TIMEOUT_SECONDS is delivered, anything else
(another status, a refused connection, a timeout, a redirect) is a failed attempt, retried after
a doubling delay until WEBHOOK_MAX_ATTEMPTS, then `failed`. Every attempt is kept.

The endpoint counts failed attempts in a row; when a delivery runs out of attempts, or the count
reaches WEBHOOK_FAILING_AFTER, the endpoint is marked failing and the clinic's owners are emailed
(through messaging's outbox); a delivered one clears both. Deliveries to a failing endpoint are
still written and tried: nothing is lost, and a failed one can be sent again from its page.

A worker that dies mid-post leaves the delivery `sending`; `upkeep`, run by the scheduler each
minute, hands it on once its claim is older than WEBHOOK_CLAIM_TIMEOUT_SECONDS. (A receiver may
then see it twice; the Glabella-Delivery header is the same each time, for it to tell.)
"""

import json
import logging
import time
import urllib.error
import urllib.request
from datetime import datetime

from django.conf import settings
from django.db.models import F, Min
from django.utils import timezone
from django_tasks import task

from glabella.core.claims import Claims, worker_of
from glabella.core.db import write_transaction
from glabella.core.models import StaffMember
from glabella.core.roles import Role
from glabella.messaging.outbox import queue_message
from glabella.webhooks import signing
from glabella.webhooks.models import Attempt, Delivery, Endpoint

logger = logging.getLogger("glabella.webhooks")

QUEUE = "webhooks"
USER_AGENT = "glabella-webhooks/1"


def enqueue(delivery_id: int) -> None:
    """Hand a delivery to a worker; in the caller's transaction (the task row is a table row)."""
    deliver.enqueue(delivery_id)


# The outbox's claim, backoff and scheduler moves (core.claims), with the WEBHOOK_ settings.
CLAIMS = Claims(Delivery, enqueue=lambda pk: enqueue(pk), settings_prefix="WEBHOOK")


def body_of(delivery: Delivery) -> bytes:
    """The bytes posted (and signed): the stored payload, compact, keys in order."""
    return json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer other than 2xx: a failed attempt, never a second request."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post(endpoint: Endpoint, delivery: Delivery, now: datetime) -> tuple[int | None, str]:
    """One signed POST; the HTTP status (None when there was no answer) and an error in words."""
    body = body_of(delivery)
    request = urllib.request.Request(  # noqa: S310 (the owner's https address, checked on saving)
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Glabella-Event": delivery.event_type,
            "Glabella-Delivery": str(delivery.public_id),
            signing.HEADER: signing.sign(endpoint.secret, body, int(now.timestamp())),
        },
    )
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as answer:
            answer.read(4096)
            status = answer.status
    except urllib.error.HTTPError as exc:
        return exc.code, f"The receiver answered HTTP {exc.code}."
    except Exception as exc:  # refused, timed out, a broken answer: the delivery must not be lost
        reason = getattr(exc, "reason", None) or f"{type(exc).__name__}: {exc}"
        return None, f"No answer: {reason}"[:500]
    if 200 <= status < 300:
        return status, ""
    return status, f"The receiver answered HTTP {status}."


def deliver_once(delivery_id: int, worker: str = "", now: datetime | None = None) -> str:
    """Claim, post and record one delivery. Returns what happened, for the task's result."""
    now = now or timezone.now()
    claimed = CLAIMS.claim(delivery_id, worker, now)
    if claimed is None:
        return "not claimed"
    endpoint = claimed.endpoint
    if not endpoint.active:
        CLAIMS.mine(claimed, worker).update(
            status=Delivery.Status.FAILED, last_error="Not sent: the endpoint is switched off."
        )
        return "endpoint off"
    started = time.monotonic()
    status, error = post(endpoint, claimed, now)
    took = round((time.monotonic() - started) * 1000)
    with write_transaction():
        Attempt.objects.create(
            delivery=claimed, at=now, status_code=status, error=error, duration_ms=took
        )
        if not error:
            CLAIMS.mine(claimed, worker).update(
                status=Delivery.Status.DELIVERED, delivered_at=now, last_error=""
            )
            Endpoint.objects.filter(pk=endpoint.pk).update(
                consecutive_failures=0, failing_since=None
            )
            return "delivered"
        logger.warning("Webhook %s attempt %s: %s", claimed.public_id, claimed.attempts, error)
        outcome = CLAIMS.failed_attempt(claimed, worker, now, error)
        Endpoint.objects.filter(pk=endpoint.pk).update(
            consecutive_failures=F("consecutive_failures") + 1
        )
        endpoint.refresh_from_db()
        exhausted = outcome == "failed"
        if endpoint.failing_since is None and (
            exhausted or endpoint.consecutive_failures >= settings.WEBHOOK_FAILING_AFTER
        ):
            mark_failing(endpoint, now)
        return outcome


def mark_failing(endpoint: Endpoint, now: datetime) -> None:
    """The endpoint is failing: said on its page, and emailed to the clinic's owners."""
    Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=now)
    owners = StaffMember.objects.filter(  # the owners of the endpoint's clinic (0047)
        organisation_id=endpoint.organisation_id, role=Role.OWNER, active=True, user__is_active=True
    )
    for email in sorted({s.user.email for s in owners.select_related("user") if s.user.email}):
        queue_message(
            patient=None,
            channel="email",
            to=email,
            topic="webhook-failing",
            organisation_id=endpoint.organisation_id,
            subject=f"Events are not reaching “{endpoint.name}”",
            body=(
                f"The webhook endpoint “{endpoint.name}” ({endpoint.url}) has not accepted "
                f"events lately: {endpoint.consecutive_failures} attempts in a row failed.\n\n"
                "Events for it are kept and still tried. Once the receiver is fixed, send the "
                "failed ones again from the endpoint's page under Set up the clinic, Webhooks."
            ),
            dedupe_key=f"webhook-failing:{endpoint.public_id}:{int(now.timestamp())}",
            now=now,
        )


@task(queue_name=QUEUE, takes_context=True)
def deliver(context, delivery_id: int) -> str:
    return deliver_once(delivery_id, worker=worker_of(context))


def upkeep(now: datetime) -> int:
    """The scheduler's minute: claims of a dead worker and lost tasks handed on, due retries
    released to a worker. Returns how many deliveries it released."""
    CLAIMS.reclaim_stale(now)
    CLAIMS.requeue_lost(now)
    return CLAIMS.release_due(now)


def lag(now: datetime) -> float:
    """Seconds the oldest due, undelivered delivery has waited (0 when none waits)."""
    oldest = Delivery.objects.filter(
        status__in=[Delivery.Status.SCHEDULED, Delivery.Status.QUEUED, Delivery.Status.SENDING],
        due_at__lte=now,
    ).aggregate(at=Min("due_at"))["at"]
    return 0.0 if oldest is None else max((now - oldest).total_seconds(), 0.0)


def failed(now: datetime) -> float:
    return Delivery.objects.filter(status=Delivery.Status.FAILED).count()
