"""Text messages behind one small interface: `send_sms(to, body, message_id) -> reference`;
and how many parts (segments) a text is sent as.

SMS_BACKEND picks the class. `LogBackend` (the default) writes the text to the log; a gateway
backend (`twilio_gateway.TwilioBackend`) implements `send` and raises `SmsError` when the
gateway refuses, so the outbox retries. `message_id` is the outbox's public id of the message,
which a gateway may name in its delivery callbacks.

A text goes in the GSM-7 alphabet when every character is in it (its extension table's
characters take two places), else in UCS-2 (UTF-16): one part holds 160 GSM-7 places or 70 UCS-2
units, and a longer text is cut into parts of 153 or 67 (the rest of each part is the header that
joins them). One character outside GSM-7 (an "á", "í", "ó" or "ú", unlike "é" and "ñ") turns
the whole text into UCS-2. `segments` and `fitting` are pure.
"""

import logging
import uuid
from abc import ABC, abstractmethod
from collections.abc import Sequence

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("glabella.sms")


class SmsError(Exception):
    """The gateway did not accept the message; the outbox will try again."""


class BaseBackend(ABC):
    @abstractmethod
    def send(self, to: str, body: str, message_id: str = "") -> str:
        """Send one text to an E.164 number; return the gateway's reference for it."""


class LogBackend(BaseBackend):
    def send(self, to: str, body: str, message_id: str = "") -> str:
        reference = f"log-{uuid.uuid4()}"
        logger.info("SMS to %s (%s): %s", to, reference, body)
        return reference


class LocmemBackend(BaseBackend):
    """Keeps sent texts in `LocmemBackend.outbox`, as Django's locmem email backend does."""

    outbox: list[tuple[str, str]] = []

    def send(self, to: str, body: str, message_id: str = "") -> str:
        LocmemBackend.outbox.append((to, body))
        return f"locmem-{len(LocmemBackend.outbox)}"


# GSM 03.38: the basic alphabet (without the escape to the extension table) and the extension.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67
MOST_PARTS = 3  # what a message to a patient is kept within


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _units(text: str) -> list[int]:
    """Each character's places in the encoding the whole text takes: 1 or 2 (an extension
    character in GSM-7, a character beyond the Basic Multilingual Plane in UTF-16)."""
    if is_gsm7(text):
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def segments(text: str) -> int:
    """How many parts `text` is sent as (0 for no text). A character's places are never split
    between two parts, as phones join them."""
    if not text:
        return 0
    units = _units(text)
    single, part = (GSM7_SINGLE, GSM7_PART) if is_gsm7(text) else (UCS2_SINGLE, UCS2_PART)
    if sum(units) <= single:
        return 1
    count, room = 1, part
    for size in units:
        if size > room:
            count, room = count + 1, part
        room -= size
    return count


def encoding(text: str) -> str:
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def fitting(candidates: Sequence[str], parts: int = MOST_PARTS) -> str:
    """The first of `candidates` (longest, most helpful first) sent in at most `parts` parts;
    the last when none is."""
    for text in candidates:
        if segments(text) <= parts:
            return text
    return candidates[-1]


def send_sms(to: str, body: str, message_id: str = "") -> str:
    return import_string(settings.SMS_BACKEND)().send(to, body, message_id)
