"""The owner's webhook endpoints (add, change, switch off and on, a test event, a failed delivery
sent again), each change audited; and `queue_event`, the outbox write every event goes through.

`queue_event` runs in the caller's transaction (a booking's, a signing's): one delivery row per
active endpoint subscribed to the event, its task row beside it. If the caller rolls back, no
delivery exists; if it commits, the worker (`delivery`) posts it.
"""

import ipaddress
import logging
import re
import uuid
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from glabella.core import audit
from glabella.core.access import Actor, sole_organisation_id
from glabella.core.audit import Action, Kind
from glabella.core.db import write_transaction
from glabella.core.errors import Conflict, Forbidden, ValidationFailed
from glabella.core.roles import Capability
from glabella.webhooks import delivery, events
from glabella.webhooks.models import URL_MAX_LENGTH, Delivery, Endpoint

NAME_MAX_LENGTH = 100
_CONTROL = re.compile(r"[\x00-\x20\x7f]")

log = logging.getLogger(__name__)


def queue_event(
    event_type: str, data: dict, now: datetime, organisation_id: int | None = None
) -> int:
    """Writes the event's deliveries (in the caller's transaction) to the endpoints of the
    clinic it happened at (`organisation_id`; decision 0047); returns how many."""
    body = events.payload(event_type, now, data)
    if organisation_id is None:
        organisation_id = sole_organisation_id()
    if organisation_id is None:
        # Whose event this is cannot be told among several clinics: it goes to nobody rather
        # than to every clinic's endpoints.
        log.warning("Webhook event %s names no clinic; not sent", event_type)
        return 0
    found = Endpoint.objects.filter(active=True, organisation_id=organisation_id)
    endpoints = [e for e in found if event_type in e.events]
    for endpoint in endpoints:
        _write(endpoint, event_type, body, now)
    return len(endpoints)


def _write(endpoint: Endpoint, event_type: str, body: dict, now: datetime) -> Delivery:
    made = Delivery.objects.create(
        endpoint=endpoint,
        event_id=uuid.UUID(body["id"]),
        event_type=event_type,
        payload=body,
        status=Delivery.Status.QUEUED,
        due_at=now,
        queued_at=now,
        created_at=now,
    )
    delivery.enqueue(made.pk)
    return made


def _owner(actor: Actor, doing: str) -> None:
    if not actor.can(Capability.MANAGE_CLINIC):
        raise Forbidden(f"Only the clinic's owner {doing}.")


def is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_errors(url: str) -> list[str]:
    """What is wrong with an endpoint's address, in words; [] when nothing is."""
    if not url:
        return ["Give the address that receives the events."]
    if len(url) > URL_MAX_LENGTH:
        return [f"Keep the address to {URL_MAX_LENGTH} characters."]
    if _CONTROL.search(url):
        return ["The address has a space or an invisible character in it."]
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 (raises ValueError for a port out of range)
    except ValueError:
        return ["This is not a web address; it starts with https://."]
    if parts.scheme not in ("https", "http") or not host:
        return ["This is not a web address; it starts with https://."]
    if parts.username or parts.password:
        return ["Leave the name and password out of the address; the signature proves the sender."]
    if parts.fragment:
        return ["Leave the part after # out of the address."]
    if parts.scheme == "http" and not (settings.WEBHOOK_ALLOW_LOOPBACK_HTTP and is_loopback(host)):
        return ["Use an https:// address: events are sent only over an encrypted connection."]
    return []


def _checked(name, url, chosen) -> tuple[str, str, list[str]]:
    errors: dict[str, list[str]] = {}
    name = " ".join(str(name or "").split())
    if not name:
        errors["name"] = ["Say what receives these events, e.g. the accounting system."]
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = [f"Keep the name to {NAME_MAX_LENGTH} characters."]
    url = str(url or "").strip()
    if problems := url_errors(url):
        errors["url"] = problems
    chosen = list(dict.fromkeys(chosen or []))
    if not chosen:
        errors["events"] = ["Choose at least one event."]
    elif any(e not in events.EVENTS for e in chosen):
        errors["events"] = ["Choose events from the list."]
    if errors:
        raise ValidationFailed(errors)
    return name, url, [e for e in events.EVENTS if e in chosen]  # in the list's order


def add(actor: Actor, name, url, chosen, *, now: datetime | None = None) -> Endpoint:
    """A new endpoint with a new signing secret (the page shows it once)."""
    _owner(actor, "adds webhook endpoints")
    name, url, chosen = _checked(name, url, chosen)
    with write_transaction():
        endpoint = Endpoint.objects.create(
            organisation_id=actor.organisation_id,
            name=name,
            url=url,
            events=chosen,
            created_at=now or timezone.now(),
        )
        audit.record(
            actor,
            Action.CREATE,
            Kind.WEBHOOK_ENDPOINT,
            endpoint.public_id,
            detail={"name": name, "url": url, "events": chosen},
        )
    return endpoint


def change(actor: Actor, endpoint: Endpoint, name, url, chosen) -> Endpoint:
    _owner(actor, "changes webhook endpoints")
    name, url, chosen = _checked(name, url, chosen)
    before = {"name": endpoint.name, "url": endpoint.url, "events": endpoint.events}
    after = {"name": name, "url": url, "events": chosen}
    if before == after:
        return endpoint
    with write_transaction():
        Endpoint.objects.filter(pk=endpoint.pk).update(**after)
        audit.record(
            actor,
            Action.UPDATE,
            Kind.WEBHOOK_ENDPOINT,
            endpoint.public_id,
            detail={k: {"old": before[k], "new": v} for k, v in after.items() if before[k] != v},
        )
    endpoint.refresh_from_db()
    return endpoint


def switch(actor: Actor, endpoint: Endpoint, active: bool) -> Endpoint:
    """Off: no new deliveries are written for it, and those queued are not posted (they fail
    with the reason, to be sent again). On: it is written for again, and no longer failing."""
    _owner(actor, "switches webhook endpoints off and on")
    if endpoint.active == active:
        raise Conflict("This endpoint is already " + ("on." if active else "off."))
    with write_transaction():
        changes = {"active": active}
        if active:
            changes.update(consecutive_failures=0, failing_since=None)
        Endpoint.objects.filter(pk=endpoint.pk).update(**changes)
        detail = {"active": active}
        audit.record(actor, Action.UPDATE, Kind.WEBHOOK_ENDPOINT, endpoint.public_id, detail=detail)
    endpoint.refresh_from_db()
    return endpoint


def send_test(actor: Actor, endpoint: Endpoint, *, now: datetime | None = None) -> Delivery:
    """A test event to this endpoint alone, signed and retried like any other."""
    _owner(actor, "sends test events")
    if not endpoint.active:
        raise Conflict("Switch the endpoint on before sending it a test event.")
    now = now or timezone.now()
    with write_transaction():
        made = _write(endpoint, events.TEST, events.payload(events.TEST, now, {}), now)
        audit.record(
            actor,
            Action.CREATE,
            Kind.WEBHOOK_DELIVERY,
            made.public_id,
            detail={"endpoint": str(endpoint.public_id), "event": events.TEST},
        )
    return made


def resend(actor: Actor, failed: Delivery, *, now: datetime | None = None) -> None:
    """A failed delivery, posted again at once with a fresh count of attempts (the same event
    and delivery id, so a receiver that did get it can tell)."""
    _owner(actor, "sends deliveries again")
    if not failed.endpoint.active:
        raise Conflict("Switch the endpoint on before sending its deliveries again.")
    with write_transaction():
        if not delivery.CLAIMS.resend(failed.pk, now or timezone.now()):
            raise Conflict("Only a failed delivery is sent again; this one is not failed.")
        audit.record(
            actor,
            Action.UPDATE,
            Kind.WEBHOOK_DELIVERY,
            failed.public_id,
            detail={"resent": True, "endpoint": str(failed.endpoint.public_id)},
        )


def listing(actor: Actor):
    _owner(actor, "sees webhook endpoints")
    return Endpoint.objects.restrict(actor)


def recent_deliveries(actor: Actor, endpoint: Endpoint, limit: int = 50):
    """The endpoint's latest deliveries, each with its attempts."""
    _owner(actor, "sees webhook deliveries")
    found = Delivery.objects.restrict(actor).filter(endpoint=endpoint)
    return found.prefetch_related("tries")[:limit]
