"""Recording wrinkle grades for a treatment, and reading them back with the results they give."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from glabella.core import audit
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Forbidden, ValidationFailed
from glabella.core.roles import Capability
from glabella.outcomes import scores
from glabella.outcomes.models import Score
from glabella.screening.services import clinic_zone

MAX_GRADES = 24  # three areas x two states x two raters, twice over
BASELINE_DAYS = 60  # a baseline grade may be given this long before the treatment
LATEST_DAYS = 730


def treated_on(record) -> date:
    return record.appointment.starts_at.astimezone(clinic_zone(record.patient)).date()


def record(actor: Actor, treatment, raw: object, *, now=None) -> list[Score]:
    """Grades given on one day for one treatment, checked field by field: all written, or none.
    A clinician records the injector's grades and may take down the patient's own."""
    if actor.staff is None or not actor.can(Capability.CHANGE_CLINICAL):
        raise Forbidden("Only a clinician records wrinkle grades.")
    if treatment.amends_id is not None:
        raise ValidationFailed({"treatment": ["Grade the original treatment, not an amendment."]})
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if not isinstance(raw, dict):
        raise ValidationFailed({"body": ["Send the day and the grades as an object."]})
    for key in sorted(set(raw) - {"scored_on", "grades"}):
        errors[key] = ["Not a field of a grading."]
    day0 = treated_on(treatment)
    today = now.astimezone(clinic_zone(treatment.patient)).date()
    scored_on = None
    try:
        scored_on = date.fromisoformat(str(raw.get("scored_on") or ""))
    except ValueError:
        errors["scored_on"] = ["Give the day of the grading as YYYY-MM-DD."]
    else:
        if scored_on > today:
            errors["scored_on"] = ["This day is in the future."]
        elif scored_on < day0 - timedelta(days=BASELINE_DAYS):
            errors["scored_on"] = [
                f"A baseline is graded within {BASELINE_DAYS} days before the treatment."
            ]
        elif scored_on > day0 + timedelta(days=LATEST_DAYS):
            errors["scored_on"] = ["This is too long after the treatment to grade its result."]
    grades = raw.get("grades")
    if not isinstance(grades, list) or not grades:
        errors["grades"] = ["Give at least one grade."]
        grades = []
    elif len(grades) > MAX_GRADES:
        errors["grades"] = [f"At most {MAX_GRADES} grades at a time."]
        grades = []
    cleaned = []
    for n, item in enumerate(grades):
        where = f"grades.{n}"
        if not isinstance(item, dict):
            errors[where] = ["Each grade is an object: area, state, rater, grade."]
            continue
        for key in sorted(set(item) - {"area", "state", "rater", "grade"}):
            errors[f"{where}.{key}"] = ["Not a field of a grade."]
        if item.get("area") not in scores.AREAS:
            errors[f"{where}.area"] = [f"Choose one of {', '.join(scores.AREAS)}."]
        if item.get("state") not in set(scores.State):
            errors[f"{where}.state"] = ["Choose rest or contraction."]
        if item.get("rater") not in set(scores.Rater):
            errors[f"{where}.rater"] = ["Choose injector or patient."]
        grade = item.get("grade")
        if isinstance(grade, bool) or not isinstance(grade, int) or grade not in scores.GRADES:
            errors[f"{where}.grade"] = ["A grade is a whole number from 0 (none) to 3 (severe)."]
        cleaned.append(item)
    keys = [(g.get("area"), g.get("state"), g.get("rater")) for g in cleaned]
    if len(set(keys)) != len(keys):
        errors.setdefault("grades", []).append(
            "One grade per area, state and rater on a day; send the correction alone."
        )
    if errors:
        raise ValidationFailed(errors)
    day = (scored_on - day0).days
    with write_transaction():
        made = [
            Score.objects.create(
                treatment=treatment,
                patient=treatment.patient,
                area=g["area"],
                state=g["state"],
                rater=g["rater"],
                grade=g["grade"],
                scored_on=scored_on,
                day=day,
                recorded_by=actor.staff,
                via=actor.channel,
                created_at=now,
            )
            for g in cleaned
        ]
        audit.record_patient(
            actor,
            audit.Action.CREATE,
            treatment.patient,
            object_type="wrinkle-grades",
            object_id=treatment.public_id,
            detail={"grades": len(made), "day": day},
        )
    return made


def results(grades: list[Score]) -> list[scores.Result]:
    """Per area: the result the grades give (newest grade wins on a day)."""
    newest: dict[tuple, Score] = {}
    for g in sorted(grades, key=lambda g: (g.created_at, g.pk)):
        newest[(g.area, g.state, g.rater, g.day)] = g
    plain = [
        scores.Grade(g.area, scores.State(g.state), scores.Rater(g.rater), g.grade, g.day)
        for g in newest.values()
    ]
    graded = {p.area for p in plain}
    return [scores.result(area, plain) for area in scores.AREAS if area in graded]
