"""The house range for dates, instants and counts a person or a client sends.

Python's dates reach from year 1 to 9999, and moving 0001-01-01T00:00+14:00 to UTC (or adding a
week to 9999-12-31) overflows. Every date or instant that comes in from a form, a query string or
an API body is held to 1900-01-01..2100-12-31, read in its own offset before any conversion, so
arithmetic and zone changes on it never overflow (decision 0026). Counts have their own ceiling.
"""

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator

from glabella.core.text import gettext_noop

EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2100, 12, 31)
# The largest whole number a person or client may send where the API or a form takes a count
# (units, vials, minutes); what a field means may hold it lower.
LARGEST_COUNT = 1_000_000

# The range in words (a form shows it in the page's language; tests/test_bounds.py checks it).
DAY_MESSAGE = gettext_noop("Enter a date between January 1, 1900 and December 31, 2100.")
COUNT_MESSAGE = f"Enter a whole number from 0 to {LARGEST_COUNT:,}."


def day_in_range(value: date | datetime) -> bool:
    """Whether a date, or an instant's date in its own offset, is within the house range."""
    day = value.date() if isinstance(value, datetime) else value
    return EARLIEST_DAY <= day <= LATEST_DAY


def checked_day(value: date) -> date:
    """The date, or ValueError with a message a person can act on (pydantic shows it per field)."""
    if value is not None and not day_in_range(value):
        raise ValueError(DAY_MESSAGE)
    return value


def checked_instant(value: datetime) -> datetime:
    if value is not None and not day_in_range(value):
        raise ValueError(DAY_MESSAGE)
    return value


def parse_day(text: str) -> date:
    """An ISO date within the house range; ValueError (with DAY_MESSAGE when out of range)."""
    return checked_day(date.fromisoformat(str(text).strip()))


def parse_instant(text: str) -> datetime:
    """An ISO instant within the house range; ValueError otherwise."""
    return checked_instant(datetime.fromisoformat(str(text).strip()))


# For django-ninja schemas and query parameters: a date or instant held to the house range.
Day = Annotated[date, AfterValidator(checked_day)]
Instant = Annotated[datetime, AfterValidator(checked_instant)]
