"""The re-treatment forecast (pure): where it starts, what it learns from the clinic and from the
patient, censored observations, the label's minimum interval, and its accuracy on synthetic
histories with a known truth."""

import math
from datetime import date, timedelta

import pytest

from glabella.outcomes import evaluate, forecast, synthetic
from glabella.outcomes.forecast import Course, Model

DAY = date(2026, 3, 2)


def course(patient="p", product="botox_cosmetic", area="glabellar", days_ago=0, **fields):
    return Course(patient, product, area, DAY - timedelta(days=days_ago), **fields)


def test_with_nothing_learnt_the_forecast_is_the_products_typical_duration():
    botox = forecast.forecast(Model(), course())
    assert botox.days == 105 and botox.wear_off_on == DAY + timedelta(days=105)
    assert botox.low_days < botox.days < botox.high_days
    assert forecast.forecast(Model(), course(product="daxxify")).days == 180
    assert "typical 105 days" in botox.basis and botox.history == 0


def test_the_invitation_never_comes_before_the_labels_minimum_interval():
    quick = [course(days_ago=d, lasted_days=62) for d in (400, 300, 200, 100)]
    made = forecast.forecast(Model(), course(), quick)
    assert made.days < 90 and made.wear_off_on < DAY + timedelta(days=90)
    assert made.invite_from == DAY + timedelta(days=90)
    made = forecast.forecast(Model(), course(), quick, min_interval_days=120)
    assert made.invite_from == DAY + timedelta(days=120)


def test_the_patients_own_history_moves_the_forecast_and_narrows_it():
    nothing = forecast.forecast(Model(), course())
    long_ = [course(days_ago=d, lasted_days=150) for d in (600, 450, 300)]
    short = [course(days_ago=d, lasted_days=80) for d in (600, 450, 300)]
    later = forecast.forecast(Model(), course(), long_)
    sooner = forecast.forecast(Model(), course(), short)
    assert sooner.days < nothing.days < later.days < 150
    assert later.history == 3 and "3 of the patient's own" in later.basis
    width = math.log(later.high_days / later.low_days)
    assert width < math.log(nothing.high_days / nothing.low_days)
    one = forecast.forecast(Model(), course(), long_[:1])
    assert nothing.days < one.days < later.days  # more history, more weight


def test_a_treatment_still_working_when_last_seen_counts_as_at_least_that_long():
    still = [course(days_ago=300, working_at_days=170)]
    made = forecast.forecast(Model(), course(), still)
    assert made.days > forecast.forecast(Model(), course()).days
    # Censored early says little: still working at day 20 barely moves the forecast.
    early = forecast.forecast(Model(), course(), [course(days_ago=300, working_at_days=20)])
    assert abs(early.days - 105) <= 2
    # A course with no outcome yet is not history.
    assert forecast.forecast(Model(), course(), [course(days_ago=30)]).history == 0


def test_the_clinics_history_teaches_dose_area_and_product():
    data = synthetic.generate(500, seed=3)
    model = forecast.fit(o.course for o in data)
    learnt = model.coefficients()
    assert learnt["dose"] > 0.1  # more units than the label's, longer
    assert learnt["area:forehead"] < 0  # forehead wears off sooner than glabellar here
    assert learnt["area:off_label"] > 0.1  # the masseter lasts longer
    daxxify = forecast.forecast(model, course(product="daxxify"))
    assert 140 < daxxify.days < 190  # this clinic's DAXXIFY is 165 days, not the typical 180
    assert model.courses == sum(o.course.known for o in data) and model.patients == 500
    assert forecast.fit([]) == Model()


def test_on_synthetic_histories_the_forecast_beats_fixed_rules_and_its_interval_is_honest():
    scores = evaluate.evaluate(synthetic.generate(600, seed=2), seed=2)
    assert scores.predictions > 1000
    assert scores.improvement >= 0.25, scores
    assert scores.forecast_mae < scores.typical_mae
    assert scores.returning_mae < scores.first_visit_mae
    assert 0.72 <= scores.coverage <= 0.88, scores.coverage


def test_features_read_sides_and_unknown_areas_and_bound_wild_values():
    left = forecast.features(course(area="lateral_canthal_left"))
    assert left == forecast.features(course(area="lateral_canthal"))
    assert forecast.features(course(area="masseter")) == forecast.features(course(area="off_label"))
    huge = forecast.features(course(dose_ratio=50.0, age=140, count=999))
    assert huge[-3:] == pytest.approx((math.log(4.0), 4.5, math.log1p(30)))


def test_the_solver_solves():
    assert forecast._solve([[2.0, 1.0], [1.0, 3.0]], [3.0, 5.0]) == pytest.approx([0.8, 1.4])
