"""Staff accounts with their roles and credentials, API tokens, and the access log."""

import hashlib
import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django_otp.models import Device, ThrottlingMixin, TimestampMixin

from glabella.core import phones
from glabella.core.access import OrganisationScopedManager, fill_organisation
from glabella.core.roles import CLINICAL_ROLES, PRESCRIBING_CREDENTIALS, Credential, Role
from glabella.core.text import INVISIBLE_FORMATTING_MESSAGE, has_invisible_formatting


def validate_plain_name(value: str) -> None:
    """A name holds no invisible formatting characters (core/text.py, decision 0026)."""
    if has_invisible_formatting(value):
        raise ValidationError(INVISIBLE_FORMATTING_MESSAGE, code="invisible_formatting")


class StaffMember(models.Model):
    """A person who works at the clinic: their role decides what they may see and do."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="staff"
    )
    organisation = models.ForeignKey(
        "clinic.Organisation",
        on_delete=models.PROTECT,
        related_name="staff_members",
        editable=False,
    )
    full_name = models.CharField(max_length=150, validators=[validate_plain_name])
    role = models.CharField(max_length=32, choices=Role.choices)
    credential = models.CharField(max_length=4, choices=Credential.choices, blank=True)
    licence_number = models.CharField(max_length=40, blank=True)
    licence_state = models.CharField(max_length=2, blank=True, help_text="US state, e.g. CA")
    licence_expires = models.DateField(null=True, blank=True)
    supervising_prescriber = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="supervisees"
    )
    mobile_phone = models.CharField(
        max_length=20,
        blank=True,
        help_text="E.164, e.g. +18055550134: where an urgent aftercare alert is texted when this "
        "person is on call (their email is their sign-in's).",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Minimum necessary: an owner sees clinical data only while the medical director grants it.
    clinical_access_granted_at = models.DateTimeField(null=True, blank=True, editable=False)
    clinical_access_granted_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    objects = OrganisationScopedManager()
    organisation_field = "organisation"

    class Meta:
        ordering = ["full_name"]

    def __str__(self) -> str:
        suffix = f", {self.credential}" if self.credential else ""
        return f"{self.full_name}{suffix}"

    def save(self, *args, **kwargs):
        fill_organisation(self)
        super().save(*args, **kwargs)

    @property
    def is_clinical(self) -> bool:
        return self.role in CLINICAL_ROLES

    def licence_current_on(self, day) -> bool:
        return bool(self.licence_number and self.licence_expires and self.licence_expires >= day)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.mobile_phone:
            try:
                self.mobile_phone = phones.to_e164(self.mobile_phone)
            except phones.InvalidPhone as exc:
                errors["mobile_phone"] = str(exc)
        if self.licence_state and not (
            len(self.licence_state) == 2 and self.licence_state.isalpha()
        ):
            errors["licence_state"] = "Use the two-letter state code, for example CA."
        if self.role in CLINICAL_ROLES:
            if not self.credential:
                errors["credential"] = "A clinician needs a credential (MD, DO, NP, PA or RN)."
            if not self.licence_number:
                errors["licence_number"] = "A clinician needs a license number."
            if not self.licence_state:
                errors["licence_state"] = "A clinician needs the license's state."
            if not self.licence_expires:
                errors["licence_expires"] = "A clinician needs the license's expiry date."
        if self.role == Role.MEDICAL_DIRECTOR and self.credential not in {
            Credential.MD,
            Credential.DO,
        }:
            errors.setdefault("credential", "The medical director must be an MD or DO.")
        if self.credential == Credential.RN and self.role in CLINICAL_ROLES:
            sup = self.supervising_prescriber
            if sup is None:
                errors["supervising_prescriber"] = "An RN injector needs a supervising prescriber."
            elif (
                sup.credential not in PRESCRIBING_CREDENTIALS
                or sup is self
                or (sup.pk is not None and sup.pk == self.pk)
            ):
                errors["supervising_prescriber"] = (
                    "The supervising prescriber must be another MD, DO, NP or PA."
                )
        if errors:
            raise ValidationError(errors)


class ApiTokenQuerySet(models.QuerySet):
    def live(self, now=None):
        """Tokens that still open the API: not revoked, not expired, their user still active."""
        return self.filter(
            revoked_at__isnull=True,
            expires_at__gt=now or timezone.now(),
            user__is_active=True,
        )


class ApiToken(models.Model):
    """A bearer token for an integration; only its SHA-256 digest is stored."""

    PREFIX = "glb_"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12, help_text="The first characters, to recognize it by.")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # What the token may do: capability values, never more than its user's role holds.
    scope = models.JSONField(default=list, blank=True)
    expires_at = models.DateTimeField(null=True)  # null only on tokens from before expiry

    objects = ApiTokenQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @staticmethod
    def digest_of(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def issue(cls, user, name: str, *, scope: list[str], expires_at) -> tuple["ApiToken", str]:
        """Creates a token and returns it with the raw secret, which is shown once only.
        The rules (scope within the role, expiry bounds) are `core.tokens.issue`'s."""
        raw = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            name=name,
            digest=cls.digest_of(raw),
            hint=raw[:10],
            scope=sorted(scope),
            expires_at=expires_at,
        )
        return token, raw

    def state_on(self, now) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at is None or self.expires_at <= now:
            return "expired"
        return "live"


class LicenceReminder(models.Model):
    """A reminder sent that a staff member's licence expires: one per licence expiry date and
    number of days before it, so each threshold is reminded once (a renewed licence anew)."""

    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="+")
    expires_on = models.DateField()
    days_before = models.PositiveIntegerField()  # 0: the licence has expired
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["staff", "expires_on", "days_before"], name="core_licence_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.staff}: {self.days_before} days before {self.expires_on}"


class AccessLog(models.Model):
    """One row per read or write of patient data: who, in which role, what, when, from where.

    Rows are only ever added. The patient is kept by public id, not by foreign key, so the log
    outlives anything that happens to the rows it speaks of.
    """

    class Action(models.TextChoices):
        CREATE = "create", "Created"
        READ = "read", "Viewed"
        UPDATE = "update", "Changed"
        DELETE = "delete", "Removed"
        SEARCH = "search", "Searched"
        EXPORT = "export", "Exported"
        REFUSED = "refused", "Refused"

    class Channel(models.TextChoices):
        WEB = "web", "Web"
        API = "api", "API"
        PORTAL = "portal", "Patient portal"
        COMMAND = "command", "Command"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    actor_role = models.CharField(max_length=32)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    action = models.CharField(max_length=10, choices=Action.choices)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64, blank=True)
    patient_public_id = models.UUIDField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["patient_public_id", "-at"], name="accesslog_patient_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Access log rows are never changed.")
        super().save(*args, **kwargs)

    @property
    def object_words(self) -> str:
        """What the row is about, as words for people ("clinical photo"); old rows used . and _."""
        return self.object_type.replace("-", " ").replace("_", " ").replace(".", " ")


class Attempt(models.Model):
    """One use of a public form, by a key (an email or an address, stored only as a digest):
    what `core.throttle` counts."""

    scope = models.CharField(max_length=20)
    key = models.CharField(max_length=64)  # SHA-256 hex of the folded email or address
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["scope", "key", "at"], name="core_attempt_key_at")]

    def __str__(self) -> str:
        return f"{self.scope} at {self.at:%Y-%m-%d %H:%M:%S}"


# --- Two-factor sign-in: backup codes -------------------------------------------------------
# django-otp's own static tokens are stored as typed; these are kept as SHA-256 digests only
# (each code carries 80 random bits, so a digest is as safe as the API tokens' above).


class BackupCodes(TimestampMixin, ThrottlingMixin, Device):
    """A staff member's one-use backup codes, as one django-otp device: each code signs in
    once, when the app or passkey is not at hand."""

    class Meta:
        verbose_name = "backup codes"
        verbose_name_plural = "backup codes"

    def get_throttle_factor(self) -> int:
        return getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1)

    @staticmethod
    def digest_of(code: str) -> str:
        folded = "".join(ch for ch in code.lower() if ch.isalnum())
        return hashlib.sha256(folded.encode()).hexdigest()

    def verify_token(self, token) -> bool:
        """Uses up the matching code (django-otp's contract: a token verifies once)."""
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        used = self.codes.filter(digest=self.digest_of(str(token))).delete()[0]
        if used:
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save()
        else:
            self.throttle_increment()
        return bool(used)


class BackupCode(models.Model):
    device = models.ForeignKey(BackupCodes, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"backup code {self.digest[:8]}…"


# ---- signing: re-authentication to sign (issue 18, point 4) ----


class SigningPin(models.Model):
    """A staff member's own short signing PIN, stored only as a hash (Django's hashers): what
    they may type instead of their password when they sign (`core.signing`)."""

    staff = models.OneToOneField(StaffMember, on_delete=models.CASCADE, related_name="signing_pin")
    pin_hash = models.CharField(max_length=256)
    set_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Signing PIN of {self.staff}"
