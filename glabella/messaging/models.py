"""The outbox: every message to a patient, written in the same transaction as what caused it.

A message moves scheduled -> queued -> sending -> sent, or back to scheduled for a retry, and
ends `failed` after the last attempt or `cancelled` when what it announced has changed. Only a
worker that won the conditional UPDATE from queued to sending may send it.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from glabella.core.access import AccessRule, RestrictedQuerySet
from glabella.core.roles import Capability
from glabella.messaging.sms import segments
from glabella.patients.models import Patient

MESSAGE_RULE = AccessRule(
    staff={"view": Capability.VIEW_PATIENT, "change": Capability.CHANGE_PATIENT},
    patient_actions=frozenset(),
)


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"


class Message(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Canceled"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
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

    objects = RestrictedQuerySet.as_manager()
    access_rule = MESSAGE_RULE

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

    @property
    def segments(self) -> int | None:
        """How many parts a text is sent (and billed) as; None for an email. Worked out from
        the body, which never changes once written."""
        return segments(self.body) if self.channel == Channel.SMS else None


class SchedulerTick(models.Model):
    """One row per minute the scheduler is to run: the unique slot is what stops a second
    enqueue of the same minute, however many workers or web processes try."""

    slot = models.DateTimeField(unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"tick {self.slot:%Y-%m-%d %H:%M}Z"
