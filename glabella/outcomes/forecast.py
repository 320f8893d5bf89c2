"""How long a patient's treatment will last, and when to invite them back. Pure: no database.

The model (explained in docs/ARCHITECTURE.md, "Forecast"): a log-normal accelerated-failure-time
model with a random effect per patient,

    log(days) = log(typical[product]) + x . beta + u[patient] + e,
    u ~ Normal(0, tau2), e ~ Normal(0, sigma2),

where x holds the product (as a shift from its typical duration), the area, the dose relative to
the label's, the patient's age and how many times the area was treated before. `fit` learns
beta, tau2 and sigma2 from the clinic's history by expectation-maximisation, with the treatments
still working when last seen (re-treated early, or no word since) kept as right-censored
observations, not thrown away. Ridge shrinkage pulls every coefficient towards zero, so a clinic
with little history forecasts the products' typical durations. `forecast` combines the clinic's
model with the patient's own earlier durations (the posterior of u) and returns the median with
an 80% interval. A re-treatment is never forecast before the label's minimum interval.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from glabella.catalogue.areas import both_sides

# The products' typical durations in days: about 3 to 4 months on the labels, DAXXIFY about 6
# (../shared/CLINICAL.md). The starting point before the clinic has history of its own.
TYPICAL_DAYS = {
    "botox_cosmetic": 105.0,
    "dysport": 105.0,
    "xeomin": 105.0,
    "jeuveau": 105.0,
    "letybo": 105.0,
    "daxxify": 180.0,
}
PRODUCTS = tuple(TYPICAL_DAYS)
AREAS = ("forehead", "lateral_canthal", "platysma", "off_label")  # against glabellar
MIN_INTERVAL_DAYS = 90
Z80 = 1.2815515655446004  # the 90th percentile of the standard normal: an 80% interval
PRIOR_TAU2 = 0.04  # between patients: a patient's durations spread about 20% around the clinic's
PRIOR_SIGMA2 = 0.02  # one patient's durations from time to time, about 14%
RIDGE = 4.0  # coefficients shrink towards the typical durations until history outweighs this
NAMES = (*(f"product:{p}" for p in PRODUCTS), *(f"area:{a}" for a in AREAS), "dose", "age", "count")


@dataclass(frozen=True)
class Course:
    """One treated area of one treatment, and what became of it.

    `lasted_days`: the effect wore off (movement returned) after this many days. Otherwise
    `working_at_days`: it was still working when last heard of (or re-treated) at this many
    days, a right-censored observation. Neither: not yet known (a forecast's subject)."""

    patient: Hashable
    product: str
    area: str
    treated_on: date
    dose_ratio: float = 1.0  # units given / the label's dose for the area
    age: float = 45.0
    count: int = 0  # earlier treatments of this area for this patient
    lasted_days: float | None = None
    working_at_days: float | None = None

    @property
    def known(self) -> bool:
        return self.lasted_days is not None or self.working_at_days is not None


@dataclass(frozen=True)
class Model:
    beta: tuple[float, ...] = (0.0,) * len(NAMES)
    tau2: float = PRIOR_TAU2
    sigma2: float = PRIOR_SIGMA2
    courses: int = 0
    patients: int = 0

    def coefficients(self) -> dict[str, float]:
        return dict(zip(NAMES, self.beta, strict=True))


@dataclass(frozen=True)
class Forecast:
    days: int  # the median: as likely earlier as later
    low_days: int  # 10% wear off sooner
    high_days: int  # 10% later
    wear_off_on: date
    low_on: date
    high_on: date
    invite_from: date  # the forecast, never before the label's minimum interval
    history: int  # the patient's own earlier courses that informed it
    basis: str = field(default="")


# ---------------------------------------------------------------- the normal distribution


def _cdf(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def _pdf(z: float) -> float:
    return math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)


def _above(mean: float, sd: float, floor: float) -> tuple[float, float]:
    """Mean and variance of Normal(mean, sd) given it is above `floor` (a censored log duration)."""
    a = (floor - mean) / sd
    tail = 1.0 - _cdf(a)
    if tail < 1e-12:  # far in the tail: the value is just above the floor
        return floor + sd / max(a, 1.0), sd * sd * 0.01
    ratio = _pdf(a) / tail
    return mean + sd * ratio, sd * sd * max(1.0 + a * ratio - ratio * ratio, 1e-6)


# ---------------------------------------------------------------- features


def features(course: Course) -> tuple[float, ...]:
    product = [1.0 if course.product == p else 0.0 for p in PRODUCTS]
    area = both_sides(course.area)
    if area not in ("glabellar", *AREAS):
        area = "off_label"
    areas = [1.0 if area == a else 0.0 for a in AREAS]
    dose = math.log(min(max(course.dose_ratio, 0.25), 4.0))
    age = (min(max(course.age, 18.0), 90.0) - 45.0) / 10.0
    count = math.log1p(min(max(course.count, 0), 30))
    return (*product, *areas, dose, age, count)


def _typical(course: Course) -> float:
    return math.log(TYPICAL_DAYS.get(course.product, 105.0))


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (the matrices here are small and ridged)."""
    n = len(vector)
    rows = [[*row, vector[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(rows[r][col]))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        lead = rows[col][col]
        for r in range(col + 1, n):
            factor = rows[r][col] / lead
            if factor:
                for c in range(col, n + 1):
                    rows[r][c] -= factor * rows[col][c]
    out = [0.0] * n
    for r in range(n - 1, -1, -1):
        out[r] = (rows[r][n] - sum(rows[r][c] * out[c] for c in range(r + 1, n))) / rows[r][r]
    return out


# ---------------------------------------------------------------- fitting


@dataclass
class _Row:
    patient: Hashable
    x: tuple[float, ...]
    offset: float
    y: float  # log days: the duration, or where it was still working
    censored: bool


def fit(courses: Iterable[Course], iterations: int = 40) -> Model:
    """The clinic's model from its history (courses whose outcome is known)."""
    rows = [
        _Row(
            c.patient,
            features(c),
            _typical(c),
            math.log(max(c.lasted_days if c.lasted_days is not None else c.working_at_days, 1)),
            c.lasted_days is None,
        )
        for c in courses
        if c.known
    ]
    if not rows:
        return Model()
    k = len(NAMES)
    beta = [0.0] * k
    tau2, sigma2 = PRIOR_TAU2, PRIOR_SIGMA2
    by_patient: dict[Hashable, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        by_patient[row.patient].append(i)
    u = dict.fromkeys(by_patient, 0.0)
    u_var = dict.fromkeys(by_patient, tau2)
    for _ in range(iterations):
        # E: a censored duration is replaced by its expectation given it lasted past the floor.
        sd = math.sqrt(sigma2)
        filled, extra = [], []
        for row in rows:
            mean = row.offset + _dot(row.x, beta) + u[row.patient]
            if row.censored and row.y > mean - 6 * sd:
                value, variance = _above(mean, sd, row.y)
            elif row.censored:
                value, variance = mean, sigma2
            else:
                value, variance = row.y, 0.0
            filled.append(value)
            extra.append(variance)
        # M: beta by ridge least squares on what is left after each patient's effect.
        gram = [[RIDGE if i == j else 0.0 for j in range(k)] for i in range(k)]
        rhs = [0.0] * k
        for row, value in zip(rows, filled, strict=True):
            target = value - row.offset - u[row.patient]
            for i in range(k):
                xi = row.x[i]
                if xi:
                    rhs[i] += xi * target
                    for j in range(k):
                        if row.x[j]:
                            gram[i][j] += xi * row.x[j]
        beta = _solve(gram, rhs)
        # Each patient's effect, shrunk towards zero by how much of their history there is.
        for patient, members in by_patient.items():
            residual = sum(filled[i] - rows[i].offset - _dot(rows[i].x, beta) for i in members)
            precision = 1.0 / tau2 + len(members) / sigma2
            u[patient] = residual / sigma2 / precision
            u_var[patient] = 1.0 / precision
        spread = 0.0
        for i, row in enumerate(rows):
            r = filled[i] - row.offset - _dot(row.x, beta) - u[row.patient]
            spread += r * r + u_var[row.patient] + extra[i]
        # Weak priors keep the variances sensible when the history is short.
        sigma2 = (spread + 10 * PRIOR_SIGMA2) / (len(rows) + 10)
        tau2 = (sum(u[p] ** 2 + u_var[p] for p in u) + 10 * PRIOR_TAU2) / (len(u) + 10)
    return Model(tuple(beta), tau2, sigma2, len(rows), len(by_patient))


# ---------------------------------------------------------------- one patient's forecast


def _patient_effect(model: Model, history: Sequence[Course]) -> tuple[float, float]:
    """The posterior mean and variance of this patient's effect, from their own courses."""
    known = [c for c in history if c.known]
    if not known:
        return 0.0, model.tau2
    sd = math.sqrt(model.sigma2)
    mean, variance = 0.0, model.tau2
    for _ in range(8):
        total = 0.0
        for c in known:
            expected = _typical(c) + _dot(features(c), model.beta)
            if c.lasted_days is not None:
                value = math.log(max(c.lasted_days, 1))
            else:
                value, _var = _above(expected + mean, sd, math.log(max(c.working_at_days, 1)))
            total += value - expected
        precision = 1.0 / model.tau2 + len(known) / model.sigma2
        mean, variance = total / model.sigma2 / precision, 1.0 / precision
    return mean, variance


def forecast(
    model: Model,
    course: Course,
    history: Sequence[Course] = (),
    *,
    min_interval_days: int = MIN_INTERVAL_DAYS,
) -> Forecast:
    """When `course` (a treatment just given) will wear off, from the clinic's model and the
    patient's own earlier courses in `history` (any area or product)."""
    effect, effect_var = _patient_effect(model, history)
    centre = _typical(course) + _dot(features(course), model.beta) + effect
    spread = math.sqrt(effect_var + model.sigma2)
    days = math.exp(centre)
    low, high = math.exp(centre - Z80 * spread), math.exp(centre + Z80 * spread)
    on = course.treated_on
    earliest = on + timedelta(days=min_interval_days)
    wear_off = on + timedelta(days=round(days))
    used = sum(1 for c in history if c.known)
    basis = (
        f"the clinic's {model.courses:,} courses"
        if model.courses
        else f"the product's typical {TYPICAL_DAYS.get(course.product, 105):.0f} days"
    ) + (f" and {used} of the patient's own" if used else "")
    return Forecast(
        days=round(days),
        low_days=round(low),
        high_days=round(high),
        wear_off_on=wear_off,
        low_on=on + timedelta(days=round(low)),
        high_on=on + timedelta(days=round(high)),
        invite_from=max(wear_off, earliest),
        history=used,
        basis=basis,
    )


def observed(course: Course, lasted_days: float | None, working_at_days: float | None) -> Course:
    return replace(course, lasted_days=lasted_days, working_at_days=working_at_days)
