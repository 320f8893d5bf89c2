"""Synthetic appointment history for the demo and the benchmarks: deterministic for a seed.

Appointments are laid on a grid (a fixed local anchor, one step per visit) inside each provider's
working hours, so none overlaps another for its provider, room or patient: the database's own
constraints accept every row. Past visits are mostly completed, with the no-shows and
cancellations a clinic sees; the coming weeks fill up less the further away they are.
"""

import random
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction

from glabella.clinic.models import Location, Service
from glabella.scheduling.availability import to_instant
from glabella.scheduling.models import Appointment, Status, WeeklyHours

BATCH = 5000
ANCHOR = time(8, 0)  # every grid starts here, so rooms are shared on one grid per location


@dataclass(frozen=True)
class Mix:
    service: Service
    weight: float
    room_ids: tuple[int, ...]  # empty: the service needs no room


def service_mix(location: Location, weights: dict[str, float]) -> list[Mix]:
    out = []
    for slug, weight in weights.items():
        service = Service.objects.get(slug=slug)
        all_rooms = list(service.rooms.values_list("pk", "location_id"))
        here = tuple(pk for pk, loc in all_rooms if loc == location.pk)
        if all_rooms and not here:
            continue  # needs a room, none of which is at this location
        out.append(Mix(service, weight, here))
    return out


def _past_status(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.88:
        return Status.COMPLETED
    if r < 0.92:
        return Status.NO_SHOW
    if r < 0.98:
        return Status.CANCELLED_BY_PATIENT
    return Status.CANCELLED_BY_CLINIC


def generate(
    location: Location,
    mix: Sequence[Mix],
    patient_ids: Sequence[int],
    *,
    first_day: date,
    last_day: date,
    today: date,
    rng: random.Random,
    step: timedelta,
    fill: float,
    future_days: int = 60,
    patients_seen: dict | None = None,
) -> Iterator[Appointment]:
    """Visits at `location`. Pass the same `patients_seen` to the calls for several locations,
    so that no patient is booked at two of them at once."""
    patients_seen = patients_seen if patients_seen is not None else defaultdict(set)
    hours: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    breaks: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for staff_id, kind, weekday, starts, ends in WeeklyHours.objects.filter(
        location=location
    ).values_list("staff_id", "kind", "weekday", "starts", "ends"):
        target = hours if kind == WeeklyHours.Kind.WORK else breaks
        target[staff_id][weekday].append((starts, ends))
    providers = sorted(hours)
    weights = [m.weight for m in mix]
    # Back to back on the grid, one visit's end and clean-up and the next one's preparation
    # must fit in a step, whichever services meet.
    longest = max(m.service.duration_minutes + m.service.buffer_after_minutes for m in mix)
    longest += max(m.service.buffer_before_minutes for m in mix)
    if timedelta(minutes=longest) > step:
        raise ValueError(f"A step of {step} cannot hold {longest} minutes of visit and buffers.")
    day = first_day
    while day <= last_day:
        ahead = (day - today).days
        chance = fill if ahead < 0 else fill * max(0.0, 1 - ahead / future_days) ** 1.5
        if chance <= 0:
            day += timedelta(days=1)
            continue
        used_rooms: dict[datetime, set] = defaultdict(set)
        base = datetime.combine(day, ANCHOR)
        for staff_id in providers:
            windows = hours[staff_id].get(day.weekday(), [])
            pauses = breaks[staff_id].get(day.weekday(), [])
            t = base
            while t.date() == day:
                end = t + step
                inside = any(
                    datetime.combine(day, a) <= t and end <= datetime.combine(day, b)
                    for a, b in windows
                )
                paused = any(
                    t < datetime.combine(day, b) and datetime.combine(day, a) < end
                    for a, b in pauses
                )
                if inside and not paused and rng.random() < chance:
                    appointment = _visit(
                        location,
                        mix,
                        weights,
                        patient_ids,
                        staff_id,
                        t,
                        day,
                        today,
                        rng,
                        used_rooms,
                        patients_seen,
                    )
                    if appointment is not None:
                        yield appointment
                t = end
        day += timedelta(days=1)


def _visit(
    location, mix, weights, patient_ids, staff_id, wall, day, today, rng, used_rooms, patients_seen
):
    choice = rng.choices(mix, weights)[0]
    room_id = None
    if choice.room_ids:
        free = [r for r in choice.room_ids if r not in used_rooms[wall]]
        if not free:
            roomless = [m for m in mix if not m.room_ids]
            if not roomless:
                return None
            choice = rng.choice(roomless)
        else:
            room_id = free[0]
    start = to_instant(day, wall.time(), location.zone)
    patient_id = rng.choice(patient_ids)
    tries = 0
    while patient_id in patients_seen[start] and tries < 5:
        patient_id, tries = rng.choice(patient_ids), tries + 1
    if patient_id in patients_seen[start]:
        return None
    patients_seen[start].add(patient_id)
    if room_id is not None:
        used_rooms[wall].add(room_id)
    past = day < today
    status = (
        _past_status(rng)
        if past
        else (Status.CANCELLED_BY_PATIENT if rng.random() < 0.03 else Status.BOOKED)
    )
    # Drawn in this order, as they always were, so that a seed makes the same history.
    booked_at = start - timedelta(days=rng.randint(1, 40), minutes=rng.randint(0, 600))
    public_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    source = rng.choice([Appointment.Source.STAFF, Appointment.Source.ONLINE])
    return appointment_row(
        location,
        choice.service,
        staff_id,
        room_id,
        patient_id,
        start,
        status=status,
        source=source,
        booked_at=booked_at,
        public_id=public_id,
    )


def appointment_row(
    location,
    service,
    provider_id,
    room_id,
    patient_id,
    start,
    *,
    status,
    source,
    booked_at,
    public_id,
) -> Appointment:
    """An unsaved appointment as its history left it: the time it blocks (buffers included)
    and, by its status, when it was checked in, completed or cancelled."""
    end = start + timedelta(minutes=service.duration_minutes)
    return Appointment(
        public_id=public_id,
        location=location,
        service=service,
        provider_id=provider_id,
        room_id=room_id,
        patient_id=patient_id,
        starts_at=start,
        ends_at=end,
        blocked_from=start - timedelta(minutes=service.buffer_before_minutes),
        blocked_until=end + timedelta(minutes=service.buffer_after_minutes),
        status=status,
        source=source,
        booked_at=booked_at,
        checked_in_at=start - timedelta(minutes=5) if status == Status.COMPLETED else None,
        completed_at=end if status == Status.COMPLETED else None,
        cancelled_at=booked_at + timedelta(days=1)
        if status in (Status.CANCELLED_BY_PATIENT, Status.CANCELLED_BY_CLINIC)
        else None,
    )


def save(appointments: Iterator[Appointment], progress=None) -> int:
    """Writes in batches, each in its own transaction; returns how many were written."""
    written = 0
    batch: list[Appointment] = []
    for appointment in appointments:
        batch.append(appointment)
        if len(batch) >= BATCH:
            with transaction.atomic():
                Appointment.objects.bulk_create(batch)
            written += len(batch)
            batch = []
            if progress:
                progress(written)
    if batch:
        with transaction.atomic():
            Appointment.objects.bulk_create(batch)
        written += len(batch)
    return written


def load_demo_history(location: Location, seed: int, today: date, days: int = 730) -> int:
    """The demo clinic's visits over the last `days` (two years by default) and its coming
    weeks, once: skipped when the location already has appointments."""
    if Appointment.objects.filter(location=location).exists():
        return 0
    from glabella.patients.models import Patient

    patient_ids = list(Patient.objects.filter(user__isnull=True).values_list("pk", flat=True))
    if not patient_ids:
        return 0
    mix = service_mix(
        location, {"neuromodulator": 0.55, "consultation": 0.25, "two-week-review": 0.2}
    )
    rng = random.Random(f"history-{seed}")
    return save(
        generate(
            location,
            mix,
            patient_ids,
            first_day=today - timedelta(days=days),
            last_day=today + timedelta(days=60),
            today=today,
            rng=rng,
            step=timedelta(minutes=45),
            fill=0.35,
        )
    )


def load_demo_waitlist(location: Location, seed: int, today: date) -> int:
    """A few patients waiting for an earlier time, so the waitlist page has someone on it (once:
    skipped when the location already has entries)."""
    from glabella.core.models import StaffMember
    from glabella.patients.models import Patient
    from glabella.scheduling.models import WaitlistEntry

    if WaitlistEntry.objects.filter(location=location).exists():
        return 0
    patients = list(
        Patient.objects.filter(user__isnull=True).order_by("pk").values_list("pk", flat=True)[:40]
    )
    services = {s.slug: s for s in Service.objects.filter(active=True)}
    providers = list(StaffMember.objects.filter(locations=location, role="injector", active=True))
    if not patients or not services:
        return 0
    rng = random.Random(f"waitlist-{seed}")
    wanted = [
        (services.get("neuromodulator"), None, 1, 10),
        (services.get("consultation"), None, 0, 5),
        (services.get("neuromodulator"), providers[0] if providers else None, 2, 14),
    ]
    entries = [
        WaitlistEntry(
            patient_id=rng.choice(patients),
            service=service,
            location=location,
            provider=provider,
            earliest=today + timedelta(days=first),
            latest=today + timedelta(days=last),
        )
        for service, provider, first, last in wanted
        if service is not None
    ]
    WaitlistEntry.objects.bulk_create(entries)
    return len(entries)
