"""The rows a free-slot search reads, as three plain SQL statements.

A search for a page of free times reads who may perform the service where, their weekly hours
and exceptions, the rooms, the opening hours and closed days, and the busy time near the days
searched. Built through the ORM, each of those queries cost ten times more to compile than to
run (about 0.5 ms against 0.05 ms), and a search is mostly such fixed cost. So they are written
out here from the models' own table and column names, with the values turned into Python objects
by the C-coded constructors, and the set-up tables come back in one statement.

Same rows as the ORM would read; `search.py` applies the rules to them.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, date, datetime, time

from django.db import connection

from glabella.clinic.models import ClosedDay, Location, OpeningHours, Room, Service
from glabella.core.models import StaffMember
from glabella.scheduling.models import (
    CANCELLED,
    MAX_BLOCK,
    Appointment,
    ScheduleException,
    WeeklyHours,
)

# The tags of the rows `setup_rows` returns.
HOURS, EXCEPTION, ROOM, OPENING, CLOSED = range(5)

PERFORMER_FIELDS = (
    "id",
    "active",
    "role",
    "credential",
    "licence_number",
    "licence_expires",
    "full_name",
)


def _q(name: str) -> str:
    """A quoted identifier, the same on SQLite and PostgreSQL."""
    return f'"{name}"'


@functools.cache
def _table(model) -> str:
    return _q(model._meta.db_table)


@functools.cache
def _col(model, field: str, alias: str = "") -> str:
    column = _q(model._meta.get_field(field).column)
    return f"{alias}.{column}" if alias else column


def _marks(values: Sequence) -> str:
    return ", ".join(["%s"] * len(values))


def _fetch(sql: str, params: Sequence) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _date(value):
    return date.fromisoformat(value) if isinstance(value, str) else value


def _time(value):
    return time.fromisoformat(value) if isinstance(value, str) else value


def _db_date(value: date):
    return connection.ops.adapt_datefield_value(value)


def _db_datetime(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def performers(
    location_ids: Sequence[int], credentials: Sequence[str], provider_id: int | None
) -> list[tuple[int, StaffMember]]:
    """(location id, staff member) for the active staff at the locations holding one of the
    credentials, by name then id; the staff members carry only the fields the performer rule
    reads (`Service.can_be_performed_by`)."""
    if not location_ids or not credentials:
        return []
    through = Location.staff.through
    staff_cols = ", ".join(_col(StaffMember, f, "s") for f in PERFORMER_FIELDS)
    sql = (
        f"SELECT {_col(through, 'location', 'ls')}, {staff_cols} "
        f"FROM {_table(through)} ls "
        f"INNER JOIN {_table(StaffMember)} s "
        f"ON s.{_q('id')} = {_col(through, 'staffmember', 'ls')} "
        f"WHERE {_col(through, 'location', 'ls')} IN ({_marks(location_ids)}) "
        f"AND {_col(StaffMember, 'active', 's')} = %s "
        f"AND {_col(StaffMember, 'credential', 's')} IN ({_marks(credentials)})"
    )
    params: list = [*location_ids, True, *credentials]
    if provider_id is not None:
        sql += f" AND s.{_q('id')} = %s"
        params.append(provider_id)
    sql += f" ORDER BY {_col(StaffMember, 'full_name', 's')}, s.{_q('id')}"
    out = []
    for location_id, *values in _fetch(sql, params):
        values[1] = bool(values[1])
        values[5] = _date(values[5])
        out.append((location_id, StaffMember.from_db(connection.alias, PERFORMER_FIELDS, values)))
    return out


def setup_rows(
    service: Service,
    location_ids: Sequence[int],
    staff_ids: Sequence[int],
    first_day: date,
    last_day: date,
) -> list[tuple]:
    """The set-up a search needs, in one statement: rows of (tag, location id, staff or room
    id, kind, weekday, day, starts, ends), the tag saying which table each came from: weekly
    hours (HOURS), the staff's exceptions in the days searched (EXCEPTION, location NULL for
    time off everywhere), the service's active rooms (ROOM), the locations' opening hours
    (OPENING) and closed days in the days searched (CLOSED)."""
    if not location_ids:
        return []
    null_int, null_text = "CAST(NULL AS integer)", "CAST(NULL AS varchar(20))"
    null_date, null_time = "CAST(NULL AS date)", "CAST(NULL AS time)"
    locs = _marks(location_ids)
    parts, params = [], []
    if staff_ids:
        staff = _marks(staff_ids)
        w = WeeklyHours
        parts.append(
            f"SELECT {HOURS}, {_col(w, 'location')}, {_col(w, 'staff')}, {_col(w, 'kind')}, "
            f"{_col(w, 'weekday')}, {null_date}, {_col(w, 'starts')}, {_col(w, 'ends')} "
            f"FROM {_table(w)} WHERE {_col(w, 'location')} IN ({locs}) "
            f"AND {_col(w, 'staff')} IN ({staff})"
        )
        params += [*location_ids, *staff_ids]
        e = ScheduleException
        parts.append(
            f"SELECT {EXCEPTION}, {_col(e, 'location')}, {_col(e, 'staff')}, {_col(e, 'kind')}, "
            f"{null_int}, {_col(e, 'day')}, {_col(e, 'starts')}, {_col(e, 'ends')} "
            f"FROM {_table(e)} WHERE {_col(e, 'staff')} IN ({staff}) "
            f"AND {_col(e, 'day')} BETWEEN %s AND %s"
        )
        params += [*staff_ids, _db_date(first_day), _db_date(last_day)]
    links = Service.rooms.through
    parts.append(
        f"SELECT {ROOM}, {_col(Room, 'location', 'r')}, r.{_q('id')}, {null_text}, {null_int}, "
        f"{null_date}, {null_time}, {null_time} "
        f"FROM {_table(links)} sr INNER JOIN {_table(Room)} r "
        f"ON r.{_q('id')} = {_col(links, 'room', 'sr')} "
        f"WHERE {_col(links, 'service', 'sr')} = %s AND {_col(Room, 'active', 'r')} = %s"
    )
    params += [service.pk, True]
    o = OpeningHours
    parts.append(
        f"SELECT {OPENING}, {_col(o, 'location')}, {null_int}, {null_text}, "
        f"{_col(o, 'weekday')}, {null_date}, {_col(o, 'opens')}, {_col(o, 'closes')} "
        f"FROM {_table(o)} WHERE {_col(o, 'location')} IN ({locs})"
    )
    params += list(location_ids)
    c = ClosedDay
    parts.append(
        f"SELECT {CLOSED}, {_col(c, 'location')}, {null_int}, {null_text}, {null_int}, "
        f"{_col(c, 'day')}, {null_time}, {null_time} "
        f"FROM {_table(c)} WHERE {_col(c, 'location')} IN ({locs}) "
        f"AND {_col(c, 'day')} BETWEEN %s AND %s"
    )
    params += [*location_ids, _db_date(first_day), _db_date(last_day)]
    rows = _fetch(" UNION ALL ".join(parts), params)
    return [
        (tag, loc, ref, kind, weekday, _date(day), _time(starts), _time(ends))
        for tag, loc, ref, kind, weekday, day, starts, ends in rows
    ]


def _instant_sql(column: str, sqlite: bool) -> str:
    """A datetime column as what `_instant_reader` turns fastest into an aware datetime:
    on SQLite its stored text (UTC) with the offset written on, on PostgreSQL seconds since
    the epoch. Django's own converters cost more per value than the query does."""
    if sqlite:
        return f"({column} || '+00:00')"
    return f"EXTRACT(EPOCH FROM {column})::float8"


def _instant_reader(sqlite: bool):
    if sqlite:
        return datetime.fromisoformat
    return functools.partial(datetime.fromtimestamp, tz=UTC)


def busy_rows(
    provider_ids: Sequence[int],
    room_ids: Sequence[int],
    start: datetime,
    end: datetime,
    patient_id: int | None,
    ignore_id: int | None,
) -> list[tuple]:
    """Live appointments that block one of the providers or rooms during [start, end)
    (`blocking_q`), or that the patient attends then (`attending_q`): rows of (provider id,
    room id, blocked from, blocked until, patient id, starts, ends), instants aware UTC; the
    last three only with a patient."""
    a = Appointment
    who = []
    params: list = [_db_datetime(end), _db_datetime(start - MAX_BLOCK), _db_datetime(start)]
    if provider_ids:
        who.append(f"{_col(a, 'provider')} IN ({_marks(provider_ids)})")
        params += list(provider_ids)
    if room_ids:
        who.append(f"{_col(a, 'room')} IN ({_marks(room_ids)})")
        params += list(room_ids)
    if not who and patient_id is None:
        return []
    near = (
        f"{_col(a, 'blocked_from')} < %s AND {_col(a, 'blocked_from')} > %s "
        f"AND {_col(a, 'blocked_until')} > %s AND ({' OR '.join(who) or '1 = 0'})"
    )
    sqlite = connection.vendor == "sqlite"
    columns = [_col(a, "provider"), _col(a, "room")]
    columns += [
        _instant_sql(_col(a, "blocked_from"), sqlite),
        _instant_sql(_col(a, "blocked_until"), sqlite),
    ]
    if patient_id is not None:
        near = (
            f"({near}) OR ({_col(a, 'starts_at')} < %s AND {_col(a, 'starts_at')} > %s "
            f"AND {_col(a, 'ends_at')} > %s AND {_col(a, 'patient')} = %s)"
        )
        params += [_db_datetime(end), _db_datetime(start - MAX_BLOCK), _db_datetime(start)]
        params.append(patient_id)
        columns += [
            _col(a, "patient"),
            _instant_sql(_col(a, "starts_at"), sqlite),
            _instant_sql(_col(a, "ends_at"), sqlite),
        ]
    sql = (
        f"SELECT {', '.join(columns)} FROM {_table(a)} "
        f"WHERE {_col(a, 'status')} NOT IN ({_marks(CANCELLED)}) AND ({near})"
    )
    params = [*(str(s) for s in CANCELLED), *params]
    if ignore_id is not None:
        sql += f" AND {_q('id')} <> %s"
        params.append(ignore_id)
    make = _instant_reader(sqlite)
    if patient_id is None:
        return [(p, r, make(f), make(u)) for p, r, f, u in _fetch(sql, params)]
    return [
        (p, r, make(f), make(u), pat, make(s), make(e))
        for p, r, f, u, pat, s, e in _fetch(sql, params)
    ]
