"""Synthetic treatment histories with a known truth, for judging the forecast (bench/forecast.py and
tests/test_forecast.py). Pure and deterministic for a seed.

The truth is deliberately not the forecast's own model, so that the benchmark measures how well
the model copes with a clinic it was not written for: patients differ by a gamma-distributed
factor (not log-normal), one visit differs from the next by a skewed Weibull factor, dose works
with diminishing returns (and under-dosing costs more than over-dosing gains), age shortens the
effect only past 50, repeated treatment lengthens it up to a ceiling, and each product's real
duration in this clinic differs from its typical one.

What the clinic observes is not the truth either: a monthly check-in asks since when movement has
returned (a week either way); a patient re-treated while the effect still works, or who stops
answering, leaves a right-censored observation.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

from glabella.outcomes.forecast import Course

# This clinic's real durations, in days (the forecast starts from the typical ones).
TRUE_DAYS = {
    "botox_cosmetic": 112.0,
    "dysport": 100.0,
    "xeomin": 97.0,
    "jeuveau": 104.0,
    "letybo": 106.0,
    "daxxify": 165.0,
}
AREA_FACTOR = {"glabellar": 1.0, "forehead": 0.9, "lateral_canthal": 0.95, "masseter": 1.3}
PRODUCT_SHARE = [
    ("botox_cosmetic", 0.45),
    ("dysport", 0.2),
    ("xeomin", 0.12),
    ("jeuveau", 0.12),
    ("daxxify", 0.08),
    ("letybo", 0.03),
]
START = date(2022, 1, 3)
TODAY = date(2026, 11, 1)


@dataclass(frozen=True)
class Observed:
    course: Course  # with what the clinic knew of its outcome
    truth_days: float  # how long it really lasted


def _weibull_factor(rng: random.Random, shape: float = 8.0) -> float:
    mean = math.gamma(1 + 1 / shape)
    return rng.weibullvariate(1.0, shape) / mean


def true_duration(product, area, dose_ratio, age, count, patient_factor, rng) -> float:
    dose = dose_ratio**0.25 if dose_ratio >= 1 else dose_ratio**0.6
    ageing = 1.0 - 0.007 * max(0.0, age - 50.0)
    repeat = 1.0 + 0.12 * (1.0 - math.exp(-count / 3.0))
    return (
        TRUE_DAYS[product]
        * AREA_FACTOR[area]
        * dose
        * ageing
        * repeat
        * patient_factor
        * _weibull_factor(rng)
    )


def _choose(rng: random.Random, shares) -> str:
    roll, total = rng.random(), 0.0
    for value, share in shares:
        total += share
        if roll < total:
            return value
    return shares[-1][0]


def generate(patients: int, seed: int = 1) -> list[Observed]:
    rng = random.Random(f"forecast-synthetic-{seed}")
    out: list[Observed] = []
    for patient in range(patients):
        factor = rng.gammavariate(20.0, 1 / 20.0)  # mean 1, about 22% spread
        born = 1950 + rng.randint(0, 50)
        product = _choose(rng, PRODUCT_SHARE)
        areas = ["glabellar"]
        if rng.random() < 0.5:
            areas.append("forehead")
        if rng.random() < 0.4:
            areas.append("lateral_canthal")
        if rng.random() < 0.05:
            areas.append("masseter")
        habit_dose = rng.uniform(0.85, 1.25)
        punctual = rng.random() < 0.2  # comes back at 3 months whatever
        quits_answering = rng.random() < 0.1
        day = START + timedelta(days=rng.randint(0, 900))
        counts = dict.fromkeys(areas, 0)
        visit = 0
        while day < TODAY - timedelta(days=30):
            if rng.random() < 0.1:  # an occasional switch of product
                product = _choose(rng, PRODUCT_SHARE)
            age = (day.year - born) + rng.random()
            truths = {}
            for area in areas:
                ratio = max(0.5, habit_dose * rng.uniform(0.9, 1.1))
                truths[area] = (
                    ratio,
                    true_duration(product, area, ratio, age, counts[area], factor, rng),
                )
            wear_off = truths["glabellar"][1]
            gap = (
                rng.uniform(88, 100)
                if punctual
                else max(90.0, wear_off + rng.expovariate(1 / 25.0))
            )
            next_day = day + timedelta(days=round(gap))
            for area, (ratio, truth) in truths.items():
                lasted = working = None
                seen_until = (min(next_day, TODAY) - day).days
                if quits_answering and visit >= 1:
                    working = min(30.0 * int(truth // 30), seen_until) or None
                elif truth <= seen_until:
                    lasted = max(7.0, round(truth + rng.uniform(-7, 7)))
                else:
                    working = float(seen_until)
                course = Course(
                    patient=patient,
                    product=product,
                    area=area,
                    treated_on=day,
                    dose_ratio=ratio,
                    age=age,
                    count=counts[area],
                    lasted_days=lasted,
                    working_at_days=working,
                )
                out.append(Observed(course, truth))
                counts[area] += 1
            day = next_day
            visit += 1
    return out
