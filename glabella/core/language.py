"""Which language a person is spoken to in, and dates written in it (issue 21, decision 0041).

A page's language is its address (English unprefixed, Spanish under /es/, Django's
`i18n_patterns`); a message or document for a patient is in the language on her record, whatever
page caused it: services build it inside `speaking(patient)`, where `gettext`, `reverse()` (the
/es/ links) and the date styles all follow her language. `alternates(request)` gives the same
page in each language, for the switch and the `hreflang` links.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

from django.conf import settings
from django.urls import translate_url
from django.utils import translation
from django.utils.dateformat import format as date_format
from django.utils.timezone import localtime

CODES = tuple(code for code, _name in settings.LANGUAGES)
# Each language named in itself, as the switch offers it to someone who reads only that one.
NATIVE = {"en": "English", "es": "Español"}
DEFAULT = settings.LANGUAGE_CODE

# A day in words, as a heading or in a message: the order of its parts differs by language.
LONG_DATE = {"en": "l, F j, Y", "es": r"l j \d\e F \d\e Y"}
DAY_AND_TIME = {"en": "l, F j, Y \\a\\t g:i A", "es": r"l j \d\e F \d\e Y, \a \l\a\s g:i a"}
SHORT_DAY = {"en": "M j", "es": r"j \d\e F"}


def language_of(person) -> str:
    """The language a patient (or anything with a `language`) is written to in; a code we do not
    speak falls back to English."""
    code = getattr(person, "language", "") or ""
    return code if code in CODES else DEFAULT


def current() -> str:
    code = translation.get_language() or DEFAULT
    return code if code in CODES else DEFAULT


@contextmanager
def speaking(person_or_code) -> Iterator[str]:
    """Everything built inside (words, links, dates) in this patient's (or this code's)
    language; yields the code."""
    code = person_or_code if isinstance(person_or_code, str) else language_of(person_or_code)
    code = code if code in CODES else DEFAULT
    with translation.override(code):
        yield code


def _style(styles: dict[str, str]) -> str:
    return styles.get(current(), styles[DEFAULT])


def long_date(value: date | datetime) -> str:
    """Tuesday, December 1, 2026 / martes 1 de diciembre de 2026 (an instant in the active zone)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = localtime(value)
    return date_format(value, _style(LONG_DATE))


def day_and_time(value: datetime, zone=None) -> str:
    """Tuesday, December 1, 2026 at 10:30 AM / martes 1 de diciembre de 2026, a las 10:30 a. m.,
    in `zone` (else the active zone)."""
    local = value.astimezone(zone) if zone is not None else localtime(value)
    return date_format(local, _style(DAY_AND_TIME))


def short_day(value: date | datetime) -> str:
    """Dec 1 / 1 de diciembre (a subject line's day)."""
    return date_format(value, _style(SHORT_DAY))


def alternates(path: str) -> list[tuple[str, str, str]]:
    """(code, name in its own language, path) of this page in each language, the current
    language first."""
    names = {code: NATIVE.get(code, name) for code, name in settings.LANGUAGES}
    here = current()
    ordered = [here, *(c for c in CODES if c != here)]
    return [(code, names[code], translate_url(path, code)) for code in ordered]
