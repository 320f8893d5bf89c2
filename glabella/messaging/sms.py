"""Text messages behind one small interface: `send_sms(to, body) -> reference`.

SMS_BACKEND picks the class. `LogBackend` (the default) writes the text to the log; a gateway
backend implements `send` and raises `SmsError` when the gateway refuses, so the outbox retries.
"""

import logging
import uuid
from abc import ABC, abstractmethod

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("glabella.sms")


class SmsError(Exception):
    """The gateway did not accept the message; the outbox will try again."""


class BaseBackend(ABC):
    @abstractmethod
    def send(self, to: str, body: str) -> str:
        """Send one text to an E.164 number; return the gateway's reference for it."""


class LogBackend(BaseBackend):
    def send(self, to: str, body: str) -> str:
        reference = f"log-{uuid.uuid4()}"
        logger.info("SMS to %s (%s): %s", to, reference, body)
        return reference


class LocmemBackend(BaseBackend):
    """Keeps sent texts in `LocmemBackend.outbox`, as Django's locmem email backend does."""

    outbox: list[tuple[str, str]] = []

    def send(self, to: str, body: str) -> str:
        LocmemBackend.outbox.append((to, body))
        return f"locmem-{len(LocmemBackend.outbox)}"


def send_sms(to: str, body: str) -> str:
    return import_string(settings.SMS_BACKEND)().send(to, body)
