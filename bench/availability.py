"""Benchmark: free-slot search over a busy clinic's history, then booking through the API.

    .venv/bin/python bench/availability.py --database sqlite
    .venv/bin/python bench/availability.py --database postgres [--postgres-url URL]

Builds its own database (var/glabella_bench_availability.sqlite3, or the PostgreSQL database
`glabella_bench_availability`), made fresh each run: 3 locations, 30 providers, 20 treatment
rooms, 20,000 patients and two years of appointments (about 300,000, laid down by
glabella.demo.schedule), the coming weeks booked less the further away they are.

1. Availability: the first 20 free slots for a 30-minute treatment that needs a room, over the
   next 60 days, any provider, across all three locations, through the scheduling service
   (`search_slots`: its queries and the pure engine), timed many times.
2. The history grows tenfold (eighteen more years, copied back in whole weeks with SQL, so every
   row still satisfies the constraints) and the same search is timed again.
3. Booking: 1,500 patients get a candidacy decision (through the screening services), then
   `glabella runserver` (what `make run` serves) on this database, and 16 client threads
   POSTing /api/v1/scheduling/appointments with an API token until 1,000 are booked; lost races
   (409) count against the rate, not as bookings. Each booking checks the decision.

The last line: availability p50 <a> ms at 1x, <b> ms at 10x; booking <r>/s p99 <l> ms
"""

import argparse
import http.client
import json
import os
import queue
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import time as clock
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import fresh_database, percentile, staff_client  # noqa: E402

LOCATIONS = 3
PROVIDERS = 30
ROOMS = 20
PATIENTS = 20_000
SEARCHES = 200
BOOKINGS = 1000
CLIENTS = 16


def bench_location(org, name: str, slug: str):
    from glabella.clinic.models import Location

    return Location.objects.create(
        organisation=org,
        name=name,
        slug=slug,
        address_line1="100 Main St",
        city="Thousand Oaks",
        state="CA",
        postal_code="91360",
        phone="+18055550100",
        time_zone="America/Los_Angeles",
    )


def build_clinic():
    """Three locations of ten providers each, 20 treatment rooms, Monday to Saturday hours."""
    from decimal import Decimal

    from django.contrib.auth import get_user_model

    from glabella.clinic.models import OpeningHours, Room, Service
    from glabella.core.models import StaffMember
    from glabella.demo.clinic import ensure_demo_clinic
    from glabella.scheduling.models import WeeklyHours

    demo, _ = ensure_demo_clinic()
    org = demo.organisation
    User = get_user_model()
    locations, rooms = [], []
    for n in range(LOCATIONS):
        loc = bench_location(org, f"Bench {n + 1}", f"bench-{n + 1}")
        for weekday in range(6):
            OpeningHours.objects.create(
                location=loc, weekday=weekday, opens=clock(8), closes=clock(18)
            )
        locations.append(loc)
        per = ROOMS // LOCATIONS + (1 if n < ROOMS % LOCATIONS else 0)
        rooms += [Room.objects.create(location=loc, name=f"Room {r + 1}") for r in range(per)]
    services = {}
    for slug, minutes, needs_room in [
        ("bench-treatment", 30, True),
        ("bench-consultation", 30, False),
        ("bench-review", 15, False),
    ]:
        s = Service.objects.create(
            organisation=org,
            name=slug.replace("-", " ").title(),
            slug=slug,
            kind="neuromodulator" if needs_room else "consultation",
            duration_minutes=minutes,
            price=Decimal("100"),
            performer_credentials=["MD", "NP", "PA", "RN"],
            bookable_online=True,
            lead_time_minutes=60,
            horizon_days=90,
        )
        if needs_room:
            s.rooms.set(rooms)
        services[slug] = s
    supervisor = StaffMember.objects.get(user__username="director@demo.glabella.test")
    hours = []
    for i in range(PROVIDERS):
        user = User.objects.create(username=f"provider{i}@bench.test")
        staff = StaffMember.objects.create(
            user=user,
            full_name=f"Provider {i:02d}",
            role="injector",
            credential="NP",
            licence_number=f"NP{i:05d}",
            licence_state="CA",
            licence_expires="2040-01-01",
            supervising_prescriber=supervisor,
        )
        loc = locations[i % LOCATIONS]
        loc.staff.add(staff)
        for weekday in range(6):
            hours.append(
                WeeklyHours(
                    staff=staff, location=loc, weekday=weekday, starts=clock(8, 30), ends=clock(17)
                )
            )
            hours.append(
                WeeklyHours(
                    staff=staff,
                    location=loc,
                    weekday=weekday,
                    kind="break",
                    starts=clock(12, 30),
                    ends=clock(13),
                )
            )
    WeeklyHours.objects.bulk_create(hours)
    return locations, services


def load_history(locations, today, patient_ids):
    from glabella.demo import schedule

    total = 0
    seen = defaultdict(set)  # no patient in two places at once
    for n, loc in enumerate(locations):
        mix = schedule.service_mix(
            loc, {"bench-treatment": 0.6, "bench-consultation": 0.3, "bench-review": 0.1}
        )
        total += schedule.save(
            schedule.generate(
                loc,
                mix,
                patient_ids,
                first_day=today - timedelta(days=730),
                last_day=today + timedelta(days=60),
                today=today,
                rng=random.Random(f"bench-{n}"),
                step=timedelta(minutes=30),
                fill=0.97,
                patients_seen=seen,
            )
        )
    return total


def grow_history_tenfold(today) -> int:
    """Copies the past two years back nine times, 105 weeks apart (whole weeks keep weekdays;
    a copy never meets another, so every constraint still holds)."""
    from django.db import connection

    from glabella.scheduling.availability import to_instant

    cutoff = to_instant(today - timedelta(days=730), clock(0), locations_zone())
    start = to_instant(today, clock(0), locations_zone())
    vendor = connection.vendor
    new_id = "gen_random_uuid()" if vendor == "postgresql" else "lower(hex(randomblob(16)))"
    cols = [
        "location_id",
        "service_id",
        "provider_id",
        "room_id",
        "patient_id",
        "status",
        "source",
        "note",
        "cancel_reason",
        "times_rescheduled",
        "booked_by_id",
    ]
    shifted = [
        "starts_at",
        "ends_at",
        "blocked_from",
        "blocked_until",
        "booked_at",
        "checked_in_at",
        "completed_at",
        "cancelled_at",
    ]
    added = 0
    with connection.cursor() as cur:
        for k in range(1, 10):
            days = 735 * k
            if vendor == "postgresql":
                shift = [f"{c} - interval '{days} days'" for c in shifted]
            else:  # Django keeps SQLite datetimes as 'YYYY-MM-DD HH:MM:SS' text in UTC
                shift = [
                    f"strftime('%%Y-%%m-%%d %%H:%%M:%%S', {c}, '-{days} days')" for c in shifted
                ]
            # Column names and day counts come from this script, never from input.
            insert = f"INSERT INTO scheduling_appointment (public_id, {', '.join(cols + shifted)}) "
            select = f"SELECT {new_id}, {', '.join(cols + shift)} FROM scheduling_appointment "
            sql = insert + select + "WHERE starts_at >= %s AND starts_at < %s"
            cur.execute(sql, [cutoff, start])
            added += cur.rowcount
    return added


def settle(connection) -> None:
    """Fresh statistics, and the upkeep a database in service has had: on PostgreSQL a vacuum
    (else the autovacuum a bulk load sets off runs during the timings), on SQLite a checkpoint
    that folds the write-ahead log back into the file (else every read consults a long WAL)."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("VACUUM ANALYZE")
        else:
            cur.execute("ANALYZE")
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def locations_zone():
    from zoneinfo import ZoneInfo

    return ZoneInfo("America/Los_Angeles")


def time_searches(service, locations, now, today) -> list[float]:
    from glabella.scheduling.search import search_slots

    timings = []
    for i in range(SEARCHES + 10):
        started = time.perf_counter()
        slots = search_slots(
            service,
            locations,
            first_day=today,
            last_day=today + timedelta(days=60),
            now=now + timedelta(minutes=i),
            limit=20,
        )
        elapsed = (time.perf_counter() - started) * 1000
        assert len(slots) == 20, len(slots)
        if i >= 10:  # the first few warm the caches
            timings.append(elapsed)
    return timings


def time_calendar(today, locations) -> tuple[float, int]:
    """The staff calendar's day view for a location where all 30 providers work a full day."""
    from django.contrib.auth import get_user_model
    from django.test.utils import setup_test_environment

    from glabella.demo import schedule
    from glabella.patients.models import Patient
    from glabella.scheduling.models import WeeklyHours

    first = locations[0]
    busy = bench_location(first.organisation, "Bench calendar", "bench-calendar")
    day = today + timedelta(days=75)  # past the booked weeks, so nobody is elsewhere that day
    while day.weekday() > 4:
        day += timedelta(days=1)
    providers = [
        s for loc in locations for s in loc.staff.filter(user__username__endswith="bench.test")
    ]
    busy.staff.add(*providers)
    WeeklyHours.objects.bulk_create(
        WeeklyHours(
            staff=p, location=busy, weekday=day.weekday(), starts=clock(8, 30), ends=clock(17)
        )
        for p in providers
    )
    mix = schedule.service_mix(busy, {"bench-consultation": 0.7, "bench-review": 0.3})
    made = schedule.save(
        schedule.generate(
            busy,
            mix,
            list(Patient.objects.values_list("pk", flat=True)[:5000]),
            first_day=day,
            last_day=day,
            today=today,
            rng=random.Random("calendar"),
            step=timedelta(minutes=30),
            fill=1.0,
            future_days=10_000,
        )
    )
    setup_test_environment()  # lets the test client talk to the app in-process
    client = staff_client(get_user_model().objects.get(username="desk@demo.glabella.test"))
    url = f"/staff/calendar/?location=bench-calendar&day={day}"
    timings = []
    for i in range(25):
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200
        if i >= 5:
            timings.append(elapsed)
    return statistics.median(timings), made


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clear_for_treatment(patients) -> None:
    """Each patient answers the questionnaire and the medical director signs a decision that
    allows a treatment: without one, a neuromodulator booking is refused (issue 4)."""
    from glabella.core.access import actor_for
    from glabella.core.models import StaffMember
    from glabella.screening import decisions, intake, rules

    director = StaffMember.objects.get(user__username="director@demo.glabella.test")
    actor = actor_for(director.user)
    answers = {
        "answers": dict.fromkeys((q.value for q in rules.Question), False),
        "allergies": [],
        "medications": [],
        "conditions": [],
        "recent_toxin": [],
        "concerns": [],
        "notes": "",
    }
    t0 = time.monotonic()
    line = [{"product": "daxxify", "area": "glabellar", "allowed": True}]
    for patient in patients:
        intake.submit_intake(actor, patient, answers, via="staff")
        decisions.sign_decision(actor, patient, line)
    print(f"  {len(patients):,} patients screened and cleared in {time.monotonic() - t0:.0f} s")


def book_over_http(database_url: str, locations, service, today, now) -> tuple[float, float, dict]:
    from django.contrib.auth import get_user_model

    from glabella.core.models import StaffMember
    from glabella.patients.models import Patient
    from glabella.scheduling.search import search_slots

    desk = get_user_model().objects.get(username="desk@demo.glabella.test")
    from glabella.core import tokens
    from glabella.core.access import system_actor

    _, token = tokens.issue(
        system_actor("bench"), desk.staff, "bench", tokens.scope_for(desk.staff, "write"), 1
    )
    # Candidate times: each location's free times (the engine has picked a provider and
    # checked a room for each), on the half hour like the history, so no two overlap.
    candidates = []
    for loc in locations:
        for slot in search_slots(
            service,
            [loc],
            first_day=today + timedelta(days=1),
            last_day=today + timedelta(days=60),
            now=now,
            limit=1000,
            online=False,
        ):
            if slot.start.minute % 30 == 0:
                provider = StaffMember.objects.get(pk=slot.provider_id)
                candidates.append((loc.slug, slot.start, provider.public_id))
    random.Random(7).shuffle(candidates)
    chosen = list(Patient.objects.order_by("?")[:1500])
    clear_for_treatment(chosen)
    patients = [p.public_id for p in chosen]
    work: queue.Queue = queue.Queue()
    for i, (slug, start, provider) in enumerate(candidates):
        work.put(
            {
                "service": service.slug,
                "location": slug,
                "start": start.isoformat(),
                "patient": str(patients[i % len(patients)]),
                "provider": str(provider),
            }
        )
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "glabella.settings",
    }
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "glabella", "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        latencies: list[float] = []
        outcomes: dict[int, int] = {}
        booked = [0]
        lock = threading.Lock()

        def client():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            while True:
                with lock:
                    if booked[0] >= BOOKINGS:
                        return
                try:
                    body = work.get_nowait()
                except queue.Empty:
                    return
                started = time.perf_counter()
                conn.request("POST", "/api/v1/scheduling/appointments", json.dumps(body), headers)
                response = conn.getresponse()
                response.read()
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    outcomes[response.status] = outcomes.get(response.status, 0) + 1
                    if response.status == 201:
                        booked[0] += 1

        threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    return booked[0] / wall, percentile(latencies, 99), outcomes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--skip-tenfold", action="store_true")
    parser.add_argument("--skip-booking", action="store_true")
    args = parser.parse_args()

    database_url = fresh_database(args.database, args.postgres_url, "glabella_bench_availability")
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "glabella.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from glabella.demo.patients import load_patients
    from glabella.patients.models import Patient
    from glabella.scheduling.models import Appointment

    call_command("migrate", verbosity=0)
    t0 = time.monotonic()
    locations, services = build_clinic()
    now = timezone.now()
    today = now.astimezone(locations_zone()).date()
    load_patients(PATIENTS, 42, today, locations[0])
    patient_ids = list(Patient.objects.values_list("pk", flat=True))
    made = load_history(locations, today, patient_ids)
    settle(connection)
    print(
        f"{args.database}: {LOCATIONS} locations, {PROVIDERS} providers, {ROOMS} rooms, "
        f"{len(patient_ids):,} patients, {made:,} appointments in {time.monotonic() - t0:.0f} s"
    )
    treatment = services["bench-treatment"]
    first = time_searches(treatment, locations, now, today)
    print(
        f"  1x: first 20 free slots, 60 days, any provider, 3 locations: p50 "
        f"{statistics.median(first):.1f} ms, p95 {percentile(first, 95):.1f} ms, "
        f"max {max(first):.1f} ms ({SEARCHES} searches)"
    )
    tenfold = None
    if not args.skip_tenfold:
        t1 = time.monotonic()
        added = grow_history_tenfold(today)
        settle(connection)
        total = Appointment.objects.count()
        seconds = time.monotonic() - t1
        print(f"  history grown to {total:,} appointments (+{added:,}) in {seconds:.0f} s")
        tenfold = time_searches(treatment, locations, now, today)
        print(
            f"  10x: p50 {statistics.median(tenfold):.1f} ms, p95 {percentile(tenfold, 95):.1f} ms,"
            f" max {max(tenfold):.1f} ms; ratio of medians "
            f"{statistics.median(tenfold) / statistics.median(first):.2f}"
        )
    calendar_ms, shown = time_calendar(today, locations)
    print(
        f"  staff calendar, one day, 30 providers, {shown} appointments: p50 {calendar_ms:.0f} ms"
    )
    rate = p99 = None
    if not args.skip_booking:
        connection.close()
        rate, p99, outcomes = book_over_http(database_url, locations, treatment, today, now)
        print(f"  booking over HTTP, {CLIENTS} clients: {rate:.1f}/s, p99 {p99:.0f} ms, {outcomes}")
    a = f"{statistics.median(first):.1f}"
    b = f"{statistics.median(tenfold):.1f}" if tenfold else "n/a"
    r = f"{rate:.1f}" if rate is not None else "n/a"
    lat = f"{p99:.0f}" if p99 is not None else "n/a"
    print(f"availability p50 {a} ms at 1x, {b} ms at 10x; booking {r}/s p99 {lat} ms")


if __name__ == "__main__":
    main()
