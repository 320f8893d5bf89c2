"""Free appointment slots: a pure function from working hours, booking rules and busy time.

No database and no clock: the caller passes the current instant and everything already booked.
Working hours are wall-clock times in the location's IANA zone; they become instants one local
day at a time through `zoneinfo`, so the days daylight saving time starts and ends have exactly
the hours the clock on the wall shows (23 and 25), with no slot lost, doubled or misplaced.

A slot is [start, start + duration). It must lie inside the provider's working hours (and the
location's opening hours); with the service's buffers around it, [start - before, end + after)
must not overlap anything the provider or the room is already busy with (whose own busy ranges
include their buffers). The patient, when known, must not be elsewhere during [start, end).
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Span = tuple[datetime, datetime]  # [start, end), aware


@dataclass(frozen=True)
class DayHours:
    """Wall-clock intervals on one weekday (0 = Monday) or one date."""

    starts: time
    ends: time


@dataclass(frozen=True)
class DateException:
    """A change to one provider's hours on one local date.

    `off` with no times: the whole day off. `off` with times: that part of the day off.
    Not `off`: extra working hours that day.
    """

    day: date
    off: bool
    starts: time | None = None
    ends: time | None = None


@dataclass(frozen=True)
class ProviderWeek:
    """One provider's hours at the location being searched."""

    provider_id: int
    hours: dict[int, tuple[DayHours, ...]]  # weekday -> working intervals
    breaks: dict[int, tuple[DayHours, ...]] = field(default_factory=dict)
    exceptions: tuple[DateException, ...] = ()
    last_day: date | None = None  # e.g. the day the licence expires: no hours after it


@dataclass(frozen=True)
class ServiceRules:
    duration: timedelta
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    lead_time: timedelta = timedelta(0)
    horizon: timedelta = timedelta(days=90)
    step: timedelta = timedelta(minutes=15)
    needs_room: bool = False


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    provider_id: int
    room_id: int | None
    location_id: int | None = None


@dataclass(frozen=True)
class SearchInput:
    """Everything one location's search needs. Busy spans are [from, until) instants, buffers
    included for providers and rooms; `patient_busy` is the patient's own appointments."""

    zone: ZoneInfo
    now: datetime
    first_day: date
    last_day: date
    rules: ServiceRules
    providers: Sequence[ProviderWeek]
    room_ids: Sequence[int] = ()
    opening: dict[int, tuple[DayHours, ...]] | None = None
    provider_busy: dict[int, Sequence[Span]] = field(default_factory=dict)
    room_busy: dict[int, Sequence[Span]] = field(default_factory=dict)
    patient_busy: Sequence[Span] = ()
    any_provider: bool = True  # one slot per start time, else one per provider and start
    location_id: int | None = None


def to_instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The instant a wall clock in `zone` shows `wall` on `day`, in UTC.

    A wall time skipped by a spring-forward transition maps past the gap (02:30 -> 03:30 on the
    US change day); a repeated one maps to its first occurrence.
    """
    return datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)


def local_day_spans(day: date, intervals: Iterable[DayHours], zone: ZoneInfo) -> list[Span]:
    spans = []
    for iv in intervals:
        start, end = to_instant(day, iv.starts, zone), to_instant(day, iv.ends, zone)
        if start < end:
            spans.append((start, end))
    return spans if len(spans) < 2 else normalise(spans)


def normalise(spans: Iterable[Span]) -> list[Span]:
    """Sorted, with overlapping or touching spans merged."""
    out: list[Span] = []
    for start, end in sorted(spans):
        if end <= start:
            continue
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def subtract(spans: Sequence[Span], holes: Sequence[Span]) -> list[Span]:
    """`spans` minus `holes`; both sorted and merged."""
    out: list[Span] = []
    j = 0
    for start, end in spans:
        cur = start
        while j < len(holes) and holes[j][1] <= cur:
            j += 1
        k = j
        while k < len(holes) and holes[k][0] < end:
            h_start, h_end = holes[k]
            if h_start > cur:
                out.append((cur, h_start))
            cur = max(cur, h_end)
            if cur >= end:
                break
            k += 1
        if cur < end:
            out.append((cur, end))
    return out


def intersect(a: Sequence[Span], b: Sequence[Span]) -> list[Span]:
    out: list[Span] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


class BusyIndex:
    """Sorted busy spans with an overlap test in O(log n)."""

    def __init__(self, spans: Iterable[Span]):
        self.spans = normalise(spans)
        self.starts = [s for s, _ in self.spans]

    def overlaps(self, start: datetime, end: datetime) -> bool:
        i = bisect.bisect_left(self.starts, end)  # spans starting before `end`
        return i > 0 and self.spans[i - 1][1] > start

    def clipped(self, start: datetime, end: datetime) -> list[Span]:
        i = max(bisect.bisect_left(self.starts, start) - 1, 0)
        out = []
        while i < len(self.spans) and self.spans[i][0] < end:
            if self.spans[i][1] > start:
                out.append(self.spans[i])
            i += 1
        return out


def working_spans(week: ProviderWeek, day: date, zone: ZoneInfo) -> list[Span]:
    """The provider's working time on one local date, as instants."""
    if week.last_day is not None and day > week.last_day:
        return []
    weekday = day.weekday()
    exceptions = [e for e in week.exceptions if e.day == day]
    if any(e.off and e.starts is None for e in exceptions):
        return []
    work = local_day_spans(day, week.hours.get(weekday, ()), zone)
    holes = local_day_spans(day, week.breaks.get(weekday, ()), zone)
    if exceptions:  # most days have none: no more merging to do
        extra = [
            DayHours(e.starts, e.ends) for e in exceptions if not e.off and e.starts and e.ends
        ]
        work = normalise([*work, *local_day_spans(day, extra, zone)])
        off = [DayHours(e.starts, e.ends) for e in exceptions if e.off and e.starts and e.ends]
        holes = normalise([*holes, *local_day_spans(day, off, zone)])
    return subtract(work, holes) if holes else work


def _provider_day_starts(
    inp: SearchInput,
    week: ProviderWeek,
    busy: BusyIndex,
    day: date,
    earliest: datetime,
    latest: datetime,
    opening: list[Span] | None,
) -> list[datetime]:
    """Candidate starts for one provider on one day: on the step grid of each working span,
    with the slot inside working hours (and `opening`, the location's that day, when it has
    any) and clear of the provider's busy time."""
    rules = inp.rules
    work = working_spans(week, day, inp.zone)
    if opening is not None:
        work = intersect(work, opening)
    if not work:
        return []
    # A slot [s, e) is clear when [s - before, e + after) misses every busy span, i.e. when
    # [s, e) misses every busy span widened by (after, before).
    widened = normalise(
        (b_start - rules.buffer_after, b_end + rules.buffer_before)
        for b_start, b_end in busy.clipped(
            work[0][0] - rules.duration, work[-1][1] + rules.duration
        )
    )
    starts: list[datetime] = []
    for w_start, w_end in work:
        for f_start, f_end in subtract([(w_start, w_end)], widened):
            # First grid point at or after the free span's start, the grid anchored at w_start.
            offset = f_start - w_start
            steps = -(-offset // rules.step)  # ceil
            start = w_start + steps * rules.step
            while start + rules.duration <= f_end:
                if earliest <= start < latest:
                    starts.append(start)
                start += rules.step
    return starts


def free_slots(inp: SearchInput) -> Iterator[Slot]:
    """Free slots in start order (then provider order), day by day, lazily: stop early to page."""
    rules = inp.rules
    earliest = inp.now + rules.lead_time
    latest = inp.now + rules.horizon
    rooms = [(rid, BusyIndex(inp.room_busy.get(rid, ()))) for rid in inp.room_ids]
    patient = BusyIndex(inp.patient_busy)
    # Each provider's busy time sorted once for all the days searched, not once a day.
    providers = [
        (i, w, BusyIndex(inp.provider_busy.get(w.provider_id, ())))
        for i, w in enumerate(inp.providers)
    ]
    day = inp.first_day
    while day <= inp.last_day:
        if to_instant(day, time(0), inp.zone) >= latest + timedelta(days=1):
            return
        opening = None
        if inp.opening is not None:
            opening = local_day_spans(day, inp.opening.get(day.weekday(), ()), inp.zone)
        per_provider = [
            [(s, i, w.provider_id) for s in starts]
            for i, w, busy in providers
            if (starts := _provider_day_starts(inp, w, busy, day, earliest, latest, opening))
        ]
        # One provider's starts are already in order; several are merged by time.
        merged = per_provider[0] if len(per_provider) == 1 else heapq.merge(*per_provider)
        last_start = None
        for start, _, provider_id in merged:
            if inp.any_provider and start == last_start:
                continue
            end = start + rules.duration
            if patient.spans and patient.overlaps(start, end):
                continue
            room_id = None
            if rules.needs_room:
                room_id = _free_room(rooms, start - rules.buffer_before, end + rules.buffer_after)
                if room_id is None:
                    continue
            last_start = start
            yield Slot(start, end, provider_id, room_id, inp.location_id)
        day += timedelta(days=1)


def _free_room(rooms: Sequence[tuple[int, BusyIndex]], start: datetime, end: datetime):
    for room_id, busy in rooms:
        if not busy.overlaps(start, end):
            return room_id
    return None


def _keyed(slots: Iterator[Slot], i: int):
    """Slots keyed by start, then by the order of their location in the search (bound here:
    a generator expression would read its loop variable late, and every stream would share
    the last location's place, leaving ties to compare slots)."""
    for slot in slots:
        yield slot.start, i, slot.provider_id, slot


def first_slots(inputs: Sequence[SearchInput], limit: int, after: datetime | None = None):
    """The first `limit` slots across several locations, in start order, strictly after `after`
    (the last slot of the previous page) when given."""
    out: list[Slot] = []
    if len(inputs) == 1:  # one location's slots are already in order
        slots = free_slots(inputs[0])
    else:
        streams = [_keyed(free_slots(inp), i) for i, inp in enumerate(inputs)]
        slots = (slot for *_, slot in heapq.merge(*streams))
    for slot in slots:
        if after is not None and slot.start <= after:
            continue
        out.append(slot)
        if len(out) >= limit:
            break
    return out
