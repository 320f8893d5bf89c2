"""The scheduling API and the public booking page: answers, retries and bad input."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from glabella.core.models import AccessLog
from glabella.messaging.models import Message
from glabella.patients.models import Patient
from glabella.scheduling.models import Appointment, IdempotentRequest
from glabella.scheduling.notices import manage_token

LA = ZoneInfo("America/Los_Angeles")


def next_weekday_at(hour: int, minute: int = 0, days_ahead: int = 3) -> datetime:
    """A time on a weekday at least `days_ahead` days away, in Los Angeles."""
    day = timezone.now().astimezone(LA).date() + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour, minute), tzinfo=LA)


def body(patient, start, **extra):
    return {
        "service": "consultation",
        "location": "thousand-oaks",
        "start": start.isoformat(),
        "patient": str(patient.public_id),
        **extra,
    }


def test_availability_is_public_and_pages(client, clinic):
    url = reverse("api:availability")
    first = client.get(url, {"service": "consultation", "location": "thousand-oaks", "limit": 5})
    assert first.status_code == 200
    page = first.json()
    assert len(page["slots"]) == 5 and page["next_after"]
    second = client.get(
        url,
        {"service": "consultation", "area": "Camarillo", "limit": 5, "after": page["next_after"]},
    )
    assert second.status_code == 200
    assert second.json()["slots"][0]["start"] > page["slots"][-1]["start"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"service": "nonsense", "location": "thousand-oaks"}, "service"),
        ({"service": "consultation", "location": "nowhere"}, "location"),
        ({"service": "consultation", "area": "Fresno"}, "area"),
        ({"service": "consultation"}, "location"),
        (
            {
                "service": "consultation",
                "location": "thousand-oaks",
                "from": "2026-12-10",
                "to": "2026-12-01",
            },
            "to",
        ),
        ({"service": "consultation", "location": "thousand-oaks", "from": "12/01"}, "from"),
        ({"service": "consultation", "location": "thousand-oaks", "limit": 0}, "limit"),
        ({"service": "dermal-filler", "location": "thousand-oaks"}, "service"),
    ],
)
def test_bad_availability_questions_get_field_level_422(client, clinic, params, field):
    response = client.get(reverse("api:availability"), params)
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]


def test_a_retried_booking_with_the_same_idempotency_key_books_once(client_for, patient):
    client = client_for("front_desk")
    payload = body(patient, next_weekday_at(10))
    headers = {"HTTP_IDEMPOTENCY_KEY": "booking-123"}
    url = reverse("api:book")
    first = client.post(url, payload, content_type="application/json", **headers)
    again = client.post(url, payload, content_type="application/json", **headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert Appointment.objects.filter(patient=patient).count() == 1
    other = client.post(
        url,
        body(patient, next_weekday_at(11)),
        content_type="application/json",
        **headers,
    )
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["error"]["fields"]


def test_a_retried_refusal_is_answered_as_the_first_time(client_for, patient):
    """A booking refused (here: a time in the past) and retried with its key gets the same
    refusal again, in the API's error shape, not a server error."""
    client = client_for("front_desk")
    payload = body(patient, next_weekday_at(10) - timedelta(days=30))
    headers = {"HTTP_IDEMPOTENCY_KEY": "booking-refused"}
    url = reverse("api:book")
    first = client.post(url, payload, content_type="application/json", **headers)
    again = client.post(url, payload, content_type="application/json", **headers)
    assert first.status_code == again.status_code == 422
    assert first.json() == again.json() and first.json()["error"]["fields"]
    assert IdempotentRequest.objects.get(key="booking-refused").status_code == 422
    assert not Appointment.objects.filter(patient=patient).exists()


def test_a_lost_race_answers_409_with_alternatives(client_for, patient, other_patient):
    client = client_for("front_desk")
    start = next_weekday_at(10)
    staff = Appointment._meta.get_field("provider").related_model
    provider = staff.objects.get(user__username="injector@demo.glabella.test")
    url = reverse("api:book")
    ok = client.post(
        url,
        body(patient, start, provider=str(provider.public_id)),
        content_type="application/json",
    )
    assert ok.status_code == 201, ok.json()
    taken = client.post(
        url,
        body(other_patient, start, provider=str(provider.public_id)),
        content_type="application/json",
    )
    assert taken.status_code == 409
    error = taken.json()["error"]
    assert error["code"] == "slot_taken" and "just taken" in error["message"]
    assert error["alternatives"] and error["alternatives"][0]["start"] > start.isoformat()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"service": "botox-party"}, "service"),
        ({"location": "mars"}, "location"),
        ({"start": "2026-13-40T10:00:00-08:00"}, "start"),
        ({"start": "past"}, "start"),
        ({"start": "night"}, "start"),
        ({"provider": "6f1c1d2e-0000-4000-8000-000000000000"}, "provider"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_bookings_get_field_level_errors_and_write_nothing(client_for, patient, change, field):
    if change.get("start") == "past":
        change = {"start": (timezone.now() - timedelta(days=1)).isoformat()}
    elif change.get("start") == "night":
        change = {"start": next_weekday_at(23).isoformat()}
    before = (Appointment.objects.count(), Message.objects.count())
    response = client_for("front_desk").post(
        reverse("api:book"),
        {**body(patient, next_weekday_at(10)), **change},
        content_type="application/json",
    )
    assert response.status_code == 422, response.json()
    assert field in response.json()["error"]["fields"]
    assert (Appointment.objects.count(), Message.objects.count()) == before


def test_a_patient_books_only_for_themselves_through_the_api(client_for, patient, other_patient):
    client = client_for("patient")
    url = reverse("api:book")
    mine = client.post(url, body(patient, next_weekday_at(10)), content_type="application/json")
    assert mine.status_code == 201
    theirs = client.post(
        url, body(other_patient, next_weekday_at(11)), content_type="application/json"
    )
    assert theirs.status_code == 404
    listed = client.get(reverse("api:list_appointments")).json()
    assert {a["patient"] for a in listed} == {str(patient.public_id)}


def test_staff_move_and_cancel_through_the_api(client_for, patient):
    client = client_for("front_desk")
    made = client.post(
        reverse("api:book"), body(patient, next_weekday_at(10)), content_type="application/json"
    ).json()
    moved = client.post(
        reverse("api:reschedule", args=[made["id"]]),
        {"start": next_weekday_at(14).isoformat()},
        content_type="application/json",
    )
    assert moved.status_code == 200 and moved.json()["times_rescheduled"] == 1
    cancelled = client.post(
        reverse("api:cancel", args=[made["id"]]), {}, content_type="application/json"
    )
    assert cancelled.json()["status"] == "cancelled_by_clinic"


# ---------------------------------------------------------------- the public booking page


def details(when, **change):
    data = {
        "location": "thousand-oaks",
        "service": "consultation",
        "start": when.isoformat(),
        "given_name": "Rosa",
        "family_name": "Delgado",
        "birth_date": "1990-05-17",
        "email": "rosa@example.com",
        "phone": "(805) 555-0199",
        "postal_code": "91320",
        "preferred_channel": "email",
    }
    data.update(change)
    return data


def test_a_new_patient_books_a_consultation_online_and_gets_a_manage_link(client, clinic):
    start = next_weekday_at(10)
    response = client.post(reverse("scheduling:book"), details(start))
    assert response.status_code == 302
    patient = Patient.objects.get(email="rosa@example.com")
    appointment = Appointment.objects.get(patient=patient)
    assert appointment.source == "online" and appointment.starts_at == start
    assert response["Location"] == reverse("scheduling:manage", args=[manage_token(appointment)])
    page = client.get(response["Location"])
    assert b"Delgado" not in page.content  # the page shows time and place, not who
    assert AccessLog.objects.filter(object_type="patient", action="create").exists()
    # The same person booking again is matched, not registered twice.
    client.post(reverse("scheduling:book"), details(next_weekday_at(14, days_ahead=5)))
    assert Patient.objects.filter(email="rosa@example.com").count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"phone": "12"}, "phone"),
        ({"email": "rosa-at-example"}, "email"),
        ({"postal_code": "10001"}, "postal_code"),  # New York: outside the area served
        ({"birth_date": "2090-01-01"}, "birth_date"),
        ({"given_name": ""}, "given_name"),
        ({"service": "dermal-filler"}, "service"),
        ({"start": "soon"}, "start"),
    ],
)
def test_bad_online_bookings_are_refused_field_by_field(client, clinic, change, field):
    response = client.post(reverse("scheduling:book"), details(next_weekday_at(10), **change))
    assert response.status_code == 422
    assert field in response.context["details"].errors
    assert not Patient.objects.filter(family_name="Delgado").exists()
    assert not Appointment.objects.exists()


def test_outside_the_service_area_gets_a_clear_answer(client, clinic):
    response = client.get(reverse("scheduling:book"), {"area": "Fresno"})
    assert response.status_code == 200
    assert b"We do not serve Fresno" in response.content
    served = client.get(reverse("scheduling:book"), {"area": "91320"})
    assert b"Thousand Oaks" in served.content and b"slots" in served.content


def test_the_manage_link_moves_and_cancels_and_refuses_a_forged_token(client, clinic):
    client.post(reverse("scheduling:book"), details(next_weekday_at(10)))
    appointment = Appointment.objects.get()
    url = reverse("scheduling:manage", args=[manage_token(appointment)])
    new_start = next_weekday_at(15)
    moved = client.post(url, {"action": "move", "start": new_start.isoformat()})
    assert moved.status_code == 302
    appointment.refresh_from_db()
    assert appointment.starts_at == new_start
    assert client.post(url, {"action": "cancel"}).status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == "cancelled_by_patient"
    forged = reverse("scheduling:manage", args=[manage_token(appointment)[:-2] + "xx"])
    assert client.get(forged).status_code == 404


def test_the_confirmation_email_carries_an_ics_that_calendar_clients_read(client, clinic, settings):
    from icalendar import Calendar

    from glabella.messaging.delivery import deliver_message

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    start = next_weekday_at(10)
    client.post(reverse("scheduling:book"), details(start))
    confirmation = Message.objects.get(topic="confirmation")
    deliver_message(confirmation.pk, worker="test")
    (email,) = mail.outbox
    filename, content, mimetype = email.attachments[0]
    assert filename == "appointment.ics"
    assert mimetype == "text/calendar"
    event = Calendar.from_ical(content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == start
    assert str(event.decoded("dtstart").tzinfo) == "America/Los_Angeles"
    assert "manage" in str(event.get("url"))


def test_a_new_patient_who_loses_the_race_online_leaves_no_record_behind(client, clinic):
    from glabella.clinic.models import Service
    from glabella.core.access import system_actor
    from glabella.scheduling import bookings, search

    start = next_weekday_at(10)
    # Fill 10:00 for every clinician first.
    for i, provider in enumerate(
        search.eligible_providers(Service.objects.get(slug="consultation"), clinic, start.date())
    ):
        bookings.book(
            system_actor("test"),
            service=Service.objects.get(slug="consultation"),
            location=clinic,
            start=start,
            patient=Patient.objects.create(
                given_name="X", family_name=f"Filler{i}", birth_date="1980-01-01"
            ),
            provider=provider,
        )
    response = client.post(reverse("scheduling:book"), details(start))
    assert response.status_code == 409
    assert b"just taken" in response.content
    assert response.context["alternatives"]
    assert not Patient.objects.filter(email="rosa@example.com").exists()


def days_ahead(days: int) -> str:
    """A day counted from the clinic's today, as the API takes it."""
    return (timezone.now().astimezone(LA).date() + timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"earliest": 70, "latest": 61}, "latest"),
        ({"latest": -400, "earliest": -400}, "latest"),
        ({"service": "nothing"}, "service"),
        ({"earliest": "soon"}, "earliest"),
    ],
)
def test_the_waitlist_refuses_bad_input_and_takes_good(client_for, patient, change, field):
    from glabella.scheduling.models import WaitlistEntry

    client = client_for("front_desk")
    good = {
        "patient": str(patient.public_id),
        "service": "consultation",
        "location": "thousand-oaks",
        "earliest": days_ahead(61),
        "latest": days_ahead(70),
    }
    change = {k: days_ahead(v) if isinstance(v, int) else v for k, v in change.items()}
    response = client.post(
        reverse("api:join_waitlist"), {**good, **change}, content_type="application/json"
    )
    assert response.status_code == 422 and field in response.json()["error"]["fields"]
    assert not WaitlistEntry.objects.exists()
    joined = client.post(reverse("api:join_waitlist"), good, content_type="application/json")
    assert joined.status_code == 201 and joined.json()["state"] == "waiting"


def test_the_details_form_shows_the_chosen_time_in_local_words_not_its_hidden_fields(
    client, clinic
):
    start = next_weekday_at(10)
    page = client.get(
        reverse("scheduling:book"),
        {"location": "thousand-oaks", "service": "consultation", "start": start.isoformat()},
    )
    assert page.status_code == 200
    assert b"at 10:00 AM</strong>" in page.content
    assert b'for="id_start"' not in page.content and b'type="hidden" name="start"' in page.content
