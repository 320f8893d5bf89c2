"""Patient search: what staff type (a name, a phone number, a birth date) as normalised terms.

Pure functions: `search_key(...)` builds the text a patient is found by, `sort_key(name)` the
form their names sort by, and `parse_query(text)` turns a query into a birth date and/or the
terms that must all appear in the search text.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

DATE_FORMATS = (
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
    re.compile(r"^(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})$"),
    re.compile(r"^(?P<m>\d{1,2})-(?P<d>\d{1,2})-(?P<y>\d{4})$"),
)
PHONE_CHARS = re.compile(r"^[\d\s().+-]+$")
MAX_TERMS = 5


def fold(text: str) -> str:
    """Lower case, accents removed, only letters, digits, @ . and single spaces."""
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9@.]+", " ", ascii_text.lower()).split())


def sort_key(name: str) -> str:
    """A name as it sorts: folded letters and digits only, so every database orders it alike."""
    return re.sub(r"[^a-z0-9]", "", fold(name))


def search_key(
    given_name: str, family_name: str, preferred_name: str, phone_digits: str, email: str
) -> str:
    parts = [given_name, preferred_name, family_name, phone_digits, email]
    return fold(" ".join(p for p in parts if p))


@dataclass(frozen=True)
class Query:
    birth_date: date | None
    terms: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        return self.birth_date is None and not self.terms


def _as_date(text: str) -> date | None:
    for pattern in DATE_FORMATS:
        match = pattern.match(text)
        if match:
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                return None
    return None


def _as_phone_digits(text: str) -> str | None:
    if not PHONE_CHARS.match(text):
        return None
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) < 4:
        return None
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]  # +1 country code of a US number
    return digits


def parse_query(text: str) -> Query:
    text = " ".join((text or "").split())
    if not text:
        return Query(None, ())
    whole_date = _as_date(text)
    if whole_date is not None:
        return Query(whole_date, ())
    phone = _as_phone_digits(text)
    if phone is not None:
        return Query(None, (phone,))
    birth_date = None
    terms: list[str] = []
    for word in text.split(" "):
        as_date = _as_date(word)
        if as_date is not None and birth_date is None:
            birth_date = as_date
            continue
        terms.extend(fold(word).split())
    # Longest terms first: the most selective one leads the query.
    unique = sorted(dict.fromkeys(t for t in terms if t), key=len, reverse=True)
    return Query(birth_date, tuple(unique[:MAX_TERMS]))
