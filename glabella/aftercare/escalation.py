"""When an alert is due and who it goes to next: pure, no database, no clock (now is an argument).

An urgent alert is due at once and reaches the on-call clinicians by text and email; nobody
acknowledging it within the escalation period, it goes to the medical director, then after another
period to the owner. A level with nobody to reach is passed over, so an urgent report always
reaches the first level that has someone.

A review (the same-day list) is due the same day on the clinic's clock:
- reported while the location is open, with at least `least_left` before it closes: by closing
  time today, the on-call clinicians told by email;
- otherwise (before opening, after closing, a closed day, or the last stretch of the day): within
  `after_hours` of the report, the on-call clinicians told by text as well, since nobody is at the
  desk to see an email.
Unacknowledged at its due time, a review goes on like an urgent alert.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

ON_CALL, MEDICAL_DIRECTOR, OWNER = "on_call", "medical_director", "owner"
LEVELS = (ON_CALL, MEDICAL_DIRECTOR, OWNER)


@dataclass(frozen=True)
class ReviewDue:
    due_by: datetime
    in_hours: bool  # False: after hours, so the on-call clinicians are texted too


def review_due(
    now: datetime,
    zone: ZoneInfo,
    hours_today: Iterable[tuple[time, time]],
    *,
    least_left: timedelta,
    after_hours: timedelta,
) -> ReviewDue:
    """When a same-day review reported at `now` must be acted on (see the module's rule)."""
    local = now.astimezone(zone)
    for opens, closes in sorted(hours_today):
        start = datetime.combine(local.date(), opens, zone)
        end = datetime.combine(local.date(), closes, zone)
        if start <= local and end - local >= least_left:
            return ReviewDue(end, True)
    return ReviewDue(now + after_hours, False)


def levels_after(level: str) -> tuple[str, ...]:
    """The levels still to try after `level` (all of them while nobody has been reached)."""
    if level not in LEVELS:
        return LEVELS
    return LEVELS[LEVELS.index(level) + 1 :]


def next_escalation(level: str, now: datetime, period: timedelta) -> datetime | None:
    """When an alert told up to `level` goes on if nobody acknowledges it: after a period, or
    never once the owner has been told. Nobody reached yet: try again after a period."""
    return None if level == OWNER else now + period


def waited(opened_at: datetime, now: datetime) -> str:
    """How long an alert has waited, as people say it: '40 min', '3 h 05 min', '2 days 4 h'."""
    minutes = max(int((now - opened_at).total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days > 1 else ''} {hours} h"
    if hours:
        return f"{hours} h {mins:02d} min"
    return f"{mins} min"
