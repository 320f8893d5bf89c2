"""Durations: courses opened at signing, the onset from the day-14 check-in, the monthly movement
question ("can you frown fully again?"), re-treatment closing the course it cuts short (censored,
kept), missed questions, and the clinic's model refitted from it all once a night."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from glabella.aftercare import reports
from glabella.aftercare.models import CheckIn
from glabella.core.access import link_actor
from glabella.core.errors import Conflict, ValidationFailed
from glabella.messaging.models import Message
from glabella.outcomes import durations, forecast, refit, services
from glabella.outcomes.models import Course, Forecast, ModelFit, MovementCheck
from glabella.treatments.models import InjectionPoint
from tests.conftest import future_appointment
from tests.test_due_list import signed_record_for


def patient_link():
    """Whoever holds the movement link (a link actor reads its patient's clinic, so it is made
    inside a test, not at import)."""
    return link_actor("patient-link", "patient (movement link)", 0)


def test_signing_opens_a_course_per_area_and_schedules_the_month_two_question(treated):
    (course,) = Course.objects.filter(treatment=treated)
    assert course.area == "glabellar" and course.end == Course.End.OPEN
    assert course.lasted_days is None and course.working_at_days is None
    (check,) = MovementCheck.objects.filter(treatment=treated)
    assert check.day == 60 and check.status == MovementCheck.Status.SCHEDULED
    local = check.due_at.astimezone(treated.appointment.location.zone)
    assert local.date() == services.treated_on(treated) + timedelta(days=60) and local.hour == 10
    message = Message.objects.get(about=f"movement-check:{check.public_id}")
    assert message.status == Message.Status.SCHEDULED and message.due_at == check.due_at
    assert "Can you frown fully again?" in message.body
    assert durations.movement_token(check) in message.body


def test_the_day_14_answer_that_the_effect_shows_records_the_onset(treated):
    day14 = CheckIn.objects.get(treatment=treated, day=14)
    reports.submit(day14, {"symptoms": [], "effect_shows": True, "satisfied": True})
    assert Course.objects.get(treatment=treated).onset_day == 0  # answered on the day, here


def test_no_onset_when_the_patient_says_it_does_not_show(treated):
    day14 = CheckIn.objects.get(treatment=treated, day=14)
    reports.submit(day14, {"symptoms": [], "effect_shows": False})
    assert Course.objects.get(treatment=treated).onset_day is None


def _check(treated):
    return MovementCheck.objects.get(treatment=treated, day=60)


def test_not_yet_is_a_censored_observation_and_the_next_question_follows(treated):
    check = _check(treated)
    later = timezone.now() + timedelta(days=61)
    durations.answer(check, {"glabellar": "working"}, actor=patient_link(), now=later)
    course = Course.objects.get(treatment=treated)
    assert course.working_at_days == 61 and course.lasted_days is None
    assert course.end == Course.End.OPEN
    assert MovementCheck.objects.get(treatment=treated, day=90).status == "scheduled"
    with pytest.raises(Conflict):  # a link is answered once
        durations.answer(check, {"glabellar": "returned"}, actor=patient_link(), now=later)


def test_movement_returned_ends_the_course_and_the_forecast_gives_way_to_it(treated):
    day0 = services.treated_on(treated)
    now = timezone.now() + timedelta(days=75)
    durations.answer(
        _check(treated),
        {"glabellar": "returned", "returned_on": (day0 + timedelta(days=70)).isoformat()},
        actor=patient_link(),
        now=now,
    )
    course = Course.objects.get(treatment=treated)
    assert course.lasted_days == 70 and course.end == Course.End.RETURNED
    made = Forecast.objects.get(treatment=treated)
    assert made.wear_off_on == day0 + timedelta(days=70)
    assert made.invite_from == day0 + timedelta(days=90)  # never before the label's interval
    services.refresh(treated)  # an amendment's refresh keeps what the patient told us
    assert Forecast.objects.get(treatment=treated).wear_off_on == day0 + timedelta(days=70)
    assert not MovementCheck.objects.filter(treatment=treated, day__gt=60).exists()


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({}, "glabellar"),
        ({"glabellar": "maybe"}, "glabellar"),
        ({"glabellar": "returned", "returned_on": "soon"}, "returned_on"),
        ({"glabellar": "returned", "returned_on": "2999-01-01"}, "returned_on"),
        ({"glabellar": "working", "forehead": "working"}, "forehead"),
        ("yes", "answers"),
    ],
)
def test_a_bad_answer_is_refused_by_field_and_changes_nothing(treated, raw, field):
    check = _check(treated)
    with pytest.raises(ValidationFailed) as failed:
        durations.answer(check, raw, actor=patient_link(), now=timezone.now() + timedelta(days=61))
    assert field in failed.value.fields
    check.refresh_from_db()
    assert check.status == "scheduled" and check.answers == {}
    assert Course.objects.get(treatment=treated).working_at_days is None


def test_the_movement_page_answers_by_field_and_then_thanks(client, treated):
    url = reverse("outcomes:movement", args=[durations.movement_token(_check(treated))])
    page = client.get(url)
    assert page.status_code == 200 and b"Can you frown fully again?" in page.content
    bad = client.post(url, {"glabellar": "perhaps"})
    assert bad.status_code == 422 and b"Answer yes" in bad.content
    assert client.post(url, {"glabellar": "working"}).status_code == 200
    assert _check(treated).status == "answered"
    assert b"answered already" in client.get(url).content
    assert client.get(url + "x").status_code == 404


def charted_record_for(patient, clinic, days_ago: int, units=20):
    """A treatment signed `days_ago` days ago with 20 U between the brows."""
    from glabella.core.models import StaffMember
    from glabella.treatments.models import TreatmentRecord

    appointment = future_appointment(patient, clinic, days=-days_ago, service_slug="neuromodulator")
    injector = StaffMember.objects.get(role="injector", credential="NP")
    record = TreatmentRecord.objects.create(
        appointment=appointment, patient=patient, injector=injector, product="botox_cosmetic"
    )
    InjectionPoint.objects.create(record=record, area="glabellar", x=0.5, y=0.3, units=units)
    TreatmentRecord.objects.filter(pk=record.pk).update(
        status="locked", locked_at=appointment.starts_at
    )
    record.refresh_from_db()
    return record


def test_a_re_treatment_closes_the_course_it_cuts_short_as_censored(clinic, patient, request):
    old = charted_record_for(patient, clinic, days_ago=100)
    services.after_treatment(old, timezone.now())
    assert Course.objects.get(treatment=old).end == Course.End.OPEN
    check = MovementCheck.objects.get(treatment=old)
    treated = request.getfixturevalue("treated")  # signed today, 100 days on
    course = Course.objects.get(treatment=old)
    assert course.end == Course.End.RETREATED and course.working_at_days == 100
    assert course.lasted_days is None  # censored: kept, not thrown away
    check.refresh_from_db()
    assert check.status == MovementCheck.Status.CLOSED
    message = Message.objects.get(about=f"movement-check:{check.public_id}")
    assert message.status == Message.Status.CANCELLED
    new = Forecast.objects.get(treatment=treated)
    assert new.current and not Forecast.objects.get(treatment=old).current
    assert "1 of the patient's own" in new.basis  # the censored course informs the forecast


def test_a_missed_question_brings_the_next_and_two_in_a_row_end_the_questions(treated):
    first = _check(treated)
    late = first.due_at + timedelta(days=8)
    assert durations.follow_up_missed(late) == 1
    first.refresh_from_db()
    assert first.status == MovementCheck.Status.MISSED
    second = MovementCheck.objects.get(treatment=treated, day=90)
    assert durations.follow_up_missed(second.due_at + timedelta(days=8)) == 1
    assert Course.objects.get(treatment=treated).end == Course.End.LOST
    assert not MovementCheck.objects.filter(treatment=treated, day__gt=90).exists()
    assert durations.follow_up_missed(second.due_at + timedelta(days=9)) == 0


def test_the_nightly_refit_learns_from_recorded_durations_and_runs_once_a_day(treated, clinic):
    from tests.conftest import make_patient

    # Twelve patients whose glabellar treatments lasted 150 days: longer than the typical 105.
    for n in range(12):
        person = make_patient(given_name=f"Long{n}", email=f"long{n}@example.com")
        record = signed_record_for(person, clinic, days_ago=200 + n)
        Course.objects.create(
            treatment=record,
            patient=person,
            product="botox_cosmetic",
            area="glabellar",
            treated_on=services.treated_on(record),
            dose_ratio=1.0,
            age=45,
            count=0,
            lasted_days=150,
            end=Course.End.RETURNED,
        )
    assert durations.clinic_model().courses == 0  # the prior, before any fit
    night = timezone.now().replace(hour=12)
    assert refit.nightly_refit(night) == 1
    assert refit.nightly_refit(night + timedelta(minutes=1)) == 0  # once a day
    fit = durations.refit(ModelFit.objects.get().day, refresh=services.refresh_upcoming)
    model = durations.clinic_model()
    assert model.courses == fit.courses == 12
    learnt = forecast.forecast(model, services.session_courses(treated)[0])
    assert 120 < learnt.days < 150  # towards the clinic's 150 days, shrunk by the ridge
    assert fit.refreshed == 0 or Forecast.objects.get(treatment=treated).days == learnt.days
