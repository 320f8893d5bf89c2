"""Quiet hours: the hours of the clinic's night when nothing that can wait is sent (an
invitation back, a monthly question). Pure: instants and zones in, instants out."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def is_quiet(instant: datetime, zone: ZoneInfo, hours: tuple[int, int]) -> bool:
    """Whether `instant` falls in the quiet hours `(start, end)` on the clinic's wall clock; a
    start after the end spans midnight (20-9: from 20:00 to 09:00). Equal hours: never quiet."""
    start, end = hours
    hour = instant.astimezone(zone).hour
    if start == end:
        return False
    if start < end:
        return start <= hour < end
    return hour >= start or hour < end


def next_allowed(instant: datetime, zone: ZoneInfo, hours: tuple[int, int]) -> datetime:
    """`instant` itself, or the end of the quiet hours it falls in (clinic time)."""
    if not is_quiet(instant, zone, hours):
        return instant
    local = instant.astimezone(zone)
    day = local.date()
    if local.hour >= hours[1] and hours[0] > hours[1]:
        day += timedelta(days=1)  # in the evening part: quiet until tomorrow morning
    return datetime.combine(day, time(hours[1]), zone)
