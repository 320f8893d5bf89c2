"""The load test's chain: 100 locations, 1,000 providers, 1,000,000 patients and 3,000,000
appointments on PostgreSQL (at --scale 1), built in minutes.

The small tables go through Django's models (the demo clinic's organisation, services, sign-ins
and consents from `glabella.demo.clinic`, then the other locations with their hours, rooms and
ZIP codes, and ten injectors per location with their working week). The two big tables are
filled set-based: one INSERT ... SELECT over generate_series for the patients, and one per month
of days for the appointments, with their indexes and exclusion constraints dropped first and
built again after, so PostgreSQL itself re-checks at the end that no provider, room or patient is
booked twice.

The appointments follow a grid that cannot overlap: each provider works hour-long cells
(9, 10, 11, 13, 14, 15, 16 local time, Monday to Friday) in their own room, one visit per cell
(starting at :10, buffers inside the cell). In the past six cells of seven are taken (the free one
turns day by day), today too, and four in ten later on, so the public pages find free times. The
i-th appointment in time order goes to patient i mod N: one patient's visits are at least
N / providers cells apart (about five months at full scale, a re-treatment's interval).

Every column of a bulk row comes from `_columns`: what is given, else the model field's own
default. A column the model gains (the organisation a patient or staff member belongs to, say) is
given once, in `_owned` below, for the bulk rows and the model rows alike.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock

from django.db import connection, transaction
from django.utils import timezone

ZONES = [
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Phoenix",
]
GIVEN = (  # noqa: SIM905 - a list of names reads best as words
    "Olivia Emma Charlotte Amelia Sophia Mia Isabella Ava Evelyn Luna Harper Camila Sofia "
    "Scarlett Elizabeth Eleanor Emily Chloe Mila Violet Penelope Gianna Aria Abigail Ella "
    "Avery Hazel Nora Layla Lily Aurora Nova Ellie Madison Grace Isla Willow Zoe Riley Stella "
    "Liam Noah Oliver James Elijah Mateo Theodore Henry Lucas William "
).split()
FAMILY = (  # noqa: SIM905 - a list of names reads best as words
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White "
    "Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres "
    "Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts "
    "Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales "
    "Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos "
    "Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes "
    "Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez "
).split()
# Local start hour of each cell of a provider's day: the 12:30 lunch break is left free.
CELL_HOURS = (9, 10, 11, 13, 14, 15, 16)
PROVIDERS_PER_LOCATION = 10
SLUG_PREFIX = "chain-"
DAYS_PER_BATCH = 30


@dataclass(frozen=True)
class Size:
    locations: int
    providers: int
    patients: int
    appointments: int

    @classmethod
    def at(cls, scale: float) -> Size:
        locations = max(1, round(100 * scale))
        providers = locations * PROVIDERS_PER_LOCATION
        patients = max(providers, round(1_000_000 * scale))
        return cls(locations, providers, patients, round(3_000_000 * scale))

    def __str__(self) -> str:
        return (
            f"{self.locations:,} locations, {self.providers:,} providers, "
            f"{self.patients:,} patients, {self.appointments:,} appointments"
        )


def present() -> Size | None:
    """The size of the chain already in the database, or None when there is none."""
    from glabella.clinic.models import Location
    from glabella.core.models import StaffMember
    from glabella.patients.models import Patient
    from glabella.scheduling.models import Appointment

    providers = StaffMember.objects.filter(user__username__startswith="provider").count()
    if not providers:
        return None
    return Size(
        Location.objects.filter(slug__startswith=SLUG_PREFIX).count() + 1,  # and Thousand Oaks
        providers,
        Patient.objects.filter(email__endswith="@example.com").count(),
        Appointment.objects.count(),
    )


def _owned(model, organisation) -> dict[str, object]:
    """The columns saying whose a row is, when the model has them (one place to add one)."""
    names = {f.name for f in model._meta.concrete_fields}
    return {"organisation": organisation} if "organisation" in names else {}


def _columns(model, given: dict[str, str], organisation) -> tuple[list[str], list[str], list]:
    """Every column of `model` but its id, with its SQL: `given`, else the field's default.
    Returns the columns, their SQL expressions and the parameters those expressions use."""
    owned = {f"{k}_id": str(v.pk) for k, v in _owned(model, organisation).items()}
    given = {**owned, **given}
    columns, exprs, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(field.column)
        if field.column in given:
            exprs.append(given[field.column])
        elif field.default is uuid.uuid4:
            exprs.append("gen_random_uuid()")
        elif field.default is timezone.now:
            exprs.append("now()")
        elif field.has_default() or not field.null:
            value = field.get_db_prep_save(field.get_default(), connection)
            if value is None and not field.null:
                raise ValueError(f"{model.__name__}.{field.name} needs a value in the bulk fill")
            exprs.append("%s")
            params.append(value)
        else:
            exprs.append("NULL")
    return columns, exprs, params


def _insert_select(model, given: dict[str, str], source: str, params: dict, organisation) -> int:
    columns, exprs, defaults = _columns(model, given, organisation)
    # The defaults are positional; name them so they mix with the source's named parameters.
    named = {f"default_{n}": v for n, v in enumerate(defaults)}
    it = iter(named)
    exprs = [e.replace("%s", f"%({next(it)})s") if e == "%s" else e for e in exprs]
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(exprs)} {source}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {**params, **named})
        return cursor.rowcount


class Unindexed:
    """A table's indexes and exclusion constraints dropped for a bulk fill and built again on
    leaving (the constraints re-checking every row), with foreign keys checked once at the end
    instead of per row."""

    def __init__(self, table: str):
        self.table = table

    def __enter__(self):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'x'",
                [self.table],
            )
            self.constraints = cursor.fetchall()
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i WHERE i.indrelid = %s::regclass AND NOT EXISTS ("
                "SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                [self.table],
            )
            self.indexes = cursor.fetchall()
            for name, _ in self.constraints:
                cursor.execute(f"ALTER TABLE {self.table} DROP CONSTRAINT {name}")
            for name, _ in self.indexes:
                cursor.execute(f"DROP INDEX {name}")
            cursor.execute("SET session_replication_role = replica")  # no per-row FK triggers
        return self

    def __exit__(self, *exc):
        if exc[0] is not None:
            return False  # the transaction rolls back: nothing to build again
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for _, definition in self.indexes:
                cursor.execute(definition)
            for name, definition in self.constraints:
                cursor.execute(f"ALTER TABLE {self.table} ADD CONSTRAINT {name} {definition}")
        return False


def _orphans(table: str) -> list[str]:
    """Foreign keys of `table` pointing nowhere (checked once, after a fill without triggers)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.attname, cf.relname, af.attname FROM pg_constraint c "
            "JOIN pg_class cf ON cf.oid = c.confrelid "
            "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
            "JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1] "
            "WHERE c.conrelid = %s::regclass AND c.contype = 'f'",
            [table],
        )
        broken = []
        for column, target, target_column in cursor.fetchall():
            cursor.execute(
                f"SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {target} x WHERE x.{target_column} = t.{column})"
            )
            if cursor.fetchone()[0]:
                broken.append(f"{table}.{column}")
        return broken


def _locations(org, count: int, demo):
    """The demo's Thousand Oaks first, then the chain's other locations, each with its hours,
    ten rooms, and its city and ZIP code served."""
    from glabella.clinic.models import Location, OpeningHours, Room, ServiceArea

    wanted = [demo]
    for n in range(1, count):
        zip_code = f"{10000 + n * 97:05d}"
        location = Location.objects.create(
            **_owned(Location, org),
            name=f"Clinic {n:03d}",
            slug=f"{SLUG_PREFIX}{n:03d}",
            address_line1=f"{100 + n} Main Street",
            city=f"Town {n:03d}",
            state="CA",
            postal_code=zip_code,
            phone=f"+1805555{n:04d}",
            time_zone=ZONES[n % len(ZONES)],
        )
        OpeningHours.objects.bulk_create(
            [
                OpeningHours(location=location, weekday=d, opens=clock(9), closes=clock(18))
                for d in range(5)
            ]
            + [OpeningHours(location=location, weekday=5, opens=clock(9), closes=clock(14))]
        )
        for label in (location.city, zip_code):
            ServiceArea.objects.create(location=location, label=label)
        wanted.append(location)
    rooms = {}
    for location in wanted:
        Room.objects.bulk_create(
            [Room(location=location, name=f"Room {k + 1}") for k in range(PROVIDERS_PER_LOCATION)]
        )
        rooms[location.pk] = list(
            Room.objects.filter(location=location, name__startswith="Room ").order_by("id")
        )
    return wanted, rooms


def _providers(org, locations, rooms) -> list[tuple]:
    """Ten injectors (NP) per location with their sign-ins and a Monday-to-Friday week:
    [(rank, staff id, location id, room id, zone)]."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from glabella.core.models import StaffMember
    from glabella.core.roles import Credential, Role
    from glabella.scheduling.models import WeeklyHours

    User = get_user_model()
    password = make_password(None)  # unusable: the load test signs in with API tokens
    users = User.objects.bulk_create(
        [
            User(
                username=f"provider{n:04d}@chain.glabella.test",
                email=f"provider{n:04d}@chain.glabella.test",
                password=password,
            )
            for n in range(len(locations) * PROVIDERS_PER_LOCATION)
        ]
    )
    members = StaffMember.objects.bulk_create(
        [
            StaffMember(
                **_owned(StaffMember, org),
                user=user,
                full_name=f"{GIVEN[n % len(GIVEN)]} {FAMILY[(n * 7) % len(FAMILY)]} {n:04d}",
                role=Role.INJECTOR,
                credential=Credential.NP,
                licence_number=f"NP{n:06d}",
                licence_state="CA",
                licence_expires=date(2030, 6, 30),
            )
            for n, user in enumerate(users)
        ]
    )
    rows, hours, staffing = [], [], []
    Through = members[0].locations.through
    for n, member in enumerate(members):
        location = locations[n // PROVIDERS_PER_LOCATION]
        room = rooms[location.pk][n % PROVIDERS_PER_LOCATION]
        staffing.append(Through(location_id=location.pk, staffmember_id=member.pk))
        for weekday in range(5):
            hours.append(
                WeeklyHours(
                    staff=member,
                    location=location,
                    weekday=weekday,
                    starts=clock(9),
                    ends=clock(17),
                )
            )
            hours.append(
                WeeklyHours(
                    staff=member,
                    location=location,
                    weekday=weekday,
                    kind=WeeklyHours.Kind.BREAK,
                    starts=clock(12, 30),
                    ends=clock(13),
                )
            )
        rows.append((n, member.pk, location.pk, room.pk, location.time_zone))
    Through.objects.bulk_create(staffing)
    WeeklyHours.objects.bulk_create(hours, batch_size=5000)
    return rows


def _patients(org, count: int) -> tuple[int, int]:
    """`count` patients with searchable names, phones and emails: (first id, last id)."""
    from glabella.patients.models import Patient

    names = ", ".join(f"'{g}'" for g in GIVEN)
    given = f"(ARRAY[{names}])[1 + n %% {len(GIVEN)}]"
    names = ", ".join(f"'{f}'" for f in FAMILY)
    family = f"(ARRAY[{names}])[1 + (n / {len(GIVEN)}) %% {len(FAMILY)}]"
    source = (
        f"FROM (SELECT n, {given} AS g, {family} AS f, "
        "lpad((2000000 + n)::text, 7, '0') AS digits FROM generate_series(0, %(last)s) n) p"
    )
    # search_text as patients.search.search_key folds it: lower case, digits of the phone.
    given_cols = {
        "given_name": "g",
        "family_name": "f",
        "birth_date": "date '1950-01-01' + (n::bigint * 7919 %% 18250)::int",
        "sex": "CASE WHEN n %% 10 = 0 THEN 'male' ELSE 'female' END",
        "email": "lower(g || '.' || f || '.' || n || '@example.com')",
        "phone": "'+1805' || digits",
        "city": "'Town ' || lpad((n %% 100)::text, 3, '0')",
        "state": "'CA'",
        "postal_code": "lpad((10000 + (n %% 100) * 97)::text, 5, '0')",
        "email_consent": "true",
        "search_text": "lower(g || ' ' || f || ' 805' || digits || ' ' || g || '.' || f || '.' "
        "|| n || '@example.com')",
        "family_sort": "lower(f)",
        "given_sort": "lower(g)",
    }
    with Unindexed(Patient._meta.db_table):
        _insert_select(Patient, given_cols, source, {"last": count - 1}, org)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(id), max(id) FROM patients_patient WHERE email LIKE '%%@example.com'"
        )
        return cursor.fetchone()


def _check_search_text(sample: int = 200) -> None:
    """The bulk patients' search text is what the model would compute (a sample)."""
    from glabella.patients.models import Patient

    for patient in Patient.objects.filter(email__endswith="@example.com")[:sample]:
        stored = (patient.search_text, patient.family_sort, patient.given_sort)
        patient.refresh_search_text()
        if stored != (patient.search_text, patient.family_sort, patient.given_sort):
            raise AssertionError(f"patient {patient.pk}: stored {stored}, computed differently")


def _weekdays(first: date, last: date) -> list[date]:
    days, day = [], first
    while day <= last:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def _appointments(org, providers, patients: tuple[int, int], count: int, today: date, log) -> int:
    """`count` appointments on the grid, most recent months first filled back in time until
    the count is reached (the future: today's six cells of seven, then 60 days at four in ten)."""
    from glabella.clinic.models import Service
    from glabella.scheduling.models import Appointment

    services = {
        s.slug: s
        for s in Service.objects.filter(
            slug__in=["consultation", "neuromodulator", "two-week-review"]
        )
    }
    first_patient, last_patient = patients
    n_patients = last_patient - first_patient + 1
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE load_providers (rank int, staff_id bigint, location_id bigint, "
            "room_id bigint, zone text) ON COMMIT DROP"
        )
        cursor.execute(
            "INSERT INTO load_providers SELECT * FROM unnest(%s::int[], %s::bigint[], "
            "%s::bigint[], %s::bigint[], %s::text[])",
            [list(col) for col in zip(*providers, strict=True)],
        )
        cursor.execute(
            "CREATE TEMP TABLE load_services "
            "(k int, id bigint, minutes int, before int, after int) ON COMMIT DROP"
        )
        # i mod 10: four consultations, five neuromodulator treatments, one two-week review.
        rows = (
            [(k, services["consultation"]) for k in range(4)]
            + [(k, services["neuromodulator"]) for k in range(4, 9)]
            + [(9, services["two-week-review"])]
        )
        for k, s in rows:
            cursor.execute(
                "INSERT INTO load_services VALUES (%s, %s, %s, %s, %s)",
                [k, s.pk, s.duration_minutes, s.buffer_before_minutes, s.buffer_after_minutes],
            )
    hours = f"(ARRAY[{', '.join(str(h) for h in CELL_HOURS)}])[1 + c]"
    cells = len(CELL_HOURS)
    # Which cells are taken: in the past and today one free cell a day (it turns day by day),
    # later four in ten.
    keep = (
        f"CASE WHEN d.day <= %(today)s THEN (p.rank + (d.day - date '2000-01-03')) %% {cells} <> c "
        f"ELSE ((p.rank * {cells} + c) * 31 + (d.day - date '2000-01-03')) %% 10 < 4 END"
    )
    start = f"((d.day + make_time({hours}, 10, 0)) AT TIME ZONE p.zone)"
    inner = (
        f"SELECT d.day, c, p.*, {start} AS st, "
        f"row_number() OVER (ORDER BY d.day, c, p.rank) - 1 + %(offset)s AS i "
        f"FROM unnest(%(days)s::date[]) d(day) CROSS JOIN generate_series(0, {cells - 1}) c "
        f"CROSS JOIN load_providers p WHERE {keep} "
        f"ORDER BY d.day, c, p.rank LIMIT %(room)s"
    )
    source = f"FROM ({inner}) x JOIN load_services s ON s.k = x.i %% 10"
    past = "x.day < %(today)s"
    completed = f"{past} AND x.i %% 100 < 85"
    status = (
        f"CASE WHEN NOT ({past}) THEN CASE WHEN x.day > %(today)s AND x.i %% 20 = 0 "
        "THEN 'cancelled_by_patient' ELSE 'booked' END "
        "WHEN x.i %% 100 < 85 THEN 'completed' WHEN x.i %% 100 < 92 THEN 'cancelled_by_patient' "
        "WHEN x.i %% 100 < 95 THEN 'cancelled_by_clinic' ELSE 'no_show' END"
    )
    given = {
        "location_id": "x.location_id",
        "service_id": "s.id",
        "provider_id": "x.staff_id",
        "room_id": "x.room_id",
        "patient_id": f"{first_patient} + x.i %% {n_patients}",
        "starts_at": "x.st",
        "ends_at": "x.st + make_interval(mins => s.minutes)",
        "blocked_from": "x.st - make_interval(mins => s.before)",
        "blocked_until": "x.st + make_interval(mins => s.minutes + s.after)",
        "status": status,
        "source": "CASE WHEN x.i %% 10 < 3 THEN 'online' ELSE 'staff' END",
        "booked_at": "least(now(), x.st - make_interval(days => 1 + (x.i %% 40)::int))",
        "checked_in_at": f"CASE WHEN {completed} THEN x.st - interval '5 minutes' END",
        "completed_at": f"CASE WHEN {completed} THEN x.st + make_interval(mins => s.minutes) END",
        "cancelled_at": f"CASE WHEN ({past} AND x.i %% 100 BETWEEN 85 AND 94) "
        "OR (x.day > %(today)s AND x.i %% 20 = 0) THEN x.st - interval '2 days' END",
    }
    future = _weekdays(today + timedelta(days=1), today + timedelta(days=60))
    per_past_day = len(providers) * (cells - 1)
    # The future and today first; then back in time, a month at a time, to the count.
    batches = [future, [today]] if today.weekday() < 5 else [future]
    done = 0
    day = today - timedelta(days=1)
    with Unindexed(Appointment._meta.db_table):
        while done < count:
            if batches:
                days = batches.pop(0)
            else:
                need_days = -(-(count - done) // per_past_day)
                span = min(DAYS_PER_BATCH, need_days)
                days = []
                while len(days) < span:
                    if day.weekday() < 5:
                        days.append(day)
                    day -= timedelta(days=1)
                days.sort()
            params = {"days": days, "today": today, "offset": done, "room": count - done}
            done += _insert_select(Appointment, given, source, params, org)
            log(f"  appointments: {done:,} of {count:,} (to {days[0]})")
        log("  appointments: building the indexes and the no-double-booking constraints")
    return done


def build(size: Size, log=print) -> dict[str, float]:
    """The chain in an empty, migrated database; the seconds each part took."""
    from glabella.clinic.models import Service
    from glabella.demo.clinic import ensure_demo_clinic

    took = {}
    mark = time.perf_counter()
    with transaction.atomic():
        demo, _ = ensure_demo_clinic()
        org = demo.organisation
        locations, rooms = _locations(org, size.locations, demo)
        all_rooms = [r for rs in rooms.values() for r in rs]
        for service in Service.objects.all():
            service.rooms.add(*all_rooms)
        providers = _providers(org, locations, rooms)
    took["small tables"] = time.perf_counter() - mark
    log(f"  {len(locations)} locations, {len(providers)} providers ({took['small tables']:.0f} s)")
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
    mark = time.perf_counter()
    with transaction.atomic():
        patients = _patients(org, size.patients)
    took["patients"] = time.perf_counter() - mark
    log(f"  {size.patients:,} patients ({took['patients']:.0f} s)")
    _check_search_text()
    mark = time.perf_counter()
    today = timezone.now().astimezone(demo.zone).date()
    with transaction.atomic():
        _appointments(org, providers, patients, size.appointments, today, log)
    took["appointments"] = time.perf_counter() - mark
    log(f"  {size.appointments:,} appointments ({took['appointments']:.0f} s)")
    mark = time.perf_counter()
    broken = _orphans("scheduling_appointment") + _orphans("patients_patient")
    if broken:
        raise AssertionError(f"foreign keys pointing nowhere: {broken}")
    with connection.cursor() as cursor:
        # VACUUM (the visibility map, for index-only scans) cannot run inside a transaction.
        cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
    took["checks and analyze"] = time.perf_counter() - mark
    return took


def grid_start(day: date, cell: int, zone) -> datetime:
    """The local start of a visit in a cell of the grid (for tests of the generator)."""
    return datetime.combine(day, clock(CELL_HOURS[cell], 10), tzinfo=zone)
