"""Free slots: what the availability engine needs, loaded from the set-up tables and the
busy appointments in a few queries, and the engine asked for a page of free times.

`availability.py` is the pure engine; this module is its reader (the SQL it runs is in
`search_reads.py`). A lost race to a slot is
`SlotTaken` (409) carrying the next free times.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from django.utils.translation import gettext as _

from glabella.clinic.models import Location, Service
from glabella.core.errors import Conflict
from glabella.core.models import StaffMember
from glabella.patients.models import Patient
from glabella.scheduling import availability as engine
from glabella.scheduling import search_reads as reads
from glabella.scheduling.models import Appointment, ScheduleException

SLOT_STEP = timedelta(minutes=15)
SEARCH_CHUNK_DAYS = 32  # chunks double up to this: a first page reads little, a long list few times
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
    staff_at: dict[int, list[StaffMember]] = defaultdict(list)
    for location_id, staff in reads.performers(
        [loc.pk for loc in locations],
        service.performer_credentials or [],
        provider.pk if provider is not None else None,
    ):
        if service.can_be_performed_by(staff, day):
            staff_at[location_id].append(staff)
    return staff_at


def eligible_providers(
    service: Service, location: Location, day: date, provider: StaffMember | None = None
) -> list[StaffMember]:
    """The staff at `location` who may perform the service on `day`, by name, as full rows."""
    ids = [s.pk for s in _performers(service, [location], day, provider)[location.pk]]
    by_id = StaffMember.objects.in_bulk(ids)
    return [by_id[pk] for pk in ids]


def _plans(
    service: Service,
    locations: Sequence[Location],
    first_day: date,
    last_day: date,
    provider: StaffMember | None,
) -> list[_LocationPlan]:
    """What the search needs from the set-up tables, in two queries for any number of
    locations: who may perform the service where, then their hours and exceptions, the
    service's rooms, and the locations' opening hours and closed days."""
    location_ids = [loc.pk for loc in locations]
    staff_at = _performers(service, locations, first_day, provider)
    ids = sorted({s.pk for people in staff_at.values() for s in people})
    hours: dict[tuple, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    exceptions: dict[tuple, list] = defaultdict(list)
    service_rooms: list[tuple[int, int]] = []
    opening: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    # A location's closed days (holidays) are a day off for everyone working there.
    closed: dict[int, list] = defaultdict(list)
    for tag, loc_id, ref, kind, weekday, day, starts, ends in reads.setup_rows(
        service, location_ids, ids, first_day, last_day
    ):
        if tag == reads.HOURS:
            hours[(loc_id, ref, kind)][weekday].append(engine.DayHours(starts, ends))
        elif tag == reads.EXCEPTION:
            exceptions[(loc_id, ref)].append(
                engine.DateException(day, kind == ScheduleException.Kind.TIME_OFF, starts, ends)
            )
        elif tag == reads.ROOM:
            service_rooms.append((loc_id, ref))
        elif tag == reads.OPENING:
            opening[loc_id][weekday].append(engine.DayHours(starts, ends))
        else:
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
                weeks,
                sorted(pk for loc_id, pk in service_rooms if loc_id == loc.pk),
                bool(service_rooms),
                {d: tuple(v) for d, v in opening[loc.pk].items()} if opening[loc.pk] else None,
            )
        )
    return plans


def _busy(plans, start: datetime, end: datetime, patient: Patient | None, ignore):
    """Everything live that blocks the plans' providers or rooms, or the patient, in one query."""
    provider_ids = [w.provider_id for plan in plans for w in plan.weeks]
    room_ids = [r for plan in plans for r in plan.room_ids]
    with_patient = patient is not None and patient.pk is not None
    provider_busy: dict[int, list] = defaultdict(list)
    room_busy: dict[int, list] = defaultdict(list)
    patient_busy = []
    rooms = set(room_ids)
    for row in reads.busy_rows(
        provider_ids,
        room_ids,
        start,
        end,
        patient.pk if with_patient else None,
        ignore.pk if ignore is not None else None,
    ):
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

    Days are searched in doubling chunks (2, 4, 8 ... up to 32 days), each with one query for the
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
