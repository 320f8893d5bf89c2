"""Outcomes: wrinkle grades recorded for a treatment and the results they give; each signed
treatment's forecast (refreshed when it is signed or amended) and the due list it feeds."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from glabella.core import audit
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Forbidden, ValidationFailed
from glabella.core.roles import Capability
from glabella.outcomes import forecast, scores
from glabella.outcomes.forecast import Course
from glabella.outcomes.models import Forecast, Score
from glabella.scheduling.models import Appointment, Status
from glabella.screening.products import Area, Product
from glabella.screening.services import clinic_zone
from glabella.treatments.labels import LABELS, both_sides
from glabella.treatments.models import InjectionPoint

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


# ---------------------------------------------------------------- the forecast


# The clinic's model before any duration has been recorded: each product's typical duration.
# Fitted from recorded durations once the check-ins record when movement returns (issue 7).
PRIOR = forecast.Model()


def session_courses(record) -> list[Course]:
    """A signed treatment's areas as forecast subjects: the units per area (amendments
    included) against the label's dose for it, the patient's age, and how often the area was
    treated before."""
    original = record.amends or record
    points = InjectionPoint.objects.filter(
        Q(record=original) | Q(record__amends=original, record__locked_at__isnull=False)
    ).values_list("area", "units")
    units: dict[str, Decimal] = defaultdict(Decimal)
    for area, amount in points:
        units[both_sides(area)] += amount
    label = LABELS[Product(original.product)]
    day = treated_on(original)
    age = original.patient.age_on(day)
    count_before = _earlier_treatments(original)
    courses = []
    for area, total in sorted(units.items()):
        label_max = label.area_max(Area(area)) if area in set(Area) else None
        courses.append(
            Course(
                patient=original.patient_id,
                product=original.product,
                area=area,
                treated_on=day,
                dose_ratio=float(total / label_max) if label_max else 1.0,
                age=float(age),
                count=count_before.get(area, 0),
            )
        )
    return courses


def _earlier_treatments(record) -> dict[str, int]:
    """How many earlier signed sessions treated each area (an amendment counts with its
    original)."""
    before = record.locked_at or timezone.now()
    sessions: dict[str, set[int]] = defaultdict(set)
    for original_id, own_id, area in (
        InjectionPoint.objects.filter(
            record__patient_id=record.patient_id, record__locked_at__isnull=False
        )
        .filter(
            Q(record__amends__isnull=True, record__locked_at__lt=before)
            | Q(record__amends__isnull=False, record__amends__locked_at__lt=before)
        )
        .values_list("record__amends_id", "record_id", "area")
    ):
        sessions[both_sides(area)].add(original_id or own_id)
    return {area: len(ids) for area, ids in sessions.items()}


def refresh(record, now=None) -> Forecast | None:
    """The forecast of a signed treatment (its original, for an amendment), which becomes the
    patient's current one unless a newer treatment has its own."""
    original = record.amends or record
    if original.locked_at is None:
        return None
    courses = session_courses(original)
    if not courses:
        return None
    made = {c.area: forecast.forecast(PRIOR, c) for c in courses}
    area, first = min(made.items(), key=lambda item: (item[1].wear_off_on, item[0]))
    day = courses[0].treated_on
    newer = Forecast.objects.filter(patient_id=original.patient_id, treated_on__gt=day).exists()
    values = {
        "patient_id": original.patient_id,
        "location_id": original.appointment.location_id,
        "injector_id": original.injector_id,
        "product": original.product,
        "treated_on": day,
        "area": area,
        "days": first.days,
        "low_days": first.low_days,
        "high_days": first.high_days,
        "wear_off_on": first.wear_off_on,
        "low_on": first.low_on,
        "high_on": first.high_on,
        "invite_from": min(f.invite_from for f in made.values()),
        "areas": {
            a: {"days": f.days, "low_days": f.low_days, "high_days": f.high_days}
            for a, f in made.items()
        },
        "basis": first.basis[:200],
        "current": not newer,
        "computed_at": now or timezone.now(),
    }
    with transaction.atomic():  # inside the signing's transaction when called by its hook
        if not newer:
            Forecast.objects.filter(patient_id=original.patient_id, current=True).exclude(
                treatment=original
            ).update(current=False)
        found, _ = Forecast.objects.update_or_create(treatment=original, defaults=values)
    return found


def after_treatment(record, now) -> None:
    """treatments' after-lock hook: a signed record (or an amendment) refreshes the forecast."""
    refresh(record, now)


def due(actor: Actor, location, today: date, *, ahead: int = 14, overdue: int = 30, limit=500):
    """Patients whose current treatment is forecast to wear off from `overdue` days ago to
    `ahead` days from now at `location`, without a treatment booked; soonest first.

    Read a page at a time: the forecasts in order (the partial index `forecast_due`), then which
    of those patients have a treatment booked (the index on an appointment's patient and start).
    One query with NOT EXISTS lets PostgreSQL misjudge how few bookings lie ahead and compare
    every candidate with every booking (seconds at a million patients)."""
    if not actor.can(Capability.VIEW_PATIENT):
        raise Forbidden("Your role may not see the due list.")
    now = timezone.now()
    candidates = (
        Forecast.objects.filter(
            location=location,
            current=True,
            invite_from__gte=today - timedelta(days=overdue),
            invite_from__lte=today + timedelta(days=ahead),
        )
        .select_related("patient", "injector")
        .order_by("invite_from", "id")
    )
    rows: list[Forecast] = []
    start = 0
    while len(rows) < limit:
        page = list(candidates[start : start + limit])
        if not page:
            break
        booked = set(
            Appointment.objects.filter(
                patient_id__in={f.patient_id for f in page},
                starts_at__gte=now,
                status=Status.BOOKED,
                service__kind="neuromodulator",
            ).values_list("patient_id", flat=True)
        )
        rows += [f for f in page if f.patient_id not in booked]
        start += limit
    rows = rows[:limit]
    audit.record_listing(actor, "due-list", (r.patient.public_id for r in rows))
    return rows
