"""Twilio's two callbacks: a text's delivery status and a text sent to the clinic's number.

Each request's X-Twilio-Signature is checked (`twilio_gateway.signed_by_twilio`) before anything
is read: a forged or unsigned one is answered 403, changes nothing and is logged as a refusal.
Without the clinic's Twilio settings both answer 404, as if they did not exist."""

import logging

from django.http import Http404, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.twiml.messaging_response import MessagingResponse

from glabella.core import audit
from glabella.core.access import Actor, client_ip, for_every_clinic
from glabella.core.errors import ValidationFailed
from glabella.messaging import texts, twilio_gateway

logger = logging.getLogger("glabella.texts")
MAX_BODY_BYTES = 16_384  # Twilio's form for one text is far smaller; anything larger is refused


def _verified(request) -> HttpResponse | None:
    """None when the request is Twilio's; else the answer that refuses it (logged)."""
    if not twilio_gateway.enabled():
        raise Http404
    if len(request.body) > MAX_BODY_BYTES:
        return HttpResponse("Too large.", status=413, content_type="text/plain")
    signature = request.headers.get("X-Twilio-Signature")
    if twilio_gateway.signed_by_twilio(request.get_full_path(), request.POST, signature):
        return None
    ip = client_ip(request)
    logger.warning("Refused a text callback to %s from %s: bad signature.", request.path, ip)
    audit.record(
        Actor(None, "anonymous", frozenset(), "text gateway?", "api", ip),
        audit.Action.REFUSED,
        audit.Kind.TEXT_CALLBACK,
        request.path[:64],
        detail={"why": "signature missing" if not signature else "signature does not verify"},
    )
    return HttpResponse("The signature does not verify.", status=403, content_type="text/plain")


def _twiml(reply: str = "") -> HttpResponse:
    answer = MessagingResponse()
    if reply:
        answer.message(reply)
    return HttpResponse(str(answer), content_type="application/xml")


@for_every_clinic
@csrf_exempt
@require_POST
def status(request, public_id=None):
    """A text's delivery status: at its own address (given when it was sent), or at the
    Messaging Service's status callback (found by its MessageSid)."""
    refused = _verified(request)
    if refused is not None:
        return refused
    try:
        outcome = texts.record_status(str(public_id) if public_id else None, request.POST)
    except ValidationFailed as failed:
        return HttpResponse(str(failed.fields), status=400, content_type="text/plain")
    return HttpResponse(outcome, content_type="text/plain")


@for_every_clinic
@csrf_exempt
@require_POST
def inbound(request):
    refused = _verified(request)
    if refused is not None:
        return refused
    try:
        received = texts.receive(request.POST)
    except ValidationFailed as failed:
        return HttpResponse(str(failed.fields), status=400, content_type="text/plain")
    except texts.Throttled:
        logger.warning("Texts from one number came too fast; one was refused.")
        return HttpResponse("Too many texts.", status=429, content_type="text/plain")
    return _twiml(received.reply)
