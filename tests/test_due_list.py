"""Forecasts kept for signed treatments, and the due list they feed."""

import math
from datetime import timedelta

import pytest
from django.utils import timezone

from glabella.core.errors import Forbidden
from glabella.core.models import AccessLog
from glabella.outcomes import forecast, services
from glabella.outcomes.models import Forecast
from tests.conftest import future_appointment, make_patient, proof_for


def test_signing_a_treatment_forecasts_its_wear_off_never_before_the_minimum_interval(treated):
    made = Forecast.objects.get(treatment=treated)
    day = services.treated_on(treated)
    assert made.current and made.product == "botox_cosmetic" and made.area == "glabellar"
    assert made.days == 105 and made.wear_off_on == day + timedelta(days=105)
    assert made.low_days < made.days < made.high_days
    assert made.invite_from == day + timedelta(days=105) >= day + timedelta(days=90)
    assert made.location == treated.appointment.location and made.injector == treated.injector
    spread = forecast.Z80 * math.sqrt(forecast.PRIOR_TAU2 + forecast.PRIOR_SIGMA2)
    low, high = round(105 * math.exp(-spread)), round(105 * math.exp(spread))
    assert made.areas == {"glabellar": {"days": 105, "low_days": low, "high_days": high}}
    (course,) = services.session_courses(treated)
    assert course.dose_ratio == pytest.approx(1.0) and course.count == 0


def test_an_amendment_refreshes_the_forecast_of_its_session(treated, actor_of):
    from glabella.treatments import charting, cosign

    amendment = charting.amend(actor_of("injector"), treated)
    charting.save_draft(
        actor_of("injector"),
        amendment,
        points=[{"area": "glabellar", "x": 0.5, "y": 0.3, "units": "4"}],
        vial=treated.vial,
    )
    # 24 U between the brows in the session: above the label, so the medical director co-signs
    cosign.cosign(
        actor_of("medical_director"),
        amendment,
        note="Asymmetry",
        proof=proof_for(actor_of("medical_director")),
    )
    charting.lock(actor_of("injector"), amendment, proof=proof_for(actor_of("injector")))
    assert Forecast.objects.count() == 1
    (course,) = services.session_courses(treated)
    assert course.dose_ratio == pytest.approx(1.2)


def forecast_for(record, invite_in_days: int, current=True):
    today = timezone.now().date()
    return Forecast.objects.create(
        treatment=record,
        patient=record.patient,
        location=record.appointment.location,
        injector=record.injector,
        product=record.product,
        treated_on=today - timedelta(days=100),
        area="glabellar",
        days=100,
        low_days=80,
        high_days=120,
        wear_off_on=today + timedelta(days=invite_in_days),
        low_on=today,
        high_on=today + timedelta(days=40),
        invite_from=today + timedelta(days=invite_in_days),
        basis="test",
        current=current,
    )


def signed_record_for(patient, clinic, days_ago=100):
    from glabella.core.models import StaffMember
    from glabella.treatments.models import TreatmentRecord

    appointment = future_appointment(patient, clinic, days=-days_ago, service_slug="neuromodulator")
    injector = StaffMember.objects.get(role="injector", credential="NP")
    return TreatmentRecord.objects.create(
        appointment=appointment,
        patient=patient,
        injector=injector,
        product="botox_cosmetic",
        status="locked",
        locked_at=appointment.starts_at,
    )


def test_the_due_list_holds_current_forecasts_in_its_window_without_a_booking(
    clinic, actor_of, client_for
):
    today = timezone.now().date()
    people = {
        name: make_patient(given_name=name, family_name="Due", email=f"{name}@example.com")
        for name in ("Ann", "Bea", "Cy", "Dot", "Eve", "Fay")
    }
    # Each treated on a day of their own (one injector is never booked twice at once).
    forecast_for(signed_record_for(people["Ann"], clinic, 101), 10)
    forecast_for(signed_record_for(people["Bea"], clinic, 102), -5)  # overdue: still listed
    forecast_for(signed_record_for(people["Cy"], clinic, 103), 40)  # not yet
    forecast_for(signed_record_for(people["Dot"], clinic, 104), -60)  # long gone
    forecast_for(signed_record_for(people["Eve"], clinic, 105), 3, current=False)  # superseded
    forecast_for(signed_record_for(people["Fay"], clinic, 106), 2)
    future_appointment(people["Fay"], clinic, days=5, service_slug="neuromodulator")  # booked
    rows = services.due(actor_of("front_desk"), clinic, today)
    assert [r.patient.given_name for r in rows] == ["Bea", "Ann"]
    # Read a page at a time: a booked patient on the first page does not shorten the list.
    paged = services.due(actor_of("front_desk"), clinic, today, limit=2)
    assert [r.patient.given_name for r in paged] == ["Bea", "Ann"]
    logged = AccessLog.objects.filter(object_type="due-list").latest("id")
    assert logged.detail["patients"] == [str(r.patient.public_id) for r in rows]
    with pytest.raises(Forbidden):
        services.due(actor_of("patient"), clinic, today)
    api = client_for("front_desk").get("/api/v1/outcomes/due", {"location": clinic.slug})
    assert [r["name"] for r in api.json()] == ["Bea Due", "Ann Due"]
    wider = client_for("front_desk").get(
        "/api/v1/outcomes/due", {"location": clinic.slug, "ahead": 60}
    )
    assert [r["name"] for r in wider.json()] == ["Bea Due", "Ann Due", "Cy Due"]


@pytest.mark.parametrize(
    ("query", "field"),
    [({"location": "nowhere"}, "location"), ({"ahead": 400}, "ahead"), ({"ahead": "x"}, "ahead")],
)
def test_a_bad_due_list_query_names_its_field(client_for, clinic, query, field):
    query = {"location": clinic.slug, **query}
    answer = client_for("front_desk").get("/api/v1/outcomes/due", query)
    assert answer.status_code == 422 and field in answer.json()["error"]["fields"]


def test_a_patients_forecasts_through_the_api(client_for, treated):
    url = f"/api/v1/outcomes/patients/{treated.patient.public_id}/forecasts"
    (made,) = client_for("injector").get(url).json()
    assert made["days"] == 105 and made["current"] is True
    assert client_for("front_desk").get(url).status_code == 403
