"""Webhook endpoints the clinic registers, the deliveries written for them (an outbox), and each
attempt to deliver one.

A delivery moves scheduled -> queued -> sending -> delivered, or back to scheduled for a retry,
and ends `failed` after the last attempt (resent only by the owner). Only a worker that won the
conditional UPDATE from queued to sending may post it (`core.claims`).
"""

import secrets
import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from glabella.core.access import (
    AccessRule,
    OrganisationScopedManager,
    RestrictedQuerySet,
    fill_organisation,
)
from glabella.core.roles import Capability

# The owner's: endpoints hold a signing secret, deliveries name patients by public id.
WEBHOOK_RULE = AccessRule(
    staff={"view": Capability.MANAGE_CLINIC, "change": Capability.MANAGE_CLINIC},
    patient_actions=frozenset(),
)
URL_MAX_LENGTH = 500
SECRET_PREFIX = "whsec_"  # noqa: S105 (the prefix of a generated secret, not a secret)


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


class Endpoint(models.Model):
    """Where the clinic wants to be told of events: a URL, the events, and the secret that signs
    every delivery (generated here, shown to the owner once, kept to sign)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        "clinic.Organisation",
        on_delete=models.PROTECT,
        related_name="webhook_endpoints",
        editable=False,
    )
    name = models.CharField(max_length=100)
    url = models.URLField(max_length=URL_MAX_LENGTH)
    events = models.JSONField(default=list)  # event types, from webhooks.events.EVENTS
    active = models.BooleanField(default=True)
    secret = models.CharField(max_length=80, default=new_secret, editable=False)
    consecutive_failures = models.PositiveIntegerField(default=0)  # failed attempts in a row
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = OrganisationScopedManager()
    access_rule = WEBHOOK_RULE
    organisation_field = "organisation"

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"

    def save(self, *args, **kwargs):
        fill_organisation(self)
        super().save(*args, **kwargs)


class Delivery(models.Model):
    """One event to one endpoint, written in the transaction of what happened."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Waiting to retry"
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    due_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    access_rule = WEBHOOK_RULE
    organisation_field = "endpoint__organisation"

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["due_at"], name="webhook_scheduled_due", condition=Q(status="scheduled")
            ),
            models.Index(
                fields=["claimed_at"],
                name="webhook_in_flight",
                condition=Q(status__in=["queued", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} to {self.endpoint_id} ({self.status})"


class Attempt(models.Model):
    """One POST of a delivery: when, the HTTP status or the error, how long it took."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField()

    objects = RestrictedQuerySet.as_manager()
    access_rule = WEBHOOK_RULE
    organisation_field = "delivery__endpoint__organisation"

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"attempt at {self.at:%Y-%m-%d %H:%M:%S}Z: {self.status_code or self.error}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
