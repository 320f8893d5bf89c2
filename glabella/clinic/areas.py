"""Service areas: turns what a visitor types ("Simi Valley", "93065", "Ventura, CA") into a key."""

import re
import unicodedata

ZIP_RE = re.compile(r"^(\d{5})(?:-\d{4})?$")
US_STATES = frozenset(
    (
        "al",
        "ak",
        "az",
        "ar",
        "ca",
        "co",
        "ct",
        "de",
        "fl",
        "ga",
        "hi",
        "id",
        "il",
        "in",
        "ia",
        "ks",
        "ky",
        "la",
        "me",
        "md",
        "ma",
        "mi",
        "mn",
        "ms",
        "mo",
        "mt",
        "ne",
        "nv",
        "nh",
        "nj",
        "nm",
        "ny",
        "nc",
        "nd",
        "oh",
        "ok",
        "or",
        "pa",
        "ri",
        "sc",
        "sd",
        "tn",
        "tx",
        "ut",
        "vt",
        "va",
        "wa",
        "wv",
        "wi",
        "wy",
        "dc",
    )
)


def area_key(text: str) -> tuple[str, str] | None:
    """("zip", "93065") or ("city", "simi valley"); None when nothing usable was typed."""
    cleaned = " ".join((text or "").split())
    if not cleaned:
        return None
    zip_match = ZIP_RE.match(cleaned)
    if zip_match:
        return "zip", zip_match.group(1)
    folded = unicodedata.normalize("NFKD", cleaned).encode("ascii", "ignore").decode().lower()
    folded = folded.split(",")[0]  # "Ventura, CA 93001" -> "ventura"
    words = re.sub(r"[^a-z0-9 ]+", " ", folded).split()
    if len(words) > 1 and words[-1] in US_STATES | {"california"}:
        words = words[:-1]  # "Simi Valley CA" -> "simi valley"
    key = " ".join(words)
    if not key or key.isdigit():
        return None
    return "city", key
