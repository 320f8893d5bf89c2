"""Aftercare: the instructions a clinic sends after a treatment, the check-ins that follow it,
what patients report, and the alerts that put a report in front of a clinician.

Reports are records of what a patient said: written once, never changed. An alert stays open
until a clinician acknowledges it; the follow-up (contact, advice, outcome) is added beside it.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from glabella.aftercare.form3500 import CHALLENGE_LABELS, OUTCOME_LABELS
from glabella.catalogue.areas import PLAIN_AREA_NAMES, both_sides
from glabella.catalogue.products import PRODUCT_NAMES
from glabella.core.access import SHARED, AccessRule, RestrictedQuerySet
from glabella.core.roles import Capability
from glabella.patients.models import CLINICAL_RULE

# Reports, check-ins and alerts are clinical history: the patient record's rule.
CLINICAL = CLINICAL_RULE


# The areas an aftercare text can be written for: the chart's areas, both sides of the eyes as one.
AREAS = PLAIN_AREA_NAMES


def area_of(chart_area: str) -> str | None:
    """The aftercare area of a charted point (None for 'other')."""
    area = both_sides(chart_area)
    return area if area in AREAS else None


class Instructions(models.Model):
    """A version of an aftercare text in one language: the general text (no area) for a product
    or for any neuromodulator (blank product), or a note added for an area. Versions are never
    changed; a new one replaces the last of its product, area and language, and a version that is
    not `active` withdraws a product's or an area's own text so that the more general one
    applies."""

    product = models.CharField(max_length=20, choices=list(PRODUCT_NAMES.items()), blank=True)
    area = models.CharField(max_length=20, choices=list(AREAS.items()), blank=True)
    # The language it is written in: a patient is sent the versions in hers (issue 21).
    language = models.CharField(max_length=5, choices=list(settings.LANGUAGES), default="en")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    active = models.BooleanField(default=True)
    published_at = models.DateTimeField(default=timezone.now)
    actor_label = models.CharField(max_length=200)

    objects = RestrictedQuerySet.as_manager()
    access_rule = AccessRule(
        staff={"view": Capability.VIEW_PATIENT, "create": Capability.MANAGE_CONSENT_FORMS},
        public=frozenset({"view"}),
    )
    organisation_field = SHARED

    class Meta:
        ordering = ["product", "area", "language", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "area", "language", "version"], name="instructions_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} (version {self.version})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("A published aftercare text is never changed; publish a new version.")
        super().save(*args, **kwargs)


class Sent(models.Model):
    """The aftercare texts a treatment's patient was sent (the versions of that day), which the
    portal shows again."""

    treatment = models.OneToOneField(
        "treatments.TreatmentRecord", on_delete=models.PROTECT, related_name="aftercare"
    )
    texts = models.ManyToManyField(Instructions, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    access_rule = AccessRule(staff=CLINICAL.staff, patient_field="treatment__patient_id")
    organisation_field = "treatment__patient__organisation"

    def __str__(self) -> str:
        return f"Aftercare sent {self.sent_at:%Y-%m-%d}"


class CheckIn(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        SUBMITTED = "submitted", "Answered"
        MISSED = "missed", "Missed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    treatment = models.ForeignKey(
        "treatments.TreatmentRecord", on_delete=models.PROTECT, related_name="check_ins"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    day = models.PositiveSmallIntegerField(help_text="Days after the treatment")
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    reminded_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    access_rule = CLINICAL
    organisation_field = "patient__organisation"

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["treatment", "day"], name="one_check_in_per_day")
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="check_in_due")]

    def __str__(self) -> str:
        return f"Day {self.day} check-in"


class Report(models.Model):
    """What the patient said at a check-in (or staff took down on a call)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    check_in = models.ForeignKey(
        CheckIn, null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    treatment = models.ForeignKey(
        "treatments.TreatmentRecord",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    symptoms = models.JSONField(default=list)
    severity = models.CharField(max_length=10, blank=True)
    started_on = models.DateField(null=True, blank=True)
    getting_better = models.BooleanField(null=True)
    free_text = models.TextField(blank=True)
    effect_shows = models.BooleanField(null=True)
    satisfied = models.BooleanField(null=True)
    urgency = models.CharField(max_length=10)
    reasons = models.JSONField(default=list)
    submitted_at = models.DateTimeField(default=timezone.now)
    via = models.CharField(max_length=10, default="link")

    objects = RestrictedQuerySet.as_manager()
    access_rule = CLINICAL
    organisation_field = "patient__organisation"

    class Meta:
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return f"Report of {self.submitted_at:%Y-%m-%d} ({self.urgency})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("A patient's report is never changed.")
        super().save(*args, **kwargs)


class ReportPhoto(models.Model):
    """The photo a patient sent with a report, as cleaned by `photos.clean` (no metadata)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.OneToOneField(Report, on_delete=models.PROTECT, related_name="photo")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    data = models.BinaryField()
    content_type = models.CharField(max_length=40, default="image/jpeg")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    objects = RestrictedQuerySet.as_manager()
    access_rule = CLINICAL
    organisation_field = "patient__organisation"

    def __str__(self) -> str:
        return f"Photo {self.width}x{self.height}"


class Alert(models.Model):
    """A report a clinician must act on: urgent ones first, then reviews by when they are due."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.OneToOneField(Report, on_delete=models.PROTECT, related_name="alert")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    urgency = models.CharField(max_length=10)
    opened_at = models.DateTimeField(default=timezone.now)
    due_by = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    contact = models.TextField(blank=True, help_text="Who spoke to the patient, how, when")
    advice = models.TextField(blank=True)
    outcome = models.TextField(blank=True)
    # How far it has gone: the last level told (on call, medical director, owner; blank while
    # nobody could be reached), and when, unacknowledged, it goes to the next one.
    level = models.CharField(max_length=20, blank=True)
    escalate_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    access_rule = CLINICAL
    organisation_field = "patient__organisation"

    class Meta:
        ordering = ["acknowledged_at", "-urgency", "due_by"]
        indexes = [
            models.Index(fields=["acknowledged_at", "due_by"], name="alert_open_due"),
            models.Index(fields=["acknowledged_at", "escalate_at"], name="alert_escalation_due"),
        ]

    def __str__(self) -> str:
        return f"{self.urgency} alert of {self.opened_at:%Y-%m-%d %H:%M}"


class Notice(models.Model):
    """One person told of an alert, one way, at one time: who was told is a record, shown on
    the board and to the patient, never a claim. The message is the outbox row that carries it
    (its status says whether it has gone)."""

    class Level(models.TextChoices):
        ON_CALL = "on_call", "On call"
        MEDICAL_DIRECTOR = "medical_director", "Medical director"
        OWNER = "owner", "Owner"

    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, related_name="notices")
    level = models.CharField(max_length=20, choices=Level.choices)
    staff = models.ForeignKey(
        "core.StaffMember", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(max_length=150)
    channel = models.CharField(max_length=5)
    to = models.CharField(max_length=254)
    message = models.ForeignKey(
        "messaging.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField()

    objects = RestrictedQuerySet.as_manager()
    access_rule = AccessRule(staff=CLINICAL.staff, patient_field="alert__patient_id")
    organisation_field = "alert__patient__organisation"

    class Meta:
        ordering = ["sent_at", "id"]

    def __str__(self) -> str:
        return f"{self.name} by {self.channel} at {self.sent_at:%Y-%m-%d %H:%M}"


class AdverseEvent(models.Model):
    """A clinician's record of an adverse event, shaped like FDA MedWatch Form 3500."""

    class Outcome(models.TextChoices):
        """Section B2: every box the form has (the labels are the form's, in form3500)."""

        DEATH = "death", OUTCOME_LABELS["death"]
        LIFE_THREATENING = "life_threatening", OUTCOME_LABELS["life_threatening"]
        HOSPITALISATION = "hospitalisation", OUTCOME_LABELS["hospitalisation"]
        DISABILITY = "disability", OUTCOME_LABELS["disability"]
        CONGENITAL_ANOMALY = "congenital_anomaly", OUTCOME_LABELS["congenital_anomaly"]
        INTERVENTION = "intervention", OUTCOME_LABELS["intervention"]
        OTHER_SERIOUS = "other_serious", OUTCOME_LABELS["other_serious"]
        NONE = "none", OUTCOME_LABELS["none"]

    class Challenge(models.TextChoices):
        YES = "yes", CHALLENGE_LABELS["yes"]
        NO = "no", CHALLENGE_LABELS["no"]
        DOES_NOT_APPLY = "doesnt_apply", CHALLENGE_LABELS["doesnt_apply"]

    class Causality(models.TextChoices):
        CERTAIN = "certain", "Certain"
        PROBABLE = "probable", "Probable"
        POSSIBLE = "possible", "Possible"
        UNLIKELY = "unlikely", "Unlikely"
        UNASSESSED = "unassessed", "Not yet assessed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    treatment = models.ForeignKey(
        "treatments.TreatmentRecord", on_delete=models.PROTECT, related_name="adverse_events"
    )
    report = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.PROTECT, related_name="adverse_events"
    )
    source = models.CharField(max_length=10, help_text="check-in, call or visit")
    description = models.TextField()
    onset_on = models.DateField()
    outcomes = models.JSONField(default=list, help_text="The MedWatch outcome boxes ticked")
    resolved = models.BooleanField(null=True)
    causality = models.CharField(max_length=12, choices=Causality.choices)
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    died_on = models.DateField(null=True, blank=True, help_text="B2: with the outcome death")
    relevant_tests = models.JSONField(
        default=list, blank=True, help_text="B6: [{test, result, on}], as the clinician gave them"
    )
    relevant_history = models.JSONField(
        null=True,
        blank=True,
        help_text="B7: lines as the clinician kept them; null: read from the record at export",
    )
    dechallenge = models.CharField(
        max_length=12, blank=True, choices=Challenge.choices, help_text="D9; blank: not answered"
    )
    rechallenge = models.CharField(
        max_length=12, blank=True, choices=Challenge.choices, help_text="D10; blank: not answered"
    )
    product_returned_on = models.DateField(
        null=True, blank=True, help_text="C: the day the product went back to its maker"
    )
    reporter = models.ForeignKey("core.StaffMember", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    reported_to_fda_on = models.DateField(null=True, blank=True)
    reported_to_maker_on = models.DateField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    history = HistoricalRecords()  # its follow-ups, old and new values (decision 0024)
    access_rule = CLINICAL
    organisation_field = "patient__organisation"

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Adverse event of {self.onset_on}"
