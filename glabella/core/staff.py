"""Staff management, the owner's: the team list, invitations, changes to a person's role and
licence, switching an account off and on, resetting their second factor, opening a locked
sign-in; and the medical director's grant of clinical access to the owner (minimum necessary).

Every act checks the actor's capability, validates field by field (`ValidationFailed`, nothing
written) and writes its change with its access-log row in one transaction. Emails go through
Django's email backend after the write (core sits below messaging).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes, force_str
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode

from glabella.core import audit, brand, lockout, two_factor
from glabella.core.access import Actor
from glabella.core.audit import Action, Kind
from glabella.core.db import write_transaction
from glabella.core.errors import Conflict, Forbidden, ValidationFailed
from glabella.core.models import ApiToken, StaffMember
from glabella.core.roles import PRESCRIBING_CREDENTIALS, Capability, Credential, Role
from glabella.core.text import INVISIBLE_FORMATTING_MESSAGE, has_invisible_formatting

# A licence expiry date a person can record: within ten years either side of today.
LICENCE_YEARS = 10
EDITABLE = (
    "full_name",
    "role",
    "credential",
    "licence_number",
    "licence_state",
    "licence_expires",
    "supervising_prescriber",
    "mobile_phone",
)
LinkFor = Callable[[str, str], str]  # (uidb64, token) -> the absolute set-password address


def _require(actor: Actor, capability: Capability = Capability.MANAGE_CLINIC) -> None:
    if not actor.can(capability):
        raise Forbidden("Only the clinic's owner manages staff accounts.")


# ---------------------------------------------------------------- the team list


@dataclass(frozen=True)
class TeamRow:
    staff: StaffMember
    two_factor: bool  # at least one confirmed second-factor device
    invited: bool  # invited, no password set yet
    licence: str  # "", "current", "soon", "expired", "missing"
    licence_days: int | None  # days until the licence expires (negative: since it expired)


def licence_state(staff: StaffMember, today: date) -> tuple[str, int | None]:
    """How a person's licence stands today: soon means within the longest reminder."""
    if not staff.licence_expires:
        return ("missing" if staff.is_clinical else ""), None
    days = (staff.licence_expires - today).days
    if days < 0:
        return "expired", days
    if days <= max(settings.LICENCE_REMINDER_DAYS):
        return "soon", days
    return "current", days


def users_with_second_factor(user_ids) -> set[int]:
    """Which of these users have a confirmed django-otp device (one query per device kind)."""
    from django_otp import device_classes

    ids = list(user_ids)  # read once: it may be a generator, and each device kind asks again
    found: set[int] = set()
    for model in device_classes():
        found.update(
            model.objects.filter(user_id__in=ids, confirmed=True).values_list("user_id", flat=True)
        )
    return found


def team(actor: Actor, today: date) -> list[TeamRow]:
    _require(actor)
    members = list(
        StaffMember.objects.select_related(
            "user", "supervising_prescriber", "clinical_access_granted_by"
        ).order_by("-active", "full_name")
    )
    enrolled = users_with_second_factor(m.user_id for m in members)
    rows = []
    for m in members:
        state, days = licence_state(m, today)
        rows.append(
            TeamRow(m, m.user_id in enrolled, not m.user.has_usable_password(), state, days)
        )
    return rows


# ---------------------------------------------------------------- validating a person's details


def _licence_date_error(value, today: date) -> str | None:
    if value is None:
        return None
    low, high = licence_window(today)
    if not low <= value <= high:
        return f"Enter an expiry date within {LICENCE_YEARS} years of today."
    return None


def _apply(staff: StaffMember, data: dict, today: date) -> dict[str, list[str]]:
    """Puts `data` on `staff` (unsaved) and returns the field errors, the model's rules included."""
    errors: dict[str, list[str]] = {}
    for name in EDITABLE:
        if name not in data:
            continue
        value = data[name]
        if isinstance(value, str):
            value = value.strip()
        if value is None and name not in ("licence_expires", "supervising_prescriber"):
            value = ""
        setattr(staff, name, value)
    if not staff.full_name:
        errors["full_name"] = ["Enter the person's name."]
    elif len(staff.full_name) > 150:
        errors["full_name"] = ["Keep the name to 150 characters."]
    elif has_invisible_formatting(staff.full_name):
        errors["full_name"] = [INVISIBLE_FORMATTING_MESSAGE]
    if staff.role not in Role.values:
        errors["role"] = ["Choose one of the roles listed."]
    if staff.credential and staff.credential not in Credential.values:
        errors["credential"] = ["Choose one of the credentials listed."]
    if len(staff.licence_number) > 40:
        errors["licence_number"] = ["Keep the license number to 40 characters."]
    staff.licence_state = staff.licence_state.upper()
    date_error = _licence_date_error(staff.licence_expires, today)
    if date_error:
        errors["licence_expires"] = [date_error]
    sup = staff.supervising_prescriber
    if sup is not None and not sup.active:
        errors["supervising_prescriber"] = ["Choose a supervising prescriber who works here now."]
    if errors.get("role"):
        return errors
    try:
        staff.clean()
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(m for m in messages if m not in errors.get(name, []))
    return errors


def _email_errors(email: str) -> list[str]:
    if not email:
        return ["Enter the person's email address."]
    if len(email) > 150:
        return ["Keep the email to 150 characters."]
    try:
        validate_email(email)
    except ValidationError:
        return ["Enter a valid email address."]
    User = get_user_model()
    if User.objects.filter(Q(username__iexact=email) | Q(email__iexact=email)).exists():
        return ["This email already belongs to an account here."]
    return []


# ---------------------------------------------------------------- invitations


class InvitationTokens(PasswordResetTokenGenerator):
    """Like Django's reset links (the hash covers the password, so a link works once) with its
    own salt and its own life, STAFF_INVITE_HOURS."""

    key_salt = "glabella.core.staff.InvitationTokens"

    def check_token(self, user, token):
        if not (user and token):
            return False
        try:
            ts_b36, _ = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        secrets = [self.secret, *self.secret_fallbacks]
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, s), token)
            for s in secrets
        ):
            return False
        return (self._num_seconds(self._now()) - ts) <= settings.STAFF_INVITE_HOURS * 3600


invitation_tokens = InvitationTokens()


def _send_invitation(staff: StaffMember, link_for: LinkFor) -> bool:
    user = staff.user
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = link_for(uid, invitation_tokens.make_token(user))
    clinic = brand.current(staff.organisation_id)
    body = (
        f"Hello {staff.full_name},\n\n"
        f"You have been given an account at {clinic.name}. Choose your password here:\n\n"
        f"{link}\n\n"
        f"The link works once, for {settings.STAFF_INVITE_HOURS} hours. Your sign-in name is "
        f"this email address. If you did not expect this, ignore this email.\n"
    )
    try:
        send_mail(
            f"Your {clinic.name} account", clinic.signed(body), clinic.from_email, [user.email]
        )
    except Exception:  # the account stands; the page offers to send the link again
        return False
    return True


def invite(actor: Actor, email: str, data: dict, *, today: date, link_for: LinkFor):
    """Creates the account (no usable password) and emails a set-password link.
    Returns (staff, sent): sent is False when the email could not be handed over."""
    _require(actor)
    email = (email or "").strip()
    staff = StaffMember(organisation_id=actor.organisation_id)  # the system's: the one clinic's
    errors = _apply(staff, data, today)
    email_errors = _email_errors(email)
    if email_errors:
        errors["email"] = email_errors
    if staff.licence_expires and staff.licence_expires < today and staff.is_clinical:
        errors.setdefault("licence_expires", []).append("This license has expired.")
    if errors:
        raise ValidationFailed(errors)
    User = get_user_model()
    with write_transaction():
        user = User(username=email, email=email, is_active=True)
        user.set_unusable_password()
        user.save()
        staff.user = user
        staff.save()
        audit.record(
            actor,
            Action.CREATE,
            Kind.STAFF_MEMBER,
            staff.public_id,
            detail={"email": email, "role": staff.role},
        )
    sent = _send_invitation(staff, link_for)
    _record_invitation(actor, staff, sent)
    return staff, sent


def _record_invitation(actor: Actor, staff: StaffMember, sent: bool) -> None:
    with write_transaction():
        audit.record(
            actor, Action.CREATE, Kind.STAFF_INVITATION, staff.public_id, detail={"sent": sent}
        )


def resend_invitation(actor: Actor, staff: StaffMember, *, link_for: LinkFor) -> bool:
    _require(actor)
    if staff.user.has_usable_password():
        raise Conflict(f"{staff.full_name} has already chosen a password.")
    if not staff.active:
        raise Conflict(f"{staff.full_name}'s account is switched off.")
    sent = _send_invitation(staff, link_for)
    _record_invitation(actor, staff, sent)
    return sent


def open_invitation(uidb64: str, token: str):
    """The invited user the link names, while it is good; else None."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (ValueError, TypeError, OverflowError):
        return None
    user = get_user_model().objects.filter(pk=pk, is_active=True).first()
    if user is None or not invitation_tokens.check_token(user, token):
        return None
    if _staff_of(user) is None or not user.staff.active:
        return None
    return user


def _staff_of(user):
    try:
        return user.staff
    except StaffMember.DoesNotExist:
        return None


def accept_invitation(uidb64: str, token: str, password: str, *, ip: str | None = None) -> None:
    """Sets the invited person's first password (Django's validators); the link then stops."""
    with write_transaction():
        user = open_invitation(uidb64, token)
        if user is None:
            raise Conflict("This link has been used or has expired. Ask the owner for a new one.")
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            raise ValidationFailed({"new_password1": list(exc.messages)}) from None
        user.set_password(password)
        user.save(update_fields=["password"])
        me = Actor(user, user.staff.role, frozenset(), f"{user.staff.full_name} <{user}>", ip=ip)
        audit.record(
            me, Action.UPDATE, Kind.STAFF_INVITATION, user.staff.public_id, detail={"used": True}
        )


# ---------------------------------------------------------------- changes


def _other_active_owners(staff: StaffMember) -> bool:
    return (
        StaffMember.objects.filter(role=Role.OWNER, active=True, user__is_active=True)
        .exclude(pk=staff.pk)
        .exists()
    )


def change(actor: Actor, staff: StaffMember, data: dict, *, today: date) -> StaffMember:
    _require(actor)
    before = {name: _shown(getattr(staff, name)) for name in EDITABLE}
    fresh = StaffMember.objects.get(pk=staff.pk)
    errors = _apply(fresh, data, today)
    if fresh.role != staff.role and actor.staff is not None and actor.staff.pk == staff.pk:
        errors.setdefault("role", []).append("You cannot change your own role: ask another owner.")
    elif fresh.role != staff.role and staff.role == Role.OWNER and not _other_active_owners(staff):
        errors.setdefault("role", []).append("The clinic needs an owner: make someone else one.")
    supervising = fresh.supervisees.filter(active=True).exists()
    if supervising and fresh.credential not in PRESCRIBING_CREDENTIALS:
        errors.setdefault("credential", []).append(
            "This person supervises RN injectors: keep a prescribing credential."
        )
    if errors:
        raise ValidationFailed(errors)
    after = {name: _shown(getattr(fresh, name)) for name in EDITABLE}
    changed = {k: [before[k], after[k]] for k in EDITABLE if before[k] != after[k]}
    with write_transaction():
        fresh.save()
        audit.record(
            actor, Action.UPDATE, Kind.STAFF_MEMBER, fresh.public_id, detail={"changed": changed}
        )
    return fresh


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, StaffMember):
        return str(value.public_id)
    return str(value)


def set_active(actor: Actor, staff: StaffMember, active: bool) -> None:
    """Switches an account off (its sessions and API tokens stop at their next request: Django
    drops the session of an inactive user, and its tokens are revoked) or on again."""
    _require(actor)
    if not active:
        if actor.staff is not None and actor.staff.pk == staff.pk:
            raise Conflict("You cannot switch off your own account.")
        if staff.role == Role.OWNER and not _other_active_owners(staff):
            raise Conflict("The clinic needs an active owner: make someone else one first.")
        supervised = list(staff.supervisees.filter(active=True).values_list("full_name", flat=True))
        if supervised:
            raise Conflict(
                f"{staff.full_name} supervises {', '.join(supervised)}: choose another "
                "supervising prescriber for them first."
            )
    with write_transaction():
        user = staff.user
        user.is_active = active
        user.save(update_fields=["is_active"])
        StaffMember.objects.filter(pk=staff.pk).update(active=active)
        staff.active = active
        detail: dict = {"active": active}
        if not active:
            # Its tokens are revoked too: an account switched on again gets new ones.
            revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
            detail["tokens_revoked"] = revoked.update(revoked_at=timezone.now())
        audit.record(actor, Action.UPDATE, Kind.STAFF_MEMBER, staff.public_id, detail=detail)


def reset_two_factor(actor: Actor, staff: StaffMember) -> int:
    """Removes every second factor of the person (they set one up again at their next sign-in);
    `core.two_factor.reset` does it and writes the access-log row."""
    _require(actor)
    return two_factor.reset(actor, staff.user)


def sign_in_locked(staff: StaffMember) -> bool:
    """Whether the person's sign-in is locked now after wrong passwords (`core.lockout`)."""
    return lockout.is_locked(staff.user)


def unlock_sign_in(actor: Actor, staff: StaffMember) -> int:
    """Opens a locked sign-in before its time; `core.lockout.unlock` writes the access-log row."""
    _require(actor)
    return lockout.unlock(actor, staff.user)


# ---------------------------------------------------------------- the owner's clinical access


def owners() -> list[StaffMember]:
    return list(
        StaffMember.objects.filter(role=Role.OWNER).select_related("clinical_access_granted_by")
    )


def set_clinical_access(actor: Actor, owner: StaffMember, granted: bool) -> None:
    """The medical director grants (or withdraws) an owner's access to clinical data."""
    if not actor.can(Capability.GRANT_CLINICAL_ACCESS):
        raise Forbidden("Only the medical director grants access to clinical data.")
    if actor.staff is not None and actor.staff.pk == owner.pk:
        raise Forbidden("Nobody grants clinical access to themselves.")
    if owner.role != Role.OWNER:
        raise Conflict(
            "Clinical access is granted to the owner's role only; others have it by role."
        )
    with write_transaction():
        StaffMember.objects.filter(pk=owner.pk).update(
            clinical_access_granted_at=timezone.now() if granted else None,
            clinical_access_granted_by=actor.staff if granted else None,
        )
        audit.record(
            actor,
            Action.UPDATE,
            Kind.CLINICAL_ACCESS,
            owner.public_id,
            detail={"granted": granted},
        )


def licence_window(today: date) -> tuple[date, date]:
    """The licence expiry dates a page can record (for the form's bounds)."""
    return today - timedelta(days=365 * LICENCE_YEARS), today + timedelta(days=365 * LICENCE_YEARS)
