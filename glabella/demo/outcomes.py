"""Demo outcomes, as the clinic's follow-up would have recorded them: every signed treatment's
courses, each area's duration (a patient's own pace, the product's, some chance) told at the
monthly questions or cut short by the next treatment, grades at baseline and day 14 for most
treatments, the duration model fitted from it all, each patient's newest treatment forecast
with it (so the due list is not empty), and the next monthly question of the courses still
open scheduled."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction

from glabella.clinic.clock import clinic_zone
from glabella.outcomes import durations, forecast, services
from glabella.outcomes.models import Course, Forecast, Score
from glabella.treatments.models import TreatmentRecord

ANSWERED = 0.8  # the share of patients who answer the monthly question


def load_demo_outcomes(now: datetime, seed: int = 1) -> int:
    """Returns how many forecasts were made."""
    if Forecast.objects.exists() or Course.objects.exists():
        return 0
    rng = random.Random(f"demo-outcomes-{seed}")
    zone = clinic_zone()
    today = now.astimezone(zone).date()
    records = list(
        TreatmentRecord.objects.filter(locked_at__isnull=False, amends__isnull=True)
        .select_related("patient", "appointment")
        .order_by("appointment__starts_at", "id")
    )
    units = services.session_units(
        TreatmentRecord.objects.filter(locked_at__isnull=False, amends__isnull=True)
    )
    sessions: dict[tuple[int, str], int] = defaultdict(int)
    pace: dict[int, float] = {}
    answers: dict[int, bool] = {}
    rows: list[Course] = []
    grades: list[Score] = []
    by_patient_area: dict[tuple[int, str], list[Course]] = defaultdict(list)
    newest: dict[int, TreatmentRecord] = {}
    with transaction.atomic():
        for record in records:
            patient = record.patient_id
            pace.setdefault(patient, math.exp(rng.gauss(0, 0.2)))
            answers.setdefault(patient, rng.random() < ANSWERED)
            newest[patient] = record
            day = record.appointment.starts_at.astimezone(zone).date()
            counts = {area: sessions[(patient, area)] for area in units[record.pk]}
            subjects = services.subjects(record, day, units[record.pk], counts)
            for area in units[record.pk]:
                sessions[(patient, area)] += 1
            for subject in subjects:
                typical = forecast.TYPICAL_DAYS.get(subject.product, 105.0)
                truth = typical * pace[patient] * math.exp(rng.gauss(0, 0.12))
                truth *= min(max(subject.dose_ratio, 0.5), 1.5) ** 0.3
                course = Course(
                    treatment=record,
                    patient_id=patient,
                    product=subject.product,
                    area=subject.area,
                    treated_on=subject.treated_on,
                    dose_ratio=subject.dose_ratio,
                    age=subject.age,
                    count=subject.count,
                    onset_day=rng.choice([3, 4, 5, 7, 10, 14]) if answers[patient] else None,
                    working_at_days=round(truth),  # the truth, settled below
                    updated_at=now,
                )
                earlier = by_patient_area[(patient, subject.area)]
                if earlier:
                    _settle(earlier[-1], subject.treated_on, answers[patient], rng)
                earlier.append(course)
                rows.append(course)
            if subjects and rng.random() < 0.7 and day + timedelta(14) <= today:
                grades += _grades(record, day, {s.area for s in subjects}, rng, now)
        for courses in by_patient_area.values():
            _settle(courses[-1], today, answers[courses[-1].patient_id], rng, last=True)
        Course.objects.bulk_create(rows, batch_size=1000)
        Score.objects.bulk_create(grades, batch_size=1000)
    durations.refit(today, now)
    model = durations.clinic_model()
    made = 0
    for record in newest.values():
        with transaction.atomic():
            if services.refresh(record, now, model=model) is not None:
                made += 1
            if Course.objects.filter(treatment=record, end=Course.End.OPEN).exists():
                treated = record.appointment.starts_at.astimezone(zone).date()
                day = max((today - treated).days + 3, 60)
                day = 60 + math.ceil((day - 60) / 30) * 30
                durations.schedule_check(record, day, treated, now)
    return made


def _settle(course: Course, until, answers: bool, rng, last: bool = False) -> None:
    """The course's true duration (held in working_at_days until now) as the clinic learnt it:
    told at a monthly question (within a fortnight), or still working when treated again, or
    (for the newest) still working today."""
    truth = course.working_at_days
    seen = (until - course.treated_on).days
    if truth < seen and answers:
        course.lasted_days = max(30, truth + rng.randint(-7, 14))
        course.returned_on = course.treated_on + timedelta(days=course.lasted_days)
        course.working_at_days = None
        course.end = Course.End.RETURNED
    elif last and truth >= seen:
        course.working_at_days = seen if seen >= 60 else None
        course.end = Course.End.OPEN
    elif last:
        course.working_at_days = min(seen, 60)
        course.end = Course.End.LOST
    else:
        course.working_at_days = seen
        course.end = Course.End.RETREATED


def _grades(record, day0, areas: set[str], rng, now) -> list[Score]:
    """Baseline and day-14 grades at maximum contraction by the injector and the patient."""
    out = []
    for area in sorted(areas & {"glabellar", "lateral_canthal", "forehead"}):
        before = rng.choice([2, 2, 3, 3, 3])
        after = max(0, before - rng.choice([0, 1, 2, 2, 2, 3]))
        for rater in ("injector", "patient"):
            seen = after if rater == "injector" else max(0, min(3, after + rng.choice([-1, 0, 0])))
            for day, grade in ((0, before), (14, seen)):
                out.append(
                    Score(
                        treatment=record,
                        patient_id=record.patient_id,
                        area=area,
                        state="contraction",
                        rater=rater,
                        grade=grade,
                        scored_on=day0 + timedelta(days=day),
                        day=day,
                        recorded_by=record.injector,
                        via="demo",
                        created_at=now,
                    )
                )
    return out
