"""Outcomes: wrinkle grades recorded for a treatment and the results they give; each signed
treatment's forecast (refreshed when it is signed or amended) and the due list it feeds."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from glabella.catalogue.areas import Area, both_sides
from glabella.catalogue.labels import LABELS
from glabella.catalogue.products import PRODUCT_NAMES, Product
from glabella.clinic.clock import clinic_zone
from glabella.clinic.models import Service
from glabella.core import audit
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Forbidden, ValidationFailed
from glabella.core.roles import Capability
from glabella.outcomes import charts, durations, forecast, scores
from glabella.outcomes.models import Course, Forecast, Invitation, Score
from glabella.scheduling.models import Appointment, Status
from glabella.treatments.models import InjectionPoint, TreatmentRecord

MAX_GRADES = 24  # three areas x two states x two raters, twice over
BASELINE_DAYS = 60  # a baseline grade may be given this long before the treatment
LATEST_DAYS = 730


def treated_on(record) -> date:
    return record.appointment.starts_at.astimezone(clinic_zone(record.patient)).date()


def day_after_treatment(
    raw: object, field: str, day0: date, today: date, errors: dict, *, what: str
) -> date | None:
    """A day given for a grading or a photo of a treatment: not in the future, a baseline within
    BASELINE_DAYS before the treatment, a result within LATEST_DAYS after it. A problem is added
    to `errors` under `field`."""
    try:
        day = raw if isinstance(raw, date) else date.fromisoformat(str(raw or ""))
    except ValueError:
        errors[field] = [f"Give the day of the {what} as YYYY-MM-DD."]
        return None
    if day > today:
        errors[field] = ["This day is in the future."]
    elif day < day0 - timedelta(days=BASELINE_DAYS):
        errors[field] = [f"A baseline {what} is within {BASELINE_DAYS} days before the treatment."]
    elif day > day0 + timedelta(days=LATEST_DAYS):
        errors[field] = ["This is too long after the treatment to show its result."]
    return day


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
    scored_on = day_after_treatment(
        raw.get("scored_on"), "scored_on", day0, today, errors, what="grading"
    )
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
            object_type=audit.Kind.WRINKLE_GRADES,
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


def session_courses(record) -> list[forecast.Course]:
    """A signed treatment's areas as forecast subjects: the units per area (amendments
    included) against the label's dose for it, the patient's age, and how often the area was
    treated before."""
    original = record.amends or record
    units = session_units([original])[original.pk]
    return subjects(original, treated_on(original), units, _earlier_treatments(original))


def session_units(originals) -> dict[int, dict[str, Decimal]]:
    """Per original record (a list, or a queryset read as a subquery): the units given per area
    (both sides of the eyes as one), its signed amendments included, in one query."""
    units: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for original_id, own_id, area, amount in InjectionPoint.objects.filter(
        Q(record__in=originals) | Q(record__amends__in=originals, record__locked_at__isnull=False)
    ).values_list("record__amends_id", "record_id", "area", "units"):
        units[original_id or own_id][both_sides(area)] += amount
    return units


def subjects(
    record, day: date, units: dict[str, Decimal], count_before: dict[str, int]
) -> list[forecast.Course]:
    """The forecast subjects of a session, from its units per area (both sides of the eyes as
    one) and how many earlier sessions treated each area."""
    label = LABELS[Product(record.product)]
    age = record.patient.age_on(day)
    courses = []
    for area, total in sorted(units.items()):
        label_max = label.area_max(Area(area)) if area in set(Area) else None
        courses.append(
            forecast.Course(
                patient=record.patient_id,
                product=record.product,
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


def refresh(record, now=None, *, courses=None, model=None) -> Forecast | None:
    """The forecast of a signed treatment (its original, for an amendment), from the clinic's
    model and the patient's own earlier courses; it becomes the patient's current one unless a
    newer treatment has its own."""
    original = record.amends or record
    if original.locked_at is None:
        return None
    courses = courses if courses is not None else session_courses(original)
    if not courses:
        return None
    kept = Forecast.objects.filter(treatment=original, basis=durations.OBSERVED).first()
    if kept is not None:
        return kept  # the patient told us when it wore off: no model second-guesses that
    model = model or durations.clinic_model()
    past = durations.history(original.patient_id, courses[0].treated_on)
    made = {c.area: forecast.forecast(model, c, past) for c in courses}
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
    with transaction.atomic():  # inside the signing's transaction when called by its receiver
        if not newer:
            Forecast.objects.filter(patient_id=original.patient_id, current=True).exclude(
                treatment=original
            ).update(current=False)
        found, _ = Forecast.objects.update_or_create(treatment=original, defaults=values)
    return found


def after_treatment(record, now) -> None:
    """On treatments' treatment_signed: a signed record (or an amendment) opens (or updates) its
    courses, closing earlier ones it cuts short, and refreshes the forecast."""
    original = record.amends or record
    if original.locked_at is None:
        return
    courses = session_courses(original)
    durations.open_courses(original, courses, now)
    refresh(original, now, courses=courses)


def refresh_upcoming(day: date, *, within: int = 60) -> int:
    """After a refit: the current forecasts of treatments whose invitation is still to be sent
    and due within `within` days, recomputed with the new model."""
    model = durations.clinic_model()
    done = 0
    for found in (
        Forecast.objects.filter(
            current=True,
            invite_from__gte=day,
            invite_from__lte=day + timedelta(days=within),
            treatment__invitation__isnull=True,
        )
        .exclude(basis=durations.OBSERVED)
        .select_related("treatment__patient", "treatment__appointment", "treatment__amends")
        .iterator(chunk_size=500)
    ):
        with write_transaction():
            refresh(found.treatment, model=model)
        done += 1
    return done


def booked_ahead(patient_ids: set[int], now) -> set[int]:
    """Which of these patients have a neuromodulator treatment booked from now on (the index on
    an appointment's patient and start)."""
    return set(
        Appointment.objects.filter(
            patient_id__in=patient_ids,
            starts_at__gte=now,
            status=Status.BOOKED,
            service__kind=Service.Kind.NEUROMODULATOR,
        ).values_list("patient_id", flat=True)
    )


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
        .select_related("patient", "injector", "treatment")
        .order_by("invite_from", "id")
    )
    rows: list[Forecast] = []
    start = 0
    while len(rows) < limit:
        page = list(candidates[start : start + limit])
        if not page:
            break
        booked = booked_ahead({f.patient_id for f in page}, now)
        rows += [f for f in page if f.patient_id not in booked]
        start += limit
    rows = rows[:limit]
    audit.record_listing(actor, audit.Kind.DUE_LIST, (r.patient.public_id for r in rows))
    return rows


# ---------------------------------------------------------------- a patient's timeline


@dataclass(frozen=True)
class Timeline:
    treated: list[charts.Treated]
    spans: list[charts.Span]
    predicted: charts.Predicted | None
    points: list[charts.Point]
    courses: list  # Course rows, newest first
    forecast: Forecast | None
    invitations: list
    results: dict  # treatment id -> list of scores.Result


def timeline(actor: Actor, patient) -> Timeline:
    """Everything the patient's outcome chart shows, in six queries, the read logged."""
    if not actor.can(Capability.VIEW_CLINICAL):
        raise Forbidden("Your role may not see clinical outcomes.")
    zone = clinic_zone(patient)
    records = list(
        TreatmentRecord.objects.restrict(actor)
        .filter(patient=patient, locked_at__isnull=False, amends__isnull=True)
        .select_related("appointment", "injector")
        .order_by("appointment__starts_at")
    )
    given = session_units(records)
    units = {r.pk: sum(given[r.pk].values(), Decimal(0)) for r in records}
    treated = [
        charts.Treated(
            r.appointment.starts_at.astimezone(zone).date(),
            f"{PRODUCT_NAMES.get(r.product, r.product)} {units[r.pk].normalize():f} U "
            f"by {r.injector.full_name}",
        )
        for r in records
    ]
    courses = list(
        Course.objects.restrict(actor).filter(patient=patient).order_by("-treated_on", "area")
    )
    today = timezone.now().astimezone(zone).date()
    spans = []
    for c in courses:
        if c.lasted_days is not None:
            spans.append(
                charts.Span(c.area, c.treated_on, c.treated_on + timedelta(c.lasted_days), False)
            )
        else:
            seen = c.working_at_days if c.working_at_days is not None else 0
            end = today if c.end == Course.End.OPEN else c.treated_on + timedelta(seen)
            spans.append(charts.Span(c.area, c.treated_on, max(end, c.treated_on), True))
    current = Forecast.objects.restrict(actor).filter(patient=patient, current=True).first()
    predicted = (
        charts.Predicted(current.treated_on, current.wear_off_on, current.low_on, current.high_on)
        if current
        else None
    )
    grades = list(Score.objects.restrict(actor).filter(patient=patient))
    by_record = {r.pk: r for r in records}
    points = [
        charts.Point(g.scored_on, g.grade, g.rater)
        for g in grades
        if g.state == scores.State.CONTRACTION and g.treatment_id in by_record
    ]
    per_treatment: dict[int, list[Score]] = defaultdict(list)
    for g in grades:
        per_treatment[g.treatment_id].append(g)
    audit.record_patient(actor, audit.Action.READ, patient, object_type=audit.Kind.OUTCOME_TIMELINE)
    return Timeline(
        treated=treated,
        spans=spans,
        predicted=predicted,
        points=points,
        courses=courses,
        forecast=current,
        invitations=list(Invitation.objects.restrict(actor).filter(patient=patient)),
        results={tid: results(gs) for tid, gs in per_treatment.items()},
    )
