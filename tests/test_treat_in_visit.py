"""Consult and treat in one visit: a decision signed during the consultation lets the desk or the
injector go on to the treatment in the same visit, without completing and booking again; without
one the action is refused, with the same words on the page, in the API and in the write."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from glabella.clinic.models import Service
from glabella.core.errors import ValidationFailed
from glabella.scheduling import treat_now
from glabella.scheduling.models import Appointment, Status
from glabella.scheduling.search import SlotTaken
from tests.conftest import clear_for_treatment, future_appointment, issue_token

NO_DECISION = "No candidacy decision was signed during this consultation."


@pytest.fixture
def noon(clinic):
    """Midday at the clinic on a weekday (open all day), so the consultation and what follows
    it fall on one day inside the opening hours."""
    moment = timezone.now().astimezone(clinic.zone).replace(hour=12, minute=0, second=0)
    while moment.weekday() >= 5:  # the demo clinic closes early on Saturday and on Sunday
        moment += timedelta(days=1)
    with time_machine.travel(moment, tick=False):
        yield timezone.now()


@pytest.fixture
def consultation(noon, patient, clinic):
    """Grace's consultation began twenty minutes ago; she was checked in."""
    visit = future_appointment(patient, clinic, days=0, checked_in=True)
    start = noon - timedelta(minutes=20)
    Appointment.objects.filter(pk=visit.pk).update(
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        blocked_from=start,
        blocked_until=start + timedelta(minutes=35),
        checked_in_at=start,
    )
    visit.refresh_from_db()
    return visit


def treatment_service():
    return Service.objects.get(slug="neuromodulator")


def _counts():
    return Appointment.objects.count(), Appointment.history.count()


def test_a_decision_signed_during_the_consultation_lets_the_visit_go_on_as_the_treatment(
    consultation, patient, actor_of, noon
):
    clear_for_treatment(patient)
    assert treat_now.refusal(consultation, noon) is None
    treatment = treat_now.treat_now(
        actor_of("injector"), consultation, service=treatment_service(), now=noon
    )
    consultation.refresh_from_db()
    assert consultation.status == Status.COMPLETED
    assert consultation.completed_at == noon
    assert consultation.blocked_until == consultation.ends_at  # the provider goes straight on
    assert treatment.status == Status.CHECKED_IN and treatment.checked_in_at == noon
    assert treatment.starts_at == consultation.ends_at
    assert treatment.ends_at == treatment.starts_at + timedelta(minutes=30)
    assert (treatment.provider, treatment.patient) == (consultation.provider, patient)
    assert treatment.service.kind == Service.Kind.NEUROMODULATOR
    assert treatment.room is not None  # a treatment room, as the service needs
    # Once is enough: the visit now has its treatment.
    assert treat_now.refusal(consultation, noon) == (
        "A treatment already follows this consultation."
    )


def test_a_booked_consultation_of_today_is_checked_in_and_completed_on_the_way(
    consultation, patient, actor_of, noon
):
    Appointment.objects.filter(pk=consultation.pk).update(status="booked", checked_in_at=None)
    consultation.refresh_from_db()
    clear_for_treatment(patient)
    treat_now.treat_now(actor_of("front_desk"), consultation, service=treatment_service())
    consultation.refresh_from_db()
    assert consultation.status == Status.COMPLETED
    assert consultation.checked_in_at == noon and consultation.completed_at == noon


def test_without_a_decision_signed_during_the_consultation_nothing_is_written(
    consultation, actor_of
):
    before = _counts()
    with pytest.raises(ValidationFailed) as refused:
        treat_now.treat_now(actor_of("injector"), consultation, service=treatment_service())
    assert refused.value.fields == {"appointment": [NO_DECISION]}
    assert _counts() == before
    consultation.refresh_from_db()
    assert consultation.status == Status.CHECKED_IN


def test_a_decision_signed_on_another_day_is_not_one_signed_during_this_visit(
    consultation, patient, actor_of, noon
):
    with time_machine.travel(noon - timedelta(days=2), tick=False):
        clear_for_treatment(patient)
    assert treat_now.refusal(consultation, noon) == NO_DECISION


def test_only_a_consultation_of_today_goes_on_as_a_treatment(patient, clinic, noon):
    clear_for_treatment(patient)
    tomorrow = future_appointment(patient, clinic, days=1)
    assert treat_now.refusal(tomorrow, noon) == (
        "A consultation goes on as a treatment on its own day only."
    )
    treatment = future_appointment(patient, clinic, days=0, service_slug="neuromodulator")
    assert treat_now.refusal(treatment, noon) == "Only a consultation goes on as a treatment."


def test_a_service_that_is_no_treatment_is_refused_on_its_field(consultation, patient, actor_of):
    clear_for_treatment(patient)
    before = _counts()
    with pytest.raises(ValidationFailed) as refused:
        treat_now.treat_now(
            actor_of("injector"), consultation, service=Service.objects.get(slug="dermal-filler")
        )
    assert list(refused.value.fields) == ["service"]
    assert _counts() == before


def test_a_provider_busy_after_the_consultation_is_refused_by_the_booking_rules(
    consultation, patient, other_patient, clinic, actor_of
):
    clear_for_treatment(patient)
    other = future_appointment(other_patient, clinic, days=1)  # then moved next to it
    start = consultation.ends_at + timedelta(minutes=10)
    Appointment.objects.filter(pk=other.pk).update(
        provider=consultation.provider,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        blocked_from=start,
        blocked_until=start + timedelta(minutes=30),
    )
    before = _counts()
    with pytest.raises(SlotTaken):
        treat_now.treat_now(actor_of("injector"), consultation, service=treatment_service())
    assert _counts() == before
    consultation.refresh_from_db()
    assert consultation.status == Status.CHECKED_IN  # rolled back with the rest


# ---------------------------------------------------------------- the page and the API


def _page(consultation):
    return reverse("scheduling:treat-now", args=[consultation.public_id])


def test_the_page_and_the_api_give_the_same_refusal(consultation, client_for, users):
    before = _counts()
    page = client_for("front_desk").post(_page(consultation), {"service": "neuromodulator"})
    assert page.status_code == 422
    assert NO_DECISION in page.content.decode()
    token = issue_token(users["front_desk"])
    api = client_for("anonymous").post(
        f"/api/v1/scheduling/appointments/{consultation.public_id}/treat-now",
        {"service": "neuromodulator"},
        content_type="application/json",
        headers={"authorization": f"Bearer {token}"},
    )
    assert api.status_code == 422
    assert api.json()["error"]["fields"] == {"appointment": [NO_DECISION]}
    assert _counts() == before


def test_the_page_refuses_a_service_not_listed_on_its_field(consultation, patient, client_for):
    clear_for_treatment(patient)
    before = _counts()
    page = client_for("injector").post(_page(consultation), {"service": "dermal-filler"})
    assert page.status_code == 422
    assert f"Choose a treatment {consultation.provider.full_name} gives." in page.content.decode()
    assert 'aria-invalid="true"' in page.content.decode()
    assert _counts() == before


def test_the_page_goes_on_to_the_treatment_and_back_to_the_chart_list(
    consultation, patient, client_for
):
    clear_for_treatment(patient)
    client = client_for("injector")
    shown = client.get(_page(consultation))
    assert shown.status_code == 200 and "Treat in this visit" in shown.content.decode()
    done = client.post(_page(consultation), {"service": "neuromodulator"})
    assert done.status_code == 302 and done["Location"] == reverse("treatments:day")
    listed = client.get(done["Location"] + f"?location={consultation.location.slug}")
    assert "Checked in" in listed.content.decode()


def test_the_api_goes_on_to_the_treatment(consultation, patient, client_for, users):
    clear_for_treatment(patient)
    token = issue_token(users["injector"])
    api = client_for("anonymous").post(
        f"/api/v1/scheduling/appointments/{consultation.public_id}/treat-now",
        {"service": "neuromodulator"},
        content_type="application/json",
        headers={"authorization": f"Bearer {token}"},
    )
    assert api.status_code == 201, api.content
    assert api.json()["status"] == "checked_in"
    assert api.json()["service"] == "neuromodulator"


def test_the_action_shows_where_the_injector_is_only_once_a_decision_is_signed(
    consultation, patient, client_for
):
    client = client_for("injector")
    link = _page(consultation)
    screening = reverse("screening:patient", args=[patient.public_id])
    chart_list = reverse("treatments:day") + f"?location={consultation.location.slug}"
    calendar = reverse("scheduling:calendar") + f"?location={consultation.location.slug}"
    for url in (screening, chart_list, calendar):
        assert link not in client.get(url).content.decode()
    clear_for_treatment(patient)
    for url in (screening, chart_list, calendar):
        assert link in client.get(url).content.decode(), url


def test_the_demo_shows_a_consultation_that_may_go_on_as_the_treatment(clinic):
    from glabella.demo.visit import NOTE, load_demo_visit
    from tests.conftest import make_patient

    open_day = next(
        timezone.now().astimezone(clinic.zone).date() + timedelta(days=d)
        for d in range(7)
        if clinic.opening_hours.filter(
            weekday=(timezone.now().astimezone(clinic.zone).date() + timedelta(days=d)).weekday()
        ).exists()
    )
    hours = clinic.opening_hours.filter(weekday=open_day.weekday()).order_by("opens").first()
    opened = timezone.datetime.combine(open_day, hours.opens, tzinfo=clinic.zone)
    make_patient(preferred_location=clinic)
    with time_machine.travel(opened + timedelta(hours=1), tick=False):
        Appointment.objects.filter(starts_at__date=open_day).delete()  # a free morning
        now = timezone.now()
        assert load_demo_visit(clinic, now) == 1
        consultation = Appointment.objects.get(note=NOTE)
        assert consultation.status == Status.CHECKED_IN
        assert treat_now.refusal(consultation, now) is None
        assert load_demo_visit(clinic, now) == 0  # once


def test_the_treatment_must_fit_the_locations_hours_and_not_a_closed_day(
    consultation, patient, actor_of, noon, clinic
):
    """Treat in this visit is held to the location's day like any booking: a day closed since
    the consultation was booked, or a treatment running past closing, is refused unwritten."""
    from glabella.clinic.models import ClosedDay, OpeningHours

    clear_for_treatment(patient)
    before = _counts()
    closed = ClosedDay.objects.create(location=clinic, day=noon.astimezone(clinic.zone).date())
    with pytest.raises(ValidationFailed) as refused:
        treat_now.treat_now(
            actor_of("injector"), consultation, service=treatment_service(), now=noon
        )
    assert "closed that day" in str(refused.value.fields["appointment"])
    closed.delete()
    local_end = consultation.ends_at.astimezone(clinic.zone)
    OpeningHours.objects.filter(location=clinic, weekday=local_end.weekday()).update(
        closes=local_end.time()
    )
    with pytest.raises(ValidationFailed) as refused:
        treat_now.treat_now(
            actor_of("injector"), consultation, service=treatment_service(), now=noon
        )
    assert "opening hours" in str(refused.value.fields["appointment"])
    assert _counts() == before
    consultation.refresh_from_db()
    assert consultation.status == Status.CHECKED_IN
