"""Outcomes: the wrinkle grades given before and after a treatment (never changed once written;
a correction is a newer grade)."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from glabella.core.access import RestrictedQuerySet
from glabella.outcomes.scores import AREAS, GRADES, SCALE, SCALE_VERSION, Rater, State
from glabella.patients.models import CLINICAL_RULE


class Score(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    treatment = models.ForeignKey(
        "treatments.TreatmentRecord", on_delete=models.PROTECT, related_name="scores"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    area = models.CharField(max_length=20, choices=list(AREAS.items()))
    state = models.CharField(max_length=12, choices=[(s.value, s.value) for s in State])
    rater = models.CharField(max_length=10, choices=[(r.value, r.value) for r in Rater])
    grade = models.PositiveSmallIntegerField(choices=list(GRADES.items()))
    scale = models.CharField(max_length=10, default=SCALE)
    scale_version = models.CharField(max_length=80, default=SCALE_VERSION)
    scored_on = models.DateField()
    day = models.SmallIntegerField(help_text="Days after the treatment; 0 or less is baseline")
    recorded_by = models.ForeignKey(
        "core.StaffMember", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    via = models.CharField(max_length=10)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    access_rule = CLINICAL_RULE
    organisation_field = "patient__organisation"

    class Meta:
        ordering = ["treatment", "area", "day", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(grade__lte=3), name="score_grade_0_to_3"),
        ]
        indexes = [models.Index(fields=["treatment", "area"], name="score_treatment_area")]

    def __str__(self) -> str:
        return f"{self.area} {self.state} by {self.rater}: {self.grade} (day {self.day})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("A grade is never changed; record a newer one.")
        super().save(*args, **kwargs)


class Forecast(models.Model):
    """When a signed treatment is expected to wear off, and from when to invite the patient back.
    Derived data: recomputed whenever what it rests on changes; `current` marks the patient's
    newest treatment, the one the due list looks at."""

    treatment = models.OneToOneField(
        "treatments.TreatmentRecord", on_delete=models.CASCADE, related_name="forecast"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey("clinic.Location", on_delete=models.PROTECT, related_name="+")
    injector = models.ForeignKey("core.StaffMember", on_delete=models.PROTECT, related_name="+")
    product = models.CharField(max_length=20)
    treated_on = models.DateField()
    area = models.CharField(max_length=24, help_text="The area expected to wear off first")
    days = models.PositiveSmallIntegerField()
    low_days = models.PositiveSmallIntegerField()
    high_days = models.PositiveSmallIntegerField()
    wear_off_on = models.DateField()
    low_on = models.DateField()
    high_on = models.DateField()
    invite_from = models.DateField()
    areas = models.JSONField(default=dict, help_text="Each treated area's forecast")
    basis = models.CharField(max_length=200)
    current = models.BooleanField(default=True)
    computed_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    access_rule = CLINICAL_RULE
    organisation_field = "patient__organisation"

    class Meta:
        ordering = ["invite_from", "id"]
        indexes = [
            # The due list: one location's current forecasts by when to invite.
            models.Index(
                fields=["location", "invite_from"],
                condition=Q(current=True),
                name="forecast_due",
            ),
            models.Index(fields=["patient", "current"], name="forecast_patient"),
        ]

    def __str__(self) -> str:
        return f"Wears off about {self.wear_off_on} ({self.low_on} to {self.high_on})"


# ---------------------------------------------------------------- photos


class View(models.TextChoices):
    """The standard views: each shows one area at rest or at work, always framed the same."""

    REST = "rest", "At rest, face forward"
    FROWN = "frown", "Maximum frown"
    BROW_RAISE = "brow_raise", "Brows raised"
    SMILE_LEFT = "smile_left", "Full smile, left side"
    SMILE_RIGHT = "smile_right", "Full smile, right side"


VIEW_AREAS = {
    View.REST: ("glabellar", "forehead", "lateral_canthal"),
    View.FROWN: ("glabellar",),
    View.BROW_RAISE: ("forehead",),
    View.SMILE_LEFT: ("lateral_canthal",),
    View.SMILE_RIGHT: ("lateral_canthal",),
}


class Photo(models.Model):
    """A clinical photo of one standard view, before or after a treatment: cleaned by
    `aftercare.photos.clean` (upright, 2048 px, JPEG, no metadata), with its thumbnail. Taken only
    under the patient's photo consent, which it names; never changed."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    treatment = models.ForeignKey(
        "treatments.TreatmentRecord", on_delete=models.PROTECT, related_name="photos"
    )
    view = models.CharField(max_length=12, choices=View.choices)
    taken_on = models.DateField()
    day = models.SmallIntegerField(help_text="Days after the treatment; 0 or less is before it")
    data = models.BinaryField()
    thumbnail = models.BinaryField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    consent = models.ForeignKey(
        "screening.SignedConsent", on_delete=models.PROTECT, related_name="+"
    )
    taken_by = models.ForeignKey("core.StaffMember", on_delete=models.PROTECT, related_name="+")
    via = models.CharField(max_length=10)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    access_rule = CLINICAL_RULE
    organisation_field = "patient__organisation"

    class Meta:
        ordering = ["taken_on", "view", "id"]
        indexes = [models.Index(fields=["patient", "taken_on"], name="photo_patient_day")]

    def __str__(self) -> str:
        return f"{self.get_view_display()} on {self.taken_on}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("A clinical photo is never changed.")
        super().save(*args, **kwargs)


# ---------------------------------------------------------------- durations


class Course(models.Model):
    """How long one treated area of one signed treatment lasted: opened when it is signed, it
    records the onset (the day-14 check-in), and either when movement returned (`lasted_days`)
    or how long it was known still to work (`working_at_days`, a censored observation: the
    patient said "not yet", or was treated again before it wore off)."""

    class End(models.TextChoices):
        OPEN = "open", "Still followed"
        RETURNED = "returned", "Movement returned"
        RETREATED = "retreated", "Treated again before it wore off"
        LOST = "lost", "No answer since"

    treatment = models.ForeignKey(
        "treatments.TreatmentRecord", on_delete=models.CASCADE, related_name="courses"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    product = models.CharField(max_length=20)
    area = models.CharField(max_length=24)
    treated_on = models.DateField()
    dose_ratio = models.FloatField()
    age = models.FloatField()
    count = models.PositiveSmallIntegerField(help_text="Earlier sessions treating this area")
    onset_day = models.SmallIntegerField(null=True, blank=True)
    returned_on = models.DateField(null=True, blank=True)
    lasted_days = models.SmallIntegerField(null=True, blank=True)
    working_at_days = models.SmallIntegerField(null=True, blank=True)
    end = models.CharField(max_length=10, choices=End.choices, default=End.OPEN)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    access_rule = CLINICAL_RULE
    organisation_field = "patient__organisation"

    class Meta:
        ordering = ["treated_on", "area", "id"]
        constraints = [
            models.UniqueConstraint(fields=["treatment", "area"], name="course_per_area"),
        ]
        indexes = [models.Index(fields=["patient", "area", "end"], name="course_patient_area")]

    def __str__(self) -> str:
        if self.lasted_days is not None:
            return f"{self.area}: lasted {self.lasted_days} days"
        return f"{self.area}: {self.get_end_display().lower()}"


class MovementCheck(models.Model):
    """A light monthly question from month 2: "can you frown fully again?" per treated area,
    reached by a signed link. Scheduled one at a time until every area has returned."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        ANSWERED = "answered", "Answered"
        MISSED = "missed", "Missed"
        CLOSED = "closed", "No longer needed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    treatment = models.ForeignKey(
        "treatments.TreatmentRecord", on_delete=models.CASCADE, related_name="movement_checks"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    day = models.PositiveSmallIntegerField(help_text="Days after the treatment")
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    answers = models.JSONField(default=dict, help_text="Per area: returned or working")
    answered_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    access_rule = CLINICAL_RULE
    organisation_field = "patient__organisation"

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["treatment", "day"], name="movement_check_per_day")
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="movement_check_due")]

    def __str__(self) -> str:
        return f"Day {self.day} movement check"


class ModelFit(models.Model):
    """The clinic's duration model fitted from its courses (nightly); the newest finished one is
    the one forecasts use."""

    day = models.DateField(unique=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    beta = models.JSONField(default=list)
    tau2 = models.FloatField(null=True, blank=True)
    sigma2 = models.FloatField(null=True, blank=True)
    courses = models.PositiveIntegerField(default=0)
    patients = models.PositiveIntegerField(default=0)
    refreshed = models.PositiveIntegerField(default=0, help_text="Forecasts recomputed after it")

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"Model of {self.day} ({self.courses} courses)"


# ---------------------------------------------------------------- invitations


class Invitation(models.Model):
    """The one invitation back for a treatment (the database allows no second): sent, or
    recorded as not sent because the patient has not agreed to be contacted."""

    class Status(models.TextChoices):
        SENT = "sent", "Sent"
        NO_CONSENT = "no_consent", "Not sent: no consent to messages"
        BOOKED = "booked", "Booked from the invitation"
        PORTAL = "portal", "Opened by the patient in the portal"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    treatment = models.OneToOneField(
        "treatments.TreatmentRecord", on_delete=models.CASCADE, related_name="invitation"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey("clinic.Location", on_delete=models.PROTECT, related_name="+")
    injector = models.ForeignKey("core.StaffMember", on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(
        "clinic.Service", null=True, on_delete=models.PROTECT, related_name="+"
    )
    book_from = models.DateField(help_text="The forecast's invite date: never before the label")
    status = models.CharField(max_length=12, choices=Status.choices)
    channel = models.CharField(max_length=5, blank=True)
    appointment = models.ForeignKey(
        "scheduling.Appointment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The staff member who invited from the due list; none when the scheduler sent it.
    sent_by = models.ForeignKey(
        "core.StaffMember", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedQuerySet.as_manager()
    access_rule = CLINICAL_RULE
    organisation_field = "patient__organisation"

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Invitation of {self.created_at:%Y-%m-%d} ({self.status})"
