"""What typed text may hold (no control characters beyond tab, newline and carriage return), and
the folded form two spellings of one name compare by."""

import re
import unicodedata

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def fold(text: str) -> str:
    """Accents and case gone, spaces single: "Cow's  Milk" and "cow's milk" are one name."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.casefold().split())
