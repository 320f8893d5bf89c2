"""Bookings, the writes: book, reschedule, cancel, check in, complete, no-show.

Each write runs in one durable transaction with its access-log row and its outbox messages.
Double-booking is made impossible by the database, not by this code: on PostgreSQL, exclusion
constraints per provider, room and patient (migration 0002) reject an overlapping row, and on
SQLite every write transaction starts with BEGIN IMMEDIATE, so the overlap check below and the
insert run with the database's write lock held. Either way a lost race becomes `SlotTaken`
(409, "that time was just taken") carrying the next free times.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.db import DatabaseError, IntegrityError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from glabella.clinic.models import Location, Service
from glabella.core.access import Actor
from glabella.core.audit import Action, Kind, record_patient
from glabella.core.db import write_transaction
from glabella.core.errors import Forbidden, ValidationFailed
from glabella.core.models import StaffMember
from glabella.messaging.outbox import cancel_pending
from glabella.patients.models import Patient
from glabella.scheduling import availability as engine
from glabella.scheduling import notices, signals
from glabella.scheduling.models import (
    CANCELLED,
    Appointment,
    Status,
    WaitlistEntry,
    attending_q,
    blocking_q,
)
from glabella.scheduling.rules import (
    check_patient_window,
    check_prerequisites,
    check_start,
    choose_slot,
    require_may_change,
    require_staff,
    validate_service,
)
from glabella.scheduling.search import SlotTaken, next_slots
from glabella.scheduling.visit_actions import VisitAction, refusal
from glabella.scheduling.waitlist import offer_to_waitlist

ONLINE_SOURCES = (
    Appointment.Source.ONLINE,
    Appointment.Source.PORTAL,
    Appointment.Source.INVITATION,
)


def book(
    actor: Actor,
    *,
    service: Service,
    location: Location,
    start: datetime,
    patient: Patient,
    provider: StaffMember | None = None,
    source: str = Appointment.Source.STAFF,
    note: str = "",
    now: datetime | None = None,
    register=None,
) -> Appointment:
    """Book one appointment. `register`, if given, is called inside the transaction to create
    the patient first (online booking by a new patient), so a lost race leaves no orphan."""
    now = now or timezone.now()
    online = source in ONLINE_SOURCES
    if not online:
        require_staff(actor)
    elif actor.is_patient and patient.pk != actor.patient_id:
        raise Forbidden("You may book only for yourself.")
    # The clinic's invitation back opens a service it otherwise books itself to that patient.
    validate_service(service, location, online=online and source != Appointment.Source.INVITATION)
    check_start(start, now=now, service=service, online=online)
    check_prerequisites(service, patient, start)
    slot = choose_slot(
        service, location, start, provider=provider, patient=patient, now=now, online=online
    )
    with _booking_write(
        lambda: next_slots(service, location, start, now=now, provider=provider, patient=patient)
    ):
        if _overlaps(slot, service, patient):
            raise SlotTaken([])
        if register is not None:
            patient = register()
        appointment = Appointment.objects.create(
            location=location,
            service=service,
            provider_id=slot.provider_id,
            room_id=slot.room_id,
            patient=patient,
            starts_at=slot.start,
            ends_at=slot.end,
            blocked_from=slot.start - timedelta(minutes=service.buffer_before_minutes),
            blocked_until=slot.end + timedelta(minutes=service.buffer_after_minutes),
            source=source,
            note=note[:500],
            booked_at=now,
            booked_by=actor.staff,
        )
        waiting = list(
            WaitlistEntry.objects.filter(
                patient=patient, service=service, state__in=["waiting", "offered"]
            )
        )
        for entry in waiting:
            entry.state = WaitlistEntry.State.BOOKED
        # One statement for all, each with its history row (decision 0024).
        bulk_update_with_history(waiting, WaitlistEntry, ["state"], default_user=actor.saved_user)
        record_patient(
            actor,
            Action.CREATE,
            patient,
            object_type=Kind.APPOINTMENT,
            object_id=appointment.public_id,
            detail={"start": slot.start.isoformat(), "service": service.slug},
        )
        notices.booked(appointment, now)
        signals.appointment_booked.send(Appointment, appointment=appointment, now=now)
    return appointment


def reschedule(
    actor: Actor,
    appointment: Appointment,
    *,
    start: datetime,
    provider: StaffMember | None = None,
    now: datetime | None = None,
) -> Appointment:
    now = now or timezone.now()
    by_patient = require_may_change(actor, appointment)
    if appointment.status != Status.BOOKED:
        raise ValidationFailed(
            {
                "appointment": [
                    _("This appointment is no longer booked (%(status)s), so it cannot move.")
                    % {"status": appointment.get_status_display().lower()}
                ]
            }
        )
    if by_patient:
        check_patient_window(actor, appointment, now, "moved")
    service, location, patient = appointment.service, appointment.location, appointment.patient
    check_start(start, now=now, service=service, online=by_patient)
    check_prerequisites(service, patient, start)
    slot = choose_slot(
        service,
        location,
        start,
        provider=provider,
        patient=patient,
        now=now,
        online=by_patient,
        ignore=appointment,
    )
    previous = appointment.starts_at
    with _booking_write(lambda: next_slots(service, location, start, now=now, patient=patient)):
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if locked.status != Status.BOOKED:
            raise ValidationFailed({"appointment": [_("This appointment has just changed.")]})
        if _overlaps(slot, service, patient, ignore=appointment):
            raise SlotTaken([])
        locked.provider_id = slot.provider_id
        locked.room_id = slot.room_id
        locked.starts_at, locked.ends_at = slot.start, slot.end
        locked.blocked_from = slot.start - timedelta(minutes=service.buffer_before_minutes)
        locked.blocked_until = slot.end + timedelta(minutes=service.buffer_after_minutes)
        locked.times_rescheduled += 1
        locked.confirmed_at = None  # she confirmed the old time, not this one
        locked.save()
        record_patient(
            actor,
            Action.UPDATE,
            patient,
            object_type=Kind.APPOINTMENT,
            object_id=locked.public_id,
            detail={"from": previous.isoformat(), "to": slot.start.isoformat()},
        )
        notices.rescheduled(locked, now)
        signals.appointment_moved.send(Appointment, appointment=locked, previous=previous, now=now)
        offer_to_waitlist(appointment, previous, now)
    return locked


def cancel(
    actor: Actor, appointment: Appointment, *, reason: str = "", now: datetime | None = None
) -> Appointment:
    now = now or timezone.now()
    by_patient = require_may_change(actor, appointment)
    if by_patient:
        if appointment.status != Status.BOOKED:  # e.g. the cancel button pressed twice
            raise ValidationFailed(
                {
                    "appointment": [
                        _("This appointment is no longer booked, so it cannot be canceled.")
                    ]
                }
            )
        check_patient_window(actor, appointment, now, "canceled")
    status = Status.CANCELLED_BY_PATIENT if by_patient else Status.CANCELLED_BY_CLINIC
    return _transition(actor, appointment, VisitAction.CANCEL, to=status, now=now, reason=reason)


def cancel_for_patient(actor: Actor, appointment: Appointment, *, reason="", now=None):
    """Staff record that the patient called to cancel (counts as the patient's cancellation)."""
    require_staff(actor)
    return _transition(
        actor,
        appointment,
        VisitAction.PATIENT_CANCELLED,
        to=Status.CANCELLED_BY_PATIENT,
        now=now or timezone.now(),
        reason=reason,
    )


def check_in(actor: Actor, appointment: Appointment, now: datetime | None = None):
    require_staff(actor)
    now = now or timezone.now()
    return _transition(actor, appointment, VisitAction.CHECK_IN, to=Status.CHECKED_IN, now=now)


def complete(actor: Actor, appointment: Appointment, now: datetime | None = None):
    require_staff(actor)
    return _transition(
        actor, appointment, VisitAction.COMPLETE, to=Status.COMPLETED, now=now or timezone.now()
    )


def mark_no_show(actor: Actor, appointment: Appointment, now: datetime | None = None):
    require_staff(actor)
    now = now or timezone.now()
    return _transition(actor, appointment, VisitAction.NO_SHOW, to=Status.NO_SHOW, now=now)


def _transition(actor, appointment, action: VisitAction, *, to, now, reason: str = ""):
    """Take a desk action on the visit, asking `visit_actions` under the row lock whether it may."""
    with write_transaction():
        locked = (
            Appointment.objects.select_for_update()
            .select_related("location", "patient")
            .get(pk=appointment.pk)
        )
        why = refusal(action, locked.status, locked.starts_at, now, locked.location.zone, to)
        if why is not None:
            raise ValidationFailed({"appointment": [why]})
        locked.status = to
        if to in CANCELLED:
            locked.cancelled_at = now
            locked.cancel_reason = reason[:300]
        elif to == Status.CHECKED_IN:
            locked.checked_in_at = now
        elif to == Status.COMPLETED:
            locked.completed_at = now
        locked.save()
        record_patient(
            actor,
            Action.UPDATE,
            locked.patient,
            object_type=Kind.APPOINTMENT,
            object_id=locked.public_id,
            detail={"status": to},
        )
        if to in CANCELLED:
            notices.cancelled(locked, now)
            signals.appointment_cancelled.send(Appointment, appointment=locked, now=now)
            if locked.starts_at > now:
                offer_to_waitlist(locked, locked.starts_at, now)
        elif to == Status.NO_SHOW:
            cancel_pending(f"appointment:{locked.public_id}")
    return locked


def _overlaps(slot: engine.Slot, service: Service, patient: Patient, ignore=None) -> bool:
    """Inside the write transaction: is anything live in the way? (On SQLite this check is the
    guard, under the write lock; on PostgreSQL the constraints are, and this is a fast path.)"""
    before = timedelta(minutes=service.buffer_before_minutes)
    after = timedelta(minutes=service.buffer_after_minutes)
    b_from, b_until = slot.start - before, slot.end + after
    live = Appointment.objects.live()
    if ignore is not None:
        live = live.exclude(pk=ignore.pk)
    clash = Q(provider_id=slot.provider_id) & blocking_q(b_from, b_until)
    if slot.room_id is not None:
        clash |= Q(room_id=slot.room_id) & blocking_q(b_from, b_until)
    if patient.pk is not None:
        clash |= Q(patient=patient) & attending_q(slot.start, slot.end)
    return live.filter(clash).exists()


@contextmanager
def _booking_write(alternatives: Callable[[], list[engine.Slot]]):
    """write_transaction(), with a lost race (the overlap check inside it, the database's
    exclusion constraint, or a deadlock) answered as SlotTaken carrying `alternatives()`."""
    try:
        with write_transaction():
            yield
    except SlotTaken:
        raise SlotTaken(alternatives()) from None
    except (IntegrityError, DatabaseError) as exc:
        if not _is_lost_race(exc):
            raise
        raise SlotTaken(alternatives()) from None


def _is_lost_race(exc: Exception) -> bool:
    """An exclusion violation (23P01) or a deadlock (40P01) between two bookings."""
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) in {"23P01", "40P01"}
