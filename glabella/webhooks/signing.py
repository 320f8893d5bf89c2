"""The signature on every webhook delivery, and its check for receivers written in Python.

    Glabella-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">

keyed with the endpoint's secret (its UTF-8 bytes, `whsec_` included). A receiver recomputes the
HMAC over the exact bytes it received, compares in constant time, and refuses a timestamp older
(or newer) than its tolerance, so a captured delivery cannot be replayed later. `verify` does
exactly that; docs/webhooks.md shows the scheme. Pure: no Django, no clock of its own.
"""

import hashlib
import hmac
import time

HEADER = "Glabella-Signature"
DEFAULT_TOLERANCE = 300  # seconds


class SignatureError(ValueError):
    """The delivery is not one this secret signed within the tolerance."""


def digest(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The header's value for `body` posted at `timestamp` (unix seconds)."""
    return f"t={timestamp},v1={digest(secret, timestamp, body)}"


def verify(
    secret: str,
    header: str,
    body: bytes,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> int:
    """Checks a delivery's signature header against its raw body; returns the signed timestamp.
    Raises SignatureError when the header is malformed, no v1 signature matches, or the
    timestamp is more than `tolerance` seconds from now."""
    parts: dict[str, list[str]] = {}
    for item in (header or "").split(","):
        key, sep, value = item.strip().partition("=")
        if sep:
            parts.setdefault(key, []).append(value)
    try:
        (timestamp,) = (int(t) for t in parts.get("t", []))
    except ValueError:
        raise SignatureError("The header has no single timestamp t=.") from None
    expected = digest(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, given) for given in parts.get("v1", [])):
        raise SignatureError("No v1 signature matches this body and secret.")
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise SignatureError("The timestamp is outside the tolerance: a replay, or a wrong clock.")
    return timestamp
