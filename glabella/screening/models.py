"""Candidacy records: intake answers, clinic-policy switches, signed decisions and consents.

Every row here is a record someone gave or signed: it is written once and never changed (the
models refuse it, and database triggers refuse it under them, see core.migration_ops). A change
of mind is a new row: new answers, a new decision that points to the one it amends, a withdrawal
of a consent. Foreign keys from these rows PROTECT what they point to.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from glabella.catalogue.areas import ALL_AREA_NAMES
from glabella.catalogue.products import PRODUCT_NAMES
from glabella.core.access import SHARED, AccessRule, RestrictedQuerySet
from glabella.core.roles import Capability


class ChangeRefused(Exception):
    """An attempt to edit or delete a signed record."""


class SignedQuerySet(RestrictedQuerySet):
    def update(self, **kwargs):
        raise ChangeRefused(f"{self.model.__name__} rows never change; add a new row instead.")

    def delete(self):
        raise ChangeRefused(f"{self.model.__name__} rows are never deleted.")


class SignedRecord(models.Model):
    objects = SignedQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ChangeRefused(f"{type(self).__name__} rows never change; add a new row instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ChangeRefused(f"{type(self).__name__} rows are never deleted.")


class Via(models.TextChoices):
    # The labels print on the signed consent's PDF, in the language signed.
    PORTAL = "portal", _("Patient portal")
    LINK = "link", _("Link sent to the patient")
    TABLET = "tablet", _("Clinic tablet")
    STAFF = "staff", _("Entered by staff")
    API = "api", _("API")


INTAKE_RULE = AccessRule(
    staff={"view": Capability.VIEW_CLINICAL, "create": Capability.CHANGE_CLINICAL},
    patient_field="patient_id",
    patient_actions=frozenset({"view", "create"}),
)
DECISION_RULE = AccessRule(
    staff={"view": Capability.VIEW_CLINICAL, "create": Capability.SIGN_DECISION},
    patient_field="patient_id",
)
CONSENT_RULE = AccessRule(
    # Whether a consent is signed is what the front desk needs to know; its text is the clinic's.
    staff={"view": Capability.VIEW_PATIENT},
    patient_field="patient_id",
    patient_actions=frozenset({"view", "create"}),
)


class Questionnaire(models.Model):
    """One version of the intake questionnaire, with its questions as they were asked."""

    version = models.PositiveIntegerField(unique=True)
    definition = models.JSONField()
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"Intake questionnaire v{self.version}"


class IntakeResponse(SignedRecord):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="intake_responses"
    )
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="+")
    answers = models.JSONField()
    submitted_at = models.DateTimeField(default=timezone.now)
    via = models.CharField(max_length=10, choices=Via.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    ip = models.GenericIPAddressField(null=True, blank=True)

    access_rule = INTAKE_RULE
    organisation_field = "patient__organisation"

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["patient", "-submitted_at"], name="intake_patient_at")]

    def __str__(self) -> str:
        return f"Intake of {self.submitted_at:%Y-%m-%d}"


class PolicyChange(SignedRecord):
    """The medical director switched a clinic-policy rule on or off. The latest row per rule is
    in force; a rule with no row is on."""

    rule_id = models.CharField(max_length=60)
    enabled = models.BooleanField()
    reason = models.CharField(max_length=300)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    at = models.DateTimeField(default=timezone.now)

    access_rule = AccessRule(
        staff={"view": Capability.VIEW_CLINICAL, "create": Capability.SET_SCREENING_POLICY}
    )
    organisation_field = SHARED

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["rule_id", "-at"], name="policy_rule_at")]

    def __str__(self) -> str:
        return f"{self.rule_id} {'on' if self.enabled else 'off'} ({self.at:%Y-%m-%d})"


class ReviewSetting(SignedRecord):
    """The medical director set whether a label precaution needs review before a decision (on)
    or is shown as a warning only (off). The latest row per rule is in force; a rule with no row
    keeps the label's default (rules.DEFAULT_REVIEW)."""

    rule_id = models.CharField(max_length=60)
    needs_review = models.BooleanField()
    reason = models.CharField(max_length=300)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    at = models.DateTimeField(default=timezone.now)

    access_rule = AccessRule(
        staff={"view": Capability.VIEW_CLINICAL, "create": Capability.SET_SCREENING_POLICY}
    )
    organisation_field = SHARED

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["rule_id", "-at"], name="review_rule_at")]

    def __str__(self) -> str:
        state = "needs review" if self.needs_review else "warning only"
        return f"{self.rule_id} {state} ({self.at:%Y-%m-%d})"


class CandidacyDecision(SignedRecord):
    """A prescriber's signed decision, per product and area, after the consultation."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="candidacy_decisions"
    )
    intake = models.ForeignKey(IntakeResponse, on_delete=models.PROTECT, related_name="+")
    signed_by = models.ForeignKey("core.StaffMember", on_delete=models.PROTECT, related_name="+")
    signer_label = models.CharField(max_length=200, help_text="Name and credential at signing")
    signed_at = models.DateTimeField(default=timezone.now)
    expires_on = models.DateField()
    note = models.TextField(blank=True)
    evaluation = models.JSONField(help_text="Verdict and findings per product at signing")
    signature = models.JSONField(help_text="The rule outcomes this decision was made on")
    policies_off = models.JSONField(default=list)
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="amended_by"
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    # What the signature means, in the words shown at signing (core.signing.statement); nullable
    # so the column is added without rebuilding the signed table (SQLite would drop its trigger).
    attestation = models.TextField(null=True, blank=True)

    access_rule = DECISION_RULE
    organisation_field = "patient__organisation"

    class Meta:
        ordering = ["-signed_at", "-id"]
        indexes = [models.Index(fields=["patient", "-signed_at"], name="decision_patient_at")]

    def __str__(self) -> str:
        return f"Candidacy decision of {self.signed_at:%Y-%m-%d} by {self.signer_label}"


class DecisionLine(SignedRecord):
    decision = models.ForeignKey(CandidacyDecision, on_delete=models.PROTECT, related_name="lines")
    product = models.CharField(max_length=20, choices=list(PRODUCT_NAMES.items()))
    area = models.CharField(max_length=20, choices=[(str(k), v) for k, v in ALL_AREA_NAMES.items()])
    allowed = models.BooleanField()
    verdict = models.CharField(max_length=20, help_text="The engine's verdict for the product")
    reason = models.CharField(max_length=500, blank=True)
    # An area not on this product's label, decided as such: the off-label record is the line
    # (product, area), its rationale and the decision's signer and time (`off_label_record`).
    off_label = models.BooleanField(default=False)
    rationale = models.CharField(max_length=500, blank=True)

    access_rule = AccessRule(
        staff={"view": Capability.VIEW_CLINICAL}, patient_field="decision__patient_id"
    )
    organisation_field = "decision__patient__organisation"

    class Meta:
        ordering = ["decision", "product", "area"]
        constraints = [
            models.UniqueConstraint(
                fields=["decision", "product", "area"], name="decision_line_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.product} {self.area}: {'allowed' if self.allowed else 'declined'}"

    def off_label_record(self) -> dict | None:
        """The structured off-label record: area, product, rationale, who decided and when."""
        if not self.off_label:
            return None
        decision = self.decision
        return {
            "product": self.product,
            "area": self.area,
            "area_name": self.get_area_display(),
            "allowed": self.allowed,
            "rationale": self.rationale,
            "decided_by": decision.signer_label,
            "decided_by_id": decision.signed_by_id,
            "decided_at": decision.signed_at,
        }


class ConsentKind(models.TextChoices):
    NEUROMODULATOR = "neuromodulator", "Neuromodulator treatment"
    FILLER = "filler", "Dermal filler treatment"
    PHOTO = "photo", "Clinical photographs"


# The languages a consent text is published in (settings.LANGUAGES' codes).
CONSENT_LANGUAGES = [(code, name) for code, name in settings.LANGUAGES]


class ConsentDocument(SignedRecord):
    """One published version of a consent text in one language. A new version is a new row;
    versions are counted per kind and language."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=20, choices=ConsentKind.choices)
    language = models.CharField(max_length=5, choices=CONSENT_LANGUAGES, default="en")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    text_sha256 = models.CharField(max_length=64)
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200)

    access_rule = AccessRule(
        staff={"view": Capability.VIEW_PATIENT, "create": Capability.MANAGE_CONSENT_FORMS},
        public=frozenset({"view"}),
    )
    organisation_field = SHARED

    class Meta:
        ordering = ["kind", "language", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "language", "version"], name="consent_document_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} (version {self.version})"


class SignedConsent(SignedRecord):
    class Method(models.TextChoices):
        DRAWN = "drawn", "Typed name and drawn signature"
        TYPED = "typed", "Typed name adopted as signature"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="consents"
    )
    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT, related_name="+")
    typed_name = models.CharField(max_length=200)
    method = models.CharField(max_length=10, choices=Method.choices)
    strokes = models.JSONField(default=list, help_text="The drawn signature, 0-1000 per axis")
    signed_at = models.DateTimeField(default=timezone.now)
    via = models.CharField(max_length=10, choices=Via.choices)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    text_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the exact text signed")
    # The language of the text actually signed (the document's, with its off-label paragraph).
    language = models.CharField(max_length=5, choices=CONSENT_LANGUAGES, default="en")
    pdf = models.BinaryField()
    pdf_sha256 = models.CharField(max_length=64)
    actor_label = models.CharField(max_length=200)
    # The off-label areas the signed text's off-label paragraph named (none: no paragraph).
    off_label_areas = models.JSONField(default=list, blank=True)
    # The Medication Guide the patient was given before signing (treatment consents).
    medication_guide = models.CharField(
        max_length=20, blank=True, choices=list(PRODUCT_NAMES.items())
    )
    medication_guide_version = models.CharField(max_length=150, blank=True)

    access_rule = CONSENT_RULE
    organisation_field = "patient__organisation"

    class Meta:
        ordering = ["-signed_at", "-id"]
        indexes = [models.Index(fields=["patient", "-signed_at"], name="consent_patient_at")]

    def __str__(self) -> str:
        return f"{self.document.title} signed {self.signed_at:%Y-%m-%d}"


class ConsentWithdrawal(SignedRecord):
    consent = models.OneToOneField(
        SignedConsent, on_delete=models.PROTECT, related_name="withdrawal"
    )
    at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=300, blank=True)
    via = models.CharField(max_length=10, choices=Via.choices)
    actor_label = models.CharField(max_length=200)

    access_rule = AccessRule(
        staff={"view": Capability.VIEW_PATIENT, "create": Capability.CHANGE_PATIENT},
        patient_field="consent__patient_id",
        patient_actions=frozenset({"view", "create"}),
    )
    organisation_field = "consent__patient__organisation"

    def __str__(self) -> str:
        return f"Withdrawal of {self.consent_id} ({self.at:%Y-%m-%d})"
