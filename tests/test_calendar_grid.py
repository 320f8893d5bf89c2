"""The staff calendar as a time grid (issue 19, Deliver 2): today's schedule as the staff landing
page, each visit's status and forms on its block, booking a tapped time after a confirm, moving
and canceling with a reason, and the waitlist page. Bad input on every form: 422, nothing written.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from glabella.clinic.models import Service
from glabella.core.models import AccessLog
from glabella.messaging.models import Message
from glabella.scheduling.models import Appointment, WaitlistEntry
from glabella.screening.consents import current_documents, ensure_default_consents
from glabella.screening.models import SignedConsent
from tests.conftest import clear_for_treatment, make_patient

LA = ZoneInfo("America/Los_Angeles")


def weekday_ahead(days: int = 3, hour: int = 9, minute: int = 0) -> datetime:
    day = timezone.now().astimezone(LA).date() + timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour, minute), tzinfo=LA)


def visit(clinic, patient, start, service="consultation", provider=None, **fields):
    service = Service.objects.get(slug=service)
    provider = provider or clinic.staff.filter(role="injector").first()
    end = start + timedelta(minutes=service.duration_minutes)
    return Appointment.objects.create(
        location=clinic,
        service=service,
        provider=provider,
        patient=patient,
        starts_at=start,
        ends_at=end,
        blocked_from=start - timedelta(minutes=service.buffer_before_minutes),
        blocked_until=end + timedelta(minutes=service.buffer_after_minutes),
        **fields,
    )


def shown_in_log(kind: str) -> set[str]:
    """The patients the access log's listing rows of this kind name."""
    rows = AccessLog.objects.filter(object_type=kind)
    return {p for row in rows for p in (row.detail or {}).get("patients", [])}


def day_of(clinic, start):
    return f"{reverse('scheduling:calendar')}?location={clinic.slug}&day={start.date()}"


def test_staff_land_on_today_s_schedule(client_for, clinic):
    landing = client_for("front_desk").get(reverse("core:home"), follow=True)
    assert landing.redirect_chain[-1][0] == reverse("scheduling:calendar")
    today = timezone.now().astimezone(clinic.zone).date()
    assert landing.context["day"] == today and landing.context["view"] == "day"


def test_each_block_shows_the_visit_s_status_and_forms(client_for, clinic, patient):
    start = weekday_ahead()
    clear_for_treatment(patient)  # the health questions answered
    ensure_default_consents()
    SignedConsent.objects.create(
        patient=patient,
        document=current_documents()["neuromodulator"],
        typed_name=patient.full_name,
        method="typed",
        via="staff",
        text_sha256="0" * 64,
        pdf=b"%PDF",
        pdf_sha256="0" * 64,
        actor_label="test",
    )
    maya = make_patient(email="maya-forms@example.com")
    visit(clinic, patient, start)
    visit(clinic, maya, start + timedelta(hours=1))
    page = client_for("front_desk").get(day_of(clinic, start))
    blocks = {b["patient"]: b for c in page.context["grid"].columns for b in c.blocks}
    assert blocks[patient.full_name]["forms_words"] == "Forms done"
    assert blocks[maya.full_name]["forms_words"] == "Forms: health questions and consent missing"
    html = page.content.decode()
    assert "Forms done" in html and "health questions and consent missing" in html
    assert html.count('class="tag status">Booked<') == 2
    # A block spans its length in quarter hours (a consultation of 30 minutes: two rows).
    assert blocks[maya.full_name]["span"] == 2
    assert blocks[maya.full_name]["row"] == blocks[patient.full_name]["row"] + 4
    # Both patients shown are named in the access log.
    assert {str(patient.public_id), str(maya.public_id)} <= shown_in_log("calendar")


def test_week_view_shows_one_provider_s_days_as_columns(client_for, clinic, patient):
    start = weekday_ahead()
    provider = clinic.staff.filter(role="injector").first()
    visit(clinic, patient, start, provider=provider)
    page = client_for("front_desk").get(
        day_of(clinic, start) + f"&view=week&provider={provider.public_id}"
    )
    columns = page.context["grid"].columns
    assert [c.day.weekday() for c in columns] == list(range(7))
    assert sum(len(c.blocks) for c in columns) == 1
    assert b"week of" in page.content


def test_tapping_a_free_time_asks_who_and_what_before_booking(client_for, clinic, patient):
    client = client_for("front_desk")
    start = weekday_ahead()
    provider = clinic.staff.filter(role="injector").first()
    calendar = client.get(day_of(clinic, start))
    assert b'class="tg-cell free' in calendar.content
    link = {
        "location": clinic.slug,
        "service": "consultation",
        "provider": provider.public_id,
        "start": start.isoformat(),
    }
    confirm = client.get(reverse("scheduling:book-at"), link)
    assert confirm.status_code == 200 and not Appointment.objects.exists()
    assert b"Confirm booking" in confirm.content
    found = client.get(reverse("scheduling:book-at"), {**link, "q": "Holloway"})
    assert patient.full_name.encode() in found.content
    chosen = client.get(reverse("scheduling:book-at"), {**link, "patient": patient.public_id})
    assert b"9:00 AM" in chosen.content
    booked = client.post(reverse("scheduling:book-at"), {**link, "patient": patient.public_id})
    assert booked.status_code == 302
    appointment = Appointment.objects.get(patient=patient)
    assert appointment.provider == provider and appointment.starts_at == start


@pytest.mark.parametrize(
    "change, field",
    [
        ({"patient": ""}, "patient"),
        ({"service": "no-such-service"}, "service"),
        ({"provider": "00000000-0000-0000-0000-000000000000"}, "provider"),
        ({"start": "not a time"}, "start"),
        ({"start": "2300-01-01T09:00:00-08:00"}, "start"),
        ({"start": "night"}, "start"),  # replaced below by 10 PM, outside the clinic's hours
    ],
)
def test_bad_bookings_from_the_grid_are_refused_field_by_field(
    client_for, clinic, patient, change, field
):
    start = weekday_ahead()
    provider = clinic.staff.filter(role="injector").first()
    data = {
        "location": clinic.slug,
        "service": "consultation",
        "provider": provider.public_id,
        "start": start.isoformat(),
        "patient": patient.public_id,
        **change,
    }
    if data["start"] == "night":
        data["start"] = start.replace(hour=22).isoformat()
    answer = client_for("front_desk").post(reverse("scheduling:book-at"), data)
    assert answer.status_code == 422
    form = answer.context["form"]
    assert field in form.errors or (field == "start" and form.non_field_errors())
    assert not Appointment.objects.exists()


def test_a_visit_moves_by_its_move_page_and_the_patient_is_told(client_for, clinic, patient):
    start = weekday_ahead()
    appointment = visit(clinic, patient, start)
    client = client_for("front_desk")
    later = start + timedelta(hours=2)
    # A drop on the grid opens the page with the new time filled in.
    page = client.get(
        reverse("scheduling:move-visit", args=[appointment.public_id]),
        {"start": later.isoformat(), "provider": appointment.provider.public_id},
    )
    assert page.context["form"].initial["time"] == later.time()
    moved = client.post(
        reverse("scheduling:move-visit", args=[appointment.public_id]),
        {"day": later.date(), "time": "11:00", "provider": appointment.provider.public_id},
    )
    assert moved.status_code == 302
    appointment.refresh_from_db()
    assert appointment.starts_at == later and appointment.times_rescheduled == 1
    assert (
        Message.objects.filter(topic__icontains="resched").exists()
        or Message.objects.filter(about=f"appointment:{appointment.public_id}").exists()
    )


def _move(client, appointment, **data):
    return client.post(reverse("scheduling:move-visit", args=[appointment.public_id]), data)


@pytest.mark.parametrize(
    "data, field",
    [
        ({"time": "22:00"}, "time"),  # outside the clinic's hours
        ({"time": ""}, "time"),
        ({"day": "2300-01-01"}, "day"),  # outside the house's range of dates
        ({"day": "tomorrow"}, "day"),
        ({"provider": "00000000-0000-0000-0000-000000000000"}, "provider"),
    ],
)
def test_bad_moves_are_refused_field_by_field(client_for, clinic, patient, data, field):
    start = weekday_ahead()
    appointment = visit(clinic, patient, start)
    fields = {"day": start.date(), "time": "11:00", "provider": appointment.provider.public_id}
    answer = _move(client_for("front_desk"), appointment, **{**fields, **data})
    assert answer.status_code == 422
    assert field in answer.context["form"].errors
    appointment.refresh_from_db()
    assert appointment.starts_at == start and appointment.times_rescheduled == 0


def test_a_move_into_another_visit_is_refused_on_either_database(client_for, clinic, patient):
    start = weekday_ahead()
    appointment = visit(clinic, patient, start)
    other = visit(clinic, make_patient(email="other@example.com"), start + timedelta(hours=2))
    answer = _move(
        client_for("front_desk"),
        appointment,
        day=start.date(),
        time="11:00",
        provider=other.provider.public_id,
    )
    assert answer.status_code == 422
    assert "just taken" in str(answer.context["form"].errors["time"])
    appointment.refresh_from_db()
    assert appointment.starts_at == start and appointment.times_rescheduled == 0


@pytest.mark.django_db(transaction=True)
def test_postgresql_itself_refuses_a_move_onto_another_visit(clinic, patient):
    """The exclusion constraint is the guarantee on PostgreSQL, whatever code writes the move."""
    if connection.vendor != "postgresql":
        pytest.skip("exclusion constraints exist on PostgreSQL only; SQLite serialises writes")
    start = weekday_ahead()
    appointment = visit(clinic, patient, start)
    visit(clinic, make_patient(email="other@example.com"), start + timedelta(hours=2))
    later = start + timedelta(hours=2)
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        Appointment.objects.filter(pk=appointment.pk).update(
            starts_at=later,
            ends_at=later + timedelta(minutes=30),
            blocked_from=later,
            blocked_until=later + timedelta(minutes=30),
        )
    assert refused.value.__cause__.sqlstate == "23P01"


def test_a_visit_is_canceled_with_its_reason_which_the_calendar_shows(client_for, clinic, patient):
    start = weekday_ahead()
    appointment = visit(clinic, patient, start)
    client = client_for("front_desk")
    url = reverse("scheduling:cancel-visit", args=[appointment.public_id])
    for data, field in (({"by": "clinic", "reason": "   "}, "reason"), ({"reason": "x"}, "by")):
        refused = client.post(url, data)
        assert refused.status_code == 422 and field in refused.context["form"].errors
        appointment.refresh_from_db()
        assert appointment.status == "booked" and appointment.cancel_reason == ""
    done = client.post(url, {"by": "patient", "reason": "Her flight was changed"})
    assert done.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == "cancelled_by_patient"
    assert appointment.cancel_reason == "Her flight was changed"
    page = client.get(day_of(clinic, start))
    assert "Canceled by the patient: “Her flight was changed”" in page.content.decode()


@pytest.fixture
def waiting(clinic, patient):
    day = weekday_ahead().date()
    return WaitlistEntry.objects.create(
        patient=patient,
        service=Service.objects.get(slug="consultation"),
        location=clinic,
        earliest=day,
        latest=day + timedelta(days=7),
    )


def test_the_waitlist_page_shows_who_waits_and_logs_them(client_for, clinic, patient, waiting):
    page = client_for("front_desk").get(reverse("scheduling:waitlist"))
    html = page.content.decode()
    assert patient.full_name in html and "Consultation" in html and "Any provider" in html
    assert str(patient.public_id) in shown_in_log("waitlist")
    calendar = client_for("front_desk").get(reverse("scheduling:calendar"))
    assert reverse("scheduling:waitlist").encode() in calendar.content


def test_a_free_time_is_offered_to_a_waiting_patient(client_for, clinic, patient, waiting):
    client = client_for("front_desk")
    url = reverse("scheduling:waitlist-offer", args=[waiting.public_id])
    page = client.get(url)
    offered_start = page.context["times"][0][0]
    for bad in ("", "soon", weekday_ahead(hour=22).isoformat()):
        refused = client.post(url, {"start": bad})
        assert refused.status_code == 422 and "start" in refused.context["form"].errors
    waiting.refresh_from_db()
    assert waiting.state == "waiting" and not Message.objects.filter(topic="waitlist_offer")
    assert client.post(url, {"start": offered_start}).status_code == 302
    waiting.refresh_from_db()
    assert waiting.state == "offered"
    assert waiting.offered_start == datetime.fromisoformat(offered_start)
    assert Message.objects.filter(topic="waitlist_offer", about=f"waitlist:{waiting.public_id}")


def test_a_patient_is_removed_from_the_waitlist_with_a_reason(client_for, clinic, waiting):
    client = client_for("front_desk")
    url = reverse("scheduling:waitlist-remove", args=[waiting.public_id])
    for bad in ("", "   ", "x" * 301):
        refused = client.post(url, {"reason": bad})
        assert refused.status_code == 422 and "reason" in refused.context["form"].errors
        waiting.refresh_from_db()
        assert waiting.state == "waiting" and waiting.removed_reason == ""
    assert client.post(url, {"reason": "Booked elsewhere"}).status_code == 302
    waiting.refresh_from_db()
    assert waiting.state == "withdrawn" and waiting.removed_reason == "Booked elsewhere"
    page = client.get(reverse("scheduling:waitlist"))
    assert "Booked elsewhere" in page.content.decode()
    again = client.post(url, {"reason": "Twice"})
    assert again.status_code == 422


def test_a_visit_that_has_begun_does_not_move(client_for, clinic, patient):
    start = weekday_ahead()
    here = visit(clinic, patient, start, status="checked_in", checked_in_at=start)
    client = client_for("front_desk")
    url = reverse("scheduling:move-visit", args=[here.public_id])
    assert b"This appointment is checked in" in client.get(url).content
    answer = client.post(
        url, {"day": start.date(), "time": "11:00", "provider": here.provider.public_id}
    )
    assert answer.status_code == 422
    here.refresh_from_db()
    assert here.starts_at == start and here.status == "checked_in"
    calendar = client.get(day_of(clinic, start))
    (block,) = [b for c in calendar.context["grid"].columns for b in c.blocks]
    assert block["move_url"] == "" and "move" not in {a["slug"] for a in block["actions"]}
