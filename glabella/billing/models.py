"""Money: prices, invoices and their lines, payments and refunds.

An invoice is open while the desk builds it (lines change); the first payment, or the desk's
"finalize", gives it a number and freezes it: a finalized invoice never changes, and a refund is
a new row pointing at the payment it gives back. Amounts are Decimal with two places, in the
organisation's currency; `money.py` does the arithmetic. Prepaid packages and memberships
live in `prepaid_models.py`, cards online in `card_models.py`, both imported here.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from glabella.billing.card_models import (  # cards online (Stripe), kept apart for length
    FeeCharge,
    OnlineCheckout,
    SavedCard,
    StripeEvent,
)
from glabella.billing.prepaid_models import (  # packages and memberships, kept apart for length
    MAX_VALID_DAYS,
    Membership,
    MembershipEntry,
    MembershipPlan,
    PackageEntry,
    PackagePlan,
    PatientPackage,
)
from glabella.catalogue.products import PRODUCT_NAMES
from glabella.core.access import AccessRule, OrganisationScopedManager, RestrictedQuerySet
from glabella.core.roles import Capability

__all__ = [
    "MAX_VALID_DAYS",
    "BillingSettings",
    "FeeCharge",
    "Invoice",
    "InvoiceFinalized",
    "InvoiceLine",
    "Membership",
    "MembershipEntry",
    "MembershipPlan",
    "OnlineCheckout",
    "PackageEntry",
    "PackagePlan",
    "PatientPackage",
    "Payment",
    "ProductPrice",
    "Promotion",
    "Refund",
    "SalesTax",
    "SavedCard",
    "StripeEvent",
]

# The desk takes payments and sees invoices; the owner sees reports; a patient sees her own.
INVOICE_RULE = AccessRule(
    staff={
        "view": Capability.TAKE_PAYMENT,
        "change": Capability.TAKE_PAYMENT,
        "refund": Capability.REFUND,
    },
    patient_field="patient_id",
)
INVOICE_PART_RULE = AccessRule(
    staff={"view": Capability.TAKE_PAYMENT, "change": Capability.TAKE_PAYMENT},
    patient_field="invoice__patient_id",
)
PRICE_RULE = AccessRule(
    staff={"view": Capability.TAKE_PAYMENT, "change": Capability.SET_PRICES},
    public=frozenset({"view"}),
)
PRODUCT_CHOICES = [(str(k), v) for k, v in PRODUCT_NAMES.items()]


class BillingSettings(models.Model):
    """The organisation's money settings: its currency, and what its receipts say."""

    organisation = models.OneToOneField(
        "clinic.Organisation", on_delete=models.CASCADE, related_name="billing"
    )
    currency = models.CharField(max_length=3, default="USD")
    receipt_note = models.CharField(max_length=300, blank=True)
    next_number = models.PositiveIntegerField(default=1)  # the next finalized invoice's
    # The cancellation policy patients are shown at booking, in the confirmation and reminders;
    # the fees it names are charged to a saved card only when a staff member confirms one.
    cancellation_policy = models.TextField(max_length=1000, blank=True)
    late_cancel_fee = models.DecimalField(
        max_digits=8, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    no_show_fee = models.DecimalField(
        max_digits=8, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    # Online booking of a service that asks a deposit takes this amount by Stripe Checkout.
    deposit_amount = models.DecimalField(
        max_digits=8, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    card_on_file = models.BooleanField(default=False)  # ask every online booking for a card

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(late_cancel_fee__gte=0, no_show_fee__gte=0, deposit_amount__gte=0),
                name="billing_fees_not_negative",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.currency})"


class ProductPrice(models.Model):
    """What a unit of a product costs at the organisation (per syringe for a filler), and its
    price for members."""

    organisation = models.ForeignKey(
        "clinic.Organisation", on_delete=models.CASCADE, related_name="product_prices"
    )
    product = models.CharField(max_length=20, choices=PRODUCT_CHOICES)
    per_unit = models.DecimalField(
        max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    member_per_unit = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    taxable = models.BooleanField(default=False)

    objects = OrganisationScopedManager()
    access_rule = PRICE_RULE
    organisation_field = "organisation"

    class Meta:
        ordering = ["product"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "product"], name="one_price_a_product"),
            models.CheckConstraint(condition=Q(per_unit__gte=0), name="product_price_not_negative"),
            models.CheckConstraint(
                condition=Q(member_per_unit__isnull=True) | Q(member_per_unit__gte=0),
                name="member_price_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_product_display()}: {self.per_unit} a unit"


class SalesTax(models.Model):
    """The sales tax a location charges on taxable lines (percent; its state's rate)."""

    location = models.OneToOneField(
        "clinic.Location", on_delete=models.CASCADE, related_name="sales_tax"
    )
    percent = models.DecimalField(
        max_digits=5,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("20"))],
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__gte=0, percent__lte=20), name="sales_tax_bounded"
            )
        ]

    def __str__(self) -> str:
        return f"{self.location}: {self.percent}%"


class Promotion(models.Model):
    """A code the desk keys in at checkout: a percent or an amount off, between two dates, for
    a number of uses."""

    class Kind(models.TextChoices):
        PERCENT = "percent", "Percent off"
        AMOUNT = "amount", "Amount off"

    organisation = models.ForeignKey(
        "clinic.Organisation", on_delete=models.CASCADE, related_name="promotions"
    )
    code = models.CharField(max_length=30)  # kept upper case
    description = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.DecimalField(max_digits=8, decimal_places=2)
    starts_on = models.DateField()
    ends_on = models.DateField()
    max_uses = models.PositiveIntegerField(null=True, blank=True)
    uses = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    objects = OrganisationScopedManager()
    access_rule = PRICE_RULE
    organisation_field = "organisation"

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="promotion_code_once"),
            models.CheckConstraint(condition=Q(value__gt=0), name="promotion_value_positive"),
            models.CheckConstraint(
                condition=~Q(kind="percent") | Q(value__lte=100), name="promotion_percent_max"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="promotion_dates_in_order"
            ),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(uses__lte=models.F("max_uses")),
                name="promotion_uses_within_max",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class InvoiceFinalized(Exception):
    """A finalized invoice and its lines never change."""


class Invoice(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        FINALIZED = "finalized", "Finalized"
        VOID = "void", "Void"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(max_length=20, null=True, blank=True)  # given when finalized
    organisation = models.ForeignKey(
        "clinic.Organisation", on_delete=models.PROTECT, related_name="invoices"
    )
    location = models.ForeignKey("clinic.Location", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="invoices"
    )
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    treatment = models.OneToOneField(
        "treatments.TreatmentRecord",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoice",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    currency = models.CharField(max_length=3, default="USD")
    tax_percent = models.DecimalField(max_digits=5, decimal_places=3, default=Decimal("0"))
    # Written when finalized, from the lines (money.totals).
    charges = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    discounts = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    tax = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    total = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    created_at = models.DateTimeField(default=timezone.now)
    finalized_at = models.DateTimeField(null=True, blank=True)
    finalized_by = models.ForeignKey(
        "core.StaffMember", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = OrganisationScopedManager()
    access_rule = INVOICE_RULE
    organisation_field = "organisation"

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "number"],
                condition=Q(number__isnull=False),
                name="invoice_number_once",
            ),
            # A finalized invoice has its number; an open one, or one voided while open, none.
            models.CheckConstraint(
                condition=Q(status__in=["open", "void"])
                | Q(number__isnull=False, finalized_at__isnull=False),
                name="finalized_invoice_has_number",
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="invoice_total_not_negative"),
        ]
        indexes = [
            models.Index(fields=["location", "created_at"], name="invoice_location_day"),
            models.Index(fields=["patient", "-created_at"], name="invoice_patient"),
        ]

    def __str__(self) -> str:
        return self.number or f"Open invoice {self.public_id}"

    def save(self, *args, **kwargs):
        if self.pk and Invoice.objects.filter(pk=self.pk).exclude(status="open").exists():
            raise InvoiceFinalized("A finalized invoice never changes; refund or credit instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise InvoiceFinalized("Invoices are never deleted; an open one is voided.")

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class InvoiceLine(models.Model):
    class Kind(models.TextChoices):
        UNITS = "units", "Product units"
        SERVICE = "service", "Service"
        DISCOUNT = "discount", "Discount"
        PROMOTION = "promotion", "Promotion code"
        REWARD = "reward", "Manufacturer reward"

    class Program(models.TextChoices):
        ALLE = "alle", "Allē (Allergan Aesthetics)"
        EVOLUS = "evolus", "Evolus Rewards"
        ASPIRE = "aspire", "Aspire (Galderma)"

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    description = models.CharField(max_length=200)
    product = models.CharField(max_length=20, choices=PRODUCT_CHOICES, blank=True)
    service = models.ForeignKey(
        "clinic.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("1"))
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    amount = models.DecimalField(max_digits=10, decimal_places=2)  # negative for a discount
    taxable = models.BooleanField(default=False)
    charted_units = models.DecimalField(  # for product units: what the chart says
        max_digits=8, decimal_places=2, null=True, blank=True
    )
    reason = models.CharField(max_length=300, blank=True)  # billing other than charted
    program = models.CharField(max_length=10, choices=Program.choices, blank=True)
    code = models.CharField(max_length=60, blank=True)  # the reward's or promotion's code
    promotion = models.ForeignKey(
        Promotion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = RestrictedQuerySet.as_manager()
    access_rule = INVOICE_PART_RULE
    organisation_field = "invoice__organisation"

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position"),
            models.CheckConstraint(
                condition=Q(kind__in=["units", "service"], amount__gte=0, quantity__gt=0)
                | Q(kind__in=["discount", "promotion", "reward"], amount__lte=0),
                name="invoice_line_sign",
            ),
        ]

    def __str__(self) -> str:
        return self.description

    def save(self, *args, **kwargs):
        if self._frozen():
            raise InvoiceFinalized("A finalized invoice's lines never change.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._frozen():
            raise InvoiceFinalized("A finalized invoice's lines never change.")
        return super().delete(*args, **kwargs)

    def _frozen(self) -> bool:
        return Invoice.objects.filter(pk=self.invoice_id).exclude(status="open").exists()


class Payment(models.Model):
    class Method(models.TextChoices):
        CARD = "card", "Card (clinic terminal)"
        CASH = "cash", "Cash"
        GIFT_CARD = "gift_card", "Gift card"
        PACKAGE = "package", "Package units"
        MEMBERSHIP = "membership", "Membership credit"
        ONLINE_CARD = "online_card", "Card online"
        # The visit's deposit, paid online at booking, applied to its invoice (no money moves;
        # `reference` is the deposit's own online card payment's public id).
        DEPOSIT = "deposit", "Deposit paid online"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=12, choices=Method.choices)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    card_last4 = models.CharField(max_length=4, blank=True)
    authorization = models.CharField(max_length=40, blank=True)  # the terminal's code
    reference = models.CharField(max_length=60, blank=True)  # gift card number, provider id
    taken_by = models.ForeignKey(
        "core.StaffMember", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    taken_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    access_rule = INVOICE_PART_RULE
    organisation_field = "invoice__organisation"

    class Meta:
        ordering = ["taken_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive"),
        ]
        indexes = [models.Index(fields=["taken_at"], name="payment_taken_at")]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.amount}"


class Refund(models.Model):
    """Money given back on one payment: never more than that payment less earlier refunds
    (`billing.payments.refund` checks under the invoice's row lock)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    reason = models.CharField(max_length=300)
    refunded_by = models.ForeignKey(
        "core.StaffMember", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    refunded_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    access_rule = AccessRule(
        staff={"view": Capability.TAKE_PAYMENT, "change": Capability.REFUND},
        patient_field="payment__invoice__patient_id",
    )
    organisation_field = "payment__invoice__organisation"

    class Meta:
        ordering = ["refunded_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_positive")]

    def __str__(self) -> str:
        return f"Refund {self.amount}"


class DayCloseChanged(Exception):
    """A recorded close never changes."""


DAY_CLOSE_RULE = AccessRule(
    staff={"view": Capability.TAKE_PAYMENT, "change": Capability.TAKE_PAYMENT},
    patient_actions=frozenset(),
)


class DayClose(models.Model):
    """The desk's close of one location's day: what the card terminal's batch and the cash
    drawer (and the gift card slips) say, beside the takings the system holds for that day in
    the location's zone (payments less refunds, by method), and the differences. Recorded once
    and never changed."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    location = models.ForeignKey("clinic.Location", on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    counted_card = models.DecimalField(max_digits=10, decimal_places=2)
    counted_cash = models.DecimalField(max_digits=10, decimal_places=2)
    counted_gift_card = models.DecimalField(max_digits=10, decimal_places=2)
    takings_card = models.DecimalField(max_digits=10, decimal_places=2)
    takings_cash = models.DecimalField(max_digits=10, decimal_places=2)
    takings_gift_card = models.DecimalField(max_digits=10, decimal_places=2)
    # Money taken by the methods nobody counts at the desk (card online): {method: "amount"}.
    # Payments from prepaid balances (package units, membership credit, a deposit applied) move
    # no money that day and are not takings (decision 0040).
    takings_other = models.JSONField(default=dict, blank=True)
    difference_card = models.DecimalField(max_digits=10, decimal_places=2)
    difference_cash = models.DecimalField(max_digits=10, decimal_places=2)
    difference_gift_card = models.DecimalField(max_digits=10, decimal_places=2)
    note = models.CharField(max_length=500, blank=True)
    closed_by = models.ForeignKey("core.StaffMember", on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    access_rule = DAY_CLOSE_RULE
    organisation_field = "location__organisation"

    class Meta:
        ordering = ["-day", "location"]
        constraints = [
            models.UniqueConstraint(fields=["location", "day"], name="one_close_a_day"),
            models.CheckConstraint(
                condition=Q(counted_card__gte=0, counted_cash__gte=0, counted_gift_card__gte=0),
                name="day_close_counts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.location} closed {self.day}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise DayCloseChanged("A recorded close never changes.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise DayCloseChanged("A recorded close is never deleted.")

    @property
    def has_difference(self) -> bool:
        return any((self.difference_card, self.difference_cash, self.difference_gift_card))
