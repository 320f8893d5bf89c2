"""The outbox: every message to a patient, written in the same transaction as what caused it;
and the texts patients send us (`InboundText`).

A message moves scheduled -> queued -> sending -> sent, or back to scheduled for a retry, and
ends `failed` after the last attempt or `cancelled` when what it announced has changed (or a
text's patient stopped texts before it went). Only a worker that won the conditional UPDATE
from queued to sending may send it. Once a gateway has it, the gateway's own word on a text
(`delivery`: queued, sent, delivered, undelivered, failed, with its error code) is kept beside.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from glabella.core.access import (
    AccessRule,
    OrganisationScopedManager,
    fill_organisation,
)
from glabella.core.roles import Capability
from glabella.messaging.sms import segments
from glabella.patients.models import Patient

MESSAGE_RULE = AccessRule(
    staff={"view": Capability.VIEW_PATIENT, "change": Capability.CHANGE_PATIENT},
    patient_actions=frozenset(),
)


# Topics a patient is texted even after she stopped texts (STOP): the clinic's advice after she
# reported a red flag (call us or 911 now), which she must not miss. Every other text waits on
# her consent, checked when it is written (`outbox.may_text`) and again when it is sent.
URGENT_TOPICS = frozenset({"urgent-advice"})


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"


class Delivery(models.TextChoices):
    """What the gateway says of a text it took, in the order it happens (Twilio's MessageStatus
    values for an outbound text; `accepted` and `scheduled` are its queue's, `read` only some
    channels')."""

    ACCEPTED = "accepted", "Accepted by the gateway"
    SCHEDULED = "scheduled", "Scheduled by the gateway"
    QUEUED = "queued", "Queued at the gateway"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent to the carrier"
    DELIVERED = "delivered", "Delivered"
    UNDELIVERED = "undelivered", "Not delivered"
    FAILED = "failed", "Failed"
    READ = "read", "Read"


# A later word never gives way to an earlier one arriving late (callbacks come in any order).
DELIVERY_RANK = {
    Delivery.ACCEPTED: 1,
    Delivery.SCHEDULED: 1,
    Delivery.QUEUED: 2,
    Delivery.SENDING: 3,
    Delivery.SENT: 4,
    Delivery.DELIVERED: 5,
    Delivery.UNDELIVERED: 5,
    Delivery.FAILED: 5,
    Delivery.READ: 6,
}


class Message(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Canceled"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        "clinic.Organisation", on_delete=models.PROTECT, related_name="+", editable=False
    )
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    channel = models.CharField(max_length=5, choices=Channel.choices)
    to = models.CharField(max_length=254)
    topic = models.CharField(max_length=40)  # confirmation, reminder, cancellation...
    about = models.CharField(max_length=80, blank=True, db_index=True)  # e.g. appointment:<uuid>
    dedupe_key = models.CharField(max_length=160, null=True, blank=True, unique=True)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    attachments = models.JSONField(default=list, blank=True)  # [{filename, mimetype, content}]
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    due_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_reference = models.CharField(max_length=200, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The gateway's delivery status callbacks (Twilio's MessageStatus and ErrorCode).
    delivery = models.CharField(max_length=12, choices=Delivery.choices, blank=True)
    delivery_error = models.CharField(max_length=10, blank=True)
    delivery_at = models.DateTimeField(null=True, blank=True)

    objects = OrganisationScopedManager()
    access_rule = MESSAGE_RULE
    organisation_field = "organisation"

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="message_scheduled_due",
                condition=Q(status="scheduled"),
            ),
            models.Index(
                fields=["claimed_at"],
                name="message_in_flight",
                condition=Q(status__in=["queued", "sending"]),
            ),
            models.Index(fields=["status", "created_at"], name="message_status"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} to {self.to} ({self.status})"

    def save(self, *args, **kwargs):
        if self.organisation_id is None:  # the patient's clinic's message
            fill_organisation(
                self, fallback_id=self.patient.organisation_id if self.patient_id else None
            )
        super().save(*args, **kwargs)

    @property
    def segments(self) -> int | None:
        """How many parts a text is sent (and billed) as; None for an email. Worked out from
        the body, which never changes once written."""
        return segments(self.body) if self.channel == Channel.SMS else None


INBOUND_RULE = AccessRule(
    staff={"view": Capability.VIEW_PATIENT, "change": Capability.CHANGE_PATIENT},
    patient_actions=frozenset(),
)
INBOUND_MAX = 1600  # Twilio's longest text body


class InboundText(models.Model):
    """A text someone sent to the clinic's number: kept once per gateway id, matched to the one
    patient whose phone it came from (none when no record, or several, have that number)."""

    class Keyword(models.TextChoices):
        NONE = "", "None"
        STOP = "stop", "Stop texts"
        START = "start", "Start texts again"
        HELP = "help", "Help"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    message_sid = models.CharField(max_length=34, unique=True)
    from_number = models.CharField(max_length=20, db_index=True)
    organisation = models.ForeignKey(
        "clinic.Organisation", on_delete=models.PROTECT, related_name="+", editable=False
    )
    to_number = models.CharField(max_length=20, blank=True)
    body = models.TextField(max_length=INBOUND_MAX, blank=True)
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_texts"
    )
    received_at = models.DateTimeField(default=timezone.now)
    keyword = models.CharField(max_length=5, choices=Keyword.choices, blank=True)
    # What the apps did with it, in the desk's words ("Confirmed the visit on ..."), if anything.
    handled_as = models.CharField(max_length=200, blank=True)
    automatic_reply = models.TextField(blank=True)  # the HELP answer given back to Twilio
    read_at = models.DateTimeField(null=True, blank=True)
    read_by_name = models.CharField(max_length=200, blank=True)
    answer = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = OrganisationScopedManager()
    access_rule = INBOUND_RULE
    organisation_field = "organisation"

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(
                fields=["received_at"],
                name="inbound_text_unread",
                condition=Q(read_at__isnull=True),
            ),
            models.Index(fields=["patient", "received_at"], name="inbound_text_patient"),
        ]

    def __str__(self) -> str:
        return f"text from {self.from_number} at {self.received_at:%Y-%m-%d %H:%M}Z"

    def save(self, *args, **kwargs):
        if self.organisation_id is None:  # the patient's clinic's message
            fill_organisation(
                self, fallback_id=self.patient.organisation_id if self.patient_id else None
            )
        super().save(*args, **kwargs)


class SchedulerTick(models.Model):
    """One row per minute the scheduler is to run: the unique slot is what stops a second
    enqueue of the same minute, however many workers or web processes try; `ran_at` says when
    that minute's run finished."""

    slot = models.DateTimeField(unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    # When this minute's run finished (every app's jobs done): /healthz reads the latest.
    ran_at = models.DateTimeField(null=True, blank=True, db_index=True)

    def __str__(self) -> str:
        return f"tick {self.slot:%Y-%m-%d %H:%M}Z"


class WorkerHeartbeat(models.Model):
    """A running worker's sign of life: written as it starts and every WORKER_HEARTBEAT_SECONDS
    after, removed when it stops cleanly. A worker killed outright leaves its row, which ages
    (and is swept by the scheduler after a day); /healthz reads the newest beat."""

    worker_id = models.CharField(max_length=64, unique=True)
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"worker {self.worker_id} at {self.beat_at:%Y-%m-%d %H:%M:%S}Z"
