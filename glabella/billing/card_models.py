"""Cards online (Stripe): a patient's saved card, the Checkout Sessions started from a booking,
each verified webhook event stored once, and the no-show or late-cancel fees the desk confirmed
(`billing.models` re-exports them; the services are `cards.py`, `card_events.py` and
`card_fees.py`)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone

from glabella.core.access import AccessRule, RestrictedQuerySet
from glabella.core.roles import Capability

CARD_RULE = AccessRule(
    staff={"view": Capability.TAKE_PAYMENT, "change": Capability.TAKE_PAYMENT},
    patient_field="patient_id",
)


class SavedCard(models.Model):
    """A patient's card kept by Stripe for later charges: the Stripe customer and payment
    method ids and what the desk may read of the card (brand, last four, expiry); never the
    number."""

    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.PROTECT, related_name="saved_card"
    )
    customer_id = models.CharField(max_length=100, unique=True)
    payment_method_id = models.CharField(max_length=100, blank=True)  # blank until a card is saved
    brand = models.CharField(max_length=30, blank=True)
    last4 = models.CharField(max_length=4, blank=True)
    exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    saved_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    access_rule = CARD_RULE
    organisation_field = "patient__organisation"

    def __str__(self) -> str:
        return f"{self.brand} ending {self.last4}" if self.last4 else "No card saved"


class OnlineCheckout(models.Model):
    """A Stripe Checkout Session started from a booking's confirmation: a deposit (mode
    payment) or a card saved for later (mode setup). Completed once, by the first verified
    webhook that reports it; the deposit's payment points back here."""

    class Purpose(models.TextChoices):
        DEPOSIT = "deposit", "Deposit"
        CARD = "card", "Card on file"

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for the patient"
        COMPLETE = "complete", "Complete"
        EXPIRED = "expired", "Expired"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    appointment = models.ForeignKey(
        "scheduling.Appointment", on_delete=models.PROTECT, related_name="online_checkouts"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    amount = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(max_length=3, default="USD")
    session_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    payment = models.OneToOneField(
        "billing.Payment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="online_checkout",
    )
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    access_rule = CARD_RULE
    organisation_field = "patient__organisation"

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="online_checkout_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} ({self.get_status_display()})"


class StripeEvent(models.Model):
    """Each verified webhook event, stored once by its id: a replay finds its row and changes
    nothing."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class FeeCharge(models.Model):
    """A no-show or late-cancel fee a staff member confirmed, charged off-session to the saved
    card: pending while Stripe is asked, then paid (a payment on the visit's fee invoice) or
    refused (the bank's words kept). At most one pending or paid fee a visit."""

    class Reason(models.TextChoices):
        NO_SHOW = "no_show", "Missed visit"
        LATE_CANCEL = "late_cancel", "Late cancellation"

    class Status(models.TextChoices):
        PENDING = "pending", "Being charged"
        PAID = "paid", "Paid"
        REFUSED = "refused", "Refused"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    appointment = models.ForeignKey(
        "scheduling.Appointment", on_delete=models.PROTECT, related_name="fee_charges"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=12, choices=Reason.choices)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    payment_intent_id = models.CharField(max_length=255, blank=True)
    message = models.CharField(max_length=300, blank=True)  # why the card was refused
    payment = models.OneToOneField(
        "billing.Payment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fee_charge",
    )
    confirmed_by = models.ForeignKey("core.StaffMember", on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    access_rule = CARD_RULE
    organisation_field = "patient__organisation"

    class Meta:
        ordering = ["-confirmed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="fee_charge_positive"),
            models.UniqueConstraint(
                fields=["appointment"],
                condition=Q(status__in=["pending", "paid"]),
                name="one_live_fee_a_visit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} {self.amount} ({self.get_status_display()})"
