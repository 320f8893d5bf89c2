"""Providers' working hours, appointments, the waitlist, booking idempotency and calendar feeds.

An appointment holds two ranges: the visit itself [starts_at, ends_at), which the patient
attends, and the time it blocks for its provider and room [blocked_from, blocked_until), which
adds the service's buffers. On PostgreSQL, exclusion constraints (migration 0002) forbid two
live appointments that overlap for one provider, one room or one patient.
"""

import hashlib
import secrets
import uuid
from datetime import timedelta

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from glabella.clinic.models import Location, OpeningHours, Room, Service
from glabella.core.access import AccessRule, RestrictedQuerySet
from glabella.core.models import StaffMember
from glabella.core.roles import Capability
from glabella.patients.models import Patient

APPOINTMENT_RULE = AccessRule(
    staff={
        "view": Capability.VIEW_PATIENT,
        "change": Capability.CHANGE_PATIENT,
        "create": Capability.CHANGE_PATIENT,
    },
    patient_field="patient_id",
    patient_actions=frozenset({"view", "change"}),
)
SCHEDULE_RULE = AccessRule(
    staff={"view": Capability.VIEW_CLINIC, "change": Capability.MANAGE_CLINIC},
    patient_actions=frozenset(),
)


Weekday = OpeningHours.Weekday  # 0 = Monday, as date.weekday() counts


class WeeklyHours(models.Model):
    """A provider's working interval, or break, on a weekday at a location (local wall time)."""

    class Kind(models.TextChoices):
        WORK = "work", "Working"
        BREAK = "break", "Break"

    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="weekly_hours")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="weekly_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    kind = models.CharField(max_length=5, choices=Kind.choices, default=Kind.WORK)
    starts = models.TimeField()
    ends = models.TimeField()

    objects = RestrictedQuerySet.as_manager()
    access_rule = SCHEDULE_RULE
    organisation_field = "staff__organisation"

    class Meta:
        ordering = ["staff", "weekday", "starts"]
        verbose_name = "weekly hours"
        verbose_name_plural = "weekly hours"
        indexes = [models.Index(fields=["location", "staff"], name="weekly_hours_lookup")]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts__lt=F("ends")), name="weekly_hours_starts_before_ends"
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="weekly_hours_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.staff} {self.get_weekday_display()} {self.starts:%H:%M}-{self.ends:%H:%M}"


class ScheduleException(models.Model):
    """One date that differs from a provider's week: time off (all or part of it), extra hours."""

    class Kind(models.TextChoices):
        TIME_OFF = "time_off", "Time off"
        EXTRA = "extra", "Extra hours"

    staff = models.ForeignKey(
        StaffMember, on_delete=models.CASCADE, related_name="schedule_exceptions"
    )
    location = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text="Extra hours need a location; time off applies everywhere when left empty.",
    )
    day = models.DateField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    starts = models.TimeField(null=True, blank=True)
    ends = models.TimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    objects = RestrictedQuerySet.as_manager()
    access_rule = SCHEDULE_RULE
    organisation_field = "staff__organisation"

    class Meta:
        ordering = ["day", "starts"]
        indexes = [models.Index(fields=["staff", "day"], name="schedule_exception_lookup")]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts__isnull=True, ends__isnull=True)
                | Q(starts__isnull=False, ends__isnull=False, starts__lt=F("ends")),
                name="schedule_exception_times",
            ),
            models.CheckConstraint(
                condition=~Q(kind="extra") | Q(starts__isnull=False, location__isnull=False),
                name="schedule_exception_extra_has_times",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff} {self.get_kind_display().lower()} {self.day}"


class Status(models.TextChoices):
    BOOKED = "booked", "Booked"
    CHECKED_IN = "checked_in", "Checked in"
    COMPLETED = "completed", "Completed"
    CANCELLED_BY_PATIENT = "cancelled_by_patient", "Canceled by patient"
    CANCELLED_BY_CLINIC = "cancelled_by_clinic", "Canceled by clinic"
    NO_SHOW = "no_show", "No-show"


CANCELLED = (Status.CANCELLED_BY_PATIENT, Status.CANCELLED_BY_CLINIC)
# Appointments that still hold their time (the exclusion constraints' WHERE clause).
LIVE_Q = ~Q(status__in=CANCELLED)


# No appointment blocks more than this (the catalog caps a service at 8 hours and each buffer
# at 2): overlap queries bound their range scans with it, so they read only the rows near the
# time asked about, however long the history grows.
MAX_BLOCK = timedelta(hours=12)


def blocking_q(start, end, prefix: str = "") -> Q:
    """Appointments whose blocked time (buffers included) overlaps [start, end)."""
    return Q(
        **{
            f"{prefix}blocked_from__lt": end,
            f"{prefix}blocked_from__gt": start - MAX_BLOCK,
            f"{prefix}blocked_until__gt": start,
        }
    )


def attending_q(start, end) -> Q:
    """Appointments whose visit itself overlaps [start, end) (what the patient attends)."""
    return Q(starts_at__lt=end, starts_at__gt=start - MAX_BLOCK, ends_at__gt=start)


class AppointmentQuerySet(RestrictedQuerySet):
    def live(self):
        return self.filter(LIVE_Q)

    def blocking(self, start, end):
        return self.filter(blocking_q(start, end))

    def attending(self, start, end):
        return self.filter(attending_q(start, end))


class Appointment(models.Model):
    class Source(models.TextChoices):
        ONLINE = "online", "Online booking"
        STAFF = "staff", "Staff"
        API = "api", "API"
        PORTAL = "portal", "Patient portal"
        INVITATION = "invited", "The clinic's invitation back"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="appointments")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="appointments")
    provider = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="appointments")
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    blocked_from = models.DateTimeField()
    blocked_until = models.DateTimeField()
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.BOOKED)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.STAFF)
    note = models.CharField(max_length=500, blank=True)
    booked_at = models.DateTimeField(default=timezone.now)
    booked_by = models.ForeignKey(
        StaffMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    times_rescheduled = models.PositiveSmallIntegerField(default=0)
    # The patient said she is coming (a reply "C" to a text); a move asks her again.
    confirmed_at = models.DateTimeField(null=True, blank=True)

    objects = AppointmentQuerySet.as_manager()
    history = HistoricalRecords()  # old and new values of every change (decision 0024)
    access_rule = APPOINTMENT_RULE
    organisation_field = "patient__organisation"

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["provider", "blocked_from"], name="appt_provider_time"),
            models.Index(fields=["room", "blocked_from"], name="appt_room_time"),
            models.Index(fields=["patient", "starts_at"], name="appt_patient_time"),
            models.Index(fields=["location", "starts_at"], name="appt_location_time"),
            models.Index(fields=["status", "starts_at"], name="appt_status_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=F("ends_at")), name="appointment_starts_before_ends"
            ),
            models.CheckConstraint(
                condition=Q(blocked_from__lte=F("starts_at"), blocked_until__gte=F("ends_at")),
                name="appointment_block_covers_visit",
            ),
        ]

    def __str__(self) -> str:
        at = self.starts_at.astimezone(self.location.zone)  # the location's clock, as people read
        return f"{self.service} for {self.patient}, {at:%b} {at.day}, {at.year}, {at:%-I:%M %p}"

    @property
    def is_live(self) -> bool:
        return self.status not in CANCELLED

    @property
    def local_start(self):
        return self.starts_at.astimezone(self.location.zone)

    @property
    def local_end(self):
        return self.ends_at.astimezone(self.location.zone)


class WaitlistEntry(models.Model):
    """A patient who wants an earlier or any time for a service; offered freed slots in order."""

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting"
        OFFERED = "offered", "Offered a time"
        BOOKED = "booked", "Booked"
        WITHDRAWN = "withdrawn", "Withdrawn"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="waitlist")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    provider = models.ForeignKey(
        StaffMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    earliest = models.DateField()
    latest = models.DateField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    created_at = models.DateTimeField(default=timezone.now)
    offered_at = models.DateTimeField(null=True, blank=True)
    offered_start = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_reason = models.CharField(max_length=300, blank=True)

    objects = RestrictedQuerySet.as_manager()
    history = HistoricalRecords()  # old and new values of every change (decision 0024)
    access_rule = APPOINTMENT_RULE
    organisation_field = "patient__organisation"

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["service", "state", "created_at"], name="waitlist_queue")]
        constraints = [
            models.CheckConstraint(
                condition=Q(earliest__lte=F("latest")), name="waitlist_earliest_before_latest"
            )
        ]

    def __str__(self) -> str:
        return f"{self.patient} waiting for {self.service} ({self.state})"


class IdempotentRequest(models.Model):
    """The first answer to a request sent with an Idempotency-Key, replayed on a retry."""

    scope = models.CharField(max_length=64)  # who sent it: token or user
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)  # the request it answered
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotent_request_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class CalendarFeed(models.Model):
    """A private iCalendar URL for one provider's appointments; revoked by setting revoked_at."""

    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="calendar_feeds")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"calendar feed for {self.staff}"

    @staticmethod
    def digest_of(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, staff: StaffMember) -> tuple["CalendarFeed", str]:
        token = secrets.token_urlsafe(32)
        return cls.objects.create(staff=staff, digest=cls.digest_of(token)), token
