"""Writing messages into the outbox, inside the caller's transaction.

A service that books, moves or cancels an appointment calls `queue_message` in the same
transaction: if that transaction rolls back, the message was never written, and if it commits,
the message will be delivered. Nothing here sends anything; `delivery` does.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from glabella.messaging.delivery import enqueue_delivery
from glabella.messaging.models import URGENT_TOPICS, Channel, Message
from glabella.patients.models import Patient

logger = logging.getLogger("glabella.messaging")


@dataclass(frozen=True)
class Attachment:
    filename: str
    mimetype: str
    content: str


def may_text(patient: Patient | None, topic: str) -> bool:
    """Whether a text on `topic` may go to `patient` now (a text to staff always may)."""
    return patient is None or patient.sms_consent or topic in URGENT_TOPICS


def channel_for(
    patient: Patient, topic: str = "", prefer: str | None = None
) -> tuple[str, str] | None:
    """The patient's preferred channel (or `prefer`) and address, falling back to the other
    one; texts only with the patient's consent to them, or on an urgent topic. None when the
    patient cannot be reached."""
    texts = patient.phone and may_text(patient, topic)
    sms = (Channel.SMS, patient.phone) if texts else None
    email = (Channel.EMAIL, patient.email) if patient.email else None
    first, second = (
        (sms, email) if (prefer or patient.preferred_channel) == Channel.SMS else (email, sms)
    )
    return first or second


def queue_message(
    *,
    patient: Patient | None,
    channel: str,
    to: str,
    topic: str,
    body: str,
    subject: str = "",
    about: str = "",
    due_at: datetime | None = None,
    dedupe_key: str | None = None,
    attachments: tuple[Attachment, ...] = (),
    now: datetime | None = None,
    organisation_id: int | None = None,
) -> Message | None:
    """Write one message; due now, its delivery task is written in the same transaction, else
    the scheduler releases it at `due_at`. With a `dedupe_key` already used, writes nothing; a
    text to a patient who stopped texts, on a topic that is not urgent, is refused (None)."""
    now = now or timezone.now()
    if channel == Channel.SMS and not may_text(patient, topic):
        logger.info("No %s text to patient %s: she stopped texts.", topic, patient.public_id)
        return None
    due_at = due_at or now
    if dedupe_key and Message.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    immediate = due_at <= now
    message = Message.objects.create(
        # Its clinic: the patient's, else the one given (staff notices), else the acting one.
        organisation_id=patient.organisation_id if patient is not None else organisation_id,
        patient=patient,
        channel=channel,
        to=to,
        topic=topic,
        body=body,
        subject=subject,
        about=about,
        dedupe_key=dedupe_key,
        attachments=[a.__dict__ for a in attachments],
        due_at=due_at,
        status=Message.Status.QUEUED if immediate else Message.Status.SCHEDULED,
        queued_at=now if immediate else None,
    )
    if immediate:
        enqueue_delivery(message.pk)
    return message


def queue_to_patient(
    patient: Patient,
    *,
    topic: str,
    subject: str,
    body: str,
    about: str,
    now: datetime,
    due_at: datetime | None = None,
    dedupe_key: str | None = None,
    email_attachments: Callable[[], tuple[Attachment, ...]] | None = None,
    sms_body: str | None = None,
    prefer: str | None = None,
) -> Message | None:
    """One message to a patient in the channel `channel_for` picks (nothing if they cannot be
    reached); attachments, made only if it is an email; `sms_body`, if given, is what a text
    says instead of `body` (a text is kept short: see `sms.segments`); `prefer`, a channel to
    try first instead of hers (a text answering her text)."""
    route = channel_for(patient, topic, prefer)
    if route is None:
        return None
    channel, to = route
    attachments = email_attachments() if email_attachments and channel == Channel.EMAIL else ()
    return queue_message(
        patient=patient,
        channel=channel,
        to=to,
        topic=topic,
        subject=subject,
        body=sms_body if channel == Channel.SMS and sms_body else body,
        about=about,
        due_at=due_at,
        dedupe_key=dedupe_key,
        attachments=attachments,
        now=now,
    )


def cancel_pending(about: str, topics: tuple[str, ...] | None = None) -> int:
    """Cancel what has not gone out yet about something that changed (e.g. old reminders)."""
    pending = Message.objects.filter(
        about=about, status__in=[Message.Status.SCHEDULED, Message.Status.QUEUED]
    )
    if topics is not None:
        pending = pending.filter(topic__in=topics)
    return pending.update(status=Message.Status.CANCELLED)
