"""The practice: its locations (time zone, hours, area served), rooms and service catalog."""

import uuid
import zoneinfo
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q

from glabella.clinic.areas import area_key
from glabella.core import language
from glabella.core.access import AccessRule, OrganisationScopedManager, RestrictedQuerySet
from glabella.core.models import StaffMember
from glabella.core.roles import Capability, Credential

CLINIC_PUBLIC = AccessRule(
    staff={"view": Capability.VIEW_CLINIC, "change": Capability.MANAGE_CLINIC},
    patient_actions=frozenset(),
    public=frozenset({"view"}),
)
CLINIC_INTERNAL = AccessRule(
    staff={"view": Capability.VIEW_CLINIC, "change": Capability.MANAGE_CLINIC},
    patient_actions=frozenset(),
)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone (e.g. America/Los_Angeles).")


HEX_COLOR = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", "Enter a color as # and six hex digits, e.g. #2f5d62."
)
DEFAULT_MAIN_COLOR = "#2f5d62"
DEFAULT_TEXT_COLOR = "#ffffff"


# The zones of the United States by the names people use; any other zone reads as its IANA name.
US_ZONES = {
    "America/New_York": "Eastern time",
    "America/Chicago": "Central time",
    "America/Denver": "Mountain time",
    "America/Phoenix": "Mountain time, Arizona (no daylight saving)",
    "America/Los_Angeles": "Pacific time",
    "America/Anchorage": "Alaska time",
    "Pacific/Honolulu": "Hawaii time",
}


class Organisation(models.Model):
    """The clinic itself: its name and brand on every page, message and PDF."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=150)
    website = models.URLField(blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164, e.g. +18055550100")
    sender_name = models.CharField(
        max_length=100, blank=True, help_text="Whom the clinic's emails say they are from."
    )
    sender_email = models.EmailField(
        blank=True, help_text="The address the clinic's emails come from."
    )
    main_color = models.CharField(max_length=7, default=DEFAULT_MAIN_COLOR, validators=[HEX_COLOR])
    text_color = models.CharField(
        max_length=7,
        default=DEFAULT_TEXT_COLOR,
        validators=[HEX_COLOR],
        help_text="Text on the main color (the top bar, buttons).",
    )
    logo = models.BinaryField(blank=True, default=b"")
    logo_type = models.CharField(max_length=20, blank=True)
    logo_version = models.CharField(max_length=16, blank=True)
    # The host names its public pages answer on (one deployment, several clinics; decision 0047).
    hosts = models.CharField(
        max_length=500,
        blank=True,
        help_text="Host names, separated by spaces, e.g. book.example-clinic.com; blank in a "
        "one-clinic deployment.",
    )

    objects = OrganisationScopedManager()
    access_rule = CLINIC_PUBLIC
    organisation_field = "pk"

    def __str__(self) -> str:
        return self.name


class Location(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="locations"
    )
    name = models.CharField(max_length=150)
    slug = models.SlugField()  # unique within its clinic (decision 0047)
    address_line1 = models.CharField(max_length=200)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2)
    postal_code = models.CharField(max_length=10)
    phone = models.CharField(max_length=20, help_text="E.164, e.g. +18055550100")
    email = models.EmailField(blank=True)
    directions = models.TextField(
        blank=True,
        max_length=1000,
        help_text="How to find the door, in words (parking, entrance, floor): the public pages "
        "show no map.",
    )
    directions_es = models.TextField(
        blank=True,
        max_length=1000,
        help_text="The same in Spanish, for the Spanish pages (the English is shown if blank).",
    )
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    cancellation_window_hours = models.PositiveSmallIntegerField(
        default=24,
        help_text="Patients may cancel or move a booking online up to this many hours before it.",
    )
    staff = models.ManyToManyField(StaffMember, blank=True, related_name="locations")
    # Who is alerted at once, by text and email, when a patient's report after a treatment here
    # is urgent; unacknowledged, the alert goes on to the medical director, then the owner.
    on_call = models.ManyToManyField(
        StaffMember,
        blank=True,
        related_name="on_call_at",
        help_text="Clinicians alerted at once (text to their mobile, email to their sign-in) "
        "when a patient's report after a treatment here is urgent.",
    )
    active = models.BooleanField(default=True)

    objects = OrganisationScopedManager()
    access_rule = CLINIC_PUBLIC
    organisation_field = "organisation"

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "slug"], name="location_slug_once")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def shown_directions(self) -> str:
        """The directions in the active language: the Spanish ones on a Spanish page when the
        clinic wrote them, else the English."""
        return (language.current() == "es" and self.directions_es.strip()) or self.directions

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def zone_name(self) -> str:
        """The zone as people say it: "Pacific time" (else "Europe: London")."""
        name = US_ZONES.get(self.time_zone)
        return name or self.time_zone.replace("_", " ").replace("/", ": ", 1)

    def serves(self, city_or_zip: str) -> bool:
        """Whether this location serves the city or ZIP code a visitor typed."""
        key = area_key(city_or_zip)
        return key is not None and self.serves_key(key)

    def serves_key(self, key: tuple[str, str]) -> bool:
        """The one rule: its own city and ZIP code, and the areas listed for it
        (read through service_areas.all(), so a prefetch answers it)."""
        own = {area_key(self.city), area_key(self.postal_code)}
        return key in own or any((a.kind, a.key) == key for a in self.service_areas.all())


class OpeningHours(models.Model):
    """One opening interval on a weekday, in the location's own time zone."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0
        TUESDAY = 1
        WEDNESDAY = 2
        THURSDAY = 3
        FRIDAY = 4
        SATURDAY = 5
        SUNDAY = 6

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name = "opening hours"
        verbose_name_plural = "opening hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(opens__lt=F("closes")), name="opening_hours_opens_before_closes"
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="opening_hours_weekday_range"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class ClosedDay(models.Model):
    """A date a location is closed (a holiday): nobody is booked there that day."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="closed_days")
    day = models.DateField()
    reason = models.CharField(max_length=100, blank=True)

    objects = RestrictedQuerySet.as_manager()
    access_rule = CLINIC_PUBLIC
    organisation_field = "location__organisation"

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["location", "day"], name="closed_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.location} closed {self.day}"


class ServiceArea(models.Model):
    """A city or ZIP code that a location serves."""

    class Kind(models.TextChoices):
        CITY = "city", "City"
        ZIP = "zip", "ZIP code"

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="service_areas")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    label = models.CharField(max_length=100)
    key = models.CharField(max_length=100, editable=False)

    class Meta:
        ordering = ["kind", "label"]
        constraints = [
            models.UniqueConstraint(fields=["location", "kind", "key"], name="service_area_unique")
        ]
        indexes = [models.Index(fields=["kind", "key"], name="service_area_lookup")]

    def __str__(self) -> str:
        return self.label

    def save(self, *args, **kwargs):
        key = area_key(self.label)
        if key is None:
            raise ValidationError({"label": "Enter a city name or a five-digit ZIP code."})
        self.kind, self.key = key
        super().save(*args, **kwargs)


class Room(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(max_length=100)
    active = models.BooleanField(default=True)

    objects = RestrictedQuerySet.as_manager()
    access_rule = CLINIC_INTERNAL
    organisation_field = "location__organisation"

    class Meta:
        ordering = ["location__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["location", "name"], name="room_name_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.location})"


class Service(models.Model):
    """Something the clinic offers: how long it takes, what it costs, who may perform it, where."""

    class Kind(models.TextChoices):
        CONSULTATION = "consultation", "Consultation"
        NEUROMODULATOR = "neuromodulator", "Neuromodulator treatment"
        FILLER = "filler", "Dermal filler"
        REVIEW = "review", "Two-week review"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="services"
    )
    name = models.CharField(max_length=100)
    slug = models.SlugField()  # unique within its clinic (decision 0047)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.TextField(blank=True)
    # What Spanish pages show (issue 21); empty: the English above.
    name_es = models.CharField(max_length=100, blank=True)
    description_es = models.TextField(blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    price = models.DecimalField(
        max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    performer_credentials = models.JSONField(
        default=list, help_text='Credentials that may perform it, e.g. ["MD", "NP", "RN"]'
    )
    rooms = models.ManyToManyField(Room, blank=True, related_name="services")
    bookable_online = models.BooleanField(default=False)
    # Booking rules.
    buffer_before_minutes = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(120)],
        help_text="Preparation time the provider and room need before it.",
    )
    buffer_after_minutes = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(120)],
        help_text="Clean-up and notes time the provider and room need after it.",
    )
    lead_time_minutes = models.PositiveIntegerField(
        default=120, help_text="How soon before its start it may still be booked."
    )
    horizon_days = models.PositiveSmallIntegerField(
        default=90, validators=[MinValueValidator(1)], help_text="How far ahead it may be booked."
    )
    consultation_within_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="If set, the patient needs a completed consultation within this many days.",
    )
    deposit_required = models.BooleanField(
        default=False, help_text="Whether booking it will ask for a deposit."
    )
    active = models.BooleanField(default=True)

    objects = OrganisationScopedManager()
    access_rule = CLINIC_PUBLIC
    organisation_field = "organisation"

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "slug"], name="service_slug_once"),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5), name="service_duration_min"
            ),
            # Together at most 12 hours: scheduling.models.MAX_BLOCK relies on it.
            models.CheckConstraint(
                condition=Q(duration_minutes__lte=480), name="service_duration_max"
            ),
            models.CheckConstraint(
                condition=Q(buffer_before_minutes__lte=120, buffer_after_minutes__lte=120),
                name="service_buffers_max",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="service_price_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def shown_name(self) -> str:
        """The name a patient reads in the active language: the Spanish one on a Spanish page
        (or message) when the clinic gave one, else the name."""
        return (language.current() == "es" and self.name_es.strip()) or self.name

    @property
    def shown_description(self) -> str:
        return (language.current() == "es" and self.description_es.strip()) or self.description

    def clean(self) -> None:
        known = set(Credential.values)
        unknown = [c for c in self.performer_credentials or [] if c not in known]
        if unknown or not isinstance(self.performer_credentials, list):
            raise ValidationError(
                {"performer_credentials": f"Unknown credentials: {', '.join(map(str, unknown))}."}
            )

    def can_be_performed_by(self, staff: StaffMember, on_day) -> bool:
        """A clinician whose credential the service accepts and whose licence is current."""
        return (
            staff.active
            and staff.is_clinical
            and staff.credential in (self.performer_credentials or [])
            and staff.licence_current_on(on_day)
        )
