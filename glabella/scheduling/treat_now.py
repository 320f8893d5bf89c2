"""Consult and treat in one visit: a consultation whose decision was signed during it goes on as
the patient's treatment, without completing it at the desk and booking again.

The treatment is an appointment of its own (its service, length, price and chart), starting when
the consultation ends, with the same provider and patient (and room where the service may use
it). The consultation is recorded as completed (checked in first if the desk had not) and the
treatment as checked in: the patient is here. Whether a decision covers the visit is asked of the
apps listening to `treatment_clearance_asked` (screening); the treatment's own prerequisites are
the booking's (`rules.check_prerequisites`), and its time is refused by the same overlap check and
database constraints as any booking.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import quote

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from glabella.clinic.models import ClosedDay, OpeningHours, Service
from glabella.core.access import Actor
from glabella.core.audit import Action, Kind, record_patient
from glabella.core.errors import ValidationFailed
from glabella.scheduling import signals
from glabella.scheduling.bookings import _booking_write
from glabella.scheduling.models import Appointment, Status, attending_q, blocking_q
from glabella.scheduling.rules import check_prerequisites, require_staff
from glabella.scheduling.search import SlotTaken
from glabella.scheduling.visit_actions import treat_refusal

NO_DECISION = "No candidacy decision was signed during this consultation."


def wrong_service(consultation: Appointment) -> str:
    """The refusal of a service that is not a treatment this visit's provider gives."""
    return f"Choose a treatment {consultation.provider.full_name} gives."


def decision_refusal(appointment: Appointment, now: datetime) -> str | None:
    """Why no signed decision lets this visit go on as a treatment; None when one does."""
    answers = [
        answer
        for _, answer in signals.treatment_clearance_asked.send(
            Appointment, appointment=appointment, now=now
        )
    ]
    if not answers:
        return NO_DECISION
    return next((a for a in answers if a is not None), None)


def refusal(appointment: Appointment, now: datetime | None = None) -> str | None:
    """Why this visit may not go on as a treatment now (None: it may). The page's button, the
    API and the write all ask this one question."""
    now = now or timezone.now()
    kind = appointment.service.kind
    why = treat_refusal(
        kind, appointment.status, appointment.starts_at, now, appointment.location.zone, None
    )
    if why is not None:
        return why
    if (
        Appointment.objects.live()
        .filter(
            patient_id=appointment.patient_id,
            service__kind=Service.Kind.NEUROMODULATOR,
            starts_at=appointment.ends_at,
        )
        .exists()
    ):
        return "A treatment already follows this consultation."
    return decision_refusal(appointment, now)


def treatment_services(appointment: Appointment) -> list[Service]:
    """The neuromodulator treatments this visit's provider may give on its day."""
    day = appointment.local_start.date()
    return [
        s
        for s in Service.objects.filter(active=True, kind=Service.Kind.NEUROMODULATOR).order_by(
            "name"
        )
        if s.can_be_performed_by(appointment.provider, day)
    ]


def _room_for(service: Service, consultation: Appointment, start, end) -> int | None:
    """The consultation's room when the service may use it; else a free room of the service's at
    the location; None for a service that needs no room."""
    rooms = list(service.rooms.filter(location_id=consultation.location_id, active=True))
    if not rooms or consultation.room_id in {r.pk for r in rooms}:
        return consultation.room_id
    live = Appointment.objects.live().exclude(pk=consultation.pk)
    for room in rooms:
        if not live.filter(Q(room_id=room.pk) & blocking_q(start, end)).exists():
            return room.pk
    raise ValidationFailed({"service": [f"No room for {service.name} is free then."]})


def treat_now(
    actor: Actor,
    consultation: Appointment,
    *,
    service: Service | None,
    now: datetime | None = None,
) -> Appointment:
    """The treatment that follows this consultation in the same visit, checked in; the
    consultation completed. Refused (422, nothing written) when no decision was signed during
    it, or the service is not a treatment its provider may give; 409 when the time is taken."""
    require_staff(actor)
    now = now or timezone.now()
    why = refusal(consultation, now)
    if why is not None:
        raise ValidationFailed({"appointment": [why]})
    if service is None or service not in treatment_services(consultation):
        raise ValidationFailed({"service": [wrong_service(consultation)]})
    start = consultation.ends_at
    end = start + timedelta(minutes=service.duration_minutes)
    blocked_until = end + timedelta(minutes=service.buffer_after_minutes)
    patient = consultation.patient
    _require_open(consultation.location, start, end)
    check_prerequisites(service, patient, start)  # the booking's own: consultation and decision
    room_id = _room_for(service, consultation, start, blocked_until)
    with _booking_write(list):
        locked = (
            Appointment.objects.select_for_update()
            .select_related("location", "service", "patient", "provider")
            .get(pk=consultation.pk)
        )
        why = treat_refusal(
            locked.service.kind, locked.status, locked.starts_at, now, locked.location.zone, None
        )
        if why is not None:
            raise ValidationFailed({"appointment": [why]})
        # The consultation's after-time is the treatment's now: the provider goes straight on.
        locked.blocked_until = locked.ends_at
        locked.status = Status.COMPLETED
        locked.checked_in_at = locked.checked_in_at or now
        locked.completed_at = locked.completed_at or now
        locked.save()
        live = Appointment.objects.live().exclude(pk=locked.pk)
        clash = Q(provider_id=locked.provider_id) & blocking_q(start, blocked_until)
        if room_id is not None:
            clash |= Q(room_id=room_id) & blocking_q(start, blocked_until)
        clash |= Q(patient=patient) & attending_q(start, end)
        if live.filter(clash).exists():
            raise SlotTaken([])
        treatment = Appointment.objects.create(
            location=locked.location,
            service=service,
            provider=locked.provider,
            room_id=room_id,
            patient=patient,
            starts_at=start,
            ends_at=end,
            blocked_from=start,
            blocked_until=blocked_until,
            status=Status.CHECKED_IN,
            checked_in_at=now,
            source=Appointment.Source.STAFF,
            note="Treated in the visit of the consultation.",
            booked_at=now,
            booked_by=actor.staff,
        )
        for appointment, detail in (
            (locked, {"status": Status.COMPLETED, "treated_in_visit": True}),
            (treatment, {"start": start.isoformat(), "service": service.slug, "after": "consult"}),
        ):
            record_patient(
                actor,
                Action.UPDATE if appointment is locked else Action.CREATE,
                patient,
                object_type=Kind.APPOINTMENT,
                object_id=appointment.public_id,
                detail=detail,
            )
        signals.appointment_booked.send(Appointment, appointment=treatment, now=now)
    return treatment


def consultations_of_the_day(
    now: datetime, *, patient=None, location=None, treatable: bool = False
) -> list[tuple[Appointment, str | None]]:
    """Today's live consultations (a patient's, or a location's), each with why it may not go on
    as a treatment now (None: it may), for the pages that offer the action; `treatable`: only
    those that may."""
    found = Appointment.objects.live().filter(
        service__kind=Service.Kind.CONSULTATION,
        status__in=[Status.BOOKED, Status.CHECKED_IN, Status.COMPLETED],
        starts_at__gte=now - timedelta(days=1, hours=14),
        starts_at__lte=now + timedelta(days=1, hours=14),
    )
    if patient is not None:
        found = found.filter(patient=patient)
    if location is not None:
        found = found.filter(location=location)
    rows = []
    for appointment in found.select_related("location", "service", "patient", "provider"):
        local = appointment.starts_at.astimezone(appointment.location.zone).date()
        if local == now.astimezone(appointment.location.zone).date():
            why = refusal(appointment, now)
            if why is None or not treatable:
                rows.append((appointment, why))
    return rows


def _require_open(location, start: datetime, end: datetime) -> None:
    """The location is open for the whole treatment: not a closed day, within its hours."""
    local_start, local_end = start.astimezone(location.zone), end.astimezone(location.zone)
    if ClosedDay.objects.filter(location=location, day=local_start.date()).exists():
        raise ValidationFailed({"appointment": [f"{location.name} is closed that day."]})
    hours = OpeningHours.objects.filter(location=location, weekday=local_start.weekday())
    fits = local_start.date() == local_end.date() and any(
        h.opens <= local_start.time() and local_end.time() <= h.closes for h in hours
    )
    if not fits:
        raise ValidationFailed(
            {
                "appointment": [
                    f"The treatment would run past {location.name}'s opening hours; "
                    "book it on another day from the calendar."
                ]
            }
        )


def mark_treatable(items: list[dict], location, now: datetime) -> None:
    """Gives the calendar's blocks of consultations that may go on as a treatment now their
    `treat_url` (the action's page, back to this day's calendar after)."""
    treatable = consultations_of_the_day(now, location=location, treatable=True)
    ids = {str(a.public_id) for a, _ in treatable}
    if not ids:
        return
    back = quote(f"{reverse('scheduling:calendar')}?location={location.slug}")
    for item in items:
        if item["public_id"] in ids:
            url = reverse("scheduling:treat-now", args=[item["public_id"]])
            item["treat_url"] = f"{url}?next={back}"
