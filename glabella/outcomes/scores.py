"""Facial Wrinkle Scale grades and what they say about a result. Pure: no database.

The Allergan Facial Wrinkle Scale grades a line 0 (none), 1 (mild), 2 (moderate) or 3 (severe),
at rest and at maximum contraction (frown, smile, brow raise), by the injector and by the patient
(../shared/CLINICAL.md). A result is judged at maximum contraction, from the baseline (on or
before the treatment day) to the first follow-up from day 14 to day 45:

- `improved`: at least one grade better, the clinically meaningful change, by the injector's
  grades (by the patient's when the injector has not graded);
- `trial_responder`: at least two grades better by both raters, as in the labels' trials.

Neither is ever typed: both are computed here from the grades.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from glabella.catalogue.areas import NAMES

SCALE = "FWS"
SCALE_VERSION = "Allergan Facial Wrinkle Scale, 4 grades"
GRADES = {0: "None", 1: "Mild", 2: "Moderate", 3: "Severe"}
# The areas the scale grades, named as everywhere else.
AREAS = {a: NAMES[a].full for a in ("glabellar", "lateral_canthal", "forehead")}
FOLLOW_UP_DAYS = (14, 45)


class State(StrEnum):
    REST = "rest"
    CONTRACTION = "contraction"


class Rater(StrEnum):
    INJECTOR = "injector"
    PATIENT = "patient"


@dataclass(frozen=True)
class Grade:
    area: str
    state: State
    rater: Rater
    grade: int
    day: int  # days after the treatment (0 or less: baseline)


@dataclass(frozen=True)
class Result:
    area: str
    baseline: dict[Rater, int]
    follow_up: dict[Rater, int]
    follow_up_day: int | None
    improved: bool | None  # None: not yet known
    trial_responder: bool | None


def timepoint(day: int) -> str:
    if day <= 0:
        return "baseline"
    if FOLLOW_UP_DAYS[0] <= day <= FOLLOW_UP_DAYS[1]:
        return "follow-up"
    return "early" if day < FOLLOW_UP_DAYS[0] else "later"


def result(area: str, grades: Iterable[Grade]) -> Result:
    """The result for one area, from all its grades at maximum contraction (the newest baseline
    grade per rater, and each rater's first follow-up grade)."""
    baseline: dict[Rater, tuple[int, int]] = {}
    follow: dict[Rater, tuple[int, int]] = {}
    for g in grades:
        if g.area != area or g.state != State.CONTRACTION:
            continue
        point = timepoint(g.day)
        if point == "baseline" and (g.rater not in baseline or g.day >= baseline[g.rater][0]):
            baseline[g.rater] = (g.day, g.grade)
        elif point == "follow-up" and (g.rater not in follow or g.day < follow[g.rater][0]):
            follow[g.rater] = (g.day, g.grade)
    before = {r: v[1] for r, v in baseline.items()}
    after = {r: v[1] for r, v in follow.items()}
    gains = {r: before[r] - after[r] for r in before if r in after}
    judge = Rater.INJECTOR if Rater.INJECTOR in gains else Rater.PATIENT
    improved = gains[judge] >= 1 if judge in gains else None
    both = all(r in gains for r in Rater)
    responder = all(gains[r] >= 2 for r in Rater) if both else None
    return Result(
        area=area,
        baseline=before,
        follow_up=after,
        follow_up_day=min((v[0] for v in follow.values()), default=None),
        improved=improved,
        trial_responder=responder,
    )
