"""Judging the forecast against fixed re-treatment rules on histories with a known truth. Pure.

Patients are split in two: the clinic's model is fitted on one part's whole history; for every
course of the other part, in the order they were given, the forecast sees only that patient's
earlier courses (as the clinic observed them) and is compared with the true duration.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass

from glabella.outcomes import forecast
from glabella.outcomes.synthetic import Observed


@dataclass(frozen=True)
class Scores:
    predictions: int
    forecast_mae: float
    rule_mae: dict[int, float]  # fixed rule (days) -> its mean absolute error
    coverage: float  # share of true durations inside the 80% interval
    first_visit_mae: float
    returning_mae: float
    typical_mae: float  # each product's typical duration, nothing learnt
    model: forecast.Model

    @property
    def best_rule(self) -> tuple[int, float]:
        return min(self.rule_mae.items(), key=lambda item: item[1])

    @property
    def improvement(self) -> float:
        return 1.0 - self.forecast_mae / self.best_rule[1]


def evaluate(data: list[Observed], seed: int = 1, held_out: float = 0.3, rules=(90, 120)) -> Scores:
    rng = random.Random(f"forecast-split-{seed}")
    patients = sorted({o.course.patient for o in data})
    test = {p for p in patients if rng.random() < held_out}
    model = forecast.fit(o.course for o in data if o.course.patient not in test)
    by_patient: dict[object, list[Observed]] = defaultdict(list)
    for o in data:
        if o.course.patient in test:
            by_patient[o.course.patient].append(o)
    errors, first, returning, typical = [], [], [], []
    nothing_learnt = forecast.Model()
    rule_errors = {r: [] for r in rules}
    inside = 0
    for courses in by_patient.values():
        courses.sort(key=lambda o: (o.course.treated_on, o.course.area))
        for i, o in enumerate(courses):
            history = [h.course for h in courses[:i] if h.course.treated_on < o.course.treated_on]
            subject = forecast.observed(o.course, None, None)
            made = forecast.forecast(model, subject, history)
            error = abs(made.days - o.truth_days)
            errors.append(error)
            (returning if history else first).append(error)
            inside += made.low_days <= o.truth_days <= made.high_days
            typical.append(abs(forecast.forecast(nothing_learnt, subject).days - o.truth_days))
            for r in rules:
                rule_errors[r].append(abs(r - o.truth_days))

    def mean(values):
        return sum(values) / len(values) if values else float("nan")

    return Scores(
        predictions=len(errors),
        forecast_mae=mean(errors),
        rule_mae={r: mean(v) for r, v in rule_errors.items()},
        coverage=inside / len(errors) if errors else float("nan"),
        first_visit_mae=mean(first),
        returning_mae=mean(returning),
        typical_mae=mean(typical),
        model=model,
    )
