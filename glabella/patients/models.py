"""The patient record: demographics, contacts, clinical history and communication consent."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from glabella.core import phones
from glabella.core.access import (
    AccessRule,
    OrganisationScopedManager,
    RestrictedQuerySet,
    fill_organisation,
)
from glabella.core.roles import Capability
from glabella.patients.search import search_key, sort_key

PATIENT_RULE = AccessRule(
    staff={
        "view": Capability.VIEW_PATIENT,
        "change": Capability.CHANGE_PATIENT,
        "create": Capability.CHANGE_PATIENT,
    },
    patient_field="pk",
)
CLINICAL_RULE = AccessRule(
    staff={
        "view": Capability.VIEW_CLINICAL,
        "change": Capability.CHANGE_CLINICAL,
        "create": Capability.CHANGE_CLINICAL,
    },
    patient_field="patient_id",
)


class Sex(models.TextChoices):
    """Administrative sex, as FHIR's AdministrativeGender."""

    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Not stated")


class PregnancyStatus(models.TextChoices):
    UNKNOWN = "unknown", _("Not asked")
    NOT_PREGNANT = "not_pregnant", _("Not pregnant")
    PREGNANT = "pregnant", _("Pregnant")
    TRYING = "trying", _("Trying to conceive")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class BreastfeedingStatus(models.TextChoices):
    UNKNOWN = "unknown", _("Not asked")
    NO = "no", _("Not breastfeeding")
    YES = "yes", _("Breastfeeding")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message")


class Patient(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="patient_record",
    )
    organisation = models.ForeignKey(
        "clinic.Organisation", on_delete=models.PROTECT, related_name="patients", editable=False
    )
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    birth_date = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)

    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164")
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    emergency_contact_name = models.CharField(max_length=150, blank=True)
    emergency_contact_phone = models.CharField(max_length=20, blank=True)
    preferred_location = models.ForeignKey(
        "clinic.Location", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    pregnancy_status = models.CharField(
        max_length=16, choices=PregnancyStatus.choices, default=PregnancyStatus.UNKNOWN
    )
    pregnancy_recorded_on = models.DateField(null=True, blank=True)
    breastfeeding_status = models.CharField(
        max_length=16, choices=BreastfeedingStatus.choices, default=BreastfeedingStatus.UNKNOWN
    )
    breastfeeding_recorded_on = models.DateField(null=True, blank=True)

    preferred_channel = models.CharField(
        max_length=5, choices=Channel.choices, default=Channel.EMAIL
    )
    # The language her messages and documents are written in (issue 21): chosen when she books or
    # in the portal, changed by the desk.
    language = models.CharField(
        max_length=5, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    email_consent = models.BooleanField(default=False)
    email_consent_at = models.DateTimeField(null=True, blank=True)
    sms_consent = models.BooleanField(default=False)
    sms_consent_at = models.DateTimeField(null=True, blank=True)
    marketing_consent = models.BooleanField(default=False)

    search_text = models.CharField(max_length=400, editable=False, default="")
    family_sort = models.CharField(max_length=100, editable=False, default="")
    given_sort = models.CharField(max_length=100, editable=False, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = OrganisationScopedManager()
    # Old and new values of every change (decision 0024); the derived search keys and the clinic
    # (never edited) are left out.
    history = HistoricalRecords(
        excluded_fields=["search_text", "family_sort", "given_sort", "organisation"]
    )
    access_rule = PATIENT_RULE
    organisation_field = "organisation"

    class Meta:
        ordering = ["family_sort", "given_sort", "id"]
        indexes = [
            models.Index(fields=["family_sort", "given_sort", "id"], name="patient_name_order"),
            models.Index(fields=["birth_date"], name="patient_birth_date"),
            models.Index(fields=["search_text"], name="patient_search_text"),
            # On PostgreSQL a trigram index on search_text too: see migration 0002.
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs):
        fill_organisation(self)
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        if self.preferred_name and self.preferred_name != self.given_name:
            return f"{self.given_name} ({self.preferred_name}) {self.family_name}"
        return f"{self.given_name} {self.family_name}"

    @property
    def phone_display(self) -> str:
        return phones.display(self.phone)

    def age_on(self, day) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))

    def refresh_search_text(self) -> None:
        """Recomputes what the patient is found and sorted by, after names or contacts change."""
        self.search_text = search_key(
            self.given_name,
            self.family_name,
            self.preferred_name,
            phones.national_digits(self.phone),
            self.email,
        )
        self.family_sort = sort_key(self.family_name)
        self.given_sort = sort_key(self.given_name)


class ClinicalEntry(models.Model):
    """What allergies, conditions and medications share: who recorded it, when, from where."""

    class Source(models.TextChoices):
        STAFF = "staff", "Recorded by staff"
        PATIENT = "patient", "Reported by the patient"
        INTAKE = "intake", "Intake questionnaire"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    notes = models.CharField(max_length=500, blank=True)
    active = models.BooleanField(default=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.STAFF)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedQuerySet.as_manager()
    access_rule = CLINICAL_RULE
    organisation_field = "patient__organisation"
    history = HistoricalRecords(inherit=True)  # each allergy, condition, medication (0024)

    class Meta:
        abstract = True
        ordering = ["-active", "name"]

    def __str__(self) -> str:
        return self.name


class Allergy(ClinicalEntry):
    class Severity(models.TextChoices):
        UNKNOWN = "unknown", "Unknown"
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe (anaphylaxis)"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="allergies")
    name = models.CharField(max_length=150, help_text="Substance, e.g. human albumin, cow's milk")
    reaction = models.CharField(max_length=200, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.UNKNOWN)

    class Meta(ClinicalEntry.Meta):
        verbose_name_plural = "allergies"


class Condition(ClinicalEntry):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="conditions")
    name = models.CharField(max_length=150)
    since = models.DateField(null=True, blank=True)


class Medication(ClinicalEntry):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="medications")
    name = models.CharField(max_length=150)
    dose = models.CharField(max_length=100, blank=True)
    since = models.DateField(null=True, blank=True)


CLINICAL_KINDS = {"allergy": Allergy, "condition": Condition, "medication": Medication}

STAFF_NOTE_RULE = AccessRule(
    # A note by staff for staff: the desk reads and writes it; patients never see it.
    staff={
        "view": Capability.VIEW_PATIENT,
        "create": Capability.CHANGE_PATIENT,
    },
    patient_actions=frozenset(),
)


class StaffNote(models.Model):
    """A short free-text note by a staff member on a patient ("prefers mornings", "call before
    4 pm"): who wrote it and when. Never edited; a correction is a new note."""

    MAX_LENGTH = 1000

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="staff_notes")
    text = models.TextField(max_length=MAX_LENGTH)
    author = models.ForeignKey(
        "core.StaffMember", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(max_length=200, help_text="The author's name when writing")
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    access_rule = STAFF_NOTE_RULE
    organisation_field = "patient__organisation"

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["patient", "-created_at"], name="staff_note_patient")]

    def __str__(self) -> str:
        return f"Note by {self.author_name} ({self.created_at:%Y-%m-%d})"
