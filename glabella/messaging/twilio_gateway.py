"""Texts through Twilio: sending with the official library's `twilio.rest.Client` through the
clinic's Messaging Service, each text asking for its delivery status at our callback; and the
check every request from Twilio passes, its X-Twilio-Signature against the address Twilio
signed (TWILIO_PUBLIC_URL and the path), with the library's `RequestValidator`.

Off until the clinic sets TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_MESSAGING_SERVICE_SID and
TWILIO_PUBLIC_URL (`enabled()`); texts then stay on the log backend and the callbacks answer 404.
TWILIO_API_BASE points the client at another address (the tests' local server) through the
library's own `Domain.base_url`, nothing patched.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from glabella.messaging.sms import BaseBackend, SmsError

TIMEOUT_SECONDS = 15  # a worker waits no longer for Twilio; the outbox tries again later


def enabled() -> bool:
    return bool(
        settings.TWILIO_ACCOUNT_SID
        and settings.TWILIO_AUTH_TOKEN
        and settings.TWILIO_MESSAGING_SERVICE_SID
        and settings.TWILIO_PUBLIC_URL
    )


def client() -> Client:
    found = Client(
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_AUTH_TOKEN,
        http_client=TwilioHttpClient(timeout=TIMEOUT_SECONDS),
    )
    if settings.TWILIO_API_BASE:
        found.api.base_url = settings.TWILIO_API_BASE  # the domain's own address, per client
    return found


def public_url(path: str) -> str:
    """The address Twilio is given (and signs its requests over) for one of our paths."""
    return settings.TWILIO_PUBLIC_URL + path


def status_callback_url(message_id: str) -> str:
    return public_url(reverse("texts:status", args=[message_id]))


def inbound_url() -> str:
    return public_url(reverse("texts:inbound"))


def signed_by_twilio(path_with_query: str, params, signature: str | None) -> bool:
    """Whether the request's X-Twilio-Signature is Twilio's, over the public address it called
    (`path_with_query` as requested) and the form's parameters, with the clinic's auth token."""
    if not signature or not enabled():
        return False
    validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
    return validator.validate(public_url(path_with_query), params, signature)


class TwilioBackend(BaseBackend):
    """One text through the Messaging Service (Twilio picks the sender from its pool); Twilio's
    refusal or silence is an SmsError, so the outbox tries again with its backoff."""

    def send(self, to: str, body: str, message_id: str = "") -> str:
        if not enabled():
            raise SmsError("Twilio is not set up: set the four TWILIO_ settings.")
        try:
            sent = client().messages.create(
                to=to,
                body=body,
                messaging_service_sid=settings.TWILIO_MESSAGING_SERVICE_SID,
                status_callback=status_callback_url(message_id) if message_id else None,
            )
        except TwilioException as exc:
            raise SmsError(f"Twilio refused the text: {exc}") from exc
        except OSError as exc:  # requests' connection errors and timeouts are OSErrors
            raise SmsError(f"Twilio could not be reached: {exc}") from exc
        return sent.sid
