"""The staff calendar, booking from it, the calendar feed and the failed-messages list."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from glabella.core.models import AccessLog
from glabella.messaging.models import Message
from glabella.scheduling.models import Appointment
from tests.conftest import future_appointment, make_patient

LA = ZoneInfo("America/Los_Angeles")


def weekday_ahead(days: int = 3) -> datetime:
    day = timezone.now().astimezone(LA).date() + timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(9), tzinfo=LA)


def test_the_calendar_shows_a_day_with_providers_as_columns_in_constant_queries(client_for, clinic):
    client = client_for("front_desk")
    start = weekday_ahead()
    url = f"{reverse('scheduling:calendar')}?location={clinic.slug}&day={start.date()}"
    providers = list(clinic.staff.filter(role__in=["injector", "medical_director"]))

    def visit(i):
        s = start + timedelta(minutes=30 * (i // len(providers)))
        Appointment.objects.create(
            location=clinic,
            service_id=1,
            provider=providers[i % len(providers)],
            patient=make_patient(email=f"cal{i}@example.com"),
            starts_at=s,
            ends_at=s + timedelta(minutes=30),
            blocked_from=s,
            blocked_until=s + timedelta(minutes=30),
        )

    visit(0)
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for i in range(1, 12):
        visit(i)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    assert len(many) == len(few)
    assert response.content.count(b'class="appt ') == 12
    assert response.content.count(b'/cancel/">Cancel</a>') == 12  # the reason is asked first
    for p in providers:
        assert p.full_name.encode() in response.content
    week = client.get(f"{url}&view=week")
    assert week.status_code == 200 and b"week of" in week.content


def test_staff_book_from_the_calendar_and_act_on_the_day(client_for, clinic, patient):
    client = client_for("front_desk")
    start = weekday_ahead()
    page = client.get(
        reverse("scheduling:staff-book"),
        {
            "location": clinic.slug,
            "service": "consultation",
            "patient": patient.public_id,
            "day": start.date(),
        },
    )
    assert page.status_code == 200
    assert b">9:00 AM<" in page.content  # the clinic's wall clock, not UTC
    booked = client.post(
        reverse("scheduling:staff-book"),
        {
            "location": clinic.slug,
            "service": "consultation",
            "patient": patient.public_id,
            "start": start.isoformat(),
        },
    )
    assert booked.status_code == 302
    appointment = Appointment.objects.get(patient=patient)
    assert appointment.booked_by.user.username == "desk@demo.glabella.test"
    # Checking in a future appointment is refused with a message, not an error page.
    acted = client.post(
        reverse("scheduling:appointment-action", args=[appointment.public_id, "check-in"]),
        follow=True,
    )
    assert b"on the day only" in acted.content
    client.post(reverse("scheduling:appointment-action", args=[appointment.public_id, "cancel"]))
    appointment.refresh_from_db()
    assert appointment.status == "cancelled_by_clinic"


def test_bad_staff_bookings_are_refused_field_by_field(client_for, clinic, patient):
    client = client_for("front_desk")
    response = client.post(
        reverse("scheduling:staff-book"),
        {
            "location": clinic.slug,
            "service": "consultation",
            "patient": patient.public_id,
            "start": weekday_ahead().replace(hour=22).isoformat(),
        },
    )
    assert response.status_code == 422
    assert "start" in response.context["errors"]
    assert not Appointment.objects.exists()


def test_a_provider_subscribes_to_their_calendar_and_can_stop_it(client_for, clinic, patient):
    appointment = future_appointment(patient, clinic)
    client = client_for("injector")
    made = client.post(reverse("scheduling:my-feed"), {"action": "issue"})
    url = made.context["url"]
    assert url and "/calendar/" in url
    feed = client_for("anonymous").get(url.replace("http://testserver", ""))
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(feed.content)
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == appointment.starts_at
    assert str(event.decoded("dtstart").tzinfo) == "America/Los_Angeles"
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "America/Los_Angeles"
    assert "Holloway" not in feed.content.decode()  # initials only
    assert AccessLog.objects.filter(object_type="calendar-feed", action="read").exists()
    client.post(reverse("scheduling:my-feed"), {"action": "revoke"})
    assert client_for("anonymous").get(url.replace("http://testserver", "")).status_code == 404


def test_failed_messages_are_listed_for_staff_and_can_be_sent_again(client_for, clinic):
    failed = Message.objects.create(
        channel="email",
        to="gone@example.com",
        topic="reminder",
        body="x",
        status="failed",
        attempts=6,
        last_error="SMTPRecipientsRefused: no such mailbox",
    )
    Message.objects.create(channel="email", to="ok@example.com", topic="x", body="x", status="sent")
    client = client_for("front_desk")
    page = client.get(reverse("messaging:outbox"))
    assert b"gone@example.com" in page.content and b"ok@example.com" not in page.content
    assert b"no such mailbox" in page.content
    client.post(reverse("messaging:retry", args=[failed.public_id]))
    failed.refresh_from_db()
    assert failed.status == "queued" and failed.attempts == 0


def test_a_free_time_on_the_calendar_leads_to_booking_it_for_a_patient_found_by_name(
    client_for, clinic, patient
):
    client = client_for("front_desk")
    start = weekday_ahead()
    calendar = client.get(
        reverse("scheduling:calendar"), {"location": clinic.slug, "day": start.date()}
    )
    assert b'class="tg-cell free' in calendar.content
    provider = clinic.staff.get(user__username="injector@demo.glabella.test")
    link = {
        "location": clinic.slug,
        "service": "consultation",
        "day": start.date(),
        "provider": provider.public_id,
        "start": start.isoformat(),
    }
    found = client.get(reverse("scheduling:staff-book"), {**link, "q": "Holloway"})
    assert patient.full_name.encode() in found.content
    chosen = client.get(reverse("scheduling:staff-book"), {**link, "patient": patient.public_id})
    assert b"Book 9:00 AM" in chosen.content
    client.post(
        reverse("scheduling:staff-book"),
        {**link, "patient": patient.public_id, "start": start.isoformat()},
    )
    appointment = Appointment.objects.get(patient=patient)
    assert appointment.provider == provider and appointment.starts_at == start
