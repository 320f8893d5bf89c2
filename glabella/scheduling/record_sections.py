"""Scheduling's section of the patient record (patients' `record_sections`): the visits ahead
and behind, with book, move and the desk's actions. Three queries, whatever the history."""

from __future__ import annotations

from datetime import datetime, time

from glabella.clinic.clock import clinic_zone
from glabella.core.access import Actor
from glabella.core.roles import Capability
from glabella.patients.models import Patient
from glabella.patients.sections import Section
from glabella.scheduling import search
from glabella.scheduling.models import LIVE_Q, Appointment, Status
from glabella.scheduling.visit_actions import LABELS, VisitAction, refusal

SHOWN = 10
STATUS_LABELS = dict(Status.choices)
# What the record posts at once on a visit: check in on the day. Moving and canceling open the
# calendar's own pages (a new time confirmed; who cancels and why), as the calendar does.
ON_THE_RECORD = (VisitAction.CHECK_IN,)


def visits_section(actor: Actor, patient: Patient, now: datetime) -> Section | None:
    if not actor.can(Capability.VIEW_PATIENT):
        return None
    zone = clinic_zone(patient)
    day_start = datetime.combine(now.astimezone(zone).date(), time(0), zone)
    mine = (
        Appointment.objects.restrict(actor, "view")
        .filter(patient=patient)
        .select_related("service", "provider", "location", "room")
    )
    upcoming = list(mine.filter(LIVE_Q, starts_at__gte=day_start).order_by("starts_at")[:SHOWN])
    past = list(mine.filter(starts_at__lt=day_start).order_by("-starts_at")[: SHOWN + 1])
    may_act = actor.can(Capability.CHANGE_PATIENT)
    return Section(
        key="visits",
        title="Visits",
        order=10,
        template="scheduling/record_visits.html",
        context={
            "upcoming": [_visit(a, now, may_act) for a in upcoming],
            "past": [_visit(a, now, False) for a in past[:SHOWN]],
            "more_past": len(past) > SHOWN,
            "may_book": may_act,
            "book_service": search.default_service() if may_act else None,
        },
    )


def _visit(appointment: Appointment, now: datetime, may_act: bool) -> dict:
    zone = appointment.location.zone
    actions = []
    if may_act:
        actions = [
            (a.value, LABELS[a])
            for a in ON_THE_RECORD
            if refusal(a, appointment.status, appointment.starts_at, now, zone) is None
        ]

    def may(action: VisitAction) -> bool:
        return (
            may_act
            and refusal(action, appointment.status, appointment.starts_at, now, zone) is None
        )

    return {
        "appointment": appointment,
        "zone": zone,
        "status": STATUS_LABELS.get(appointment.status, ""),
        "actions": actions,
        "movable": may(VisitAction.MOVE) and appointment.starts_at > now,
        "cancelable": may(VisitAction.CANCEL),
        "day": appointment.starts_at.astimezone(zone).date(),
    }
