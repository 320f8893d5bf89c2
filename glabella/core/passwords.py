"""Staff passwords: a reset asked by email (throttled, logged), and a new password set through
Django's reset or change views, each written with its access-log row.

Django's own token makes a reset link work once (it is keyed on the password's hash, which the
reset changes) and its session hash ends the user's other sessions when the password changes;
the view keeps the current one with `update_session_auth_hash`. Patients do not reset here: the
portal emails them a one-time sign-in link, and they set a password in their preferences.
"""

from __future__ import annotations

from axes.models import AccessAttempt

from glabella.core import audit, lockout, throttle
from glabella.core.access import Actor
from glabella.core.db import write_transaction


def request_reset(actor: Actor, email: str) -> None:
    """Counts a reset request against the public forms' limits (`Throttled` past them) and logs
    it with a digest of the address typed (the page never says whether an account has it)."""
    throttle.check_public_form("reset", email=email, ip=actor.ip)
    with write_transaction():
        audit.record(
            actor,
            audit.Action.CREATE,
            audit.Kind.PASSWORD_RESET_REQUEST,
            detail={"email_sha256": throttle.digest(email)},
        )


def set_password(actor: Actor, user, password: str, *, how: str) -> None:
    """Writes a new password (already checked by the form's validators), logged as `how`
    ("reset" or "change"). A reset proves the mailbox is the owner's, so it also lifts a lock."""
    with write_transaction():
        user.set_password(password)
        user.save(update_fields=["password"])
        detail: dict = {"how": how}
        if how == "reset":
            key = lockout.username_of(None, {"username": user.get_username()})
            cleared, _ = AccessAttempt.objects.filter(username=key).delete()
            detail["lock_lifted"] = bool(cleared)
        audit.record(actor, audit.Action.UPDATE, audit.Kind.PASSWORD, user.pk, detail=detail)
