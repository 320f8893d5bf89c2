"""A patient confirms her visit by text: a reply "C" (any case, spaces around) confirms her next
visit that awaits confirmation (booked, still ahead, not confirmed since it was booked or last
moved), audited, and she is told so in a short text in her language. Answers messaging's
`text_received`, inside the text's transaction."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from glabella.core.access import Actor
from glabella.core.audit import Action, Kind, record_patient
from glabella.core.language import speaking
from glabella.messaging.models import Channel
from glabella.messaging.outbox import queue_to_patient
from glabella.messaging.sms import fitting
from glabella.scheduling import notices
from glabella.scheduling.models import Appointment, Status

CONFIRM_WORDS = frozenset({"c"})
TOPIC = "visit-confirmed"


def awaiting_confirmation(patient, now: datetime) -> Appointment | None:
    return (
        Appointment.objects.select_related("location", "patient")
        .filter(patient=patient, status=Status.BOOKED, starts_at__gt=now, confirmed_at__isnull=True)
        .order_by("starts_at")
        .first()
    )


def confirm_by_text(actor: Actor, patient, words: str, now: datetime) -> str | None:
    """Her "C" confirms her next visit awaiting confirmation; returns what was done in the
    desk's words, or None when the text is not a confirmation or no visit awaits one."""
    if words.replace(" ", "") not in CONFIRM_WORDS:
        return None
    with transaction.atomic():
        found = awaiting_confirmation(patient, now)
        if found is None:
            return None
        done = Appointment.objects.filter(pk=found.pk, confirmed_at__isnull=True).update(
            confirmed_at=now
        )
        if not done:
            return None
        record_patient(
            actor,
            Action.UPDATE,
            patient,
            object_type=Kind.APPOINTMENT,
            object_id=found.public_id,
            detail={"confirmed": "text"},
        )
        with speaking(patient):
            day = notices.sms_when(found)
            queue_to_patient(
                patient,
                topic=TOPIC,
                subject=_("Your visit is confirmed"),
                body=_("Thank you: your visit on %(when)s is confirmed. See you then!")
                % {"when": notices.when(found)},
                sms_body=fitting(
                    [
                        _("Thank you: your visit %(when)s at %(place)s is confirmed.")
                        % {"when": day, "place": found.location.name},
                        _("Thank you: your visit %(when)s is confirmed.") % {"when": day},
                    ]
                ),
                about=f"appointment:{found.public_id}",
                now=now,
                prefer=Channel.SMS,
                dedupe_key=f"{TOPIC}:{found.public_id}:{found.times_rescheduled}",
            )
    local = found.local_start
    return f"Confirmed the visit on {local:%b} {local.day}, {local:%-I:%M %p}."
