"""Messaging's section of the patient record (patients' `record_sections`): the messages sent
to the patient and the texts she sent us, one thread newest first: what about, how, to where,
whether it went (and, for a text, what the gateway last said of it). The text of a message is
shown to clinicians (aftercare instructions and check-ins speak of the treatment) and, for
anyone, when it is the desk's own answer; her own texts are shown as the desk's inbox shows
them. Three queries, whatever the history."""

from __future__ import annotations

from datetime import datetime

from glabella.core.access import Actor
from glabella.core.roles import Capability
from glabella.messaging.models import InboundText, Message
from glabella.patients.models import Patient
from glabella.patients.sections import Section

SHOWN = 15
REPLY = "reply"  # the topic of the desk's answer to a website message (portal's inbox)

# What each message was about, in the desk's words (topics are the senders' keys).
TOPICS = {
    "confirmation": "Booking confirmed",
    "reminder": "Visit reminder",
    "rescheduled": "Visit moved",
    "cancellation": "Visit canceled",
    "waitlist_offer": "A time opened (waitlist)",
    "forms": "Forms link",
    "aftercare": "Aftercare instructions",
    "check-in": "Aftercare check-in",
    "check-in-reminder": "Aftercare check-in reminder",
    "urgent-advice": "Urgent advice",
    "invitation": "Invitation back",
    "movement-check": "Monthly question",
    "recall": "Product recall notice",
    "sign_in_link": "Portal sign-in link",
    "visit-confirmed": "Visit confirmed (her reply)",
    REPLY: "Answer to the patient's message",
}
STATUS_WORDS = {
    Message.Status.SCHEDULED: "Scheduled",
    Message.Status.QUEUED: "Sending",
    Message.Status.SENDING: "Sending",
    Message.Status.SENT: "Sent",
    Message.Status.FAILED: "Not delivered",
    Message.Status.CANCELLED: "Canceled before sending",
}


def messages_section(actor: Actor, patient: Patient, now: datetime) -> Section | None:
    if not actor.can(Capability.VIEW_PATIENT):
        return None
    found = list(
        Message.objects.restrict(actor, "view")
        .filter(patient=patient)
        .defer("attachments", "last_error")
        .order_by("-created_at", "-id")[: SHOWN + 1]
    )
    received = list(
        InboundText.objects.restrict(actor, "view")
        .filter(patient=patient)
        .order_by("-received_at", "-id")[: SHOWN + 1]
    )
    clinical = actor.can(Capability.VIEW_CLINICAL)
    rows = [
        {
            "message": m,
            "about": TOPICS.get(m.topic, "Message from the clinic"),
            "status": STATUS_WORDS.get(m.status, ""),
            "delivery": m.get_delivery_display() if m.delivery else "",
            "when": m.sent_at or m.due_at,
            "show_text": clinical or m.topic == REPLY,
        }
        for m in found[:SHOWN]
    ] + [{"text": t, "when": t.received_at} for t in received[:SHOWN]]
    rows.sort(key=lambda r: r["when"], reverse=True)
    return Section(
        key="messages",
        title="Messages",
        order=60,
        template="messaging/record_messages.html",
        context={"rows": rows[:SHOWN], "more": len(rows) > SHOWN},
    )
