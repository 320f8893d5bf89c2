"""What typed text may hold (no control characters beyond tab, newline and carriage return), and
the folded form two spellings of one name compare by."""

import re
import unicodedata

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def fold(text: str) -> str:
    """Accents and case gone, spaces single: "Cow's  Milk" and "cow's milk" are one name."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.casefold().split())


# Invisible formatting characters (Unicode category Cf: bidi embeddings, overrides and isolates
# such as U+202E, left-to-right and right-to-left marks, zero-width spaces, soft hyphens, tags)
# make a name read differently from what it holds, on a page, a label or a CSV. ZWNJ and ZWJ
# stay: Persian and Indic names are spelled with them (decision 0026).
KEPT_FORMATTING = frozenset({"\u200c", "\u200d"})


def gettext_noop(message: str) -> str:
    """Marks a message for the catalogues (makemessages reads the name) without importing
    Django: this module stays pure; whoever shows the message translates it."""
    return message


INVISIBLE_FORMATTING_MESSAGE = gettext_noop(
    "Remove the invisible formatting characters (such as a right-to-left mark) from this name."
)


def has_invisible_formatting(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cf" and ch not in KEPT_FORMATTING for ch in text)


# A spreadsheet reads a cell that starts with one of these as a formula (=HYPERLINK(...)).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


# A plain signed number (a phone in E.164, -2.5) is no formula: it is written as it is.
PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def csv_cell(value: object) -> str:
    """A value as a CSV cell a spreadsheet shows as text: one that would start a formula gets a
    leading apostrophe (OWASP's advice), so `=HYPERLINK(...)` is shown, never run."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(text):
        return f"'{text}"
    return text
