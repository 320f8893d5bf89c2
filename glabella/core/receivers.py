"""What core listens to: Django's sign-in, sign-out and failed sign-in signals (written to the
access log) and axes's lockout signal (a lock row once per lock, and `account_locked` for the
alert to the account's owner). Connected in CoreConfig.ready()."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from glabella.core import audit, lockout, throttle
from glabella.core.access import ANONYMOUS, Actor, actor_for, client_ip
from glabella.core.models import AccessLog
from glabella.core.signals import account_locked


def _where(request) -> tuple[str, str]:
    """The channel and the form a sign-in came through."""
    path = getattr(request, "path", "") or ""
    if path.startswith("/portal/"):
        return "portal", "portal"
    if path.startswith("/admin/"):
        return "web", "admin"
    return "web", "staff"


def _ip(request) -> str | None:
    return client_ip(request) if request is not None else None


def _anonymous(request, channel: str) -> Actor:
    return Actor(None, ANONYMOUS, frozenset(), "anonymous", channel, _ip(request))


def _account(username: str | None):
    if not username:
        return None
    return get_user_model().objects.filter(username__iexact=username.strip()).first()


def _through_a_page(request) -> bool:
    """A sign-in or sign-out a person made on one of the site's pages (a routed request); a
    `login()` outside one (the test client's force_login, a shell) is nobody signing in. The
    idle logoff signs out before the URL is resolved and says why."""
    if getattr(request, "glabella_sign_out_reason", None):
        return True
    return getattr(request, "resolver_match", None) is not None


@receiver(user_logged_in, dispatch_uid="glabella-sign-in")
def signed_in(sender, request, user, **kwargs):
    if not _through_a_page(request):
        return
    channel, form = _where(request)
    actor = actor_for(user, channel=channel, ip=_ip(request))
    with transaction.atomic():
        audit.record(actor, audit.Action.CREATE, audit.Kind.SIGN_IN, user.pk, detail={"form": form})


@receiver(user_logged_out, dispatch_uid="glabella-sign-out")
def signed_out(sender, request, user, **kwargs):
    if user is None or not _through_a_page(request):
        return
    channel, _ = _where(request)
    why = getattr(request, "glabella_sign_out_reason", "signed out")
    actor = actor_for(user, channel=channel, ip=_ip(request))
    with transaction.atomic():
        audit.record(actor, audit.Action.DELETE, audit.Kind.SIGN_IN, user.pk, detail={"why": why})


@receiver(user_login_failed, dispatch_uid="glabella-sign-in-failure")
def sign_in_failed(sender, credentials, request=None, **kwargs):
    """A failed sign-in names the account when it exists, else only a digest of what was typed;
    never the password."""
    channel, form = _where(request)
    username = lockout.username_of(request, credentials)
    user = _account(username)
    if user is not None:
        object_id, detail = user.pk, {"form": form, "username": user.get_username()}
    else:
        object_id, detail = "", {"form": form, "username_sha256": throttle.digest(username or "")}
    with transaction.atomic():
        audit.record(
            _anonymous(request, channel),
            audit.Action.CREATE,
            audit.Kind.SIGN_IN_FAILURE,
            object_id,
            detail=detail,
        )


@receiver(user_locked_out, dispatch_uid="glabella-locked-out")
def locked_out(sender, request, username, ip_address, **kwargs):
    """Axes says a sign-in is refused: the first time in a lock, the access log says so (the
    account, or the address when only it is over its limit) and the account's owner is told."""
    channel, form = _where(request)
    since = timezone.now() - lockout.cool_off()
    earlier = AccessLog.objects.filter(object_type=audit.Kind.ACCOUNT_LOCK.value, at__gte=since)
    user = _account(username)
    actor = _anonymous(request, channel)
    with transaction.atomic():
        if user is not None and lockout.is_locked(user):
            latest = earlier.filter(object_id=str(user.pk)).order_by("-at", "-id").first()
            if latest is not None and latest.action == audit.Action.CREATE:
                return  # already locked and told; an unlock since then starts a new lock
            row = audit.record(
                actor,
                audit.Action.CREATE,
                audit.Kind.ACCOUNT_LOCK,
                user.pk,
                detail={"form": form, "username": user.get_username()},
            )
            account_locked.send(
                sender=Actor,
                user=user,
                lock_id=row.pk,
                minutes=settings.SIGN_IN_COOLOFF_MINUTES,
            )
        elif not earlier.filter(object_id="", ip=actor.ip, action=audit.Action.CREATE).exists():
            audit.record(
                actor, audit.Action.CREATE, audit.Kind.ACCOUNT_LOCK, "", detail={"form": form}
            )
