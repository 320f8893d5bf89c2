"""The due list's "invite" and "invite all" (issue 19, from Deliver 7): through the invitations
service, only by a channel the patient agreed to, never at night, one invitation per treatment."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from glabella.core.models import AccessLog
from glabella.messaging.models import Message
from glabella.outcomes.models import Invitation
from tests.conftest import make_patient
from tests.test_due_list import forecast_for, signed_record_for

LA = ZoneInfo("America/Los_Angeles")
DAYTIME = datetime(2026, 12, 1, 11, 0, tzinfo=LA)
NIGHT = datetime(2026, 12, 1, 22, 0, tzinfo=LA)


@pytest.fixture
def daytime():
    with time_machine.travel(DAYTIME, tick=True):
        yield


def due_patient(clinic, name, days_ago, **fields):
    values = {"given_name": name, "family_name": "Due", "email": f"{name}@example.com"}
    values.update({"email_consent": True, **fields})
    patient = make_patient(**values)
    record = signed_record_for(patient, clinic, days_ago)
    forecast_for(record, 5)
    return patient, record


def post(client, name, **data):
    return client.post(reverse(f"outcomes:{name}"), data)


def test_the_desk_invites_one_row_by_the_channel_the_patient_agreed_to(daytime, client_for, clinic):
    ann, record = due_patient(clinic, "Ann", 101)
    desk = client_for("front_desk")
    page = desk.get(reverse("outcomes:due"), {"location": clinic.slug}).content.decode()
    assert "Invite all 1 not yet invited" in page
    response = post(desk, "invite", location=clinic.slug, ahead=14, treatment=str(record.public_id))
    assert response.status_code == 302
    invitation = Invitation.objects.get(treatment=record)
    assert invitation.status == "sent" and invitation.channel == "email"
    assert invitation.sent_by is not None and invitation.sent_by.role == "front_desk"
    sent = Message.objects.get(topic="invitation")
    assert (sent.patient, sent.channel, sent.status) == (ann, "email", "queued")
    assert AccessLog.objects.filter(
        object_type="invitation", object_id=str(invitation.public_id), action="create"
    ).exists()
    page = desk.get(reverse("outcomes:due"), {"location": clinic.slug}).content.decode()
    assert "Sent" in page and "Invite all" not in page


def test_an_invitation_asked_for_at_night_waits_for_the_morning(client_for, clinic):
    with time_machine.travel(NIGHT, tick=True):
        _, record = due_patient(clinic, "Ann", 101)
        post(
            client_for("front_desk"),
            "invite",
            location=clinic.slug,
            ahead=14,
            treatment=str(record.public_id),
        )
    sent = Message.objects.get(topic="invitation")
    assert sent.status == "scheduled"
    assert sent.due_at.astimezone(LA) == datetime(2026, 12, 2, 9, 0, tzinfo=LA)


def test_invite_all_invites_those_not_yet_invited_and_names_whom_to_call(
    daytime, client_for, clinic
):
    _, ann = due_patient(clinic, "Ann", 101)
    _, bea = due_patient(
        clinic,
        "Bea",
        102,
        phone="+18055550111",
        sms_consent=True,
        preferred_channel="sms",
        email_consent=False,
    )
    due_patient(clinic, "Cy", 103, email_consent=False)  # agreed to nothing
    _, dot = due_patient(clinic, "Dot", 104)
    Invitation.objects.create(
        treatment=dot,
        patient=dot.patient,
        location=clinic,
        injector=dot.injector,
        book_from=dot.appointment.starts_at.date(),
        status="sent",
        channel="email",
    )
    desk = client_for("front_desk")
    page = desk.get(reverse("outcomes:due"), {"location": clinic.slug}).content.decode()
    assert "Invite all 2 not yet invited" in page
    assert "No consent to messages: call instead" in page
    response = post(desk, "invite-all", location=clinic.slug, ahead=14)
    assert response.status_code == 302
    assert set(Invitation.objects.values_list("treatment_id", flat=True)) == {
        ann.pk,
        bea.pk,
        dot.pk,
    }
    channels = dict(Message.objects.filter(topic="invitation").values_list("patient_id", "channel"))
    assert channels == {ann.patient_id: "email", bea.patient_id: "sms"}
    followed = desk.get(response.url).content.decode()
    assert "Invited 2 patients back." in followed
    assert "Cy Due" in followed and "call them instead" in followed
    # Pressed again: nobody is waiting, nothing more is written.
    post(desk, "invite-all", location=clinic.slug, ahead=14)
    assert Invitation.objects.count() == 3


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"treatment": "not-a-uuid"}, "Choose the patient to invite."),
        ({"treatment": ""}, "Choose the patient to invite."),
        ({"treatment": "00000000-0000-0000-0000-000000000000"}, "not on the due list"),
        ({"location": "nowhere"}, "Choose one of the clinic&#x27;s locations."),
        ({"ahead": "400"}, "less than or equal to 90"),
        ({"consentless": True}, "has not agreed to messages"),
        ({"invited": True}, "was invited already"),
    ],
)
def test_a_bad_invite_is_refused_at_422_and_nothing_is_written(
    daytime, client_for, clinic, data, error
):
    fields = {"email_consent": False} if data.pop("consentless", False) else {}
    patient, record = due_patient(clinic, "Ann", 101, **fields)
    if data.pop("invited", False):
        Invitation.objects.create(
            treatment=record,
            patient=patient,
            location=clinic,
            injector=record.injector,
            book_from=record.appointment.starts_at.date(),
            status="portal",
        )
    before = Invitation.objects.count()
    form = {"location": clinic.slug, "ahead": 14, "treatment": str(record.public_id), **data}
    response = post(client_for("front_desk"), "invite", **form)
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="invite-errors"' in body and error in body
    assert Invitation.objects.count() == before
    assert not Message.objects.filter(topic="invitation").exists()


def test_invite_all_with_a_bad_window_is_refused(daytime, client_for, clinic):
    due_patient(clinic, "Ann", 101)
    response = post(client_for("front_desk"), "invite-all", location=clinic.slug, ahead="x")
    assert response.status_code == 422 and "Use a whole number." in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_patient_may_not_invite(daytime, client_for, clinic):
    _, record = due_patient(clinic, "Ann", 101)
    response = post(
        client_for("patient"),
        "invite",
        location=clinic.slug,
        ahead=14,
        treatment=str(record.public_id),
    )
    assert response.status_code in (302, 403)
    assert not Invitation.objects.exists()
