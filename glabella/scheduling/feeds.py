"""Calendar feeds: a staff member's private subscription link, issued (revoking any older one)
and revoked. The feed document itself is built in `calendars.py`.
"""

from __future__ import annotations

from django.utils import timezone

from glabella.core.access import Actor
from glabella.core.audit import Action, Kind, record
from glabella.core.db import write_transaction
from glabella.core.errors import Forbidden
from glabella.scheduling.models import CalendarFeed


def issue_feed(actor: Actor) -> str:
    """A new private feed link for the actor's own appointments; any older link stops working."""
    if actor.staff is None:
        raise Forbidden("Only staff have calendar feeds.")
    with write_transaction():
        revoke_feeds(actor)
        _, token = CalendarFeed.issue(actor.staff)
        record(actor, Action.CREATE, Kind.CALENDAR_FEED, actor.staff.public_id)
    return token


def revoke_feeds(actor: Actor) -> int:
    if actor.staff is None:
        raise Forbidden("Only staff have calendar feeds.")
    return CalendarFeed.objects.filter(staff=actor.staff, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
