"""Demo outcomes: each demo patient's newest signed treatment forecast, as the signing hook
would have done it, so the due list has patients on it."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Max

from glabella.outcomes import services
from glabella.outcomes.models import Forecast
from glabella.treatments.models import TreatmentRecord


def load_demo_forecasts(now: datetime) -> int:
    if Forecast.objects.exists():
        return 0
    newest = (
        TreatmentRecord.objects.filter(locked_at__isnull=False, amends__isnull=True)
        .values("patient_id")
        .annotate(last=Max("locked_at"))
    )
    made = 0
    for row in newest:
        record = (
            TreatmentRecord.objects.filter(
                patient_id=row["patient_id"], locked_at=row["last"], amends__isnull=True
            )
            .select_related("patient", "appointment")
            .first()
        )
        if record is not None and services.refresh(record, now) is not None:
            made += 1
    return made
