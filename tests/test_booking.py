"""Booking, moving and cancelling appointments: the rules a clinic's front desk relies on."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from glabella.clinic.models import Service
from glabella.core.access import system_actor
from glabella.core.errors import Forbidden, ValidationFailed
from glabella.messaging.models import Message
from glabella.scheduling import bookings, search, waitlist
from glabella.scheduling.models import Appointment, ScheduleException, Status, WaitlistEntry
from glabella.scheduling.notices import reminder_instant
from tests.conftest import clear_for_treatment, make_patient

LA = ZoneInfo("America/Los_Angeles")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=LA)  # a Monday morning


def at(day_offset: int, hour: int, minute: int = 0) -> datetime:
    day = NOW.date() + timedelta(days=day_offset)
    return datetime.combine(day, time(hour, minute), tzinfo=LA)


@pytest.fixture
def svc(clinic):
    return {s.slug: s for s in Service.objects.all()}


@pytest.fixture
def desk(actor_of):
    return actor_of("front_desk")


def book(actor, svc, clinic, patient, start, slug="consultation", **kw):
    return bookings.book(
        actor,
        service=svc[slug],
        location=clinic,
        start=start,
        patient=patient,
        now=kw.pop("now", NOW),
        **kw,
    )


def test_a_booking_queues_a_confirmation_and_two_reminders(desk, svc, clinic, patient):
    appt = book(desk, svc, clinic, patient, at(3, 10))
    assert appt.status == Status.BOOKED
    assert appt.blocked_until == appt.ends_at + timedelta(minutes=5)
    messages = Message.objects.filter(about=f"appointment:{appt.public_id}")
    assert sorted(messages.values_list("topic", flat=True)) == [
        "confirmation",
        "reminder",
        "reminder",
    ]
    confirmation = messages.get(topic="confirmation")
    assert confirmation.status == Message.Status.QUEUED
    assert confirmation.attachments[0]["filename"] == "appointment.ics"
    assert "Consultation" not in confirmation.body  # time, place and link only
    due = sorted(m.due_at for m in messages.filter(topic="reminder"))
    assert due == [at(1, 10), at(3, 8)]


def test_a_taken_time_answers_409_with_the_next_free_times(desk, svc, clinic, patient):
    first = book(desk, svc, clinic, patient, at(1, 10))
    other = make_patient()
    # Three clinicians work; fill the other two at 10:00 as well.
    book(desk, svc, clinic, make_patient(email="a@example.com"), at(1, 10))
    book(desk, svc, clinic, make_patient(email="b@example.com"), at(1, 10))
    with pytest.raises(search.SlotTaken) as taken:
        book(desk, svc, clinic, other, at(1, 10))
    assert taken.value.status == 409
    alternatives = taken.value.alternatives
    assert alternatives and all(s.start > first.starts_at for s in alternatives)
    assert Appointment.objects.filter(patient=other).count() == 0


def test_a_chosen_provider_is_kept_and_the_same_provider_cannot_be_booked_twice(
    desk, svc, clinic, patient
):
    provider = search.eligible_providers(svc["consultation"], clinic, at(1, 10).date())[0]
    book(desk, svc, clinic, patient, at(1, 10), provider=provider)
    with pytest.raises(search.SlotTaken):
        book(desk, svc, clinic, make_patient(), at(1, 10, 15), provider=provider)
    # 10:30 is free, and so is 10:35 (the 5-minute clean-up ends then), but the grid is 15 min.
    later = book(
        desk, svc, clinic, make_patient(email="c@example.com"), at(1, 10, 45), provider=provider
    )
    assert later.provider == provider


@pytest.mark.parametrize(
    ("start", "field"),
    [
        (at(1, 7), "start"),  # before the clinic opens
        (at(1, 12, 30), "start"),  # everyone's lunch break
        (at(6, 10), "start"),  # Sunday: closed
        (at(-1, 10), "start"),  # in the past
        (datetime(2026, 11, 24, 10, 0), "start"),  # no time zone
    ],
)
def test_times_the_clinic_does_not_work_are_refused_field_by_field(
    desk, svc, clinic, patient, start, field
):
    with pytest.raises(ValidationFailed) as failed:
        book(desk, svc, clinic, patient, start)
    assert field in failed.value.fields
    assert not Appointment.objects.exists()
    assert not Message.objects.exists()


def test_a_patient_cannot_be_in_two_places_at_once(desk, svc, clinic, patient):
    book(desk, svc, clinic, patient, at(1, 10))
    with pytest.raises(search.SlotTaken):
        book(desk, svc, clinic, patient, at(1, 10, 15), slug="two-week-review")


def test_a_neuromodulator_treatment_needs_a_consultation_within_a_year(desk, svc, clinic, patient):
    clear_for_treatment(patient)  # the candidacy decision (tested in test_screening)
    with pytest.raises(ValidationFailed) as failed:
        book(desk, svc, clinic, patient, at(2, 11), slug="neuromodulator")
    assert "consultation" in failed.value.fields["service"][0]
    book(desk, svc, clinic, patient, at(1, 10))
    treatment = book(desk, svc, clinic, patient, at(2, 11), slug="neuromodulator")
    assert treatment.room.name.startswith("Treatment room")


def test_online_bookings_keep_the_lead_time_and_the_online_list(svc, clinic, patient):
    online = system_actor("test")
    with pytest.raises(ValidationFailed) as failed:
        book(online, svc, clinic, patient, NOW + timedelta(minutes=60), source="online")
    assert "notice" in failed.value.fields["start"][0]
    with pytest.raises(ValidationFailed) as failed:
        book(online, svc, clinic, patient, at(1, 10), slug="dermal-filler", source="online")
    assert "service" in failed.value.fields


def test_time_off_removes_a_provider_from_that_day(desk, svc, clinic, patient):
    day = at(1, 10).date()
    providers = search.eligible_providers(svc["consultation"], clinic, day)
    for p in providers:
        ScheduleException.objects.create(staff=p, day=day, kind="time_off")
    with pytest.raises(ValidationFailed):
        book(desk, svc, clinic, patient, at(1, 10))


def test_reschedule_moves_the_booking_and_its_reminders(desk, svc, clinic, patient):
    appt = book(desk, svc, clinic, patient, at(1, 10))
    moved = bookings.reschedule(desk, appt, start=at(2, 14), now=NOW)
    assert moved.starts_at == at(2, 14) and moved.times_rescheduled == 1
    about = f"appointment:{appt.public_id}"
    live_reminders = Message.objects.filter(about=about, topic="reminder").exclude(
        status=Message.Status.CANCELLED
    )
    assert sorted(m.due_at for m in live_reminders) == [at(0, 14), at(2, 12)]
    assert Message.objects.filter(about=about, topic="rescheduled").count() == 1


def test_a_patient_may_cancel_online_only_outside_the_cancellation_window(
    actor_of, desk, svc, clinic, patient
):
    me = actor_of("patient")
    soon = book(desk, svc, clinic, patient, at(0, 15))
    with pytest.raises(ValidationFailed) as failed:
        bookings.cancel(me, soon, now=NOW)
    assert "call us" in failed.value.fields["appointment"][0]
    later = book(desk, svc, clinic, patient, at(3, 10))
    cancelled = bookings.cancel(me, later, now=NOW)
    assert cancelled.status == Status.CANCELLED_BY_PATIENT
    # The clinic may cancel at any time.
    assert bookings.cancel(desk, soon, now=NOW).status == Status.CANCELLED_BY_CLINIC
    # A cancelled time is free again.
    assert book(desk, svc, clinic, make_patient(), at(3, 10)).starts_at == at(3, 10)


def test_another_patient_cannot_touch_my_booking(client_for, desk, svc, clinic, patient, users):
    from glabella.core.access import actor_for

    other = make_patient()
    appt = book(desk, svc, clinic, other, at(3, 10))
    with pytest.raises(Forbidden):
        bookings.cancel(actor_for(users["patient"]), appt, now=NOW)


def test_the_day_runs_check_in_complete_and_no_show(desk, svc, clinic, patient):
    appt = book(desk, svc, clinic, patient, at(0, 15))
    with pytest.raises(ValidationFailed):
        bookings.complete(desk, appt, now=at(0, 15, 5))
    bookings.check_in(desk, appt, now=at(0, 14, 55))
    done = bookings.complete(desk, appt, now=at(0, 15, 30))
    assert done.status == Status.COMPLETED
    missed = book(desk, svc, clinic, make_patient(), at(1, 9))
    with pytest.raises(ValidationFailed):
        bookings.mark_no_show(desk, missed, now=at(1, 8, 59))
    assert bookings.mark_no_show(desk, missed, now=at(1, 9, 20)).status == Status.NO_SHOW
    pending = Message.objects.filter(about=f"appointment:{missed.public_id}", topic="reminder")
    assert set(pending.values_list("status", flat=True)) <= {"cancelled", "sent"}


def test_a_freed_time_is_offered_to_the_first_patient_waiting(desk, svc, clinic, patient):
    day = at(3, 10).date()
    first = make_patient(email="first@example.com")
    second = make_patient(email="second@example.com")
    for p in (first, second):
        waitlist.join_waitlist(
            desk,
            patient=p,
            service=svc["consultation"],
            location=clinic,
            earliest=day,
            latest=day,
            now=NOW,
        )
    appt = book(desk, svc, clinic, patient, at(3, 10))
    bookings.cancel(desk, appt, now=NOW)
    offered = WaitlistEntry.objects.get(patient=first)
    assert offered.state == WaitlistEntry.State.OFFERED
    assert WaitlistEntry.objects.get(patient=second).state == WaitlistEntry.State.WAITING
    assert Message.objects.filter(patient=first, topic="waitlist_offer").count() == 1


def test_reminders_fire_at_the_same_local_hour_across_both_dst_changes():
    def before(start, hours, zone=LA):
        return start.astimezone(UTC) - reminder_instant(start, hours, zone)

    # Monday 9 March 2026, 10:00 in Los Angeles; the clocks went forward on Sunday 8 March.
    start = datetime(2026, 3, 9, 10, tzinfo=LA)
    assert reminder_instant(start, 48, LA).astimezone(LA).hour == 10
    assert before(start, 48) == timedelta(hours=47)
    # Monday 2 November 2026: the clocks went back on Sunday 1 November.
    start = datetime(2026, 11, 2, 10, tzinfo=LA)
    assert reminder_instant(start, 48, LA).astimezone(LA).hour == 10
    assert before(start, 48) == timedelta(hours=49)
    # Two hours is two hours of elapsed time, even across the change.
    start = datetime(2026, 11, 1, 2, 30, tzinfo=LA)
    assert before(start, 2) == timedelta(hours=2)
    sydney = ZoneInfo("Australia/Sydney")
    start = datetime(2026, 10, 5, 10, tzinfo=sydney)  # clocks went forward 4 October
    assert reminder_instant(start, 48, sydney).astimezone(sydney).hour == 10


def test_moving_back_to_the_first_time_schedules_its_reminders_again(desk, svc, clinic, patient):
    appt = book(desk, svc, clinic, patient, at(3, 10))
    bookings.reschedule(desk, appt, start=at(3, 14), now=NOW)
    bookings.reschedule(desk, appt, start=at(3, 10), now=NOW)
    live = Message.objects.filter(about=f"appointment:{appt.public_id}", topic="reminder").exclude(
        status=Message.Status.CANCELLED
    )
    assert sorted(m.due_at for m in live) == [at(1, 10), at(3, 8)]
