"""Two-way texts: what the gateway tells us (a text's delivery status) and what patients text
us (stored once, matched to her record, her keywords honoured, then offered to the apps above).

Keywords, as Twilio's opt-out handling reads them (the whole text, any case, spaces around):
STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT (and REVOKE, OPTOUT) stop texts; START, UNSTOP,
YES start them again; HELP, INFO ask who we are. Spanish speakers' PARAR and AYUDA are honoured
too (a clinic sets them in Twilio's Advanced Opt-Out as well, so Twilio blocks and answers alike).
When Twilio's Advanced Opt-Out names the keyword itself (`OptOutType`), its word is taken.
STOP and START change her consent to texts on every record with that number (audited, in her
history); Twilio answers them itself, so we add no text of ours (after STOP none could go).
HELP is answered by us, in the webhook's own answer (TwiML), with the clinic's name and phone
in her language. Any other text from a known patient goes to the apps (`signals.text_received`)
and waits, unread, in the desk's inbox.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from glabella.core import audit, brand, throttle
from glabella.core.access import Actor, link_actor, system_actor
from glabella.core.db import write_transaction
from glabella.core.errors import Forbidden, ValidationFailed
from glabella.core.language import speaking
from glabella.core.roles import Capability
from glabella.messaging import signals
from glabella.messaging.models import DELIVERY_RANK, INBOUND_MAX, Delivery, InboundText, Message
from glabella.patients import services as patient_services
from glabella.patients.models import Patient

logger = logging.getLogger("glabella.texts")

STOP_WORDS = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout", "parar"}
)
START_WORDS = frozenset({"start", "unstop", "yes"})
HELP_WORDS = frozenset({"help", "info", "ayuda"})
OPT_OUT_TYPES = {"STOP": InboundText.Keyword.STOP, "START": InboundText.Keyword.START,
                 "HELP": InboundText.Keyword.HELP}  # fmt: skip

MESSAGE_SID = re.compile(r"(SM|MM)[0-9a-f]{32}")
E164 = re.compile(r"\+[1-9][0-9]{6,14}")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Throttled(Exception):
    """One number sent more texts than THROTTLE_INBOUND_TEXTS allows; nothing was stored."""


def fold(body: str) -> str:
    """A text as keywords are read: trimmed, inner spaces squeezed, casefolded."""
    return " ".join(body.split()).casefold()


def keyword_of(body: str, opt_out_type: str = "") -> str:
    """STOP, START or HELP (InboundText.Keyword), or "" for any other text."""
    if opt_out_type.upper() in OPT_OUT_TYPES:
        return OPT_OUT_TYPES[opt_out_type.upper()]
    word = fold(body).rstrip(".!")
    if word in STOP_WORDS:
        return InboundText.Keyword.STOP
    if word in START_WORDS:
        return InboundText.Keyword.START
    if word in HELP_WORDS:
        return InboundText.Keyword.HELP
    return InboundText.Keyword.NONE


# ---------------------------------------------------------------- delivery status


def record_status(message_id: str | None, params, now: datetime | None = None) -> str:
    """Twilio's word on one of our texts (MessageStatus, ErrorCode), kept on the message when it
    is the same text (its MessageSid) and moves it on; returns what was done. Without
    `message_id` (the Messaging Service's own callback) the message is found by its SID."""
    status = str(params.get("MessageStatus") or params.get("SmsStatus") or "").lower()
    sid = str(params.get("MessageSid") or "")
    code = str(params.get("ErrorCode") or "")
    errors = {}
    if status not in Delivery.values:
        errors["MessageStatus"] = ["Not a status of a text."]
    if not MESSAGE_SID.fullmatch(sid):
        errors["MessageSid"] = ["Not a message id."]
    if code and not (code.isdigit() and len(code) <= 10):
        errors["ErrorCode"] = ["Not an error code."]
    if errors:
        raise ValidationFailed(errors)
    now = now or timezone.now()
    with write_transaction():
        found = Message.objects.select_for_update()
        if message_id is None:
            message = found.filter(provider_reference=sid, channel="sms").first()
        else:
            message = found.filter(public_id=message_id).first()
        if message is None or message.provider_reference not in ("", sid):
            return "not ours"
        if DELIVERY_RANK.get(message.delivery, 0) > DELIVERY_RANK[status]:
            return "older than what we hold"
        Message.objects.filter(pk=message.pk).update(
            delivery=status,
            delivery_error=code,
            delivery_at=now,
            provider_reference=message.provider_reference or sid,
        )
    return status


# ---------------------------------------------------------------- texts patients send


@dataclass(frozen=True)
class Received:
    text: InboundText
    reply: str  # what we answer at once (HELP), "" for nothing
    replayed: bool = False


def clean_inbound(params) -> dict:
    """The fields of Twilio's request we keep, bounded; ValidationFailed names each bad one."""
    sid = str(params.get("MessageSid") or params.get("SmsMessageSid") or "")
    sender = str(params.get("From") or "")
    to = str(params.get("To") or "")
    body = str(params.get("Body") or "")
    errors = {}
    if not MESSAGE_SID.fullmatch(sid):
        errors["MessageSid"] = ["Not a message id."]
    if not E164.fullmatch(sender):
        errors["From"] = ["Not a phone number in E.164 form."]
    if to and not E164.fullmatch(to):
        errors["To"] = ["Not a phone number in E.164 form."]
    if len(body) > INBOUND_MAX:
        errors["Body"] = [f"A text holds at most {INBOUND_MAX:,} characters."]
    if errors:
        raise ValidationFailed(errors)
    return {
        "message_sid": sid,
        "from_number": sender,
        "to_number": to,
        "body": CONTROL.sub("", body).strip(),
        "opt_out_type": str(params.get("OptOutType") or "")[:10],
    }


def receive(params, now: datetime | None = None) -> Received:
    """Stores one text (once per MessageSid: a repeat changes nothing), matched to the patient
    whose phone sent it; honours her keyword or offers it to the apps; all in one transaction."""
    now = now or timezone.now()
    fields = clean_inbound(params)
    earlier = InboundText.objects.filter(message_sid=fields["message_sid"]).first()
    if earlier is not None:
        return Received(earlier, earlier.automatic_reply, replayed=True)
    limit, seconds = settings.THROTTLE_INBOUND_TEXTS
    if not throttle.allow("inbound-text", fields["from_number"], limit=limit, seconds=seconds):
        raise Throttled
    try:
        with write_transaction():
            return _store(fields, now)
    except IntegrityError:  # the same text delivered twice at once: the other one stored it
        earlier = InboundText.objects.get(message_sid=fields["message_sid"])
        return Received(earlier, earlier.automatic_reply, replayed=True)


def _clinic_of(patient: Patient | None, to_number: str) -> int:
    """The clinic a text belongs to: its patient's; from no single patient, the clinic whose
    phone it was sent to, else the first (decision 0047)."""
    if patient is not None:
        return patient.organisation_id
    from django.apps import apps

    clinics = apps.get_model("clinic", "Organisation")._base_manager.order_by("pk")
    found = clinics.filter(phone=to_number).first() if to_number else None
    return (found or clinics.first()).pk


def _store(fields: dict, now: datetime) -> Received:
    same_phone = list(Patient.objects.filter(phone=fields["from_number"]).order_by("id"))
    patient = same_phone[0] if len(same_phone) == 1 else None
    keyword = keyword_of(fields["body"], fields["opt_out_type"])
    text = InboundText.objects.create(
        organisation_id=_clinic_of(patient, fields["to_number"]),
        message_sid=fields["message_sid"],
        from_number=fields["from_number"],
        to_number=fields["to_number"],
        body=fields["body"],
        patient=patient,
        received_at=now,
        keyword=keyword,
    )
    actor = _sender(patient)
    for each in same_phone or [None]:
        audit.record(
            actor,
            audit.Action.CREATE,
            audit.Kind.INBOUND_TEXT,
            text.public_id,
            patient_public_id=each.public_id if each else None,
            detail={"keyword": keyword} if keyword else None,
        )
    reply = ""
    if keyword in (InboundText.Keyword.STOP, InboundText.Keyword.START):
        allowed = keyword == InboundText.Keyword.START
        source = f"text {fold(fields['body']).upper() or keyword.upper()}"[:100]
        changed = [
            p
            for p in same_phone
            if patient_services.record_text_consent(_sender(p), p, allowed, source=source, now=now)
        ]
        what = "Texts started again" if allowed else "Texts stopped"
        records = "record" if len(same_phone) == 1 else "records"
        text.handled_as = f"{what} ({len(changed)} of {len(same_phone)} {records} changed)."
        text.read_at = now  # nothing for the desk to answer
        text.read_by_name = "automatic"
    elif keyword == InboundText.Keyword.HELP:
        reply = help_reply(patient)
        text.automatic_reply = reply
        text.handled_as = "Answered with the clinic's name and phone."
        text.read_at = now
        text.read_by_name = "automatic"
    elif patient is not None:
        # Robustly: Twilio does not send a text again, so a receiver that fails (a race with the
        # web form, a refusal) must not lose it; its own savepoint is rolled back, the failure
        # logged, and the text stays unread for the desk.
        answers = signals.text_received.send_robust(
            InboundText, text=text, words=fold(fields["body"]), actor=actor, now=now
        )
        for receiver, answer in answers:
            if isinstance(answer, Exception):
                logger.error(
                    "text %s: %s failed: %r", text.public_id, receiver.__qualname__, answer
                )
        said = [a for _, a in answers if a and not isinstance(a, Exception)]
        text.handled_as = " ".join(said)[:200]
    InboundText.objects.filter(pk=text.pk).update(
        handled_as=text.handled_as,
        automatic_reply=text.automatic_reply,
        read_at=text.read_at,
        read_by_name=text.read_by_name,
    )
    return Received(text, reply)


def _sender(patient: Patient | None) -> Actor:
    if patient is None:
        return system_actor("text from a number on no single record")
    return link_actor("text-message", f"text from patient {patient.public_id}", patient.pk,
                      channel="api")  # fmt: skip


def help_reply(patient: Patient | None) -> str:
    """HELP's answer: who we are and how to reach a person, in her language."""
    clinic = brand.current(patient.organisation_id if patient is not None else None)
    with speaking(patient if patient is not None else settings.LANGUAGE_CODE):
        if clinic.phone:
            return _(
                "%(clinic)s: for help call us at %(phone)s. Reply STOP to stop texts, START to "
                "get them again."
            ) % {"clinic": clinic.name, "phone": clinic.phone_display}
        return _("%(clinic)s: reply STOP to stop texts, START to get them again.") % {
            "clinic": clinic.name
        }


# ---------------------------------------------------------------- the desk


def unread(actor: Actor):
    """Texts from patients the desk has not read yet, oldest first."""
    return (
        InboundText.objects.restrict(actor)
        .filter(read_at__isnull=True)
        .select_related("patient")
        .order_by("received_at", "id")
    )


def mark_read(actor: Actor, text: InboundText, now: datetime | None = None) -> bool:
    if not actor.can(Capability.CHANGE_PATIENT):
        raise Forbidden("Only the front desk and clinicians answer texts.")
    now = now or timezone.now()
    with write_transaction():
        return _mark_read(actor, text, now)


def _mark_read(actor: Actor, text: InboundText, now: datetime, answer=None) -> bool:
    """Inside the caller's transaction: the text read (and answered by `answer`)."""
    changes = {"read_at": now, "read_by_name": (actor.label or "")[:200]}
    if answer is not None:
        changes["answer"] = answer
    done = InboundText.objects.filter(pk=text.pk, read_at__isnull=True).update(**changes)
    if answer is not None and not done:
        InboundText.objects.filter(pk=text.pk).update(answer=answer)
    audit.record(
        actor,
        audit.Action.UPDATE,
        audit.Kind.INBOUND_TEXT,
        text.public_id,
        patient_public_id=text.patient.public_id if text.patient_id else None,
        detail={"read": True, "answered": answer is not None},
    )
    return bool(done)


def answered(actor: Actor, text: InboundText, message, now: datetime) -> None:
    """The desk answered the text (`message`, the answer in the outbox): it is read. Inside the
    answer's transaction."""
    _mark_read(actor, text, now, answer=message)
