"""Load test at chain scale (issue 23): the whole stack under a mix of clinic traffic, on loopback.

    .venv/bin/python bench/load.py [--scale 1] [--reuse] [--users 24] [--seconds 180]
        [--requests 60000] [--kill-worker] [--database glabella_load] [--build-only]
        [--pg-url postgres://postgres@127.0.0.1:5432/postgres]

Builds (or with --reuse, keeps) the chain in its own PostgreSQL database `glabella_load`
(bench/load_data.py: at --scale 1, 100 locations, 1,000 providers, 1,000,000 patients and
3,000,000 appointments), then starts gunicorn with 4 workers and 2 task workers and runs locust
headless against them (one process, bench/load_users.py), bounded in users, seconds and
requests, on 127.0.0.1 only. The traffic, by user class:
  - public visitor: the free times of a service at a location (JSON API and the booking page's
    week), then a real booking through the public page's form (CSRF and all);
  - front desk: a location's day of appointments, a patient search, and checkout (open an
    invoice for a visit, add its service, take the payment, which finalizes it);
  - injector: charting (check in a neuromodulator visit, start its record, save the draft,
    check the plan against the dose guard).
With --kill-worker, one task worker is killed (SIGKILL) half way through the run.
Afterwards: a table per route (requests, req/s, p50, p95, p99, failures), and the checks:
no unexpected error, no double booking (SQL over every live appointment), and no lost message
(every booking made during the run has one confirmation, and every message written during the
run and due is sent once the workers drain, a dead worker's claims retaken after
MESSAGE_CLAIM_TIMEOUT_SECONDS, set to 60 here).
"""

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DB_NAME = "glabella_load"


def setup_database(args) -> str:
    """The chain's database, built unless --reuse finds it already there: its URL."""
    import psycopg
    from common import fresh_database

    url = args.pg_url.rsplit("/", 1)[0] + f"/{args.database}"
    with psycopg.connect(args.pg_url) as conn:
        there = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [args.database])
        exists = there.fetchone() is not None
    if not (args.reuse and exists):
        url = fresh_database("postgres", args.pg_url, args.database)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "glabella.settings")
    import django

    django.setup()
    import load_data
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    wanted = load_data.Size.at(args.scale)
    found = load_data.present()
    if found is None:
        print(f"building the chain: {wanted}", flush=True)
        start = time.perf_counter()
        took = load_data.build(wanted, log=lambda line: print(line, flush=True))
        total = time.perf_counter() - start
        parts = ", ".join(f"{k} {v:.0f} s" for k, v in took.items())
        print(f"chain built in {total:.0f} s ({parts})", flush=True)
    else:
        print(f"reusing the chain in {args.database}: {found}", flush=True)
    return url


def pools() -> dict:
    """What the users work on: tokens for the desk and the injector, every location with its
    ZIP code, today's neuromodulator visits not yet charted and today's consultations not yet
    billed (each used once), and what the desk types into the patient search."""
    import load_data
    from django.db import connection

    from glabella.clinic.models import Location
    from glabella.core import tokens
    from glabella.core.access import system_actor
    from glabella.core.models import StaffMember
    from glabella.demo.clinic import DEMO_DOMAIN

    def token(email: str, preset: str) -> str:
        staff = StaffMember.objects.get(user__username=email)
        return tokens.issue(
            system_actor("load test"), staff, "load test", tokens.scope_for(staff, preset), None
        )[1]

    locations = list(Location.objects.filter(active=True).order_by("slug"))
    # Today at each location, on its own clock (the range first, so the index is used).
    today_sql = (
        "a.starts_at BETWEEN now() - interval '1 day' AND now() + interval '1 day' AND "
        "(a.starts_at AT TIME ZONE l.time_zone)::date = (now() AT TIME ZONE l.time_zone)::date"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.public_id::text FROM scheduling_appointment a "
            "JOIN clinic_location l ON l.id = a.location_id "
            "JOIN clinic_service s ON s.id = a.service_id "
            f"WHERE {today_sql} AND a.status = 'booked' AND s.slug = 'neuromodulator' "
            "AND NOT EXISTS (SELECT 1 FROM treatments_treatmentrecord r "
            "WHERE r.appointment_id = a.id)"
        )
        charting = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT a.public_id::text, p.public_id::text, l.slug, s.slug "
            "FROM scheduling_appointment a JOIN clinic_location l ON l.id = a.location_id "
            "JOIN clinic_service s ON s.id = a.service_id "
            "JOIN patients_patient p ON p.id = a.patient_id "
            f"WHERE {today_sql} AND a.status = 'booked' AND s.slug = 'consultation' "
            "AND NOT EXISTS (SELECT 1 FROM billing_invoice i WHERE i.appointment_id = a.id)"
        )
        checkout = [
            {"id": a, "patient": p, "location": loc, "service": svc}
            for a, p, loc, svc in cursor.fetchall()
        ]
    random.seed(23)
    random.shuffle(charting)
    random.shuffle(checkout)
    searches = []
    for _ in range(400):
        given, family = random.choice(load_data.GIVEN), random.choice(load_data.FAMILY)
        searches.append(
            random.choice(
                [
                    f"{given} {family}",
                    f"{family[:4]}",
                    f"{given[:3]} {family[:3]}",
                    f"805{2000000 + random.randrange(10**6)}",
                    f"{family}, {given}",
                ]
            )
        )
    demo_zone = Location.objects.get(slug="thousand-oaks").zone
    return {
        "today": str(datetime.now(demo_zone).date()),
        "online_service": "consultation",
        "locations": [loc.slug for loc in locations],
        "zip": {loc.slug: loc.postal_code for loc in locations},
        "tokens": {
            "desk": token(f"desk@{DEMO_DOMAIN}", tokens.WRITE),
            "injector": token(f"injector@{DEMO_DOMAIN}", tokens.WRITE),
        },
        "charting": charting,
        "checkout": checkout,
        "searches": searches,
    }


def server_env(url: str) -> dict:
    """The web and task processes' settings: production-like (DEBUG off), cookies over plain
    HTTP (loopback), and the per-address limits of the public pages raised, since every visitor
    of the test comes from 127.0.0.1 (with them, the test would measure the 429 answers)."""
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "0",
        "SECRET_KEY": "load-test-" + "x" * 40,
        "SECURE_COOKIES": "0",
        "THROTTLE_PUBLIC_API": "1000000/60",
        "THROTTLE_EMAIL": "1000000/600",
        "THROTTLE_ADDRESS": "1000000/600",
        # A message claimed by a killed worker is retaken after a minute, not five.
        "MESSAGE_CLAIM_TIMEOUT_SECONDS": "60",
        "PYTHONUNBUFFERED": "1",
    }


def worker_name(n: int) -> str:
    """A task worker's name, new each run (a killed worker's task rows keep its name)."""
    return f"load-{os.getpid()}-{n}"


def start_servers(args, url: str) -> tuple[subprocess.Popen, list[subprocess.Popen]]:
    env = server_env(url)
    logs = ROOT / "var"
    # DEBUG off serves the hashed static files from the manifest, as in production.
    subprocess.run(
        [sys.executable, "-m", "glabella", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    web = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "glabella.wsgi",
            "-w",
            str(args.web_workers),
            "-b",
            f"127.0.0.1:{args.port}",
            "--access-logfile",
            "-",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env=env,
        stdout=open(logs / "load_gunicorn.log", "w"),  # noqa: SIM115 - open while it runs
        stderr=subprocess.STDOUT,
    )
    workers = [
        subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "glabella", "worker", "--worker-id", worker_name(n)],
            cwd=ROOT,
            env=env,
            stdout=open(logs / f"load_worker_{n}.log", "w"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        for n in range(args.task_workers)
    ]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{args.port}/", timeout=5) as r:
                if r.status == 200:
                    return web, workers
        except OSError:
            time.sleep(1)
    stop([web, *workers])
    raise SystemExit("gunicorn did not answer 200 within two minutes: see var/load_gunicorn.log")


def stop(processes) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def run_locust(args, pool_file: Path, result_file: Path, workers) -> tuple[float, float]:
    """Locust headless against the server, one task worker killed half way with
    --kill-worker; (seconds run, what the killed worker held or None)."""
    env = {
        **os.environ,
        "LOAD_POOL": str(pool_file),
        "LOAD_RESULT": str(result_file),
        "LOAD_MAX_REQUESTS": str(args.requests),
    }
    command = [
        str(Path(sys.executable).parent / "locust"),
        "-f",
        str(ROOT / "bench" / "load_users.py"),
        "--headless",
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        f"{args.seconds}s",
        "--host",
        f"http://127.0.0.1:{args.port}",
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    start = time.monotonic()
    log = open(ROOT / "var" / "load_locust.log", "w")  # noqa: SIM115 - open while it runs
    locust = subprocess.Popen(  # noqa: S603
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    killed_at, held = None, None
    if args.kill_worker:
        try:
            locust.wait(timeout=args.seconds / 2)
        except subprocess.TimeoutExpired:
            held = kill_mid_task(workers[0], worker_name(0))
            killed_at = time.monotonic() - start
            print(f"killed task worker {worker_name(0)} (SIGKILL) at {killed_at:.0f} s: {held}")
    locust.wait()
    return time.monotonic() - start, held


def kill_mid_task(worker: subprocess.Popen, name: str, patience: float = 30) -> dict:
    """SIGKILL for `worker` while it runs a task (or after `patience` seconds): what it held
    then (its running tasks, and the messages they deliver or it had claimed) is what the other
    worker must take over."""
    from django.db import connection

    held_sql = (
        "SELECT t.task_path, t.args_kwargs FROM django_tasks_database_dbtaskresult t "
        "WHERE t.status = 'RUNNING' AND t.worker_ids @> %s::jsonb"
    )
    deadline = time.monotonic() + patience
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(held_sql, [json.dumps([name])])
            if cursor.fetchone():
                break
            time.sleep(0.01)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        cursor.execute(held_sql, [json.dumps([name])])
        tasks = cursor.fetchall()
        cursor.execute(
            "SELECT id FROM messaging_message WHERE status = 'sending' AND claimed_by = %s", [name]
        )
        claimed = [row[0] for row in cursor.fetchall()]
    connection.close()
    delivered = [
        json.loads(args)["args"][0] if isinstance(args, str) else args["args"][0]
        for path, args in tasks
        if path.endswith(".deliver")
    ]
    return {
        "tasks": [path.rsplit(".", 1)[1] for path, _ in tasks],
        "messages": sorted(set(delivered + claimed)),
    }


def held_fate(held: dict) -> str:
    """What became of the messages the killed worker held."""
    from glabella.messaging.models import Message

    rows = Message.objects.filter(pk__in=held["messages"]).values_list(
        "pk", "topic", "status", "claimed_by", "attempts"
    )
    return "; ".join(
        f"message {pk} ({topic}) {status} by {by}, attempt {n}" for pk, topic, status, by, n in rows
    )


def due_messages(run_start):
    """Messages written since `run_start` and due by now (reminders for later are not)."""
    from django.utils import timezone

    from glabella.messaging.models import Message

    return Message.objects.filter(created_at__gte=run_start, due_at__lte=timezone.now())


def drain(run_start, timeout: float) -> float:
    """Waits until every message written since `run_start` and due is in a final state (sent,
    failed or canceled), retries and retaken claims included; the seconds waited."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if not due_messages(run_start).exclude(status__in=["sent", "failed", "cancelled"]).exists():
            break
        time.sleep(2)
    return time.monotonic() - start


def checks(run_start) -> dict:
    """Double bookings (per provider, room and patient, over every live appointment), and the
    confirmation of every booking made since `run_start`: there, once, and sent."""
    from django.db import connection

    live = "status NOT IN ('cancelled_by_patient', 'cancelled_by_clinic')"

    def overlaps(key: str, start: str, end: str) -> int:
        # Each live appointment against the latest end of those before it (same key, in start
        # order): an overlap is a start before that end.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM (SELECT {start} AS s, max({end}) OVER (PARTITION BY {key} "
                f"ORDER BY {start}, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS e "
                f"FROM scheduling_appointment WHERE {live} AND {key} IS NOT NULL) x WHERE e > s"
            )
            return cursor.fetchone()[0]

    found = {
        "double bookings (provider)": overlaps("provider_id", "blocked_from", "blocked_until"),
        "double bookings (room)": overlaps("room_id", "blocked_from", "blocked_until"),
        "double bookings (patient)": overlaps("patient_id", "starts_at", "ends_at"),
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE m.n IS NULL), count(*) FILTER (WHERE m.n > 1) "
            "FROM scheduling_appointment a LEFT JOIN ("
            "  SELECT about, count(*) AS n FROM messaging_message "
            "  WHERE topic = 'confirmation' AND created_at >= %s GROUP BY about"
            ") m ON m.about = 'appointment:' || a.public_id::text "
            "WHERE a.booked_at >= %s AND a.source = 'online'",
            [run_start, run_start],
        )
        booked, missing, doubled = cursor.fetchone()
    due = due_messages(run_start)
    found.update(
        {
            "bookings made in the run": booked,
            "confirmations missing": missing,
            "confirmations written twice": doubled,
            "messages written in the run and due": due.count(),
            "of which not sent": due.exclude(status="sent").count(),
            "of which sent on a second attempt (claim retaken)": due.filter(attempts__gt=1).count(),
        }
    )
    return found


def report(seconds: float, result: dict, found: dict, drained: float, held) -> bool:
    """Prints the table and the checks; whether every check passed."""
    print()
    if held is not None:
        print(
            f"one task worker of two killed (SIGKILL) half way through, running "
            f"{held['tasks'] or 'no task'}; the messages it held: {held_fate(held) or 'none'}"
        )
    head = (
        f"{'route':<58} {'requests':>8} {'req/s':>6} {'p50':>5} {'p95':>5} {'p99':>5} {'fail':>4}"
    )
    print(head)
    for row in result["routes"]:
        print(
            f"{row['name'][:58]:<58} {row['requests']:>8} {row['rps']:>6.1f} {row['p50']:>5.0f} "
            f"{row['p95']:>5.0f} {row['p99']:>5.0f} {row['failures']:>4}"
        )
    print("(times in ms, as locust rounds them)")
    failures = result["routes"][-1]["failures"]
    for error in result["errors"]:
        print(f"  failed {error['count']} times: {error['route']}: {error['error'][:200]}")
    print()
    print(f"run {seconds:.0f} s; failures (unexpected answers): {failures}")
    print(
        f"bookings made: {result['bookings']}; times taken between the page and the click "
        f"(409 'just taken', expected, not failures): {result['taken']}"
    )
    print(
        f"visits left to chart/bill: {result['left']}; tasks skipped for an empty pool: "
        f"{result['pool_empty']}"
    )
    for name, value in found.items():
        print(f"{name}: {value}")
    print(f"messages drained {drained:.0f} s after the run")
    lost = found["confirmations missing"] + found["of which not sent"]
    doubles = sum(v for k, v in found.items() if k.startswith("double bookings"))
    ok = failures == 0 and doubles == 0 and lost == 0 and found["confirmations written twice"] == 0
    print(f"checks: {'PASS' if ok else 'FAIL'} (0 errors, 0 double bookings, 0 lost messages)")
    return ok


def load_average() -> str:
    """The machine's load over 1, 5 and 15 minutes (what `uptime` shows)."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0, help="1: the full chain")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default=DB_NAME, help="the chain's database name")
    parser.add_argument("--reuse", action="store_true", help="keep the chain already built")
    parser.add_argument("--build-only", action="store_true", help="build the chain, no run")
    parser.add_argument("--users", type=int, default=24)
    parser.add_argument("--spawn-rate", type=float, default=4)
    parser.add_argument("--seconds", type=int, default=180, help="the run's time limit")
    parser.add_argument("--requests", type=int, default=60000, help="the run's request limit")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--task-workers", type=int, default=2)
    parser.add_argument(
        "--kill-worker", action="store_true", help="SIGKILL one task worker mid-run"
    )
    args = parser.parse_args()
    url = setup_database(args)
    if args.build_only:
        return
    from django.db import connection
    from django.utils import timezone

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        print(f"database {args.database}: {cursor.fetchone()[0]}", flush=True)
    pool_file, result_file = ROOT / "var" / "load_pool.json", ROOT / "var" / "load_result.json"
    pool = pools()
    pool_file.write_text(json.dumps(pool))
    print(
        f"pools: {len(pool['charting'])} visits to chart, {len(pool['checkout'])} to bill",
        flush=True,
    )
    web, workers = start_servers(args, url)
    try:
        print(f"load average before the run: {load_average()}", flush=True)
        run_start = timezone.now()
        seconds, held = run_locust(args, pool_file, result_file, workers)
        print(f"load average after the run: {load_average()}", flush=True)
        drained = drain(run_start, timeout=300)
    finally:
        stop([web, *workers])
    connection.close()
    result = json.loads(result_file.read_text())
    ok = report(seconds, result, checks(run_start), drained, held)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
