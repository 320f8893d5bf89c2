"""The invitation back: once per treatment, only with consent to messages in that channel, never
in the quiet hours; its link books the usual injector at the usual location, never before the
forecast's invite date."""

import threading
from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from glabella.messaging import quiet
from glabella.messaging.models import Message
from glabella.outcomes import invitations
from glabella.outcomes.models import Forecast, Invitation
from glabella.scheduling.models import Appointment
from tests.conftest import clear_for_treatment, future_appointment, make_patient
from tests.test_due_list import forecast_for, signed_record_for


def due_patient(clinic, name="Ivy", days_ago=101, invite_in=10, **consent):
    values = {"email_consent": True, **consent}
    person = make_patient(given_name=name, family_name="Due", email=f"{name}@example.com", **values)
    found = forecast_for(signed_record_for(person, clinic, days_ago), invite_in)
    return person, found


def at_ten(clinic, day_offset=0):
    local = timezone.now().astimezone(clinic.zone).date() + timedelta(days=day_offset)
    return datetime.combine(local, time(10), clinic.zone)


def test_a_due_patient_is_invited_once_with_their_usual_injector_and_location(clinic):
    person, found = due_patient(clinic)
    assert invitations.send_due(at_ten(clinic)) == 1
    invitation = Invitation.objects.get()
    assert invitation.status == Invitation.Status.SENT and invitation.channel == "email"
    assert invitation.injector == found.injector and invitation.location == clinic
    assert invitation.book_from == found.invite_from
    (message,) = Message.objects.filter(topic="invitation")
    assert message.to == person.email and found.injector.full_name in message.body
    assert invitations.token(invitation)[:20] in message.body
    assert "BOTOX" not in message.body and "botox" not in message.body  # no product in a message
    # Never twice: not on the next run, not the next day, not after the forecast is refreshed.
    assert invitations.send_due(at_ten(clinic)) == 0
    assert invitations.send_due(at_ten(clinic, 1)) == 0
    Forecast.objects.filter(pk=found.pk).update(invite_from=found.invite_from + timedelta(days=1))
    assert invitations.send_due(at_ten(clinic, 2)) == 0
    assert invitations.invite(found, clinic, at_ten(clinic)) is None
    assert Message.objects.filter(topic="invitation").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_one_invitation(clinic):
    due_patient(clinic)
    now = at_ten(clinic)
    results = []

    def run():
        try:
            results.append(invitations.send_due(now))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == 1
    assert Message.objects.filter(topic="invitation").count() == 1


def test_without_consent_nothing_is_sent_and_that_is_recorded(clinic):
    due_patient(clinic, name="Nia", email_consent=False, sms_consent=False)
    due_patient(clinic, name="Tex", days_ago=102, email_consent=False, sms_consent=True)
    assert invitations.send_due(at_ten(clinic)) == 2
    nia = Invitation.objects.get(patient__given_name="Nia")
    assert nia.status == Invitation.Status.NO_CONSENT and nia.channel == ""
    tex = Invitation.objects.get(patient__given_name="Tex")
    assert tex.status == Invitation.Status.SENT and tex.channel == "sms"
    assert list(Message.objects.filter(topic="invitation").values_list("to", flat=True)) == [
        tex.patient.phone
    ]
    assert invitations.send_due(at_ten(clinic, 1)) == 0  # and it is not retried


def test_nothing_goes_out_in_the_quiet_hours(clinic, settings):
    settings.QUIET_HOURS = (20, 9)
    due_patient(clinic)
    late = at_ten(clinic) + timedelta(hours=12)  # 22:00
    early = at_ten(clinic) + timedelta(hours=-2)  # 08:00
    assert invitations.send_due(late) == 0 and invitations.send_due(early) == 0
    assert not Invitation.objects.exists()
    assert invitations.send_due(at_ten(clinic)) == 1


def test_not_yet_due_booked_or_long_past_are_not_invited(clinic):
    due_patient(clinic, name="Far", invite_in=40)
    booked, _ = due_patient(clinic, name="Bo", days_ago=103)
    future_appointment(booked, clinic, days=5, service_slug="neuromodulator")
    due_patient(clinic, name="Old", days_ago=104, invite_in=-45)
    assert invitations.send_due(at_ten(clinic)) == 0


def test_the_scheduler_looks_every_quarter_hour(clinic):
    due_patient(clinic)
    assert invitations.every_quarter_hour(at_ten(clinic) + timedelta(minutes=7)) == 0
    assert invitations.every_quarter_hour(at_ten(clinic) + timedelta(minutes=15)) == 1


def test_quiet_hours_span_midnight_and_end_at_their_hour(clinic):
    zone = clinic.zone
    evening = datetime(2026, 3, 7, 21, 30, tzinfo=zone)
    assert quiet.is_quiet(evening, zone, (20, 9))
    assert quiet.next_allowed(evening, zone, (20, 9)) == datetime(2026, 3, 8, 9, tzinfo=zone)
    morning = datetime(2026, 3, 8, 7, tzinfo=zone)
    assert quiet.next_allowed(morning, zone, (20, 9)) == datetime(2026, 3, 8, 9, tzinfo=zone)
    noon = datetime(2026, 3, 8, 12, tzinfo=zone)
    assert not quiet.is_quiet(noon, zone, (20, 9))
    assert quiet.next_allowed(noon, zone, (20, 9)) == noon
    assert quiet.is_quiet(datetime(2026, 3, 8, 3, tzinfo=zone), zone, (1, 6))
    assert not quiet.is_quiet(evening, zone, (9, 9))


def test_the_invitation_link_books_the_usual_injector_from_the_invite_date(client, clinic):
    person, found = due_patient(clinic, invite_in=3)
    clear_for_treatment(person)  # a current candidacy decision
    consultation = future_appointment(person, clinic, days=-30)
    Appointment.objects.filter(pk=consultation.pk).update(status="completed")
    invitations.send_due(at_ten(clinic))
    invitation = Invitation.objects.get()
    url = reverse("outcomes:book-again", args=[invitations.token(invitation)])
    page = client.get(url)
    assert page.status_code == 200 and found.injector.full_name.encode() in page.content
    slots = page.context["slots"]
    assert slots and all(
        local.date() >= found.invite_from and slot.provider_id == found.injector_id
        for slot, local in slots
    )
    bad = client.post(url, {"start": "tomorrow"})
    assert bad.status_code == 422 and b"Choose a time" in bad.content
    too_soon = (timezone.now() + timedelta(days=1)).isoformat()
    assert client.post(url, {"start": too_soon}).status_code == 422
    assert not Appointment.objects.filter(source="invited").exists()
    chosen = slots[0][0].start.isoformat()
    done = client.post(url, {"start": chosen})
    assert done.status_code == 200 and b"You are booked" in done.content
    booked = Appointment.objects.get(source="invited")
    assert booked.provider == found.injector and booked.patient == person
    assert booked.service.slug == "neuromodulator"  # booked by the clinic otherwise
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.BOOKED and invitation.appointment == booked
    again = client.post(url, {"start": chosen})  # the link has done its work
    assert b"You are booked" in again.content
    assert Appointment.objects.filter(source="invited").count() == 1
    assert client.get(url + "x").status_code == 404
