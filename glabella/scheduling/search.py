"""Free slots: what the availability engine needs, loaded from the set-up tables and the
busy appointments in a few queries, and the engine asked for a page of free times.

`availability.py` is the pure engine; this module is its reader. A lost race to a slot is
`SlotTaken` (409) carrying the next free times.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection
from django.db.models import CharField, F, FloatField, Func, Q
from django.utils.translation import gettext as _

from glabella.clinic.models import ClosedDay, Location, OpeningHours, Service
from glabella.core.errors import Conflict
from glabella.core.models import StaffMember
from glabella.patients.models import Patient
from glabella.scheduling import availability as engine
from glabella.scheduling.models import (
    Appointment,
    ScheduleException,
    WeeklyHours,
    attending_q,
    blocking_q,
)

SLOT_STEP = timedelta(minutes=15)
SEARCH_CHUNK_DAYS = 7  # busy time is loaded a week at a time, so a first page reads little
MAX_SEARCH_DAYS = 120
MAX_PAGE = 100


class SlotTaken(Conflict):
    code = "slot_taken"

    def __init__(self, alternatives: Sequence[engine.Slot]):
        super().__init__(
            _("That time was just taken. Please choose another."),
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
    locations: who may perform the service where, their hours and exceptions, rooms, opening
    (and one more for the locations' closed days)."""
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
    # A location's closed days (holidays) are a day off for everyone working there.
    closed: dict[int, list] = defaultdict(list)
    for loc_id, day in ClosedDay.objects.filter(
        location_id__in=location_ids, day__range=(first_day, last_day)
    ).values_list("location_id", "day"):
        closed[loc_id].append(engine.DateException(day, True))
    plans = []
    for loc in locations:
        weeks = [
            engine.ProviderWeek(
                provider_id=p.pk,
                hours={d: tuple(v) for d, v in hours[(loc.pk, p.pk, "work")].items()},
                breaks={d: tuple(v) for d, v in hours[(loc.pk, p.pk, "break")].items()},
                # Time off with no location applies everywhere; extra hours are per location.
                exceptions=tuple(
                    exceptions[(None, p.pk)] + exceptions[(loc.pk, p.pk)] + closed[loc.pk]
                ),
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


def default_service():
    """The service staff booking starts with: a consultation, else the first active service."""
    return (
        Service.objects.filter(active=True, kind=Service.Kind.CONSULTATION).order_by("name").first()
        or Service.objects.filter(active=True).order_by("name").first()
    )
