"""The nightly refit of the clinic's duration model: once a day, in the small hours on the clinic's
clock, the model is fitted again from every known course and the forecasts still to invite are
refreshed with it. It sits above `durations` (the fit) and `services` (the refresh)."""

from datetime import date, datetime

from django.db import IntegrityError, transaction
from django_tasks import task

from glabella.clinic.clock import clinic_zone
from glabella.outcomes.durations import refit
from glabella.outcomes.models import ModelFit
from glabella.outcomes.services import refresh_upcoming

REFIT_HOUR = 2  # clinic time


def nightly_refit(now: datetime) -> int:
    """The scheduler's minute: from REFIT_HOUR on, once a day, enqueue the refit (a row per day
    makes sure only one process does)."""
    zone = clinic_zone()
    local = now.astimezone(zone)
    if local.hour < REFIT_HOUR or ModelFit.objects.filter(day=local.date()).exists():
        return 0
    try:
        with transaction.atomic():
            ModelFit.objects.create(day=local.date(), started_at=now)
            refit_task.enqueue(local.date().isoformat())
    except IntegrityError:
        return 0
    return 1


@task(queue_name="default")
def refit_task(day: str) -> dict:
    fit = refit(date.fromisoformat(day), refresh=refresh_upcoming)
    return {"courses": fit.courses, "patients": fit.patients, "refreshed": fit.refreshed}
