"""Licence expiry reminders: the holder and the owners are emailed LICENCE_REMINDER_DAYS before a
clinician's licence expires, and on the day it has expired; each threshold once per expiry date
(a renewed licence, with its new date, is reminded afresh). The clinic app runs it each hour with
the clinic's today (core has no clock of its own)."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail

from glabella.core import audit, brand
from glabella.core.access import system_actor
from glabella.core.audit import Action, Kind
from glabella.core.db import write_transaction
from glabella.core.models import LicenceReminder, StaffMember
from glabella.core.roles import Role

log = logging.getLogger(__name__)


def threshold_for(days_left: int) -> int | None:
    """The reminder due at `days_left` days before expiry: the nearest threshold not yet
    passed (0 once expired), or None when no reminder is due yet."""
    if days_left <= 0:
        return 0
    due = [d for d in settings.LICENCE_REMINDER_DAYS if days_left <= d]
    return min(due) if due else None


def _body(staff: StaffMember, days_before: int) -> tuple[str, str]:
    when = f"{staff.licence_expires:%B} {staff.licence_expires.day}, {staff.licence_expires.year}"
    licence = f"{staff.licence_state} license {staff.licence_number}"
    if days_before == 0:
        subject = f"{staff.full_name}'s license has expired"
        text = f"{staff.full_name}'s {licence} expired on {when}."
    else:
        subject = f"{staff.full_name}'s license expires on {when}"
        text = f"{staff.full_name}'s {licence} expires on {when}."
    text += (
        " Once it has expired they cannot sign candidacy decisions or chart treatments here. "
        "When it is renewed, the owner records the new expiry date on the Team page.\n"
    )
    return subject, text


def send_reminders(now: datetime, today: date) -> int:
    """Sends the reminders due today; returns how many people-licences were reminded."""
    if now.minute != 0:
        return 0
    horizon = today + timedelta(days=max(settings.LICENCE_REMINDER_DAYS))
    due = StaffMember.objects.filter(
        active=True,
        user__is_active=True,
        licence_expires__isnull=False,
        licence_expires__lte=horizon,
        role__in=[Role.MEDICAL_DIRECTOR, Role.INJECTOR],
    ).select_related("user")
    owners: dict[int, list[str]] = {}  # each clinic's owners, told of their own staff only
    for s in StaffMember.objects.filter(role=Role.OWNER, active=True).select_related("user"):
        if s.user.email:
            owners.setdefault(s.organisation_id, []).append(s.user.email)
    sent = 0
    for staff in due:
        days_before = threshold_for((staff.licence_expires - today).days)
        if days_before is None:
            continue
        done = LicenceReminder.objects.filter(
            staff=staff, expires_on=staff.licence_expires, days_before=days_before
        )
        if done.exists():
            continue
        to = list(
            dict.fromkeys(
                [e for e in [staff.user.email, *owners.get(staff.organisation_id, [])] if e]
            )
        )
        if not to:
            continue
        subject, body = _body(staff, days_before)
        try:
            clinic = brand.current(staff.organisation_id)
            send_mail(subject, clinic.signed(body), clinic.from_email, to)
        except Exception:  # the mail server is down: tried again next hour
            log.warning("Licence reminder for %s not sent", staff.public_id, exc_info=True)
            continue
        with write_transaction():
            LicenceReminder.objects.create(
                staff=staff, expires_on=staff.licence_expires, days_before=days_before, sent_at=now
            )
            audit.record(
                system_actor("licence reminders"),
                Action.CREATE,
                Kind.LICENCE_REMINDER,
                staff.public_id,
                detail={"days_before": days_before, "to": to},
            )
        sent += 1
    return sent
