"""Treatments' section of the patient record (patients' `record_sections`): the treatment
records, newest first, each with its product, units, injector and state, linked to its chart.
Clinical data: only for those who may see it. Two queries, whatever the history."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Sum

from glabella.core.access import Actor
from glabella.core.roles import Capability
from glabella.patients.models import Patient
from glabella.patients.sections import Section
from glabella.treatments.models import TreatmentRecord

SHOWN = 10


def treatments_section(actor: Actor, patient: Patient, now: datetime) -> Section | None:
    if not actor.can(Capability.VIEW_CLINICAL):
        return None
    rows = list(
        TreatmentRecord.objects.restrict(actor, "view")
        .filter(patient=patient)
        .select_related("appointment__location", "injector")
        .annotate(total_units=Sum("points__units"), point_count=Count("points"))
        .only(
            "public_id",
            "product",
            "status",
            "locked_at",
            "created_at",
            "amends_id",
            "appointment__starts_at",
            "appointment__location__time_zone",
            "appointment__location__name",
            "injector__full_name",
        )
        .order_by("-appointment__starts_at", "-id")[: SHOWN + 1]
    )
    return Section(
        key="treatments",
        title="Treatments",
        order=40,
        template="treatments/record_treatments.html",
        context={
            "rows": [(r, r.appointment.location.zone) for r in rows[:SHOWN]],
            "more": len(rows) > SHOWN,
        },
    )
