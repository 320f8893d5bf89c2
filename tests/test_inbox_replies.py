"""The inbox answers by email or text from the app, through the outbox, kept in the patient's
thread when the sender is a patient on file (issue 19, from Deliver 7)."""

import re

import pytest
from django.urls import reverse

from glabella.core.models import AccessLog
from glabella.messaging.models import Message
from glabella.portal.models import ContactMessage, ContactReply
from tests.conftest import make_patient


def contact(**fields) -> ContactMessage:
    values = {"name": "Ana Ruiz", "email": "ana@example.com", "message": "Do you open Saturdays?"}
    values.update(fields)
    return ContactMessage.objects.create(**values)


def reply(client, message, **data):
    prefix = f"r{message.pk}-"
    return client.post(
        reverse("portal:reply", args=[message.public_id]),
        {prefix + k: v for k, v in data.items()},
    )


def test_an_answer_by_email_goes_through_the_outbox_and_into_the_patients_thread(
    client_for, clinic
):
    ana = make_patient(given_name="Ana", family_name="Ruiz", email="Ana@Example.com")
    message = contact(location=clinic)
    desk = client_for("front_desk")
    inbox = desk.get(reverse("portal:inbox")).content.decode()
    assert reverse("patients:record", args=[ana.public_id]) in inbox  # found on file
    response = reply(desk, message, channel="email", body="Yes, 9 to 1 on Saturdays.")
    assert response.status_code == 302
    sent = Message.objects.get(topic="reply")
    assert (sent.channel, sent.to, sent.patient) == ("email", "ana@example.com", ana)
    assert sent.body.startswith("Yes, 9 to 1 on Saturdays.")
    message.refresh_from_db()
    assert message.handled_at is not None and message.patient == ana
    assert ContactReply.objects.get().message == sent
    assert AccessLog.objects.filter(
        object_type="contact-reply", patient_public_id=ana.public_id
    ).exists()
    record = desk.get(reverse("patients:record", args=[ana.public_id])).content.decode()
    assert "Answer to the patient&#x27;s message" in record
    assert "Yes, 9 to 1 on Saturdays." in record  # the desk reads its own answers
    assert 'id="website-messages"' in record and "Do you open Saturdays?" in record


def test_a_text_goes_to_a_patient_who_agreed_to_texts_at_the_number_on_file(client_for, clinic):
    ana = make_patient(
        email="ana@example.com", phone="+18055550123", sms_consent=True, preferred_channel="sms"
    )
    message = contact(phone="+18055550123")
    desk = client_for("front_desk")
    page = desk.get(reverse("portal:inbox")).content.decode()
    chosen = re.search(rf'name="r{message.pk}-channel" value="(\w+)"[^>]*checked', page)
    assert chosen and chosen.group(1) == "sms"  # the patient's preferred channel first
    assert reply(desk, message, channel="sms", body="See you at 10.").status_code == 302
    sent = Message.objects.get(topic="reply")
    assert (sent.channel, sent.to, sent.patient) == ("sms", "+18055550123", ana)


@pytest.mark.parametrize(
    ("patient_fields", "error"),
    [
        (None, "not a patient on file"),
        ({"phone": "+18055550123", "sms_consent": False}, "has not agreed to text messages"),
        ({"phone": "", "sms_consent": True}, "no mobile number"),
    ],
)
def test_no_text_without_consent_to_texts(client_for, clinic, patient_fields, error):
    if patient_fields is not None:
        make_patient(email="ana@example.com", **patient_fields)
    message = contact(phone="+18055550123")
    response = reply(client_for("front_desk"), message, channel="sms", body="Hello")
    assert response.status_code == 422
    body = response.content.decode()
    assert f'id="id_r{message.pk}-channel_error"' in body and error in body
    assert not Message.objects.filter(topic="reply").exists()
    assert not ContactReply.objects.exists()
    message.refresh_from_db()
    assert message.handled_at is None


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"channel": "email", "body": ""}, "body", "Write the answer."),
        ({"channel": "email", "body": "x" * 3001}, "body", "at most 3,000 characters"),
        ({"channel": "pigeon", "body": "Hello"}, "channel", "Select a valid choice"),
        ({"body": "Hello"}, "channel", "Choose email or text message."),
        ({"channel": "email", "body": "bell\x07"}, "body", "control characters"),
    ],
)
def test_a_bad_answer_is_refused_on_its_field_and_nothing_is_written(
    client_for, clinic, data, field, error
):
    message = contact()
    response = reply(client_for("front_desk"), message, **data)
    assert response.status_code == 422
    body = response.content.decode()
    assert f'id="id_r{message.pk}-{field}_error"' in body
    assert error in body
    assert not Message.objects.filter(topic="reply").exists()
    assert not ContactReply.objects.exists()


def test_a_text_is_held_to_three_segments(client_for, clinic):
    make_patient(email="ana@example.com", phone="+18055550123", sms_consent=True)
    message = contact()
    response = reply(client_for("front_desk"), message, channel="sms", body="x" * 481)
    assert response.status_code == 422
    assert "A text holds at most 480 characters" in response.content.decode()
    assert not ContactReply.objects.exists()


def test_two_patients_sharing_an_email_are_not_guessed_between(client_for, clinic):
    make_patient(email="family@example.com", given_name="One")
    make_patient(email="family@example.com", given_name="Two")
    message = contact(email="family@example.com")
    assert reply(client_for("front_desk"), message, channel="email", body="Hi").status_code == 302
    sent = Message.objects.get(topic="reply")
    assert sent.patient is None and sent.to == "family@example.com"
    message.refresh_from_db()
    assert message.patient is None  # kept with the contact message only
    assert ContactReply.objects.get().contact == message


def test_only_staff_who_change_patients_answer(client_for, clinic):
    message = contact()
    assert reply(client_for("patient"), message, channel="email", body="Hi").status_code in (
        302,
        403,
        404,
    )
    assert not ContactReply.objects.exists()


def test_a_phone_number_typed_on_the_website_does_not_tie_a_message_to_a_patient(
    client_for, clinic
):
    make_patient(email="ana@example.com", phone="+18055550123", sms_consent=True)
    contact(email="someone.else@example.com", phone="+18055550123")
    page = client_for("front_desk").get(reverse("portal:inbox")).content.decode()
    assert "A patient on file" not in page
    contact()  # the same email as the patient's: that does
    page = client_for("front_desk").get(reverse("portal:inbox")).content.decode()
    assert page.count("A patient on file") == 1
