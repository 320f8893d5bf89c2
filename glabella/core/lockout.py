"""Sign-in lockout (decision 0021): django-axes counts failed sign-ins per account and per client
address on every sign-in form (staff, portal, admin) and refuses both after their limits.

Axes holds one limit for all of its lockout parameters; `ClinicLockoutHandler` gives each its own
(an account after SIGN_IN_ACCOUNT_FAILURES, an address, which a whole clinic may share, after
SIGN_IN_ADDRESS_FAILURES). A lock lasts SIGN_IN_COOLOFF_MINUTES after the last counted failure,
or until the owner lifts it with `unlock`. Forms ask `locked_out(request)` to put the message on
the form at 429; `lockout_response` answers any other locked sign-in with the house's page.
"""

from __future__ import annotations

from datetime import timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.shortcuts import render
from django.utils import timezone

from glabella.core import audit
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Forbidden
from glabella.core.roles import Capability

LOCKED_MESSAGE = (
    "Too many unsuccessful sign-ins: signing in is paused here for {minutes} minutes. "
    "Wait and try again, reset your password, or ask the clinic's owner to unlock the account."
)


def locked_message() -> str:
    return LOCKED_MESSAGE.format(minutes=settings.SIGN_IN_COOLOFF_MINUTES)


def cool_off(request=None) -> timedelta:
    """How long a lock lasts after the last counted failure (axes's AXES_COOLOFF_TIME)."""
    return timedelta(minutes=settings.SIGN_IN_COOLOFF_MINUTES)


def username_of(request, credentials) -> str | None:
    """The account a sign-in names, folded, so `Ann@x` and `ann@x ` count as one account."""
    raw = (credentials or {}).get("username")
    if raw is None and request is not None:
        raw = request.POST.get("username")
    folded = str(raw or "").strip().casefold()[:255]
    return folded or None


class ClinicLockoutHandler(AxesDatabaseHandler):
    """Axes's database handler with a limit per parameter: the failures it reports are the
    account's, or the address's less the extra an address is allowed, whichever is higher."""

    def get_failures(self, request, credentials=None) -> int:
        counts = [
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        ]
        by_account, by_address = counts  # AXES_LOCKOUT_PARAMETERS: username, ip_address
        extra = settings.SIGN_IN_ADDRESS_FAILURES - settings.SIGN_IN_ACCOUNT_FAILURES
        return max(by_account, by_address - extra)

    def reset_user_attempts(self, request, credentials=None) -> int:
        """A successful sign-in clears that account's failures only: signing in to one's own
        account must not wipe the count an address has run up against other accounts."""
        account_attempts = self.filter_user_attempts(request, credentials)[0]
        count, _ = account_attempts.delete()
        return count


def locked_out(request) -> bool:
    """Whether axes refused (or has just locked) this request's sign-in."""
    return bool(getattr(request, "axes_locked_out", False))


def lockout_response(request, original_response=None, credentials=None):
    """Axes's answer to a locked sign-in: the form's own page when it already says so (429),
    else the house's page with the message (the admin's sign-in)."""
    if original_response is not None and original_response.status_code == 429:
        return original_response
    return render(request, "core/locked.html", {"message": locked_message()}, status=429)


def account_failures(user, now=None) -> int:
    since = (now or timezone.now()) - cool_off()
    key = username_of(None, {"username": user.get_username()})
    found = AccessAttempt.objects.filter(username=key, attempt_time__gte=since)
    return found.aggregate(n=Sum("failures_since_start"))["n"] or 0


def is_locked(user, now=None) -> bool:
    """Whether this account is locked now (by its own failures, whatever the address)."""
    return account_failures(user, now) >= settings.SIGN_IN_ACCOUNT_FAILURES


def unlock(actor: Actor, user) -> int:
    """The owner lifts an account's lock before its time: its counted failures go (from every
    address), and the access log says who did it. Returns how many failures were cleared."""
    if not actor.can(Capability.MANAGE_CLINIC):
        raise Forbidden("Only the clinic's owner unlocks an account.")
    key = username_of(None, {"username": user.get_username()})
    with write_transaction():
        failures = AccessAttempt.objects.filter(username=key)
        cleared = failures.aggregate(n=Sum("failures_since_start"))["n"] or 0
        failures.delete()
        audit.record(
            actor,
            audit.Action.DELETE,
            audit.Kind.ACCOUNT_LOCK,
            user.pk,
            detail={"username": user.get_username(), "failures_cleared": cleared},
        )
    return cleared
