"""Every scheduling write: book, reschedule, cancel, check in, complete, no-show, waitlist.

Each write runs in one durable transaction with its access-log row and its outbox messages.
Double-booking is made impossible by the database, not by this code: on PostgreSQL, exclusion
constraints per provider, room and patient (migration 0002) reject an overlapping row, and on
SQLite every write transaction starts with BEGIN IMMEDIATE, so the overlap check below and the
insert run with the database's write lock held. Either way a lost race becomes `SlotTaken`
(409, "that time was just taken") carrying the next free times.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

from django.db import DatabaseError, IntegrityError, connection
from django.db.models import CharField, F, FloatField, Func, Q
from django.utils import timezone

from glabella.clinic.models import Location, OpeningHours, Room, Service
from glabella.core.access import Actor, link_actor
from glabella.core.audit import Action, record, record_patient
from glabella.core.db import write_transaction
from glabella.core.errors import Conflict, Forbidden, ValidationFailed
from glabella.core.models import StaffMember
from glabella.core.roles import Capability
from glabella.messaging.outbox import cancel_pending
from glabella.patients.models import Patient
from glabella.scheduling import availability as engine
from glabella.scheduling import notices, signals
from glabella.scheduling.models import (
    CANCELLED,
    Appointment,
    CalendarFeed,
    ScheduleException,
    Status,
    WaitlistEntry,
    WeeklyHours,
    attending_q,
    blocking_q,
)

SLOT_STEP = timedelta(minutes=15)
SEARCH_CHUNK_DAYS = 7  # busy time is loaded a week at a time, so a first page reads little
MAX_SEARCH_DAYS = 120
MAX_PAGE = 100
WAITLIST_OFFER_HOURS = 24  # an offer not taken up within this long passes to the next patient


class SlotTaken(Conflict):
    code = "slot_taken"

    def __init__(self, alternatives: Sequence[engine.Slot]):
        super().__init__(
            "That time was just taken. Please choose another.",
            {"alternatives": [slot_dict(s) for s in alternatives]},
        )
        self.alternatives = list(alternatives)


def slot_dict(slot: engine.Slot) -> dict:
    return {
        "start": slot.start.isoformat(),
        "end": slot.end.isoformat(),
        "provider_id": slot.provider_id,
        "room_id": slot.room_id,
        "location_id": slot.location_id,
    }


# ---------------------------------------------------------------- loading what the engine needs


@dataclasses.dataclass
class _LocationPlan:
    """The parts of a search that do not depend on the days searched."""

    location: Location
    providers: list[StaffMember]
    weeks: list[engine.ProviderWeek]
    room_ids: list[int]
    needs_room: bool
    opening: dict[int, tuple[engine.DayHours, ...]] | None


def service_rules(service: Service, *, online: bool) -> engine.ServiceRules:
    """The service's booking rules; staff are not held to the online lead time and horizon."""
    return engine.ServiceRules(
        duration=timedelta(minutes=service.duration_minutes),
        buffer_before=timedelta(minutes=service.buffer_before_minutes),
        buffer_after=timedelta(minutes=service.buffer_after_minutes),
        lead_time=timedelta(minutes=service.lead_time_minutes) if online else timedelta(0),
        horizon=timedelta(days=service.horizon_days if online else 366),
        step=SLOT_STEP,
    )


def _performers(
    service: Service, locations: Sequence[Location], day: date, provider: StaffMember | None
) -> dict[int, list[StaffMember]]:
    """Location id -> the staff there who may perform the service on `day`, by name, in one
    query for any number of locations."""
    links = Location.staff.through.objects.filter(
        location_id__in=[loc.pk for loc in locations],
        staffmember__active=True,
        staffmember__credential__in=service.performer_credentials or [],
    ).select_related("staffmember")
    if provider is not None:
        links = links.filter(staffmember_id=provider.pk)
    staff_at: dict[int, list[StaffMember]] = defaultdict(list)
    for link in links.order_by("staffmember__full_name", "staffmember_id"):
        if service.can_be_performed_by(link.staffmember, day):
            staff_at[link.location_id].append(link.staffmember)
    return staff_at


def eligible_providers(
    service: Service, location: Location, day: date, provider: StaffMember | None = None
) -> list[StaffMember]:
    return _performers(service, [location], day, provider)[location.pk]


def _plans(
    service: Service,
    locations: Sequence[Location],
    first_day: date,
    last_day: date,
    provider: StaffMember | None,
) -> list[_LocationPlan]:
    """What the search needs from the set-up tables, in five queries for any number of
    locations: who may perform the service where, their hours and exceptions, rooms, opening."""
    location_ids = [loc.pk for loc in locations]
    staff_at = _performers(service, locations, first_day, provider)
    ids = {s.pk for people in staff_at.values() for s in people}
    hours: dict[tuple, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for loc_id, staff_id, kind, weekday, starts, ends in WeeklyHours.objects.filter(
        location_id__in=location_ids, staff_id__in=ids
    ).values_list("location_id", "staff_id", "kind", "weekday", "starts", "ends"):
        hours[(loc_id, staff_id, kind)][weekday].append(engine.DayHours(starts, ends))
    exceptions: dict[tuple, list] = defaultdict(list)
    for loc_id, staff_id, kind, day, starts, ends in ScheduleException.objects.filter(
        staff_id__in=ids, day__range=(first_day, last_day)
    ).values_list("location_id", "staff_id", "kind", "day", "starts", "ends"):
        exceptions[(loc_id, staff_id)].append(
            engine.DateException(day, kind == ScheduleException.Kind.TIME_OFF, starts, ends)
        )
    service_rooms = list(service.rooms.filter(active=True).values_list("location_id", "pk"))
    opening: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for loc_id, weekday, opens, closes in OpeningHours.objects.filter(
        location_id__in=location_ids
    ).values_list("location_id", "weekday", "opens", "closes"):
        opening[loc_id][weekday].append(engine.DayHours(opens, closes))
    plans = []
    for loc in locations:
        weeks = [
            engine.ProviderWeek(
                provider_id=p.pk,
                hours={d: tuple(v) for d, v in hours[(loc.pk, p.pk, "work")].items()},
                breaks={d: tuple(v) for d, v in hours[(loc.pk, p.pk, "break")].items()},
                # Time off with no location applies everywhere; extra hours are per location.
                exceptions=tuple(exceptions[(None, p.pk)] + exceptions[(loc.pk, p.pk)]),
                last_day=p.licence_expires,
            )
            for p in staff_at[loc.pk]
        ]
        plans.append(
            _LocationPlan(
                loc,
                staff_at[loc.pk],
                weeks,
                sorted(pk for loc_id, pk in service_rooms if loc_id == loc.pk),
                bool(service_rooms),
                {d: tuple(v) for d, v in opening[loc.pk].items()} if opening[loc.pk] else None,
            )
        )
    return plans


def _rows(queryset, fields: Sequence[str], datetimes: Sequence[int]) -> list[tuple]:
    """queryset.values_list(*fields), fast. A search reads a few thousand instants, and turning
    each into a datetime through Django's per-value converters costs more than the query: so
    the datetime columns (at positions `datetimes`) are selected as seconds since the epoch
    (PostgreSQL) or as their stored ISO text (SQLite, naive UTC) and made aware UTC datetimes
    with the C-coded constructors."""
    sqlite = connection.vendor == "sqlite"
    template = (
        "(%(expressions)s || '')" if sqlite else "EXTRACT(EPOCH FROM %(expressions)s)::float8"
    )
    output = CharField() if sqlite else FloatField()
    raw = {
        f"_{name}_raw": Func(F(name), template=template, output_field=output)
        for i, name in enumerate(fields)
        if i in datetimes
    }
    names = [f"_{name}_raw" if i in datetimes else name for i, name in enumerate(fields)]
    sql, params = queryset.annotate(**raw).values_list(*names).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if sqlite:

        def make(value):
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
    else:

        def make(value):
            return datetime.fromtimestamp(value, UTC)

    out = []
    for row in rows:
        row = list(row)
        for i in datetimes:
            if row[i] is not None:
                row[i] = make(row[i])
        out.append(tuple(row))
    return out


def _busy(plans, start: datetime, end: datetime, patient: Patient | None, ignore):
    """Everything live that blocks the plans' providers or rooms, or the patient, in one query."""
    provider_ids = [w.provider_id for plan in plans for w in plan.weeks]
    room_ids = [r for plan in plans for r in plan.room_ids]
    who = Q(provider_id__in=provider_ids)
    if room_ids:
        who |= Q(room_id__in=room_ids)
    near = blocking_q(start, end) & who
    with_patient = patient is not None and patient.pk is not None
    if with_patient:
        near |= attending_q(start, end) & Q(patient_id=patient.pk)
    live = Appointment.objects.live().filter(near)
    if ignore is not None:
        live = live.exclude(pk=ignore.pk)
    provider_busy: dict[int, list] = defaultdict(list)
    room_busy: dict[int, list] = defaultdict(list)
    patient_busy = []
    rooms = set(room_ids)
    fields = ["provider_id", "room_id", "blocked_from", "blocked_until"]
    if with_patient:
        fields += ["patient_id", "starts_at", "ends_at"]
    for row in _rows(live, fields, (2, 3, 5, 6) if with_patient else (2, 3)):
        provider_busy[row[0]].append((row[2], row[3]))
        if row[1] in rooms:
            room_busy[row[1]].append((row[2], row[3]))
        if with_patient and row[4] == patient.pk:
            patient_busy.append((row[5], row[6]))
    return provider_busy, room_busy, patient_busy


def _works(plans, day: date) -> bool:
    """Whether anyone in the plans may work on `day` (weekly hours or extra hours)."""
    weekday = day.weekday()
    return any(
        weekday in w.hours or any(e.day == day and not e.off for e in w.exceptions)
        for plan in plans
        for w in plan.weeks
    )


def search_slots(
    service: Service,
    locations: Sequence[Location],
    *,
    first_day: date,
    last_day: date,
    now: datetime,
    provider: StaffMember | None = None,
    patient: Patient | None = None,
    limit: int = 20,
    after: datetime | None = None,
    online: bool = True,
    ignore: Appointment | None = None,
    include_busy: bool = True,
    one_per_time: bool | None = None,
) -> list[engine.Slot]:
    """Free slots for a service across locations, in start order, a page at a time. With any
    provider, one slot per start time unless `one_per_time` is False (the staff calendar shows
    each provider's own free times).

    Days are searched in growing chunks (2, 4, then 7 days), each with one query for the
    busy time near it, so a first page usually costs one small query, not sixty days of rows.
    """
    rules = service_rules(service, online=online)
    plans = _plans(service, locations, first_day, last_day, provider)
    plans = [p for p in plans if p.weeks and (p.room_ids or not p.needs_room)]
    rules = dataclasses.replace(rules, needs_room=any(p.needs_room for p in plans))
    found: list[engine.Slot] = []
    chunk_start = first_day
    if after is not None and plans:
        local_after = min(after.astimezone(p.location.zone).date() for p in plans)
        chunk_start = max(first_day, local_after)
    chunk_days = 2
    # A slot's guard (the slot and its buffers) reaches this far outside its own day.
    reach = max(rules.buffer_before, rules.buffer_after)
    while plans and chunk_start <= last_day and len(found) < limit:
        while chunk_start <= last_day and not _works(plans, chunk_start):
            chunk_start += timedelta(days=1)  # closed days need no query
        if chunk_start > last_day:
            break
        chunk_end = min(chunk_start + timedelta(days=chunk_days - 1), last_day)
        chunk_days = min(chunk_days * 2, SEARCH_CHUNK_DAYS)
        zones = [p.location.zone for p in plans]
        window_start = min(engine.to_instant(chunk_start, time(0), z) for z in zones) - reach
        window_end = (
            max(engine.to_instant(chunk_end + timedelta(days=1), time(0), z) for z in zones) + reach
        )
        provider_busy, room_busy, patient_busy = (
            _busy(plans, window_start, window_end, patient, ignore)
            if include_busy
            else ({}, {}, [])
        )
        inputs = [
            engine.SearchInput(
                zone=plan.location.zone,
                now=now,
                first_day=chunk_start,
                last_day=chunk_end,
                rules=rules,
                providers=plan.weeks,
                room_ids=plan.room_ids,
                opening=plan.opening,
                provider_busy=provider_busy,
                room_busy=room_busy,
                patient_busy=patient_busy,
                any_provider=(provider is None) if one_per_time is None else one_per_time,
                location_id=plan.location.pk,
            )
            for plan in plans
        ]
        found.extend(engine.first_slots(inputs, limit - len(found), after=after))
        chunk_start = chunk_end + timedelta(days=1)
    return found


def next_slots(service, location, start, *, now, provider=None, patient=None, limit=5):
    day = start.astimezone(location.zone).date()
    return search_slots(
        service,
        [location],
        first_day=day,
        last_day=day + timedelta(days=14),
        now=now,
        provider=provider,
        patient=patient,
        limit=limit,
        after=start - timedelta(microseconds=1),
        online=False,
    )


# ---------------------------------------------------------------- rules checked before booking


def _require_staff(actor: Actor) -> None:
    if not actor.can(Capability.CHANGE_PATIENT):
        raise Forbidden("Your role may not book or change appointments.")


def _check_start(start, *, now: datetime, service: Service, online: bool) -> None:
    if start is None or timezone.is_naive(start):
        raise ValidationFailed({"start": ["Give the start time with its time zone."]})
    if start <= now:
        raise ValidationFailed({"start": ["That time has passed. Choose a time in the future."]})
    if online:
        if start < now + timedelta(minutes=service.lead_time_minutes):
            hours = service.lead_time_minutes / 60
            raise ValidationFailed(
                {"start": [f"Online bookings need at least {hours:g} hours' notice."]}
            )
        if start > now + timedelta(days=service.horizon_days):
            raise ValidationFailed(
                {
                    "start": [
                        f"Bookings open {service.horizon_days} days ahead; choose an earlier day."
                    ]
                }
            )


def check_prerequisites(service: Service, patient: Patient, start: datetime) -> None:
    """What a treatment needs before it can be booked: a consultation within the service's
    window (completed, or booked for earlier the same or another day), and whatever the apps
    that listen to booking_requested require (screening: a current candidacy decision)."""
    if patient.pk is None:
        # A patient registering with this booking has no history; the receivers will say so.
        signals.booking_requested.send(Appointment, service=service, patient=patient, start=start)
        return
    _consultation_within_window(service, patient, start)
    signals.booking_requested.send(Appointment, service=service, patient=patient, start=start)


def _consultation_within_window(service: Service, patient: Patient, start: datetime) -> None:
    days = service.consultation_within_days
    if not days:
        return
    window = Appointment.objects.filter(
        patient=patient,
        service__kind=Service.Kind.CONSULTATION,
        starts_at__gte=start - timedelta(days=days),
        ends_at__lte=start,
    )
    done = window.filter(status__in=[Status.COMPLETED, Status.CHECKED_IN, Status.BOOKED])
    if not done.exists():
        raise ValidationFailed(
            {
                "service": [
                    f"{service.name} needs a consultation within the {days} days before it. "
                    "Book a consultation first."
                ]
            }
        )


def _validate_service(service: Service | None, location: Location | None, *, online: bool):
    errors = {}
    if service is None or not service.active:
        errors["service"] = ["Choose a service we offer."]
    elif online and not service.bookable_online:
        errors["service"] = ["This service is booked by the clinic; please call us."]
    if location is None or not location.active:
        errors["location"] = ["Choose one of our locations."]
    if errors:
        raise ValidationFailed(errors)


def _choose_slot(
    service, location, start, *, provider, patient, now, online, ignore=None
) -> engine.Slot:
    """The free slot starting at `start`, or why there is none: 422 when the clinic does not
    work then, 409 with alternatives when it does but the time is taken."""
    day = start.astimezone(location.zone).date()
    common = dict(
        first_day=day,
        last_day=day,
        now=now,
        provider=provider,
        patient=patient,
        limit=500,
        online=online,
        ignore=ignore,
    )
    for slot in search_slots(service, [location], **common):
        if slot.start == start:
            return slot  # found among the provider's slots: so they may perform it here
    if provider is not None and not eligible_providers(service, location, day, provider):
        raise ValidationFailed(
            {"provider": [f"{provider.full_name} does not perform {service.name} here."]}
        )
    open_ = search_slots(service, [location], include_busy=False, **common)
    if not any(s.start == start for s in open_):
        raise ValidationFailed(
            {"start": ["That time is outside the clinic's hours for this service and provider."]}
        )
    raise SlotTaken(
        next_slots(service, location, start, now=now, provider=provider, patient=patient)
    )


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


# ---------------------------------------------------------------- the writes


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
        _require_staff(actor)
    elif actor.is_patient and patient.pk != actor.patient_id:
        raise Forbidden("You may book only for yourself.")
    # The clinic's invitation back opens a service it otherwise books itself to that patient.
    _validate_service(service, location, online=online and source != Appointment.Source.INVITATION)
    _check_start(start, now=now, service=service, online=online)
    check_prerequisites(service, patient, start)
    slot = _choose_slot(
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
        WaitlistEntry.objects.filter(
            patient=patient, service=service, state__in=["waiting", "offered"]
        ).update(state=WaitlistEntry.State.BOOKED)
        record_patient(
            actor,
            Action.CREATE,
            patient,
            object_type="appointment",
            object_id=appointment.public_id,
            detail={"start": slot.start.isoformat(), "service": service.slug},
        )
        notices.booked(appointment, now)
        signals.appointment_booked.send(Appointment, appointment=appointment, now=now)
    return appointment


def _patient_window_check(actor: Actor, appointment: Appointment, now: datetime, verb: str):
    """Patients may change a booking themselves only outside the clinic's cancellation window."""
    hours = appointment.location.cancellation_window_hours
    if appointment.starts_at - now < timedelta(hours=hours):
        raise ValidationFailed(
            {
                "appointment": [
                    f"Bookings can be {verb} online up to {hours} hours before; "
                    f"please call us on {appointment.location.phone}."
                ]
            }
        )


def _require_may_change(actor: Actor, appointment: Appointment) -> bool:
    """True when the patient themselves acts (held to the window), False for staff."""
    if actor.can(Capability.CHANGE_PATIENT):
        return False
    if actor.is_patient and appointment.patient_id == actor.patient_id:
        return True  # the patient, signed in or holding the booking's manage link
    raise Forbidden("You may not change this appointment.")


def reschedule(
    actor: Actor,
    appointment: Appointment,
    *,
    start: datetime,
    provider: StaffMember | None = None,
    now: datetime | None = None,
) -> Appointment:
    now = now or timezone.now()
    by_patient = _require_may_change(actor, appointment)
    if appointment.status != Status.BOOKED:
        raise ValidationFailed(
            {
                "appointment": [
                    f"A {appointment.get_status_display().lower()} appointment cannot move."
                ]
            }
        )
    if by_patient:
        _patient_window_check(actor, appointment, now, "moved")
    service, location, patient = appointment.service, appointment.location, appointment.patient
    _check_start(start, now=now, service=service, online=by_patient)
    check_prerequisites(service, patient, start)
    slot = _choose_slot(
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
            raise ValidationFailed({"appointment": ["This appointment has just changed."]})
        if _overlaps(slot, service, patient, ignore=appointment):
            raise SlotTaken([])
        locked.provider_id = slot.provider_id
        locked.room_id = slot.room_id
        locked.starts_at, locked.ends_at = slot.start, slot.end
        locked.blocked_from = slot.start - timedelta(minutes=service.buffer_before_minutes)
        locked.blocked_until = slot.end + timedelta(minutes=service.buffer_after_minutes)
        locked.times_rescheduled += 1
        locked.save()
        record_patient(
            actor,
            Action.UPDATE,
            patient,
            object_type="appointment",
            object_id=locked.public_id,
            detail={"from": previous.isoformat(), "to": slot.start.isoformat()},
        )
        notices.rescheduled(locked, now)
        signals.appointment_moved.send(Appointment, appointment=locked, previous=previous, now=now)
        _offer_to_waitlist(appointment, previous, now)
    return locked


def cancel(
    actor: Actor, appointment: Appointment, *, reason: str = "", now: datetime | None = None
) -> Appointment:
    now = now or timezone.now()
    by_patient = _require_may_change(actor, appointment)
    if by_patient:
        _patient_window_check(actor, appointment, now, "cancelled")
    status = Status.CANCELLED_BY_PATIENT if by_patient else Status.CANCELLED_BY_CLINIC
    return _transition(
        actor,
        appointment,
        allowed_from=(Status.BOOKED, Status.CHECKED_IN),
        to=status,
        now=now,
        reason=reason,
    )


def cancel_for_patient(actor: Actor, appointment: Appointment, *, reason="", now=None):
    """Staff record that the patient called to cancel (counts as the patient's cancellation)."""
    _require_staff(actor)
    return _transition(
        actor,
        appointment,
        allowed_from=(Status.BOOKED,),
        to=Status.CANCELLED_BY_PATIENT,
        now=now or timezone.now(),
        reason=reason,
    )


def check_in(actor: Actor, appointment: Appointment, now: datetime | None = None):
    _require_staff(actor)
    now = now or timezone.now()
    local_day = now.astimezone(appointment.location.zone).date()
    if appointment.local_start.date() != local_day:
        raise ValidationFailed({"appointment": ["Patients can be checked in on the day only."]})
    return _transition(
        actor, appointment, allowed_from=(Status.BOOKED,), to=Status.CHECKED_IN, now=now
    )


def complete(actor: Actor, appointment: Appointment, now: datetime | None = None):
    _require_staff(actor)
    return _transition(
        actor,
        appointment,
        allowed_from=(Status.CHECKED_IN,),
        to=Status.COMPLETED,
        now=now or timezone.now(),
    )


def mark_no_show(actor: Actor, appointment: Appointment, now: datetime | None = None):
    _require_staff(actor)
    now = now or timezone.now()
    if now < appointment.starts_at:
        raise ValidationFailed(
            {"appointment": ["A patient can be marked a no-show only after the start time."]}
        )
    return _transition(
        actor, appointment, allowed_from=(Status.BOOKED,), to=Status.NO_SHOW, now=now
    )


def _transition(actor, appointment, *, allowed_from, to, now, reason: str = ""):
    with write_transaction():
        locked = (
            Appointment.objects.select_for_update()
            .select_related("location", "patient")
            .get(pk=appointment.pk)
        )
        if locked.status not in allowed_from:
            raise ValidationFailed(
                {
                    "appointment": [
                        f"This appointment is {locked.get_status_display().lower()}; "
                        f"it cannot become {Status(to).label.lower()}."
                    ]
                }
            )
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
            object_type="appointment",
            object_id=locked.public_id,
            detail={"status": to},
        )
        if to in CANCELLED:
            notices.cancelled(locked, now)
            signals.appointment_cancelled.send(Appointment, appointment=locked, now=now)
            if locked.starts_at > now:
                _offer_to_waitlist(locked, locked.starts_at, now)
        elif to == Status.NO_SHOW:
            cancel_pending(f"appointment:{locked.public_id}")
    return locked


# ---------------------------------------------------------------- waitlist


def join_waitlist(
    actor: Actor,
    *,
    patient: Patient,
    service: Service,
    location: Location,
    earliest: date,
    latest: date,
    provider: StaffMember | None = None,
    now: datetime | None = None,
) -> WaitlistEntry:
    now = now or timezone.now()
    if not (actor.can(Capability.CHANGE_PATIENT) or actor.patient_id == patient.pk):
        raise Forbidden("You may not add this patient to the waitlist.")
    errors = {}
    if earliest > latest:
        errors["latest"] = ["The last day must be on or after the first day."]
    if latest < now.astimezone(location.zone).date():
        errors["latest"] = ["The last day has already passed."]
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        entry = WaitlistEntry.objects.create(
            patient=patient,
            service=service,
            location=location,
            provider=provider,
            earliest=earliest,
            latest=latest,
            created_at=now,
        )
        record_patient(
            actor, Action.CREATE, patient, object_type="waitlist", object_id=entry.public_id
        )
    return entry


def _offer_to_waitlist(appointment: Appointment, freed_start: datetime, now: datetime) -> None:
    """Offer a freed time to the first patient waiting for it (in the caller's transaction)."""
    day = freed_start.astimezone(appointment.location.zone).date()
    stale = now - timedelta(hours=WAITLIST_OFFER_HOURS)
    candidates = (
        WaitlistEntry.objects.filter(
            service=appointment.service,
            location=appointment.location,
            earliest__lte=day,
            latest__gte=day,
        )
        .filter(Q(provider__isnull=True) | Q(provider_id=appointment.provider_id))
        .filter(Q(state="waiting") | Q(state="offered", offered_at__lt=stale))
        .exclude(patient_id=appointment.patient_id)
        .select_related("patient", "location")
        .order_by("created_at", "id")
    )
    entry = candidates.first()
    if entry is None:
        return
    WaitlistEntry.objects.filter(pk=entry.pk).update(
        state=WaitlistEntry.State.OFFERED, offered_at=now, offered_start=freed_start
    )
    notices.slot_offered(entry, freed_start, now)


def rooms_at(location: Location) -> list[Room]:
    return list(Room.objects.filter(location=location, active=True))


# ---------------------------------------------------------------- public online booking


def book_online(actor: Actor, data: dict, *, now: datetime | None = None) -> Appointment:
    """A booking from the public page: checks every field at once (the patient's details, the
    area served, the time), then creates or matches the patient and books in one transaction."""
    from glabella.patients.services import patient_for_online_booking, save_new_patient

    now = now or timezone.now()
    location, service, start = data.get("location"), data.get("service"), data.get("start")
    errors: dict[str, list[str]] = {}
    try:
        _validate_service(service, location, online=True)
    except ValidationFailed as failed:
        errors.update(failed.fields)
    if start is None:
        errors["start"] = ["Choose a time."]
    today = now.astimezone(location.zone).date() if location else now.date()
    patient = None
    try:
        patient = patient_for_online_booking(data, today=today)
    except ValidationFailed as failed:
        errors.update(failed.fields)
    zip_code = (data.get("postal_code") or "").strip()
    served = location is None or not zip_code or location.serves(zip_code)
    if not served and "postal_code" not in errors:
        errors["postal_code"] = [
            f"Our {location.name} clinic does not serve ZIP code {zip_code}. "
            "Please call us and we will suggest the nearest clinic."
        ]
    if errors:
        raise ValidationFailed(errors)
    register = (lambda: save_new_patient(actor, patient)) if patient.pk is None else None
    return book(
        actor,
        service=service,
        location=location,
        start=start,
        patient=patient,
        source=Appointment.Source.ONLINE,
        now=now,
        register=register,
    )


def manage_actor(appointment: Appointment, ip: str | None = None) -> Actor:
    """Whoever holds a valid manage link acts as the patient for that one booking."""
    label = f"manage link for appointment {appointment.public_id}"
    return link_actor("manage-link", label, appointment.patient_id, ip, channel="web")


# ---------------------------------------------------------------- calendar feeds


def issue_feed(actor: Actor) -> str:
    """A new private feed link for the actor's own appointments; any older link stops working."""
    if actor.staff is None:
        raise Forbidden("Only staff have calendar feeds.")
    with write_transaction():
        revoke_feeds(actor)
        _, token = CalendarFeed.issue(actor.staff)
        record(actor, Action.CREATE, "calendar-feed", actor.staff.public_id)
    return token


def revoke_feeds(actor: Actor) -> int:
    if actor.staff is None:
        raise Forbidden("Only staff have calendar feeds.")
    return CalendarFeed.objects.filter(staff=actor.staff, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def book_from_public_page(
    actor: Actor, email: str, data: dict | None, *, now: datetime | None = None
) -> Appointment | None:
    """A submission of the public booking form: counted first, good or bad (the same email a
    hundred times a minute is abuse; Throttled, 429), then booked when the form parsed (`data`);
    None when it did not."""
    from glabella.core import throttle

    throttle.check_public_form("booking", email=email, ip=actor.ip, now=now)
    return None if data is None else book_online(actor, data, now=now)
