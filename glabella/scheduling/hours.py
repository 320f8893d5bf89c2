"""Providers' weekly hours, breaks and time off, entered by the owner for anyone or by a
provider for themself. Time off over booked visits is refused with the list of those visits
until the person confirms (`VisitsInside`); nothing is moved or cancelled by it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from glabella.clinic.models import Location
from glabella.core import audit
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Conflict, Forbidden, ValidationFailed
from glabella.core.models import StaffMember
from glabella.core.roles import CLINICAL_ROLES, Capability
from glabella.scheduling.availability import to_instant
from glabella.scheduling.models import Appointment, ScheduleException, Status, WeeklyHours

MAX_TIME_OFF_DAYS = 92
Interval = tuple[time | None, time | None]


class VisitsInside(Conflict):
    """New time off covers booked visits: say which, and write nothing until confirmed."""

    code = "visits_inside_time_off"

    def __init__(self, visits: list[Appointment]):
        super().__init__(
            f"{len(visits)} booked visit{'s fall' if len(visits) != 1 else ' falls'} inside this "
            "time off. Confirm to add it anyway (the visits stay booked: move or cancel "
            "them), or go back.",
            {"visits": [str(v.public_id) for v in visits]},
        )
        self.visits = visits


def may_edit(actor: Actor, staff: StaffMember) -> bool:
    """The owner for any provider; a provider for themself (the desk and the owner keep no
    working hours of their own: they book nobody's time)."""
    if staff.role not in CLINICAL_ROLES:
        return False
    if actor.can(Capability.MANAGE_CLINIC):
        return True
    return actor.staff is not None and actor.staff.pk == staff.pk


def providers(actor: Actor) -> list[StaffMember]:
    """Whose hours this person may set: everyone clinical (the owner), else only themself."""
    found = StaffMember.objects.filter(active=True, role__in=CLINICAL_ROLES).order_by("full_name")
    if actor.can(Capability.MANAGE_CLINIC):
        return list(found)
    return [s for s in found if actor.staff is not None and s.pk == actor.staff.pk]


def _require(actor: Actor, staff: StaffMember) -> None:
    if not may_edit(actor, staff):
        raise Forbidden("Only the owner, or the provider themself, sets these hours.")


def _record(actor, staff, what, detail) -> None:
    audit.record(
        actor,
        audit.Action.UPDATE,
        audit.Kind.WORKING_HOURS,
        staff.public_id,
        detail={"what": what, **detail},
    )


def set_week(
    actor: Actor,
    staff: StaffMember,
    location: Location,
    week: dict[int, tuple[Interval, Interval]],
) -> None:
    """A provider's week at a location: per weekday, the working interval and a break inside
    it (either may be empty). Errors are keyed `<weekday>_work` and `<weekday>_break`."""
    _require(actor, staff)
    if not staff.locations.filter(pk=location.pk).exists():
        raise ValidationFailed({"location": [f"{staff.full_name} does not work at {location}."]})
    errors: dict[str, list[str]] = {}
    rows = []
    for weekday, (work, pause) in week.items():
        for kind, (starts, ends) in (("work", work), ("break", pause)):
            key = f"{weekday}_{kind}"
            if starts is None and ends is None:
                continue
            if starts is None or ends is None:
                errors[key] = ["Give both the start and the end, or neither."]
            elif starts >= ends:
                errors[key] = ["The end must be after the start."]
            elif kind == "break" and (
                work[0] is None or not (work[0] <= starts and ends <= work[1])
            ):
                errors[key] = ["A break must fall inside the working hours."]
            else:
                rows.append(
                    WeeklyHours(
                        staff=staff,
                        location=location,
                        weekday=weekday,
                        kind=WeeklyHours.Kind.WORK if kind == "work" else WeeklyHours.Kind.BREAK,
                        starts=starts,
                        ends=ends,
                    )
                )
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        WeeklyHours.objects.filter(staff=staff, location=location).delete()
        WeeklyHours.objects.bulk_create(rows)
        _record(
            actor,
            staff,
            "weekly hours",
            {
                "location": str(location.public_id),
                "hours": [f"{r.weekday} {r.kind} {r.starts:%H:%M}-{r.ends:%H:%M}" for r in rows],
            },
        )


def _inside(work: Interval, starts: time, ends: time) -> bool:
    return work[0] is not None and work[1] is not None and work[0] <= starts and ends <= work[1]


def _days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def visits_inside(staff, first, last, starts, ends, location) -> list[Appointment]:
    """The provider's live visits inside the time off (each day's part, in its location's
    zone; everywhere when no location is given)."""
    live = (
        Appointment.objects.filter(provider=staff, status__in=[Status.BOOKED, Status.CHECKED_IN])
        .select_related("patient", "location", "service")
        .order_by("starts_at")
    )
    if location is not None:
        live = live.filter(location=location)
    # A day's wide margin in UTC finds the candidates; each location's zone decides.
    near = live.filter(
        starts_at__lt=datetime.combine(last + timedelta(days=2), time(0), UTC),
        ends_at__gt=datetime.combine(first - timedelta(days=1), time(0), UTC),
    )
    found = []
    for visit in near:
        zone = visit.location.zone
        for day in _days(first, last):
            lo = to_instant(day, starts or time(0), zone)
            hi = (
                to_instant(day, ends, zone)
                if ends is not None
                else to_instant(day + timedelta(days=1), time(0), zone)
            )
            if visit.starts_at < hi and visit.ends_at > lo:
                found.append(visit)
                break
    return found


def add_time_off(
    actor: Actor,
    staff: StaffMember,
    *,
    first_day: date | None,
    last_day: date | None,
    starts: time | None,
    ends: time | None,
    location: Location | None,
    note: str,
    today: date,
    confirmed: bool = False,
) -> list[ScheduleException]:
    """Time off from `first_day` to `last_day` (one day when empty), all day or between two
    times each day, at one location or everywhere. Raises `VisitsInside` when booked visits
    fall inside it and it is not `confirmed`."""
    _require(actor, staff)
    note = (note or "").strip()
    errors: dict[str, list[str]] = {}
    last_day = last_day or first_day
    if first_day is None:
        errors["first_day"] = ["Enter the first day off."]
    elif first_day < today:
        errors["first_day"] = ["That day has passed; choose today or a later day."]
    elif last_day < first_day:
        errors["last_day"] = ["The last day must be on or after the first."]
    elif (last_day - first_day).days >= MAX_TIME_OFF_DAYS:
        errors["last_day"] = [f"At most {MAX_TIME_OFF_DAYS} days at a time."]
    if (starts is None) != (ends is None):
        errors["starts"] = ["Give both times for part of a day, or neither for whole days."]
    elif starts is not None and starts >= ends:
        errors["ends"] = ["The end must be after the start."]
    if location is not None and not staff.locations.filter(pk=location.pk).exists():
        errors["location"] = [f"{staff.full_name} does not work at {location}."]
    if len(note) > 200:
        errors["note"] = ["Keep the note under 200 characters."]
    if errors:
        raise ValidationFailed(errors)
    inside = visits_inside(staff, first_day, last_day, starts, ends, location)
    if inside and not confirmed:
        raise VisitsInside(inside)
    with write_transaction():
        made = ScheduleException.objects.bulk_create(
            ScheduleException(
                staff=staff,
                location=location,
                day=day,
                kind=ScheduleException.Kind.TIME_OFF,
                starts=starts,
                ends=ends,
                note=note,
            )
            for day in _days(first_day, last_day)
        )
        _record(
            actor,
            staff,
            "time off",
            {
                "first_day": str(first_day),
                "last_day": str(last_day),
                "times": f"{starts:%H:%M}-{ends:%H:%M}" if starts else "all day",
                "location": str(location.public_id) if location else "everywhere",
                "visits_inside": [str(v.public_id) for v in inside],
            },
        )
    return made


def remove_time_off(actor: Actor, staff: StaffMember, exception: ScheduleException) -> None:
    _require(actor, staff)
    with write_transaction():
        exception.delete()
        _record(actor, staff, "time off removed", {"day": str(exception.day)})
