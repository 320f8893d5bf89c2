"""How long each treated area lasted: its course opened when a treatment is signed, the onset
from the day-14 check-in, monthly light questions from month 2 ("can you frown fully again?")
until movement returns, and a re-treatment closing the courses it cuts short (still working then:
a censored observation, kept). The clinic's duration model is fitted from these courses nightly.
The question is written in the patient's language, its link to the page in that language.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from glabella.catalogue.areas import any_area_name
from glabella.clinic.clock import clinic_zone
from glabella.core import audit, links
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Conflict, ValidationFailed
from glabella.core.language import current, speaking
from glabella.messaging import quiet
from glabella.messaging.outbox import cancel_pending, queue_to_patient
from glabella.outcomes import forecast
from glabella.outcomes.models import Course, Forecast, ModelFit, MovementCheck

MOVEMENT_SALT = "glabella.outcomes.movement"
# What each area does when it moves again: the question the monthly check asks.
MOVES = {
    "glabellar": gettext_lazy("Can you frown fully again?"),
    "forehead": gettext_lazy("Can you raise your brows fully again?"),
    "lateral_canthal": gettext_lazy("Can you smile with your eyes (crow's feet) fully again?"),
    "platysma": gettext_lazy("Can you tense your neck fully again?"),
}
RETURNED, WORKING = "returned", "working"
# A forecast that gave way to what the patient told us; the model's refresh leaves it alone.
OBSERVED = "movement returned, as the patient told us"


def question(area: str) -> str:
    """The monthly question for an area, in the active language."""
    if area in MOVES:
        return str(MOVES[area])
    # An area on no label: named as people say it (the catalogue's words, translated).
    return _("Can you move the treated area (%(area)s) fully again?") % {
        "area": any_area_name(area, current())
    }


# ---------------------------------------------------------------- courses


def open_courses(record, subjects: list[forecast.Course], now: datetime) -> list[Course]:
    """A signed treatment's courses (an amendment updates the doses); earlier courses of the
    same areas still open are closed as re-treated, censored at this day; the first monthly
    question is scheduled."""
    made = []
    for s in subjects:
        course, _made = Course.objects.update_or_create(
            treatment=record,
            area=s.area,
            defaults={
                "patient_id": record.patient_id,
                "product": s.product,
                "treated_on": s.treated_on,
                "dose_ratio": s.dose_ratio,
                "age": s.age,
                "count": s.count,
                "updated_at": now,
            },
        )
        made.append(course)
    if not subjects:
        return made
    day = subjects[0].treated_on
    cut_short = Course.objects.filter(
        patient_id=record.patient_id,
        area__in=[s.area for s in subjects],
        end=Course.End.OPEN,
        treated_on__lt=day,
    ).exclude(treatment=record)
    closed_treatments = set()
    for course in cut_short:
        course.working_at_days = max(course.working_at_days or 0, (day - course.treated_on).days)
        course.end = Course.End.RETREATED
        course.updated_at = now
        course.save(update_fields=["working_at_days", "end", "updated_at"])
        closed_treatments.add(course.treatment_id)
    for treatment_id in closed_treatments:
        if not Course.objects.filter(treatment_id=treatment_id, end=Course.End.OPEN).exists():
            _close_checks(treatment_id)
    if not MovementCheck.objects.filter(treatment=record).exists():
        schedule_check(record, settings.MOVEMENT_CHECK_FROM_DAY, day, now)
    return made


def _close_checks(treatment_id: int) -> None:
    for check in MovementCheck.objects.filter(
        treatment_id=treatment_id, status=MovementCheck.Status.SCHEDULED
    ):
        check.status = MovementCheck.Status.CLOSED
        check.save(update_fields=["status"])
        cancel_pending(f"movement-check:{check.public_id}")


def after_report(report, now: datetime) -> None:
    """On aftercare's report_recorded: "the effect shows" records the onset of each course of the
    treatment that has none (the day the patient said so)."""
    if report.treatment_id is None or report.effect_shows is not True:
        return
    today = now.astimezone(clinic_zone(report.patient)).date()
    courses = Course.objects.filter(treatment_id=report.treatment_id, onset_day__isnull=True)
    treated = courses.values_list("treated_on", flat=True).first()  # one day per treatment
    if treated is not None:
        courses.update(onset_day=(today - treated).days, updated_at=now)


def history(patient_id: int, before: date) -> list[forecast.Course]:
    """The patient's courses before a day whose outcome is known, as the forecast reads them."""
    return [
        _subject(c)
        for c in Course.objects.filter(patient_id=patient_id, treated_on__lt=before).exclude(
            lasted_days__isnull=True, working_at_days__isnull=True
        )
    ]


def _subject(c: Course) -> forecast.Course:
    return forecast.Course(
        patient=c.patient_id,
        product=c.product,
        area=c.area,
        treated_on=c.treated_on,
        dose_ratio=c.dose_ratio,
        age=c.age,
        count=c.count,
        lasted_days=c.lasted_days,
        working_at_days=c.working_at_days,
    )


# ---------------------------------------------------------------- the monthly question


def movement_token(check: MovementCheck) -> str:
    return links.sign_id(MOVEMENT_SALT, check.public_id)


def read_movement_token(token: str) -> MovementCheck:
    """The check a link opens; it works from when it is sent for CHECK_IN_LINK_DAYS."""
    return links.open_due_link(
        token,
        salt=MOVEMENT_SALT,
        queryset=MovementCheck.objects.select_related("patient", "treatment"),
        days=settings.CHECK_IN_LINK_DAYS,
    )


def schedule_check(record, day: int, treated: date, now: datetime) -> MovementCheck | None:
    """The monthly question `day` days after the treatment, at 10:00 clinic time (after the
    quiet hours), with its message; none past MOVEMENT_CHECK_LAST_DAY."""
    if day > settings.MOVEMENT_CHECK_LAST_DAY:
        return None
    patient = record.patient
    zone = clinic_zone(patient)
    due = datetime.combine(treated + timedelta(days=day), time(10), zone)
    due = max(quiet.next_allowed(due, zone, settings.QUIET_HOURS), now)
    check, made = MovementCheck.objects.get_or_create(
        treatment=record, day=day, defaults={"patient": patient, "due_at": due}
    )
    if not made:
        return check
    areas = Course.objects.filter(treatment=record, end=Course.End.OPEN).values_list(
        "area", flat=True
    )
    with speaking(patient):
        asks = " ".join(question(a) for a in areas) or _("Has the movement come back?")
        url = settings.SITE_URL + reverse("outcomes:movement", args=[movement_token(check)])
        months = round(day / 30)
        body = ngettext(
            "Hello %(name)s,\n\nIt has been about %(months)s month since your treatment. "
            "%(asks)s One tap tells us, and helps us plan your next visit at the right time:"
            "\n%(link)s",
            "Hello %(name)s,\n\nIt has been about %(months)s months since your treatment. "
            "%(asks)s One tap tells us, and helps us plan your next visit at the right time:"
            "\n%(link)s",
            months,
        ) % {
            "name": patient.preferred_name or patient.given_name,
            "months": months,
            "asks": asks,
            "link": url,
        }
        queue_to_patient(
            patient,
            topic="movement-check",
            subject=_("How is your treatment holding up?"),
            body=body,
            about=f"movement-check:{check.public_id}",
            due_at=due,
            now=now,
            dedupe_key=f"movement-check:{check.public_id}",
        )
    return check


def open_areas(check: MovementCheck) -> list[str]:
    return list(
        Course.objects.filter(treatment_id=check.treatment_id, end=Course.End.OPEN)
        .order_by("area")
        .values_list("area", flat=True)
    )


def clean_answer(raw: object, areas: list[str], *, treated: date, today: date) -> dict:
    """{area: "returned" | "working", ..., "returned_on": YYYY-MM-DD (optional, default today)}."""
    if not isinstance(raw, dict):
        raise ValidationFailed({"answers": [_("Send the answers as an object.")]})
    errors: dict[str, list[str]] = {}
    for key in sorted(set(raw) - {*areas, "returned_on"}):
        errors[key] = [_("This is not a question of this check.")]
    answers = {}
    for area in areas:
        value = raw.get(area)
        if value not in (RETURNED, WORKING):
            errors[area] = [_("Answer yes (it moves fully again) or not yet.")]
        answers[area] = value
    returned_on = today
    if raw.get("returned_on") not in (None, ""):
        try:
            returned_on = date.fromisoformat(str(raw["returned_on"]))
        except ValueError:
            errors["returned_on"] = [_("Give the day as YYYY-MM-DD.")]
        else:
            if returned_on > today:
                errors["returned_on"] = [_("This day is in the future.")]
            elif returned_on < treated + timedelta(days=14):
                errors["returned_on"] = [_("This is before the treatment could have taken effect.")]
    if errors:
        raise ValidationFailed(errors)
    return {"answers": answers, "returned_on": returned_on}


def answer(check: MovementCheck, raw: object, *, actor: Actor, now=None) -> MovementCheck:
    """The patient's answer: each area's course ends (movement returned on a day) or is known
    still to work today (censored); the next question is scheduled while any area still works;
    a returned area brings the forecast to what happened."""
    now = now or timezone.now()
    record = check.treatment
    zone = clinic_zone(check.patient)
    today = now.astimezone(zone).date()
    areas = open_areas(check)
    treated = record.appointment.starts_at.astimezone(zone).date()
    cleaned = clean_answer(raw, areas, treated=treated, today=today)
    with write_transaction():
        locked = MovementCheck.objects.select_for_update().get(pk=check.pk)
        if locked.status != MovementCheck.Status.SCHEDULED:
            raise Conflict(_("This question has been answered. Thank you."))
        stored = dict(cleaned["answers"])
        if RETURNED in stored.values():
            stored["returned_on"] = cleaned["returned_on"].isoformat()
        locked.status = MovementCheck.Status.ANSWERED
        locked.answers = stored
        locked.answered_at = now
        locked.save(update_fields=["status", "answers", "answered_at"])
        for course in Course.objects.filter(treatment=record, area__in=areas):
            if cleaned["answers"][course.area] == RETURNED:
                course.returned_on = cleaned["returned_on"]
                course.lasted_days = (cleaned["returned_on"] - course.treated_on).days
                course.working_at_days = None
                course.end = Course.End.RETURNED
            else:
                course.working_at_days = (today - course.treated_on).days
            course.updated_at = now
            course.save()
        if RETURNED in cleaned["answers"].values():
            _observed_wear_off(record, cleaned["returned_on"], now)
        if WORKING in cleaned["answers"].values():
            schedule_check(record, _next_day(record, today, treated), treated, now)
        audit.record_patient(
            actor,
            audit.Action.CREATE,
            check.patient,
            object_type=audit.Kind.MOVEMENT_CHECK,
            object_id=check.public_id,
            detail={"answers": stored},
        )
    return locked


def _next_day(record, today: date, treated: date) -> int:
    done = max(MovementCheck.objects.filter(treatment=record).values_list("day", flat=True))
    return max(done + settings.MOVEMENT_CHECK_EVERY_DAYS, (today - treated).days + 14)


def _observed_wear_off(record, returned_on: date, now: datetime) -> None:
    """Movement came back: the forecast gives way to what happened (never inviting before the
    label's minimum interval)."""
    found = Forecast.objects.filter(treatment=record).first()
    if found is None or found.basis == OBSERVED:
        return  # no forecast, or the first area to return already set it
    days = (returned_on - found.treated_on).days
    found.wear_off_on = returned_on
    found.days = days
    found.invite_from = max(
        returned_on, found.treated_on + timedelta(days=forecast.MIN_INTERVAL_DAYS)
    )
    found.basis = OBSERVED
    found.computed_at = now
    found.save()


def follow_up_missed(now: datetime | None = None) -> int:
    """Each minute: a question whose link has expired is missed and the next one scheduled;
    after two missed in a row the courses still open are left as lost (censored at their last
    word), and no more questions are sent."""
    now = now or timezone.now()
    expired = now - timedelta(days=settings.CHECK_IN_LINK_DAYS)
    done = 0
    for check in MovementCheck.objects.filter(
        status=MovementCheck.Status.SCHEDULED, due_at__lt=expired
    ).select_related("treatment__appointment", "patient")[:500]:
        with write_transaction():
            if not MovementCheck.objects.filter(
                pk=check.pk, status=MovementCheck.Status.SCHEDULED
            ).update(status=MovementCheck.Status.MISSED):
                continue
            done += 1
            record = check.treatment
            zone = clinic_zone(check.patient)
            treated = record.appointment.starts_at.astimezone(zone).date()
            before = (
                MovementCheck.objects.filter(treatment=record, day__lt=check.day)
                .order_by("-day")
                .values_list("status", flat=True)
                .first()
            )
            if before == MovementCheck.Status.MISSED:
                Course.objects.filter(treatment=record, end=Course.End.OPEN).update(
                    end=Course.End.LOST, updated_at=now
                )
            else:
                today = now.astimezone(zone).date()
                schedule_check(record, _next_day(record, today, treated), treated, now)
    return done


# ---------------------------------------------------------------- the clinic's model


def clinic_model() -> forecast.Model:
    """The newest fitted model, or the prior (each product's typical duration) before any."""
    fit = ModelFit.objects.filter(finished_at__isnull=False).order_by("-day").first()
    if fit is None or not fit.beta:
        return forecast.Model()
    return forecast.Model(tuple(fit.beta), fit.tau2, fit.sigma2, fit.courses, fit.patients)


def known_courses() -> list[forecast.Course]:
    return [
        _subject(c)
        for c in Course.objects.exclude(lasted_days__isnull=True, working_at_days__isnull=True)
    ]


def refit(day: date, now: datetime | None = None, refresh=None) -> ModelFit:
    """Fit the clinic's model from every known course; then `refresh` each current forecast
    whose invitation is still to come (soon), so they use it."""
    now = now or timezone.now()
    model = forecast.fit(known_courses()) if Course.objects.exists() else forecast.Model()
    fit, _made = ModelFit.objects.get_or_create(day=day, defaults={"started_at": now})
    fit.beta = list(model.beta) if model.courses else []
    fit.tau2, fit.sigma2 = model.tau2, model.sigma2
    fit.courses, fit.patients = model.courses, model.patients
    fit.finished_at = timezone.now()
    fit.save()
    if refresh is not None:
        fit.refreshed = refresh(day)
        fit.save(update_fields=["refreshed"])
    return fit
