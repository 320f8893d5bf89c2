"""The availability engine: pure, so it is tested by properties over generated schedules,
including the days daylight saving time starts and ends in both hemispheres."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glabella.scheduling import availability as engine

LA = ZoneInfo("America/Los_Angeles")
SYDNEY = ZoneInfo("Australia/Sydney")  # south of the equator: clocks go forward in October
ZONES = [LA, SYDNEY, ZoneInfo("UTC")]
# Days around the 2026 transitions: LA 8 March (23 h) and 1 November (25 h);
# Sydney 5 April (25 h) and 4 October (23 h).
TRANSITION_DAYS = [date(2026, 3, 8), date(2026, 11, 1), date(2026, 4, 5), date(2026, 10, 4)]
FAR_PAST = datetime(2020, 1, 1, tzinfo=UTC)
MIN = timedelta(minutes=1)


def week(provider_id=1, hours=None, breaks=None, exceptions=()):
    every_day = hours or {d: (engine.DayHours(time(9), time(17)),) for d in range(7)}
    return engine.ProviderWeek(provider_id, every_day, breaks or {}, tuple(exceptions))


def search(zone, day, providers, *, rules=None, last_day=None, **kw):
    return engine.SearchInput(
        zone=zone,
        now=kw.pop("now", FAR_PAST),
        first_day=day,
        last_day=last_day or day,
        rules=rules or engine.ServiceRules(duration=30 * MIN, horizon=timedelta(days=4000)),
        providers=providers,
        **kw,
    )


def local(zone, day, h, m=0):
    return datetime.combine(day, time(h, m), tzinfo=zone)


# ---------------------------------------------------------------- examples a clinic recognises


def test_a_free_day_is_cut_into_half_hour_slots_on_the_quarter_hour_grid():
    slots = list(engine.free_slots(search(LA, date(2026, 6, 1), [week()])))
    assert slots[0].start == local(LA, date(2026, 6, 1), 9)
    assert slots[-1].end == local(LA, date(2026, 6, 1), 17)
    assert len(slots) == (8 * 60 - 30) // 15 + 1


def test_a_booked_hour_and_its_buffers_are_not_offered():
    day = date(2026, 6, 1)
    rules = engine.ServiceRules(
        duration=30 * MIN,
        buffer_before=10 * MIN,
        buffer_after=5 * MIN,
        horizon=timedelta(days=4000),
    )
    busy = {1: [(local(LA, day, 11), local(LA, day, 12))]}
    slots = list(engine.free_slots(search(LA, day, [week()], rules=rules, provider_busy=busy)))
    starts = [s.start.astimezone(LA).time() for s in slots]
    # 10:15 ends at 10:45 and its clean-up at 10:50, clear of 11:00; 10:30 would run into it.
    assert time(10, 15) in starts and time(10, 30) not in starts
    # After the busy hour the slot needs its 10 minutes of preparation: 12:00 no, 12:15 yes.
    assert time(12, 0) not in starts and time(12, 15) in starts


def test_a_break_and_a_day_off_remove_their_time():
    day = date(2026, 6, 1)
    breaks = {day.weekday(): (engine.DayHours(time(12), time(13)),)}
    slots = list(engine.free_slots(search(LA, day, [week(breaks=breaks)])))
    assert not any(s.start < local(LA, day, 13) and s.end > local(LA, day, 12) for s in slots)
    off = engine.DateException(day, off=True)
    assert list(engine.free_slots(search(LA, day, [week(exceptions=[off])]))) == []


def test_extra_hours_add_time_on_a_day_not_normally_worked():
    day = date(2026, 6, 7)  # a Sunday
    weekdays_only = {d: (engine.DayHours(time(9), time(17)),) for d in range(5)}
    extra = engine.DateException(day, off=False, starts=time(10), ends=time(12))
    slots = list(
        engine.free_slots(search(LA, day, [week(hours=weekdays_only, exceptions=[extra])]))
    )
    assert [s.start.astimezone(LA).time() for s in slots][:2] == [time(10), time(10, 15)]
    assert slots[-1].end == local(LA, day, 12)


def test_lead_time_and_horizon_bound_the_slots():
    day = date(2026, 6, 1)
    now = local(LA, day, 8, 50)
    rules = engine.ServiceRules(
        duration=30 * MIN, lead_time=2 * 60 * MIN, horizon=timedelta(days=1)
    )
    slots = list(
        engine.free_slots(
            search(LA, day, [week()], rules=rules, now=now, last_day=day + timedelta(days=5))
        )
    )
    assert slots[0].start == local(LA, day, 11)
    assert max(s.start for s in slots) < now + timedelta(days=1)


def test_any_provider_gives_one_slot_per_time_and_a_room_must_be_free():
    day = date(2026, 6, 1)
    rules = engine.ServiceRules(duration=30 * MIN, needs_room=True, horizon=timedelta(days=4000))
    room_busy = {7: [(local(LA, day, 9), local(LA, day, 10))]}
    slots = list(
        engine.free_slots(
            search(LA, day, [week(1), week(2)], rules=rules, room_ids=[7], room_busy=room_busy)
        )
    )
    assert slots[0].start == local(LA, day, 10)
    assert len({s.start for s in slots}) == len(slots)
    assert {s.room_id for s in slots} == {7}


def test_the_patients_own_appointments_are_avoided():
    day = date(2026, 6, 1)
    mine = [(local(LA, day, 9), local(LA, day, 16))]
    slots = list(engine.free_slots(search(LA, day, [week()], patient_busy=mine)))
    assert slots[0].start == local(LA, day, 16)


def test_first_slots_merges_locations_in_time_order_and_pages_after_a_start():
    day = date(2026, 6, 1)
    la = search(LA, day, [week(1)], location_id=1)
    utc = search(ZoneInfo("UTC"), day, [week(2)], location_id=2)
    page = engine.first_slots([la, utc], limit=5)
    assert [s.start for s in page] == sorted(s.start for s in page)
    assert page[0].location_id == 2  # 09:00 UTC comes before 09:00 in Los Angeles
    following = engine.first_slots([la, utc], limit=5, after=page[-1].start)
    assert following[0].start > page[-1].start


def test_one_provider_free_at_the_same_time_in_two_locations_is_listed_location_by_location():
    day = date(2026, 6, 1)
    first = search(LA, day, [week(7)], location_id=1)
    second = search(LA, day, [week(7)], location_id=2)
    page = engine.first_slots([second, first], limit=4)
    assert [(s.start, s.location_id) for s in page] == [
        (local(LA, day, 9), 2),
        (local(LA, day, 9), 1),
        (local(LA, day, 9, 15), 2),
        (local(LA, day, 9, 15), 1),
    ]


def test_first_slots_of_one_location_are_its_free_slots_in_order():
    day = date(2026, 6, 1)
    inp = search(LA, day, [week(1), week(2)], last_day=day + timedelta(days=2), location_id=3)
    everything = list(engine.free_slots(inp))
    assert engine.first_slots([inp], limit=10) == everything[:10]
    assert engine.first_slots([inp], limit=10, after=everything[4].start) == everything[5:15]


# ---------------------------------------------------------------- daylight saving time


def test_spring_forward_day_in_los_angeles_keeps_every_working_hour():
    day = date(2026, 3, 8)
    hours = {day.weekday(): (engine.DayHours(time(0), time(6)),)}
    slots = list(engine.free_slots(search(LA, day, [week(hours=hours)])))
    # 00:00 to 06:00 on the wall is only 5 hours of elapsed time that day.
    assert len(slots) == (5 * 60 - 30) // 15 + 1
    assert all(s.start.astimezone(LA).hour != 2 for s in slots)  # 02:xx does not exist


def test_fall_back_day_in_los_angeles_offers_the_repeated_hour_once_each():
    day = date(2026, 11, 1)
    hours = {day.weekday(): (engine.DayHours(time(0), time(6)),)}
    slots = list(engine.free_slots(search(LA, day, [week(hours=hours)])))
    assert len(slots) == (7 * 60 - 30) // 15 + 1
    one_oclock = [s for s in slots if s.start.astimezone(LA).hour == 1]
    assert len(one_oclock) == 8  # 01:00-01:45 twice: once in PDT, once in PST


def test_a_nine_to_five_day_is_the_same_on_both_sydney_transition_days():
    for day in (date(2026, 4, 5), date(2026, 10, 4)):
        slots = list(engine.free_slots(search(SYDNEY, day, [week()])))
        assert slots[0].start == local(SYDNEY, day, 9)
        assert slots[-1].end == local(SYDNEY, day, 17)
        assert len(slots) == (8 * 60 - 30) // 15 + 1


# ---------------------------------------------------------------- properties

clock = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))


@st.composite
def interval(draw):
    a, b = sorted([draw(clock), draw(clock)])
    if a == b:
        b = time(23, 59)
    return engine.DayHours(a, b)


@st.composite
def provider_week(draw, provider_id):
    hours = {d: tuple(draw(st.lists(interval(), min_size=0, max_size=2))) for d in range(7)}
    breaks = {d: tuple(draw(st.lists(interval(), max_size=1))) for d in range(7)}
    return engine.ProviderWeek(provider_id, hours, breaks)


@st.composite
def scenario(draw):
    zone = draw(st.sampled_from(ZONES))
    first = draw(st.sampled_from(TRANSITION_DAYS)) - timedelta(days=draw(st.integers(0, 1)))
    last = first + timedelta(days=draw(st.integers(0, 2)))
    providers = [draw(provider_week(i)) for i in range(1, draw(st.integers(1, 3)) + 1)]
    rules = engine.ServiceRules(
        duration=timedelta(minutes=draw(st.sampled_from([15, 30, 45, 60, 90]))),
        buffer_before=timedelta(minutes=draw(st.sampled_from([0, 5, 10, 15]))),
        buffer_after=timedelta(minutes=draw(st.sampled_from([0, 5, 10, 15]))),
        horizon=timedelta(days=4000),
        needs_room=draw(st.booleans()),
    )
    base = datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC)

    def spans(max_size):
        out = []
        for _ in range(draw(st.integers(0, max_size))):
            start = base + timedelta(minutes=5 * draw(st.integers(0, 12 * 24 * 3)))
            out.append((start, start + timedelta(minutes=5 * draw(st.integers(1, 36)))))
        return out

    provider_busy = {p.provider_id: spans(6) for p in providers}
    room_ids = [10, 11] if rules.needs_room else []
    room_busy = {r: spans(4) for r in room_ids}
    return engine.SearchInput(
        zone=zone,
        now=FAR_PAST,
        first_day=first,
        last_day=last,
        rules=rules,
        providers=providers,
        room_ids=room_ids,
        provider_busy=provider_busy,
        room_busy=room_busy,
        patient_busy=spans(3),
        any_provider=draw(st.booleans()),
    )


def overlaps(a_start, a_end, b_start, b_end):
    return a_start < b_end and b_start < a_end


def working_instants(inp, provider, day):
    return engine.working_spans(provider, day, inp.zone)


PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(scenario())
def test_no_slot_overlaps_busy_time_or_its_buffers(inp):
    rules = inp.rules
    for slot in engine.free_slots(inp):
        guarded = (slot.start - rules.buffer_before, slot.end + rules.buffer_after)
        for b in inp.provider_busy.get(slot.provider_id, []):
            assert not overlaps(*guarded, *b)
        if slot.room_id is not None:
            for b in inp.room_busy[slot.room_id]:
                assert not overlaps(*guarded, *b)
        for b in inp.patient_busy:
            assert not overlaps(slot.start, slot.end, *b)
        assert (slot.room_id is not None) == rules.needs_room


@PROPS
@given(scenario())
def test_every_slot_lies_inside_its_providers_working_hours(inp):
    by_id = {p.provider_id: p for p in inp.providers}
    for slot in engine.free_slots(inp):
        day = slot.start.astimezone(inp.zone).date()
        spans = working_instants(inp, by_id[slot.provider_id], day)
        assert any(s <= slot.start and slot.end <= e for s, e in spans), slot
        assert slot.end - slot.start == inp.rules.duration


@PROPS
@given(scenario())
def test_nothing_is_doubled_and_slots_come_in_order(inp):
    slots = list(engine.free_slots(inp))
    keys = [(s.start, s.provider_id) for s in slots]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    if inp.any_provider:
        assert len({s.start for s in slots}) == len(slots)


@PROPS
@given(scenario())
def test_nothing_free_is_lost(inp):
    """Every grid point in a provider's working time that a brute-force check finds free is
    offered (by that provider, or at that time by some provider when any will do)."""
    if inp.rules.needs_room or inp.any_provider:
        inp = engine.SearchInput(**{**inp.__dict__, "room_ids": [], "any_provider": False})
        inp = engine.SearchInput(
            **{
                **inp.__dict__,
                "rules": engine.ServiceRules(**{**inp.rules.__dict__, "needs_room": False}),
            }
        )
    offered = {(s.start, s.provider_id) for s in engine.free_slots(inp)}
    rules = inp.rules
    day = inp.first_day
    while day <= inp.last_day:
        for p in inp.providers:
            for w_start, w_end in working_instants(inp, p, day):
                t = w_start
                while t + rules.duration <= w_end:
                    guarded = (t - rules.buffer_before, t + rules.duration + rules.buffer_after)
                    free = not any(overlaps(*guarded, *b) for b in inp.provider_busy[p.provider_id])
                    free = free and not any(
                        overlaps(t, t + rules.duration, *b) for b in inp.patient_busy
                    )
                    inside = any(
                        s <= t and t + rules.duration <= e for s, e in working_instants(inp, p, day)
                    )
                    if free and inside:
                        assert (t, p.provider_id) in offered, (t, p.provider_id)
                    t += rules.step
        day += timedelta(days=1)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(ZONES), st.sampled_from(TRANSITION_DAYS), interval())
def test_wall_clock_hours_become_exactly_that_much_elapsed_time_except_across_a_change(
    zone, day, hours
):
    spans = engine.local_day_spans(day, [hours], zone)
    for start, end in spans:
        assert start.tzinfo is not None and end > start
        wall = datetime.combine(day, hours.ends) - datetime.combine(day, hours.starts)
        # A day's elapsed time differs from the wall clock by at most the one-hour change.
        assert abs((end - start) - wall) <= timedelta(hours=1)
