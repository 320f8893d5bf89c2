"""The house's date styles for text made outside a template (PDFs, messages, exports): the same
formats as the pages' `|date` (glabella/formats/en/formats.py), on the clock of a given zone.

- `day(d)` -> "Dec 1, 2026"
- `instant(t, zone)` -> "Dec 1, 2026, 10:13 AM" (an aware instant in `zone`; the active zone
  when none is given)
- `short_day(d)` -> "12/01/2026", `short_instant(t, zone)` -> "12/01/2026 10:13 AM": CSV cells a
  US spreadsheet reads as dates
"""

from datetime import date, datetime

from django.utils import formats, timezone


def _local(value: datetime, zone) -> datetime:
    if timezone.is_naive(value):
        return value
    return value.astimezone(zone) if zone is not None else timezone.localtime(value)


def day(value: date | datetime | str | None, zone=None) -> str:
    """A day (or the day of an instant in `zone`, or an ISO day kept as text)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = _local(value, zone).date()
    return formats.date_format(value, "DATE_FORMAT")


def instant(value: datetime | None, zone=None) -> str:
    if value is None:
        return ""
    return formats.date_format(_local(value, zone), "DATETIME_FORMAT")


def short_day(value: date | datetime | None, zone=None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _local(value, zone).date()
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def short_instant(value: datetime | None, zone=None) -> str:
    if value is None:
        return ""
    return formats.date_format(_local(value, zone), "SHORT_DATETIME_FORMAT")
