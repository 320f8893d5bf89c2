"""Two-way texts through Twilio (issue 22, point 4).

Callbacks are signed by the library's own scheme (`RequestValidator(token).compute_signature`
over the public address and the form's parameters); texts are sent by the official library to a
local server (`tests/support/twilio_server.py`) that answers Twilio's documented Messages API.
No test reaches the internet.
"""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from twilio.request_validator import RequestValidator

from glabella.aftercare.models import Alert, CheckIn, Notice, Report
from glabella.aftercare.receivers import said_of
from glabella.core.models import AccessLog
from glabella.messaging import delivery
from glabella.messaging.models import InboundText, Message
from glabella.scheduling.models import Appointment
from tests.conftest import future_appointment
from tests.support.twilio_server import TwilioServer
from tests.test_screening import at, book

ACCOUNT = "AC" + "1" * 32
TOKEN = "twilio-auth-token-of-the-clinic"
SERVICE = "MG" + "2" * 32
PUBLIC = "https://clinic.example.com"
CLINIC_NUMBER = "+18055550100"


@pytest.fixture
def twilio(settings):
    with TwilioServer(ACCOUNT, TOKEN) as server:
        settings.TWILIO_ACCOUNT_SID = ACCOUNT
        settings.TWILIO_AUTH_TOKEN = TOKEN
        settings.TWILIO_MESSAGING_SERVICE_SID = SERVICE
        settings.TWILIO_PUBLIC_URL = PUBLIC
        settings.TWILIO_API_BASE = server.base
        settings.SMS_BACKEND = "glabella.messaging.twilio_gateway.TwilioBackend"
        yield server


@pytest.fixture
def grace(patient):
    """Grace, who asked for texts."""
    patient.sms_consent, patient.preferred_channel = True, "sms"
    patient.save()
    return patient


_sids = iter(range(1, 10_000))


def sid() -> str:
    return f"SM{next(_sids):032x}"


def signed_post(client, path: str, params: dict, token: str = TOKEN, signature=None):
    if signature is None:
        signature = RequestValidator(token).compute_signature(PUBLIC + path, params)
    headers = {"HTTP_X_TWILIO_SIGNATURE": signature} if signature else {}
    return client.post(path, params, **headers)


def text_in(client, body: str, sender: str = "+18055550142", message_sid=None, **kw):
    params = {
        "MessageSid": message_sid or sid(),
        "AccountSid": ACCOUNT,
        "MessagingServiceSid": SERVICE,
        "From": sender,
        "To": CLINIC_NUMBER,
        "Body": body,
        "NumMedia": "0",
    }
    return signed_post(client, reverse("texts:inbound"), params, **kw)


def send(message: Message) -> str:
    """The worker's path for one message: released when due, then claimed and sent."""
    Message.objects.filter(pk=message.pk).update(status="queued", due_at=timezone.now())
    return delivery.deliver_message(message.pk, worker="test")


# ---------------------------------------------------------------- off until configured


def test_without_twilio_settings_the_callbacks_do_not_exist(client, grace):
    assert text_in(client, "STOP").status_code == 404
    status = reverse("texts:status", args=[Message.objects.create(
        channel="sms", to=grace.phone, topic="t", body="x").public_id])  # fmt: skip
    assert client.post(status, {"MessageStatus": "delivered"}).status_code == 404
    grace.refresh_from_db()
    assert grace.sms_consent and not InboundText.objects.exists()


# ---------------------------------------------------------------- signatures


def test_a_forged_or_unsigned_callback_is_refused_and_changes_nothing(client, twilio, grace):
    message = Message.objects.create(
        patient=grace, channel="sms", to=grace.phone, topic="reminder", body="x",
        status="sent", provider_reference="SM" + "a" * 32,
    )  # fmt: skip
    status_path = reverse("texts:status", args=[message.public_id])
    forged = {"MessageSid": "SM" + "a" * 32, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    assert signed_post(client, status_path, forged, token="not-the-token").status_code == 403
    assert text_in(client, "STOP", token="not-the-token").status_code == 403
    assert text_in(client, "STOP", signature="").status_code == 403  # no header at all
    # signed for another address (a replay against another path) is forged too
    other = RequestValidator(TOKEN).compute_signature(PUBLIC + "/elsewhere/", forged)
    assert signed_post(client, status_path, forged, signature=other).status_code == 403
    grace.refresh_from_db()
    message.refresh_from_db()
    assert grace.sms_consent is True
    assert message.delivery == "" and not InboundText.objects.exists()
    refusals = AccessLog.objects.filter(object_type="text-callback", action="refused")
    assert refusals.count() == 4


# ---------------------------------------------------------------- STOP, START, HELP


def test_stop_stops_every_text_but_the_urgent_one_and_start_restores(
    client, twilio, grace, treated, actor_of, clinic
):
    visit = book(actor_of("front_desk"), clinic, grace, at(3, 10), "consultation")
    reminder = Message.objects.filter(about=f"appointment:{visit.public_id}", topic="reminder",
                                      channel="sms").first()  # fmt: skip
    assert reminder is not None and "Reply C to confirm." in reminder.body

    assert text_in(client, " Stop ").status_code == 200
    grace.refresh_from_db()
    assert grace.sms_consent is False and grace.sms_consent_at is None
    change = grace.history.first()
    assert change.sms_consent is False and change.history_change_reason == "text STOP"
    assert AccessLog.objects.filter(
        patient_public_id=grace.public_id, action="update", detail__fields=["sms_consent"]
    ).exists()

    # the reminder written before STOP is not sent when it falls due; nothing reaches Twilio
    assert send(reminder) == "cancelled: texts stopped"
    assert twilio.requests == []
    # a new one is not even written as a text (it goes by email, her other way)
    book(actor_of("front_desk"), visit.location, grace, at(5, 11), "consultation")
    assert not Message.objects.filter(channel="sms", topic="confirmation", created_at__gt=
                                      reminder.created_at).exists()  # fmt: skip

    # she reports a red flag on the web form: the urgent advice still goes by text
    day_one = CheckIn.objects.get(treatment=treated, day=1)
    from glabella.aftercare import reports

    reports.submit(day_one, {"free_text": "I can't swallow since this morning"})
    advice = Message.objects.get(topic="urgent-advice", patient=grace)
    assert advice.channel == "sms"
    assert send(advice) == "sent"
    assert [r.params["To"] for r in twilio.requests] == [grace.phone]

    assert text_in(client, "START").status_code == 200
    grace.refresh_from_db()
    assert grace.sms_consent is True and grace.sms_consent_at is not None
    later = Message.objects.filter(about=f"appointment:{visit.public_id}", topic="reminder",
                                   channel="sms").exclude(pk=reminder.pk).first()  # fmt: skip
    assert send(later) == "sent"


def test_help_is_answered_with_the_clinics_name_and_phone_in_her_language(client, twilio, grace):
    grace.language = "es"
    grace.save()
    answer = text_in(client, "AYUDA")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/xml"
    words = answer.content.decode()
    assert "<Response><Message>" in words and "Conejo Aesthetic Medicine" in words
    assert "llámenos" in words
    assert InboundText.objects.get().keyword == "help"


# ---------------------------------------------------------------- replies the apps act on


def test_a_reply_c_confirms_her_next_visit_and_she_is_told_in_her_language(
    client, twilio, grace, clinic
):
    grace.language = "es"
    grace.save()
    later = future_appointment(grace, clinic, days=9)
    sooner = future_appointment(grace, clinic, days=4)
    assert text_in(client, "  c ").status_code == 200
    sooner.refresh_from_db()
    later.refresh_from_db()
    assert sooner.confirmed_at is not None and later.confirmed_at is None
    assert AccessLog.objects.filter(object_id=str(sooner.public_id),
                                    detail__confirmed="text").exists()  # fmt: skip
    told = Message.objects.get(topic="visit-confirmed")
    assert told.channel == "sms" and "confirmada" in told.body
    text = InboundText.objects.get()
    assert text.patient == grace and text.handled_as.startswith("Confirmed the visit")
    # a second C confirms the next one; moving a visit asks again
    text_in(client, "C")
    later.refresh_from_db()
    assert later.confirmed_at is not None
    assert Appointment.objects.filter(patient=grace, confirmed_at__isnull=True).count() == 0


def test_a_spanish_reply_reporting_a_red_flag_raises_an_urgent_alert(
    client, twilio, grace, treated
):
    grace.language = "es"
    grace.save()
    day_one = CheckIn.objects.get(treatment=treated, day=1)
    CheckIn.objects.filter(pk=day_one.pk).update(due_at=timezone.now() - timedelta(hours=2))
    assert text_in(client, "Hola, desde anoche me cuesta respirar").status_code == 200
    report = Report.objects.get(check_in=day_one)
    assert report.via == "text" and report.urgency == "urgent"
    alert = Alert.objects.get(report=report)
    assert alert.urgency == "urgent" and alert.notices.exists()  # the on-call clinician is told
    advice = Message.objects.get(topic="urgent-advice", patient=grace)
    assert advice.channel == "sms"
    (on_call,) = {(n.name, n.level) for n in alert.notices.all()}  # by text and by email
    assert on_call[1] == "on_call"
    assert InboundText.objects.get().handled_as == (
        f"Urgent: her answer to the day 1 check-in. Told: {on_call[0]} (on call)."
    )


def test_the_desk_reads_a_check_in_answer_as_the_follow_up_board_says_it(
    client, twilio, grace, treated, clinic
):
    """The urgency in the board's word, and who was told from the notices, never a claim: with
    nobody on call the medical director is told, and the text says so."""
    clinic.on_call.clear()
    CheckIn.objects.filter(treatment=treated, day=1).update(
        due_at=timezone.now() - timedelta(hours=2)
    )
    assert text_in(client, "Since last night it is hard to swallow").status_code == 200
    told = Notice.objects.filter(alert__report__check_in__day=1)
    (director,) = {n.name for n in told}
    assert {n.level for n in told} == {"medical_director"}
    said = InboundText.objects.get().handled_as
    assert said == (
        f"Urgent: her answer to the day 1 check-in. Told: {director} (medical director)."
    )
    assert "on call" not in said
    # Nobody reached: the desk is asked to get a clinician; a calm answer says so plainly.
    quiet = Report.objects.create(patient=grace, treatment=treated, urgency="urgent")
    assert said_of(quiet, 14) == (
        "Urgent: her answer to the day 14 check-in. Nobody could be told: ask a clinician to "
        "call her now."
    )
    calm = Report.objects.create(patient=grace, treatment=treated, urgency="self_care")
    assert said_of(calm, 14) == "Self-care: her answer to the day 14 check-in; no sign of concern."


# ---------------------------------------------------------------- sending and its status


def test_a_text_goes_through_the_messaging_service_and_its_status_comes_back(
    client, client_for, twilio, grace
):
    message = Message.objects.create(
        patient=grace, channel="sms", to=grace.phone, topic="reply", body="See you at 10"
    )
    assert send(message) == "sent"
    (seen,) = twilio.requests
    assert seen.path == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert seen.params["MessagingServiceSid"] == SERVICE
    assert seen.params["To"] == grace.phone and seen.params["Body"] == "See you at 10"
    callback = PUBLIC + reverse("texts:status", args=[message.public_id])
    assert seen.params["StatusCallback"] == callback
    message.refresh_from_db()
    assert message.provider_reference.startswith("SM")

    path = reverse("texts:status", args=[message.public_id])
    base = {"MessageSid": message.provider_reference, "AccountSid": ACCOUNT}
    assert signed_post(client, path, {**base, "MessageStatus": "delivered"}).status_code == 200
    late = signed_post(client, path, {**base, "MessageStatus": "sent"})  # arrives out of order
    assert late.status_code == 200
    message.refresh_from_db()
    assert message.delivery == "delivered" and message.delivery_at is not None
    # the Messaging Service's own callback finds the text by its SID
    service = {**base, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    other_message = Message.objects.create(
        patient=grace, channel="sms", to=grace.phone, topic="reply", body="x", status="sent",
        provider_reference="SM" + "e" * 32,
    )  # fmt: skip
    service["MessageSid"] = other_message.provider_reference
    assert signed_post(client, reverse("texts:service-status"), service).status_code == 200
    other_message.refresh_from_db()
    assert (other_message.delivery, other_message.delivery_error) == ("undelivered", "30003")
    # another text's status cannot be written onto this one
    other = {"MessageSid": "SM" + "f" * 32, "MessageStatus": "failed", "ErrorCode": "30007"}
    signed_post(client, path, other)
    message.refresh_from_db()
    assert message.delivery == "delivered" and message.delivery_error == ""
    # what staff see, on her record and in the outbox
    desk = client_for("front_desk")
    record = desk.get(reverse("patients:record", args=[grace.public_id])).content.decode()
    assert "Delivered" in record
    outbox = desk.get(reverse("messaging:outbox"), {"status": "sent"}).content.decode()
    assert "Delivered" in outbox


def test_twilio_refusing_a_text_leads_to_a_retry(twilio, grace):
    message = Message.objects.create(
        patient=grace, channel="sms", to=grace.phone, topic="reply", body="Hello"
    )
    twilio.fail_next(1, status=503)
    assert send(message) == "will retry"
    message.refresh_from_db()
    assert message.status == "scheduled" and "503" in message.last_error
    assert send(message) == "sent"
    assert len(twilio.requests) == 2


# ---------------------------------------------------------------- the desk


def test_her_text_is_in_her_thread_and_the_inbox_until_the_desk_answers(
    client, client_for, twilio, grace
):
    assert text_in(client, "Can I take ibuprofen tonight?").status_code == 200
    text = InboundText.objects.get()
    desk = client_for("front_desk")
    inbox = desk.get(reverse("portal:inbox")).content.decode()
    assert "Can I take ibuprofen tonight?" in inbox and grace.full_name in inbox
    answer = desk.post(
        reverse("portal:text-answer", args=[text.public_id]),
        {f"t{text.pk}-body": "Yes, ibuprofen is fine."},
    )
    assert answer.status_code == 302
    text.refresh_from_db()
    assert text.read_at is not None and text.answer.body.startswith("Yes, ibuprofen")
    assert "Can I take ibuprofen" not in desk.get(reverse("portal:inbox")).content.decode()
    record = desk.get(reverse("patients:record", args=[grace.public_id])).content.decode()
    assert record.index("Yes, ibuprofen is fine.") < record.index("Can I take ibuprofen tonight?")


def test_a_text_is_stored_once_and_bad_fields_are_refused(client, twilio, grace):
    again = sid()
    assert text_in(client, "Hello", message_sid=again).status_code == 200
    assert text_in(client, "Hello", message_sid=again).status_code == 200
    assert InboundText.objects.count() == 1
    assert text_in(client, "Hello", sender="0805 555 0142").status_code == 400
    assert text_in(client, "x" * 1601).status_code == 400
    assert InboundText.objects.count() == 1


@override_settings(THROTTLE_INBOUND_TEXTS=(2, 600))
def test_a_number_that_floods_us_is_throttled(client, twilio, grace):
    codes = [text_in(client, f"hello {n}").status_code for n in range(3)]
    assert codes == [200, 200, 429] and InboundText.objects.count() == 2


def test_a_receiver_that_fails_keeps_the_text_for_the_desk(client, twilio, grace, clinic):
    """Twilio never sends a text again: a receiver's failure (a race with the web form, a
    refusal) rolls back its own work only; the text is kept, unread, and "C" still works after."""
    from glabella.messaging.signals import text_received

    visit = future_appointment(grace, clinic, days=4)

    def breaks(sender, text, **kwargs):
        from django.db import transaction

        with transaction.atomic():  # as every receiver does (see the signal)
            Appointment.objects.filter(pk=visit.pk).update(confirmed_at=timezone.now())
            raise RuntimeError("the web form answered at the same moment")

    text_received.connect(breaks, dispatch_uid="test-breaks")
    try:
        assert text_in(client, "how long until it works?").status_code == 200
    finally:
        text_received.disconnect(dispatch_uid="test-breaks")
    text = InboundText.objects.get()
    assert text.patient == grace and text.read_at is None and not text.handled_as
    visit.refresh_from_db()
    assert visit.confirmed_at is None  # its half-done write went with its savepoint
