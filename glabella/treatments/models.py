"""Treatment records: what was injected where, from which vial, by whom, signed and locked.

A draft record is the injector's working chart. Locking it draws every point's units from the
vial (in that transaction) and freezes it: the models refuse changes, and database triggers
refuse them too (see migration 0002). Corrections and additions are amendments: new records that
point to the one they amend and are shown beside it. The clinic's house doses are an append-only
list of changes, the latest per product and area in force.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from glabella.catalogue.areas import HOUSE_AREA_NAMES, ChartArea
from glabella.catalogue.products import PRODUCT_NAMES
from glabella.core.access import SHARED, AccessRule, RestrictedQuerySet
from glabella.core.roles import Capability

TREATMENT_RULE = AccessRule(
    staff={
        "view": Capability.VIEW_CLINICAL,
        "create": Capability.CHART,
        "change": Capability.CHART,
    },
    patient_field="patient_id",
)


class RecordLocked(Exception):
    """An attempt to change a locked treatment record."""


class ProtocolChange(models.Model):
    """The medical director set (or cleared) the clinic's house maximum for a product's area: a
    label area or an off-label one (`labels.HOUSE_AREAS`), in a session and in one point."""

    product = models.CharField(max_length=20, choices=list(PRODUCT_NAMES.items()))
    area = models.CharField(max_length=20, choices=list(HOUSE_AREA_NAMES.items()))
    house_max = models.DecimalField(
        max_digits=7, decimal_places=2, null=True, blank=True, help_text="Empty: the default"
    )
    point_max = models.DecimalField(
        max_digits=7, decimal_places=2, null=True, blank=True, help_text="Empty: the default"
    )
    reason = models.CharField(max_length=300)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    access_rule = AccessRule(
        staff={"view": Capability.VIEW_CLINICAL, "create": Capability.SET_PROTOCOL}
    )
    organisation_field = SHARED

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.product} {self.area}: {self.house_max or 'label'} ({self.at:%Y-%m-%d})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RecordLocked("Protocol changes are never edited; record a new one.")
        super().save(*args, **kwargs)


class TreatmentRecord(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        LOCKED = "locked", "Signed and locked"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    appointment = models.ForeignKey(
        "scheduling.Appointment", on_delete=models.PROTECT, related_name="treatments"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="treatments"
    )
    injector = models.ForeignKey("core.StaffMember", on_delete=models.PROTECT, related_name="+")
    supervisor = models.ForeignKey(
        "core.StaffMember", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    product = models.CharField(max_length=20, choices=list(PRODUCT_NAMES.items()))
    vial = models.ForeignKey(
        "inventory.Vial", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    notes_before = models.TextField(blank=True)
    notes_after = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(default=timezone.now)
    locked_at = models.DateTimeField(null=True, blank=True)
    guard = models.JSONField(default=list, help_text="The dose guard's findings at locking")
    reasons = models.JSONField(default=dict, help_text="The reason given for each warning")
    # The dose guard's level at locking (ok, warn or block), shown with `guard` and never
    # worked out again. Nullable so the column is added without rebuilding the locked table
    # (SQLite would drop its triggers); records signed before it hold only their findings.
    guard_level = models.CharField(max_length=10, null=True, blank=True)
    # Why the record was opened for a visit that was not checked in (the desk forgot).
    charting_reason = models.CharField(max_length=300, null=True, blank=True)
    decision = models.ForeignKey(
        "screening.CandidacyDecision",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    consent = models.ForeignKey(
        "screening.SignedConsent",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    amends = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="amendments"
    )
    # The platysma bands seen on each side (1 or 2), which set the label's neck dose. Checked by
    # the service: a check constraint would make SQLite rebuild the table and lose its trigger.
    platysma_bands_left = models.PositiveSmallIntegerField(null=True, blank=True)
    platysma_bands_right = models.PositiveSmallIntegerField(null=True, blank=True)
    # What the signature means, in the words shown at signing (core.signing.statement). Nullable
    # so the column is added without rebuilding the table; records signed before it hold none.
    attestation = models.TextField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    access_rule = TREATMENT_RULE
    organisation_field = "patient__organisation"

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment"],
                condition=Q(amends__isnull=True),
                name="one_record_per_appointment",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(locked_at__isnull=False),
                name="locked_has_time",
            ),
        ]
        indexes = [models.Index(fields=["patient", "-created_at"], name="treatment_patient")]

    def __str__(self) -> str:
        on = timezone.localtime(self.created_at)  # the active zone: the clinic's on a page
        return f"{self.get_product_display()} on {on:%b} {on.day}, {on.year}"

    def save(self, *args, **kwargs):
        if (
            not self._state.adding
            and type(self).objects.filter(pk=self.pk, status=self.Status.LOCKED).exists()
        ):
            raise RecordLocked("A locked treatment record never changes; amend it instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RecordLocked("Treatment records are never deleted.")

    @property
    def locked(self) -> bool:
        return self.status == self.Status.LOCKED

    @property
    def platysma_bands(self) -> tuple[int, int] | None:
        if self.platysma_bands_left is None or self.platysma_bands_right is None:
            return None
        return self.platysma_bands_left, self.platysma_bands_right


class RecordVial(models.Model):
    """A vial a record draws from, in the order they are used: each point is drawn whole from
    the first that still holds enough for it (`draws.allocate`). The record's `vial` is the
    first of them."""

    record = models.ForeignKey(TreatmentRecord, on_delete=models.PROTECT, related_name="drawn")
    vial = models.ForeignKey("inventory.Vial", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()

    objects = RestrictedQuerySet.as_manager()
    access_rule = AccessRule(
        staff={"view": Capability.VIEW_CLINICAL, "change": Capability.CHART},
        patient_field="record__patient_id",
    )
    organisation_field = "record__patient__organisation"

    class Meta:
        ordering = ["record", "position"]
        constraints = [
            models.UniqueConstraint(fields=["record", "vial"], name="record_vial_once"),
            models.UniqueConstraint(fields=["record", "position"], name="record_vial_position"),
        ]

    def __str__(self) -> str:
        return f"{self.record} vial {self.position + 1}"


class InjectionPoint(models.Model):
    record = models.ForeignKey(TreatmentRecord, on_delete=models.PROTECT, related_name="points")
    area = models.CharField(max_length=24, choices=[(a.value, a.value) for a in ChartArea])
    # Where on the face chart, as fractions of its width and height.
    x = models.DecimalField(
        max_digits=5, decimal_places=4, validators=[MinValueValidator(0), MaxValueValidator(1)]
    )
    y = models.DecimalField(
        max_digits=5, decimal_places=4, validators=[MinValueValidator(0), MaxValueValidator(1)]
    )
    units = models.DecimalField(max_digits=7, decimal_places=2)
    depth = models.CharField(max_length=60, blank=True)
    movement = models.OneToOneField(
        "inventory.Movement", null=True, blank=True, on_delete=models.PROTECT, related_name="point"
    )

    objects = RestrictedQuerySet.as_manager()
    access_rule = AccessRule(
        staff={"view": Capability.VIEW_CLINICAL, "change": Capability.CHART},
        patient_field="record__patient_id",
    )
    organisation_field = "record__patient__organisation"

    class Meta:
        ordering = ["record", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(units__gt=0), name="point_units_positive"),
            models.CheckConstraint(
                condition=Q(x__gte=0, x__lte=1, y__gte=0, y__lte=1), name="point_on_the_chart"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.area}: {self.units} U"


class CoSignature(models.Model):
    """The medical director's co-signature on a draft whose plan goes above a ceiling (the
    label's dose or the house maximum): it covers the plan as it stood (`plan_sha256`) and the
    ceilings it was shown, and lifts them at signing only while the plan is unchanged. Never
    changed (the database refuses it, migration 0003)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    record = models.ForeignKey(
        TreatmentRecord, on_delete=models.PROTECT, related_name="cosignatures"
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ForeignKey("core.StaffMember", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=30)
    actor_label = models.CharField(max_length=200)
    plan_sha256 = models.CharField(max_length=64)
    ceilings = models.JSONField(default=list, help_text="The findings co-signed")
    note = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)
    attestation = models.TextField(null=True, blank=True)  # what the co-signature means

    objects = RestrictedQuerySet.as_manager()
    access_rule = AccessRule(
        staff={"view": Capability.VIEW_CLINICAL, "create": Capability.SET_PROTOCOL},
        patient_field="record__patient_id",
    )
    organisation_field = "record__patient__organisation"

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Co-signed by {self.actor_label} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RecordLocked("A co-signature never changes; record a new one.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RecordLocked("Co-signatures are never deleted.")
