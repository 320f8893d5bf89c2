"""Throttling of the public forms: how often one email (or one address) may use a form.

Each allowed use is a row (`core.Attempt`: scope, a SHA-256 of the folded key, time); a use is
refused while the key already has `limit` rows in the scope's window. Rows live in the database,
so every web process sees the same count. The limits are settings (`THROTTLE_EMAIL`,
`THROTTLE_ADDRESS`: uses per window of seconds). A key's old rows go when it is used again, and
`sweep` drops every row past the longest window each hour.
"""

import hashlib
import math
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from glabella.core.db import write_transaction
from glabella.core.errors import Throttled
from glabella.core.models import Attempt

MESSAGE = gettext_noop("Too many tries in a few minutes. Please wait a little and try again.")


def digest(key: str) -> str:
    return hashlib.sha256(key.strip().casefold().encode()).hexdigest()


def allow(scope: str, key: str, *, limit: int, seconds: int, now: datetime | None = None) -> bool:
    """Counts this use of `scope` by `key` and says whether it is allowed."""
    now = now or timezone.now()
    hashed = digest(key)
    since = now - timedelta(seconds=seconds)
    with write_transaction():
        uses = Attempt.objects.filter(scope=scope, key=hashed)
        if uses.filter(at__gt=since).count() >= limit:
            return False
        uses.filter(at__lte=since).delete()
        Attempt.objects.create(scope=scope, key=hashed, at=now)
    return True


def check_public_form(scope: str, *, email: str = "", ip: str | None = None, now=None) -> None:
    """Raises `Throttled` when the email (on its field) or the address has used public forms
    too often; otherwise counts this use."""
    if email:
        limit, seconds = settings.THROTTLE_EMAIL
        if not allow(f"{scope}:email", email, limit=limit, seconds=seconds, now=now):
            raise Throttled(gettext(MESSAGE), field="email")
    if ip:
        limit, seconds = settings.THROTTLE_ADDRESS
        if not allow(f"{scope}:ip", ip, limit=limit, seconds=seconds, now=now):
            raise Throttled(gettext(MESSAGE))


def seconds_until_free(scope: str, key: str, *, seconds: int, now: datetime | None = None) -> int:
    """How long until the oldest use of `scope` by `key` in the window falls out of it."""
    now = now or timezone.now()
    oldest = (
        Attempt.objects.filter(
            scope=scope, key=digest(key), at__gt=now - timedelta(seconds=seconds)
        )
        .order_by("at")
        .values_list("at", flat=True)
        .first()
    )
    if oldest is None:
        return 1
    return max(1, math.ceil((oldest + timedelta(seconds=seconds) - now).total_seconds()))


def sweep(now: datetime) -> int:
    """Drops the counts older than the longest window, keys never seen again included (the
    scheduler runs it at the top of each hour); returns how many went."""
    if now.minute != 0:
        return 0
    longest = max(
        settings.THROTTLE_EMAIL[1], settings.THROTTLE_ADDRESS[1], settings.THROTTLE_PUBLIC_API[1]
    )
    gone, _ = Attempt.objects.filter(at__lt=now - timedelta(seconds=longest)).delete()
    return gone
