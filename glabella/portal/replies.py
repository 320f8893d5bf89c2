"""The desk's answer to a website message, by email or text (and to a text a patient sent, by
text: `answer_text`), sent through the outbox and kept in
the patient's thread when the sender is a patient on file (found by their email, else their
phone; several patients sharing one address are not guessed between).

Texts go only to a patient who agreed to texts, at the number on their record; an email goes
to the address the visitor wrote from (they asked us to answer). The patient's preferred channel
is the one the form offers first. The words around the desk's text are in the language the
sender reads (the patient's on file, else the page they wrote from)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from glabella.core import audit
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Forbidden, ValidationFailed
from glabella.core.language import speaking
from glabella.core.roles import Capability
from glabella.core.text import CONTROL, INVISIBLE_FORMATTING_MESSAGE, has_invisible_formatting
from glabella.messaging import texts
from glabella.messaging.models import Channel, InboundText, Message
from glabella.messaging.outbox import queue_message
from glabella.patients.models import Patient
from glabella.portal.models import ContactMessage, ContactReply

TOPIC = "reply"  # messaging's record section shows the text of these to the desk too
EMAIL_MAX = 3000
TEXT_MAX = 480  # three text segments
CONTROL_MESSAGE = "Remove the control characters from this text."


@dataclass(frozen=True)
class Route:
    """How an answer to one message may go: by email always, by text only with consent."""

    patient: Patient | None
    text_to: str  # the patient's number, when they agreed to texts; else ""
    text_refusal: str  # why a text may not be sent; "" when it may
    preferred: str  # the channel the form offers first


def senders(messages: list[ContactMessage]) -> dict[int, Patient]:
    """The patient on file behind each message (by id): the one already linked, else the one
    patient with the sender's email. A phone number typed on a website form proves nothing about
    who typed it, so it never ties a message to a record. One query."""
    found = {m.pk: m.patient for m in messages if m.patient_id}
    open_ = [m for m in messages if not m.patient_id]
    emails = {m.email.lower() for m in open_ if m.email}
    if not emails:
        return found
    by_email: dict[str, list[Patient]] = {}
    for p in (
        Patient.objects.annotate(email_folded=Lower("email"))
        .filter(email_folded__in=emails)
        .order_by("id")
    ):
        by_email.setdefault(p.email.lower(), []).append(p)
    for m in open_:
        same_email = by_email.get(m.email.lower(), []) if m.email else []
        if len(same_email) == 1:
            found[m.pk] = same_email[0]
    return found


def route_for(patient: Patient | None) -> Route:
    if patient is None:
        return Route(
            None, "", "The sender is not a patient on file, so no consent to texts: email.", "email"
        )
    if not patient.phone:
        refusal = "There is no mobile number on the patient's record: answer by email."
    elif not patient.sms_consent:
        refusal = "The patient has not agreed to text messages: answer by email."
    else:
        refusal = ""
    preferred = Channel.SMS if patient.preferred_channel == Channel.SMS and not refusal else "email"
    return Route(patient, "" if refusal else patient.phone, refusal, preferred)


def _body_errors(channel: str, body: str) -> dict[str, list[str]]:
    limit = TEXT_MAX if channel == Channel.SMS else EMAIL_MAX
    if not body:
        return {"body": ["Write the answer."]}
    if len(body) > limit:
        what = "A text" if channel == Channel.SMS else "An answer"
        return {"body": [f"{what} holds at most {limit:,} characters (this has {len(body):,})."]}
    if CONTROL.search(body.replace("\n", " ")):
        return {"body": [CONTROL_MESSAGE]}
    if has_invisible_formatting(body):
        return {"body": [INVISIBLE_FORMATTING_MESSAGE]}
    return {}


def text_refusal(text: InboundText) -> str:
    """Why the desk may not text back to this text ("" when it may)."""
    if text.patient is None:
        return (
            "This number is on no single patient's record, so there is no consent to text it: "
            "call the number."
        )
    if not text.patient.phone:
        return "There is no mobile number on the patient's record now: call or email her."
    if not text.patient.sms_consent:
        return "The patient has stopped text messages (or never agreed to them): call or email her."
    return ""


def answer_text(
    actor: Actor, text: InboundText, data: dict, now: datetime | None = None
) -> Message:
    """The desk's answer to a text a patient sent: a text back to her record's number, through
    the outbox (only while she allows texts), kept in her thread; her text is then read.
    ValidationFailed per field, nothing written."""
    if not actor.can(Capability.CHANGE_PATIENT):
        raise Forbidden("Only the front desk and clinicians answer texts.")
    now = now or timezone.now()
    body = str(data.get("body") or "").replace("\r\n", "\n").strip()
    refusal = text_refusal(text)
    errors = {"body": [refusal]} if refusal else _body_errors(Channel.SMS, body)
    if errors:
        raise ValidationFailed(errors)
    route = route_for(text.patient)
    where = text.patient.preferred_location
    sign_off = f"\n{where.name}" if where else ""
    with write_transaction():
        message = queue_message(
            patient=text.patient,
            channel=Channel.SMS,
            to=route.text_to,
            topic=TOPIC,
            body=body + sign_off,
            about=f"text:{text.public_id}",
            now=now,
        )
        texts.answered(actor, text, message, now)
    return message


def send_reply(
    actor: Actor,
    contact: ContactMessage,
    data: dict,
    *,
    patient: Patient | None,
    now: datetime | None = None,
) -> ContactReply:
    """Queues the answer in the outbox and keeps it with the message (and in the patient's
    thread); marks the message answered. ValidationFailed per field, nothing written."""
    if not actor.can(Capability.CHANGE_PATIENT):
        raise Forbidden("Only the front desk and clinicians answer messages.")
    now = now or timezone.now()
    route = route_for(patient)
    errors: dict[str, list[str]] = {}
    channel = str(data.get("channel") or "")
    body = str(data.get("body") or "").replace("\r\n", "\n").strip()
    if channel not in (Channel.EMAIL, Channel.SMS):
        errors["channel"] = ["Choose email or text message."]
    elif channel == Channel.SMS and route.text_refusal:
        errors["channel"] = [route.text_refusal]
    errors.update(_body_errors(channel, body))
    if errors:
        raise ValidationFailed(errors)
    to = route.text_to if channel == Channel.SMS else contact.email
    where = contact.location
    sign_off = f"\n\n{where.name}" if where else ""
    # The subject in the language the answer is read in: the patient's on file, else the one
    # the visitor wrote from (the desk's own text is theirs to write in it).
    with speaking(patient if patient is not None else contact.language):
        subject = _("Our answer to your message")
    with write_transaction():
        message = queue_message(
            patient=patient,
            channel=channel,
            to=to,
            topic=TOPIC,
            subject=subject,
            body=body + sign_off,
            about=f"contact:{contact.public_id}",
            now=now,
        )
        reply = ContactReply.objects.create(
            contact=contact,
            patient=patient,
            channel=channel,
            to=to,
            body=body,
            sent_by=actor.staff,
            sent_by_name=(actor.staff.full_name if actor.staff else actor.label)[:200],
            sent_at=now,
            message=message,
        )
        ContactMessage.objects.filter(pk=contact.pk, handled_at__isnull=True).update(
            handled_at=now, handled_by=actor.saved_user
        )
        if patient is not None and contact.patient_id is None:
            ContactMessage.objects.filter(pk=contact.pk).update(patient=patient)
        audit.record(
            actor,
            audit.Action.CREATE,
            audit.Kind.CONTACT_REPLY,
            reply.public_id,
            patient_public_id=patient.public_id if patient else None,
            detail={"channel": channel, "contact": str(contact.public_id)},
        )
    return reply
