"""Practice analytics: responder rate and median duration by product, area and injector, and the
share of patients who come back. `km_median` and `returning` are pure; `practice` reads the
database in four queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from glabella.catalogue.products import PRODUCT_NAMES
from glabella.core import audit
from glabella.core.access import Actor
from glabella.core.errors import Forbidden
from glabella.core.roles import Capability
from glabella.outcomes import scores
from glabella.outcomes.models import Course, Score
from glabella.treatments.models import TreatmentRecord

RETURN_DAYS = 270  # "came back": another treatment within about nine months
MIN_GROUP = 5  # fewer observations than this show as "not enough yet"


def km_median(observations: list[tuple[float, bool]]) -> float | None:
    """The Kaplan-Meier median of durations, each (days, True when it ended; False when it was
    still working then): censored courses count for as long as they were seen. None when the
    curve never falls to a half."""
    at_risk = len(observations)
    survival = 1.0
    by_day: dict[float, list[bool]] = defaultdict(list)
    for days, ended in observations:
        by_day[days].append(ended)
    for days in sorted(by_day):
        events = sum(by_day[days])
        if events:
            survival *= 1 - events / at_risk
            if survival <= 0.5:
                return days
        at_risk -= len(by_day[days])
    return None


def returning(treated: list[tuple[int, date]], today: date, within: int = RETURN_DAYS):
    """Of the treatments at least `within` days old, the share followed by another treatment of
    the same patient within `within` days; (share in %, how many counted)."""
    by_patient: dict[int, list[date]] = defaultdict(list)
    for patient, day in treated:
        by_patient[patient].append(day)
    counted = came_back = 0
    for days in by_patient.values():
        days.sort()
        for n, day in enumerate(days):
            if (today - day).days < within:
                continue
            counted += 1
            if n + 1 < len(days) and (days[n + 1] - day).days <= within:
                came_back += 1
    return (100.0 * came_back / counted if counted else None), counted


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    responders: float | None  # % improved by at least one grade
    graded: int
    median_days: float | None
    courses: int


@dataclass(frozen=True)
class Practice:
    since: date
    by: dict[str, list[Group]]  # "product", "area", "injector"
    returning_rate: float | None
    returning_counted: int


def practice(actor: Actor, since: date, today: date) -> Practice:
    if not actor.can(Capability.VIEW_CLINICAL):
        raise Forbidden("Your role may not see clinical outcomes.")
    signed = TreatmentRecord.objects.filter(
        locked_at__isnull=False, amends__isnull=True, appointment__starts_at__date__gte=since
    )
    records = {
        r["pk"]: r
        for r in signed.values(
            "pk", "patient_id", "product", "injector__full_name", "appointment__starts_at"
        )
    }
    # Each course's observation and each graded area's verdict, worked out once.
    seen: list[tuple[dict, str, tuple[float, bool]]] = []
    for c in Course.objects.filter(treatment__in=signed).values(
        "treatment_id", "area", "lasted_days", "working_at_days"
    ):
        if c["lasted_days"] is not None:
            seen.append((records[c["treatment_id"]], c["area"], (c["lasted_days"], True)))
        elif c["working_at_days"] is not None:
            seen.append((records[c["treatment_id"]], c["area"], (c["working_at_days"], False)))
    grades: dict[int, list[scores.Grade]] = defaultdict(list)
    for g in Score.objects.filter(treatment__in=signed).values(
        "treatment_id", "area", "state", "rater", "grade", "day"
    ):
        grades[g["treatment_id"]].append(
            scores.Grade(
                g["area"], scores.State(g["state"]), scores.Rater(g["rater"]), g["grade"], g["day"]
            )
        )
    verdicts = [
        (records[treatment_id], area, verdict)
        for treatment_id, given in grades.items()
        for area in {g.area for g in given}
        if (verdict := scores.result(area, given).improved) is not None
    ]
    keys = {
        "product": lambda r, area: r["product"],
        "area": lambda r, area: area,
        "injector": lambda r, area: r["injector__full_name"],
    }
    by: dict[str, list[Group]] = {}
    for name, key in keys.items():
        durations: dict[str, list[tuple[float, bool]]] = defaultdict(list)
        for r, area, observation in seen:
            durations[key(r, area)].append(observation)
        improved: dict[str, list[bool]] = defaultdict(list)
        for r, area, verdict in verdicts:
            improved[key(r, area)].append(verdict)
        groups = []
        for k in sorted(set(durations) | set(improved)):
            observed, ok = durations.get(k, []), improved.get(k, [])
            groups.append(
                Group(
                    key=k,
                    label=_label(name, k),
                    responders=100.0 * sum(ok) / len(ok) if len(ok) >= MIN_GROUP else None,
                    graded=len(ok),
                    median_days=km_median(observed) if len(observed) >= MIN_GROUP else None,
                    courses=len(observed),
                )
            )
        by[name] = groups
    rate, counted = returning(
        [(r["patient_id"], r["appointment__starts_at"].date()) for r in records.values()], today
    )
    audit.record(actor, audit.Action.READ, audit.Kind.PRACTICE_ANALYTICS)
    return Practice(since, by, rate, counted)


def _label(name: str, key: str) -> str:
    if name == "area":
        return scores.AREAS.get(key, key.replace("_", " ").capitalize())
    if name == "product":
        return PRODUCT_NAMES.get(key, key)
    return key


def default_since(today: date) -> date:
    return today - timedelta(days=730)
