"""Prepaid packages and memberships: the plans the owner sets, what each patient holds, and
their ledgers (`billing.models` re-exports them; the services are `packages.py` and
`memberships.py`).

Every change to a balance is a ledger row carrying the balance after it; the balance itself
never goes below zero (a check constraint here, and the services change it only under the row's
lock, as inventory does a vial's units).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from glabella.catalogue.products import PRODUCT_NAMES
from glabella.core.access import AccessRule, OrganisationScopedManager, RestrictedQuerySet
from glabella.core.roles import Capability

PRODUCT_CHOICES = [(str(k), v) for k, v in PRODUCT_NAMES.items()]
# Plans are prices: the desk reads them, the owner sets them, the public site may show them.
PLAN_RULE = AccessRule(
    staff={"view": Capability.TAKE_PAYMENT, "change": Capability.SET_PRICES},
    public=frozenset({"view"}),
)

PACKAGE_RULE = AccessRule(
    staff={
        "view": Capability.TAKE_PAYMENT,
        "change": Capability.TAKE_PAYMENT,
        "refund": Capability.REFUND,
    },
    patient_field="patient_id",
)
MAX_VALID_DAYS = 3650  # a package is good for at most ten years


class PackagePlan(models.Model):
    """What the clinic sells prepaid: `units` of a product (50 units of Botox) or `units`
    visits of a service (three consultations), for `price`, good for `valid_days` from when
    it is paid."""

    organisation = models.ForeignKey(
        "clinic.Organisation", on_delete=models.CASCADE, related_name="package_plans"
    )
    name = models.CharField(max_length=100)
    product = models.CharField(max_length=20, choices=PRODUCT_CHOICES, blank=True)
    service = models.ForeignKey(
        "clinic.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    units = models.DecimalField(max_digits=8, decimal_places=2)  # units, or visits of a service
    price = models.DecimalField(max_digits=10, decimal_places=2)
    valid_days = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_VALID_DAYS)]
    )
    active = models.BooleanField(default=True)

    objects = OrganisationScopedManager()
    access_rule = PLAN_RULE
    organisation_field = "organisation"

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="package_plan_name_once"),
            models.CheckConstraint(
                condition=(Q(service__isnull=True) & ~Q(product=""))
                | (Q(service__isnull=False) & Q(product="")),
                name="package_plan_product_or_service",
            ),
            models.CheckConstraint(condition=Q(units__gt=0), name="package_plan_units_positive"),
            models.CheckConstraint(condition=Q(price__gt=0), name="package_plan_price_positive"),
            models.CheckConstraint(
                condition=Q(valid_days__gte=1, valid_days__lte=MAX_VALID_DAYS),
                name="package_plan_valid_days_bounded",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PatientPackage(models.Model):
    """A package a patient bought: pending until the invoice it was sold on is paid in full,
    then active until its balance is used up or it expires."""

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting payment"
        ACTIVE = "active", "Active"
        USED_UP = "used_up", "Used up"
        EXPIRED = "expired", "Expired"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="packages"
    )
    plan = models.ForeignKey(PackagePlan, on_delete=models.PROTECT, related_name="sold")
    units = models.DecimalField(max_digits=8, decimal_places=2)  # bought
    balance = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0"))
    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, related_name="packages_sold"
    )
    # The sale's line: removing it from the open invoice takes the (pending) package with it.
    invoice_line = models.OneToOneField(
        "billing.InvoiceLine", null=True, on_delete=models.CASCADE, related_name="package"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    sold_at = models.DateTimeField(default=timezone.now)
    activated_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    access_rule = PACKAGE_RULE
    organisation_field = "patient__organisation"

    class Meta:
        ordering = ["-sold_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="package_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(balance__lte=models.F("units")), name="package_balance_within_bought"
            ),
            models.CheckConstraint(condition=Q(units__gt=0), name="package_units_positive"),
        ]
        indexes = [models.Index(fields=["patient", "status"], name="package_patient_status")]

    def __str__(self) -> str:
        return f"{self.plan}: {self.balance.normalize():f} of {self.units.normalize():f} left"


class PackageEntry(models.Model):
    """One change to a package's balance: units bought (when paid), redeemed on an invoice
    line, adjusted or refunded with a reason, expired."""

    class Kind(models.TextChoices):
        BOUGHT = "bought", "Bought"
        REDEEMED = "redeemed", "Redeemed"
        ADJUSTED = "adjusted", "Adjusted"
        REFUNDED = "refunded", "Refunded"
        EXPIRED = "expired", "Expired"

    package = models.ForeignKey(PatientPackage, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    units = models.DecimalField(max_digits=8, decimal_places=2)  # signed: + in, - out
    balance_after = models.DecimalField(max_digits=8, decimal_places=2)
    invoice_line = models.ForeignKey(
        "billing.InvoiceLine", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payment = models.ForeignKey(
        "billing.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)
    by = models.ForeignKey(
        "core.StaffMember", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    access_rule = AccessRule(
        staff={"view": Capability.TAKE_PAYMENT, "change": Capability.TAKE_PAYMENT},
        patient_field="package__patient_id",
    )
    organisation_field = "package__patient__organisation"

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="package_entry_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(kind="bought", units__gt=0)
                | Q(kind__in=["redeemed", "expired"], units__lt=0)
                | Q(kind__in=["adjusted", "refunded"]) & ~Q(units=0),
                name="package_entry_sign",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.units.normalize():f}"


class MembershipPlan(models.Model):
    """A monthly plan: its fee, member prices (each product's `ProductPrice.member_per_unit`,
    else `percent_off` the list price) and a credit of units of one product each month."""

    organisation = models.ForeignKey(
        "clinic.Organisation", on_delete=models.CASCADE, related_name="membership_plans"
    )
    name = models.CharField(max_length=100)
    monthly_fee = models.DecimalField(max_digits=10, decimal_places=2)
    percent_off = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    credit_product = models.CharField(max_length=20, choices=PRODUCT_CHOICES, blank=True)
    monthly_credit = models.DecimalField(
        max_digits=8, decimal_places=2, default=Decimal("0")
    )  # units of credit_product granted each month
    active = models.BooleanField(default=True)

    objects = OrganisationScopedManager()
    access_rule = PLAN_RULE
    organisation_field = "organisation"

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="membership_plan_name_once"
            ),
            models.CheckConstraint(condition=Q(monthly_fee__gt=0), name="membership_fee_positive"),
            models.CheckConstraint(
                condition=Q(percent_off__isnull=True) | Q(percent_off__gt=0, percent_off__lte=100),
                name="membership_percent_bounded",
            ),
            models.CheckConstraint(
                condition=Q(monthly_credit=0) | (Q(monthly_credit__gt=0) & ~Q(credit_product="")),
                name="membership_credit_has_product",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A patient's membership: active (charged and credited each calendar month in its
    location's zone), paused (neither) or cancelled (for good; unused credit lapses)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        CANCELLED = "cancelled", "Canceled"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="memberships"
    )
    plan = models.ForeignKey(MembershipPlan, on_delete=models.PROTECT, related_name="members")
    location = models.ForeignKey("clinic.Location", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    started_on = models.DateField()
    paused_on = models.DateField(null=True, blank=True)
    cancelled_on = models.DateField(null=True, blank=True)
    credit_balance = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0"))

    objects = RestrictedQuerySet.as_manager()
    access_rule = PACKAGE_RULE
    organisation_field = "patient__organisation"

    class Meta:
        ordering = ["-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=~Q(status="cancelled"),
                name="one_live_membership",
            ),
            models.CheckConstraint(
                condition=Q(credit_balance__gte=0), name="membership_credit_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(status="paused") | Q(paused_on__isnull=False),
                name="paused_membership_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | Q(cancelled_on__isnull=False),
                name="cancelled_membership_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} ({self.get_status_display()})"


class MembershipEntry(models.Model):
    """One change to a membership: the month's credit granted and fee charged (once a month:
    the unique `period`), credit spent on an invoice line, paused, resumed, cancelled, credit
    adjusted by the owner with a reason."""

    class Kind(models.TextChoices):
        CREDIT_GRANTED = "credit", "Monthly credit granted"
        FEE_CHARGED = "fee", "Monthly fee charged"
        CREDIT_SPENT = "spent", "Credit spent"
        PAUSED = "paused", "Paused"
        RESUMED = "resumed", "Resumed"
        CANCELLED = "cancelled", "Canceled"
        ADJUSTED = "adjusted", "Credit adjusted"

    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    units = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0"))  # signed
    balance_after = models.DecimalField(max_digits=8, decimal_places=2)
    period = models.DateField(null=True, blank=True)  # the month's first day, for credit and fee
    amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)  # fee
    invoice = models.ForeignKey(
        "billing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    invoice_line = models.ForeignKey(
        "billing.InvoiceLine", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payment = models.ForeignKey(
        "billing.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)
    by = models.ForeignKey(
        "core.StaffMember", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    access_rule = AccessRule(
        staff={"view": Capability.TAKE_PAYMENT, "change": Capability.TAKE_PAYMENT},
        patient_field="membership__patient_id",
    )
    organisation_field = "membership__patient__organisation"

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "kind", "period"],
                condition=Q(kind__in=["credit", "fee"]),
                name="membership_month_once",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["credit", "fee"]) | Q(period__isnull=False),
                name="membership_month_has_period",
            ),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="membership_entry_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(kind="credit", units__gte=0)
                | Q(kind__in=["spent", "cancelled"], units__lte=0)
                | Q(kind__in=["fee", "paused", "resumed"], units=0)
                | Q(kind="adjusted") & ~Q(units=0),
                name="membership_entry_sign",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.units.normalize():f}"
