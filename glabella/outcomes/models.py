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
