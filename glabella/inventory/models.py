"""Stock: lots as received, each vial's life from sealed to used up, and every movement of units.

A vial's units never go below zero: the database refuses it (a check constraint), and the
service that draws units locks the vial's row and checks the balance in the same transaction.
Movements are only ever added; a vial's balance is its units less the movements out of it.
"""

import uuid
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from glabella.catalogue.labels import measurable_step
from glabella.catalogue.products import PRODUCT_NAMES
from glabella.core.access import AccessRule, RestrictedQuerySet
from glabella.core.roles import Capability

STOCK_RULE = AccessRule(
    staff={
        "view": Capability.VIEW_CLINIC,
        "change": Capability.MANAGE_STOCK,
        "create": Capability.MANAGE_STOCK,
    },
    patient_actions=frozenset(),
)
UNITS = {"max_digits": 8, "decimal_places": 2}


class Lot(models.Model):
    """One delivery of one lot of one product to one location."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    location = models.ForeignKey("clinic.Location", on_delete=models.PROTECT, related_name="lots")
    product = models.CharField(max_length=20, choices=list(PRODUCT_NAMES.items()))
    ndc = models.CharField("NDC", max_length=20, blank=True)
    lot_number = models.CharField(max_length=40, db_index=True)
    expires_on = models.DateField()
    vial_units = models.PositiveIntegerField(help_text="Units in each vial")
    vials_received = models.PositiveIntegerField()
    supplier = models.CharField(max_length=150)
    invoice = models.CharField(max_length=60, blank=True)
    unit_cost = models.DecimalField(
        max_digits=9, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    received_on = models.DateField()
    received_by = models.ForeignKey("core.StaffMember", on_delete=models.PROTECT, related_name="+")
    seal_checked = models.BooleanField()
    licence_checked = models.BooleanField(help_text="The US licence number on the carton")
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    access_rule = STOCK_RULE
    organisation_field = "location__organisation"

    class Meta:
        ordering = ["expires_on", "lot_number"]
        constraints = [
            models.CheckConstraint(condition=Q(vials_received__gte=1), name="lot_has_vials"),
            models.CheckConstraint(condition=Q(vial_units__gte=1), name="lot_vial_units"),
        ]

    def __str__(self) -> str:
        return f"{self.get_product_display()} lot {self.lot_number}"


class Vial(models.Model):
    class State(models.TextChoices):
        SEALED = "sealed", "Sealed"
        RECONSTITUTED = "reconstituted", "Reconstituted"
        USED_UP = "used_up", "Used up"
        EXPIRED = "expired", "Expired"
        DISCARDED = "discarded", "Discarded"

    OPEN = (State.SEALED, State.RECONSTITUTED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="vials")
    number = models.PositiveIntegerField(help_text="Its number within the delivery")
    state = models.CharField(max_length=16, choices=State.choices, default=State.SEALED)
    units_total = models.DecimalField(**UNITS)
    units_left = models.DecimalField(**UNITS)
    reconstituted_at = models.DateTimeField(null=True, blank=True)
    reconstituted_by = models.ForeignKey(
        "core.StaffMember", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    diluent = models.CharField(max_length=100, blank=True)
    diluent_ml = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    units_per_01ml = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    # A diluent or volume off the label: the warning given and the reason recorded for it.
    dilution_note = models.CharField(max_length=500, blank=True)
    discard_by = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    access_rule = STOCK_RULE
    organisation_field = "lot__location__organisation"

    class Meta:
        ordering = ["lot", "number"]
        constraints = [
            models.CheckConstraint(condition=Q(units_left__gte=0), name="vial_never_negative"),
            models.CheckConstraint(
                condition=Q(units_left__lte=F("units_total")), name="vial_not_above_its_size"
            ),
            models.UniqueConstraint(fields=["lot", "number"], name="vial_number_in_lot"),
        ]
        indexes = [models.Index(fields=["state", "discard_by"], name="vial_state_discard")]

    def __str__(self) -> str:
        return f"{self.lot} vial {self.number}"

    @property
    def product(self) -> str:
        return self.lot.product

    @property
    def unit_step(self) -> Decimal | None:
        """The finest step of units measurable from this vial (None until reconstituted)."""
        if self.units_per_01ml is None:
            return None
        return measurable_step(self.units_per_01ml)


class Movement(models.Model):
    """Units into or out of a vial: drawn for a patient, wasted, or written off."""

    class Kind(models.TextChoices):
        DRAW = "draw", "Drawn for a patient"
        WASTE = "waste", "Wasted"
        DISCARD = "discard", "Discarded with the vial"
        EXPIRED = "expired", "Written off: expired"

    vial = models.ForeignKey(Vial, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    units = models.DecimalField(**UNITS)
    balance_after = models.DecimalField(**UNITS)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        "core.StaffMember", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)

    objects = RestrictedQuerySet.as_manager()
    access_rule = STOCK_RULE
    organisation_field = "vial__lot__location__organisation"

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(units__gt=0), name="movement_positive"),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="movement_balance"),
        ]
        indexes = [models.Index(fields=["patient", "at"], name="movement_patient_at")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.units} U from {self.vial}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Stock movements are never changed; record a new one.")
        super().save(*args, **kwargs)
