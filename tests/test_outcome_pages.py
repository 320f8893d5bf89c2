"""The staff's outcome pages (the due list, a patient's timeline, the practice's analytics), the
charts they draw on the server, and the statistics behind them."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from glabella.core.models import AccessLog
from glabella.outcomes import analytics, charts
from glabella.outcomes.models import Course
from tests.conftest import clinic_today, make_patient
from tests.test_due_list import forecast_for, signed_record_for


def test_kaplan_meier_counts_censored_courses_for_as_long_as_they_were_seen():
    assert analytics.km_median([(100, True), (110, True), (120, True)]) == 110
    assert analytics.km_median([(100, True), (110, True), (130, False), (140, False)]) == 110
    # Three still working when last seen keep the curve above a half: no median yet (the
    # ended course alone would say 100).
    assert analytics.km_median([(100, True), (130, False), (140, False), (150, False)]) is None
    assert analytics.km_median([(90, True), (95, False), (100, True), (120, True)]) == 100
    assert analytics.km_median([]) is None


def test_returning_counts_treatments_old_enough_and_followed_within_nine_months():
    today = date(2026, 11, 1)
    treated = [
        (1, date(2025, 1, 1)),
        (1, date(2025, 5, 1)),  # came back after 120 days
        (2, date(2025, 1, 1)),  # never came back
        (3, date(2026, 10, 1)),  # too recent to tell
    ]
    rate, counted = analytics.returning(treated, today)
    assert counted == 3 and rate == pytest.approx(100 / 3)


def test_charts_escape_every_text_and_load_nothing_from_elsewhere():
    svg = charts.bars([charts.Bar("<script>alert(1)</script>", 40, "n = 5")], maximum=100)
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")
    timeline = charts.timeline(
        [charts.Treated(date(2026, 1, 5), "A & B 20 U")],
        [charts.Span("glabellar", date(2026, 1, 5), date(2026, 4, 20), False)],
        charts.Predicted(
            date(2026, 6, 1), date(2026, 9, 10), date(2026, 8, 10), date(2026, 10, 12)
        ),
        [
            charts.Point(date(2026, 1, 5), 3, "injector"),
            charts.Point(date(2026, 1, 19), 1, "patient"),
        ],
        today=date(2026, 7, 1),
    )
    assert timeline.startswith("<svg") and "A &amp; B 20 U" in timeline
    assert "style=" not in timeline  # attributes only: the CSP forbids inline styles


def test_the_due_list_page_offers_one_click_booking(client_for, clinic):
    person = make_patient(given_name="Ann", family_name="Due", email="ann@example.com")
    forecast_for(signed_record_for(person, clinic, 101), 5)
    page = client_for("front_desk").get(reverse("outcomes:due"), {"location": clinic.slug})
    assert page.status_code == 200 and b"Ann Due" in page.content
    book = f"{reverse('scheduling:staff-book')}?location={clinic.slug}&amp;service=neuromodulator"
    assert f"{book}&amp;patient={person.public_id}".encode() in page.content
    assert client_for("front_desk").get(reverse("outcomes:due"), {"ahead": "x"}).status_code == 200


def test_the_patient_timeline_draws_treatments_durations_grades_and_the_forecast(
    client_for, treated, patient
):
    Course.objects.filter(treatment=treated).update(working_at_days=30)
    page = client_for("injector").get(reverse("outcomes:patient", args=[patient.public_id]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body and "Expected to wear off" in body and "20 U" in body
    assert AccessLog.objects.filter(object_type="outcome-timeline").count() == 1
    api = client_for("injector").get(reverse("api:durations_of", args=[patient.public_id]))
    assert api.status_code == 200 and api.json()[0]["area"] == "glabellar"


def test_practice_analytics_draw_rates_and_durations_as_charts(client_for, clinic):
    for n in range(6):
        person = make_patient(given_name=f"P{n}", email=f"p{n}@example.com")
        record = signed_record_for(person, clinic, days_ago=300 + n)
        Course.objects.create(
            treatment=record,
            patient=person,
            product="botox_cosmetic",
            area="glabellar",
            treated_on=timezone.now().date() - timedelta(days=300 + n),
            dose_ratio=1,
            age=40,
            count=0,
            lasted_days=100 + 5 * n,
            end=Course.End.RETURNED,
        )
    page = client_for("medical_director").get(reverse("outcomes:practice"))
    assert page.status_code == 200
    body = page.content.decode()
    assert body.count("<svg") == 6 and "Median duration" in body
    practice = page.context["result"]
    (product,) = practice.by["product"]
    assert product.median_days == 110 and product.courses == 6 and product.responders is None
    assert practice.returning_rate == 0 and practice.returning_counted == 6
    bad = client_for("medical_director").get(reverse("outcomes:practice"), {"since": "nope"})
    assert bad.status_code == 200


def test_a_clinician_records_the_days_grades_on_the_outcomes_page(client_for, treated, patient):
    from glabella.outcomes.models import Score

    url = reverse("outcomes:patient", args=[patient.public_id])
    client = client_for("injector")
    day = clinic_today().isoformat()
    bad = client.post(
        url,
        {
            "treatment": str(treated.public_id),
            "scored_on": day,
            "glabellar-contraction-injector": "4",
        },
    )
    assert bad.status_code == 422 and b"whole number from 0" in bad.content
    no_day = client.post(
        url,
        {"treatment": str(treated.public_id), "scored_on": "", "glabellar-rest-patient": "1"},
    )
    assert no_day.status_code == 422 and b"YYYY-MM-DD" in no_day.content
    assert not Score.objects.exists()
    good = client.post(
        url,
        {
            "treatment": str(treated.public_id),
            "scored_on": day,
            "glabellar-contraction-injector": "3",
            "glabellar-contraction-patient": "2",
        },
    )
    assert good.status_code == 302
    assert sorted(Score.objects.values_list("rater", "grade")) == [("injector", 3), ("patient", 2)]
    assert client_for("front_desk").post(url, {}).status_code == 403
