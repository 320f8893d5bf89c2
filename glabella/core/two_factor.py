"""Two-factor sign-in for staff: who must pass a second factor, setting one up, checking it.

A second factor is an authenticator app (django-otp's TOTP device), a passkey
(django-otp-webauthn's credential) or one of the backup codes (`core.BackupCodes`, stored as
digests, each works once). A staff member must pass one after the password when their role sees
clinical data (or every staff role, with TWO_FACTOR_FOR=all), or whenever they have set one up.
Patients in the portal are never asked. Passing it is django-otp's mark on the session
(`django_otp.login`), which `request.user.is_verified()` reads on every request.
"""

from __future__ import annotations

import secrets
from base64 import b32encode
from binascii import unhexlify
from dataclasses import dataclass

import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user, user_has_device
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex
from django_otp_webauthn.models import WebAuthnCredential

from glabella.core import audit
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Forbidden, Throttled, ValidationFailed
from glabella.core.models import BackupCode, BackupCodes
from glabella.core.roles import Capability

BACKUP_CODE_COUNT = 10
BACKUP_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"  # base32: no 0, 1, 8 or 9 to misread
BACKUP_CODE_LENGTH = 16  # 80 random bits, typed in four groups of four
APP_NAME = "Authenticator app"

WRONG_CODE = "That code is not right. Check the time on your phone and try the newest code."
NOT_A_CODE = (
    "Enter the six-digit code from your authenticator app, or a backup code "
    "(sixteen letters and digits)."
)


def admin_hidden_models() -> tuple:
    """The second-factor devices, kept out of Django admin (a device added there would be a
    second factor nobody logged)."""
    return (TOTPDevice, WebAuthnCredential, BackupCodes)


def _admin_user(user) -> bool:
    """Whoever may open Django admin (with or without a staff record)."""
    return bool(getattr(user, "is_staff", False) or getattr(user, "is_superuser", False))


def required_for(actor: Actor) -> bool:
    """Whether the clinic requires a second factor of this staff member's role."""
    if _admin_user(actor.user):
        return True
    if not actor.is_staff:
        return False  # patients in the portal are not asked
    return settings.TWO_FACTOR_FOR == "all" or actor.can(Capability.VIEW_CLINICAL)


def has_second_factor(user) -> bool:
    return user_has_device(user, confirmed=True)


def is_verified(user) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def pending(actor: Actor, user) -> bool:
    """A signed-in staff member who still owes the second factor for this session."""
    if not (actor.is_staff or _admin_user(user)) or is_verified(user):
        return False
    return required_for(actor) or has_second_factor(user)


def may_set_up(user) -> bool:
    """A new second factor may be added by whoever has none yet, or has passed theirs in this
    session: a password alone never adds a device beside an existing one."""
    return is_verified(user) or not has_second_factor(user)


# --- checking a code ---------------------------------------------------------------------


def _fold(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def kind_of(code: str) -> str | None:
    """ "app" for a six-digit code, "backup" for a backup code, None for anything else."""
    folded = _fold(code)
    if len(folded) == 6 and folded.isdigit():
        return "app"
    if len(folded) == BACKUP_CODE_LENGTH and set(folded) <= set(BACKUP_ALPHABET):
        return "backup"
    return None


@dataclass(frozen=True)
class Passed:
    device: object
    kind: str
    backup_codes_left: int | None = None


def _wait_message(locked_until) -> str:
    seconds = max(1, int((locked_until - timezone.now()).total_seconds() + 0.999))
    return (
        f"Too many wrong codes. Wait {seconds} second{'s' if seconds != 1 else ''} before the "
        "next try; each wrong code makes the wait longer."
    )


def check_code(actor: Actor, user, code: str) -> Passed:
    """Checks a code against the user's app or backup codes. A wrong code is counted by
    django-otp's throttle (each wrong try doubles the wait) and written to the access log;
    a backup code that matches is used up."""
    kind = kind_of(code)
    if kind is None:
        raise ValidationFailed({"code": [NOT_A_CODE]})
    model = TOTPDevice if kind == "app" else BackupCodes
    if not model.objects.devices_for_user(user, confirmed=True).exists():
        missing = (
            "You have no authenticator app set up: use a backup code or your passkey."
            if kind == "app"
            else "You have no backup codes: use the code from your app or your passkey."
        )
        raise ValidationFailed({"code": [missing]})
    folded = _fold(code)
    passed, locked_until = None, None
    with write_transaction():
        devices = model.objects.devices_for_user(user, confirmed=True).select_for_update()
        for device in devices:
            allowed, info = device.verify_is_allowed()
            if not allowed:
                locked_until = max(locked_until or info["locked_until"], info["locked_until"])
                continue
            if device.verify_token(folded):
                left = device.codes.count() if kind == "backup" else None
                passed = Passed(device, kind, left)
                break
        if passed is None:
            audit.record(
                actor,
                audit.Action.READ,
                audit.Kind.SECOND_FACTOR_FAILURE,
                user.pk,
                detail={"method": kind, "reason": "throttled" if locked_until else "wrong code"},
            )
        elif kind == "app":
            audit.record(
                actor,
                audit.Action.READ,
                audit.Kind.SECOND_FACTOR,
                user.pk,
                detail={"method": "app"},
            )
        else:
            audit.record(
                actor,
                audit.Action.UPDATE,
                audit.Kind.BACKUP_CODE_USE,
                user.pk,
                detail={"codes_left": passed.backup_codes_left},
            )
    if passed is not None:
        return passed
    if locked_until is not None:
        raise Throttled(_wait_message(locked_until), field="code")
    raise ValidationFailed({"code": [WRONG_CODE]})


# --- setting up an authenticator app ---------------------------------------------------------


def new_app_secret() -> str:
    """A fresh TOTP secret (20 random bytes, hex), kept in the session until confirmed."""
    return random_hex(20)


@dataclass(frozen=True)
class AppSetup:
    secret_text: str  # base32 in groups of four, for typing into an app by hand
    qr_data_uri: str  # the otpauth:// link as an SVG QR code, drawn here (no outside service)
    link: str


def app_setup(user, secret_hex: str) -> AppSetup:
    unsaved = TOTPDevice(user=user, key=secret_hex, name=APP_NAME)
    link = unsaved.config_url
    base32 = b32encode(unhexlify(secret_hex)).decode().rstrip("=")
    grouped = " ".join(base32[i : i + 4] for i in range(0, len(base32), 4))
    qr = segno.make(link, error="m").svg_data_uri(scale=5, border=2, dark="#1b1b1b")
    return AppSetup(grouped, qr, link)


def _totp_match(secret_hex: str, code: str) -> tuple[int, int] | None:
    """(time step, drift) at which `code` is right for the secret (one step either way)."""
    totp = TOTP(unhexlify(secret_hex), step=30, t0=0, digits=6, drift=0)
    totp.time = timezone.now().timestamp()  # the clinic's clock, which tests can move
    return (totp.t(), totp.drift) if totp.verify(int(code), tolerance=1) else None


def confirm_app(actor: Actor, user, secret_hex: str, code: str) -> tuple[TOTPDevice, list[str]]:
    """Sets up the app whose secret was shown, once the person types its first code; makes a
    new set of backup codes (returned once, kept only as digests). A new app replaces an older
    one. A wrong or malformed code writes nothing."""
    if not may_set_up(user):
        raise Forbidden("Pass your second factor first, then set up another.")
    if kind_of(code) != "app":
        raise ValidationFailed({"code": ["Enter the six-digit code your app shows now."]})
    match = _totp_match(secret_hex, _fold(code))
    if match is None:
        raise ValidationFailed({"code": [WRONG_CODE]})
    with write_transaction():
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(
            user=user,
            key=secret_hex,
            name=APP_NAME,
            confirmed=True,
            last_t=match[0],
            drift=match[1],
        )
        audit.record(
            actor,
            audit.Action.CREATE,
            audit.Kind.TWO_FACTOR_ENROLMENT,
            user.pk,
            detail={"method": "app"},
        )
        codes = _replace_backup_codes(actor, user)
    return device, codes


# --- backup codes --------------------------------------------------------------------------


def _new_backup_code() -> str:
    raw = "".join(secrets.choice(BACKUP_ALPHABET) for _ in range(BACKUP_CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, BACKUP_CODE_LENGTH, 4))


def _replace_backup_codes(actor: Actor, user) -> list[str]:
    device, _ = BackupCodes.objects.get_or_create(
        user=user, defaults={"name": "Backup codes", "confirmed": True}
    )
    device.codes.all().delete()
    device.throttle_reset(commit=True)
    codes = [_new_backup_code() for _ in range(BACKUP_CODE_COUNT)]
    BackupCode.objects.bulk_create(
        [BackupCode(device=device, digest=BackupCodes.digest_of(c)) for c in codes]
    )
    audit.record(
        actor, audit.Action.CREATE, audit.Kind.BACKUP_CODES, user.pk, detail={"count": len(codes)}
    )
    return codes


def make_backup_codes(actor: Actor, user) -> list[str]:
    """A new set of backup codes for someone who has passed their second factor (or set up a
    passkey just now); the old set stops working. Returned once, kept as digests only."""
    if not is_verified(user):
        raise Forbidden("Pass your second factor first.")
    with write_transaction():
        return _replace_backup_codes(actor, user)


def backup_codes_left(user) -> int:
    return BackupCode.objects.filter(device__user=user).count()


# --- passkeys ------------------------------------------------------------------------------


def has_passkey(user) -> bool:
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()


def record_passkey(actor: Actor, user, *, outcome: str) -> None:
    """The access-log row for a passkey set up ("enrolled"), signed in with ("passed") or refused
    ("refused"); django-otp-webauthn did the check."""
    with transaction.atomic():
        if outcome == "passed":
            audit.record(
                actor,
                audit.Action.READ,
                audit.Kind.SECOND_FACTOR,
                user.pk,
                detail={"method": "passkey"},
            )
        elif outcome == "enrolled":
            audit.record(
                actor,
                audit.Action.CREATE,
                audit.Kind.TWO_FACTOR_ENROLMENT,
                user.pk,
                detail={"method": "passkey"},
            )
        else:
            audit.record(
                actor,
                audit.Action.READ,
                audit.Kind.SECOND_FACTOR_FAILURE,
                user.pk,
                detail={"method": "passkey", "reason": "refused"},
            )


# --- a summary and a reset -----------------------------------------------------------------


@dataclass(frozen=True)
class Factors:
    app: bool
    passkeys: int
    backup_codes_left: int


def factors_of(user) -> Factors:
    return Factors(
        app=TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        passkeys=WebAuthnCredential.objects.filter(user=user, confirmed=True).count(),
        backup_codes_left=backup_codes_left(user),
    )


def reset(actor: Actor, user) -> int:
    """Removes every second factor of a staff member (a lost phone): they set one up again at
    their next sign-in. The owner's act; returns how many devices went."""
    if not actor.can(Capability.MANAGE_CLINIC):
        raise Forbidden("Only the clinic's administrator may reset someone's two-factor sign-in.")
    with write_transaction():
        gone = 0
        for device in list(devices_for_user(user, confirmed=None)):
            device.delete()
            gone += 1
        audit.record(
            actor,
            audit.Action.DELETE,
            audit.Kind.TWO_FACTOR_RESET,
            user.pk,
            detail={"devices": gone},
        )
    return gone
