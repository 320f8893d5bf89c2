"""Benchmark: load N synthetic patients with demo-data, then time patient search.

    .venv/bin/python bench/patient_search.py --database sqlite     [--patients 100000]
    .venv/bin/python bench/patient_search.py --database postgres   [--postgres-url URL]

Uses its own database (var/glabella_bench.sqlite3, or the PostgreSQL database `glabella_bench`),
made fresh each run. Queries are drawn from the loaded patients the way front-desk staff type them:
part of a family name, a full name, a phone number in any format, the last digits of a phone, a date
of birth, an email. Each query goes through the search service (restriction, query, audit row) and,
separately, through the whole staff search page (request, session, template). Prints figures.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import fresh_database, percentile, staff_client  # noqa: E402


def queries_from(patients, rng: random.Random) -> list[tuple[str, str]]:
    out = []
    for p in patients:
        digits = p.phone[2:] if p.phone else ""
        choice = rng.random()
        if choice < 0.30:
            out.append(("family name start", p.family_name[: rng.randint(3, 5)]))
        elif choice < 0.50:
            out.append(("given + family", f"{p.given_name} {p.family_name}"))
        elif choice < 0.65 and digits:
            out.append(("phone", f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"))
        elif choice < 0.75 and digits:
            out.append(("last 4 phone digits", digits[-4:]))
        elif choice < 0.90:
            out.append(("date of birth", p.birth_date.strftime("%m/%d/%Y")))
        else:
            out.append(("email", p.email))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the database of the last run (the load then creates nothing)",
    )
    args = parser.parse_args()

    if args.reuse:
        os.environ["DATABASE_URL"] = (
            f"sqlite:///{ROOT / 'var' / 'glabella_bench.sqlite3'}"
            if args.database == "sqlite"
            else args.postgres_url.rsplit("/", 1)[0] + "/glabella_bench"
        )
    else:
        os.environ["DATABASE_URL"] = fresh_database(
            args.database, args.postgres_url, "glabella_bench"
        )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "glabella.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()  # lets the test client talk to the app in-process
    call_command("migrate", verbosity=0)
    started = time.monotonic()
    with open(os.devnull, "w") as quiet:
        call_command(
            "demo-data", patients=args.patients, seed=args.seed, quiet_logins=True, stdout=quiet
        )
    load_seconds = time.monotonic() - started
    with connection.cursor() as cur:
        cur.execute("ANALYZE")  # fresh statistics, as a production database keeps

    from django.contrib.auth import get_user_model

    from glabella.core.access import actor_for
    from glabella.patients.models import Patient
    from glabella.patients.services import search_patients

    rng = random.Random(args.seed)
    ids = list(Patient.objects.values_list("id", flat=True))
    sample = Patient.objects.filter(id__in=rng.sample(ids, args.queries))
    queries = queries_from(list(sample), rng)
    desk = get_user_model().objects.get(username="desk@demo.glabella.test")
    actor = actor_for(desk, ip="127.0.0.1")

    for _, q in queries[:20]:  # warm caches
        search_patients(actor, q)
    service_ms, by_kind, found = [], {}, 0
    for kind, q in queries:
        t0 = time.perf_counter()
        results = search_patients(actor, q)
        ms = (time.perf_counter() - t0) * 1000
        found += bool(results)
        service_ms.append(ms)
        by_kind.setdefault(kind, []).append(ms)

    client = staff_client(desk)
    page_ms = []
    for _, q in queries:
        t0 = time.perf_counter()
        response = client.get("/staff/patients/", {"q": q}, headers={"hx-request": "true"})
        page_ms.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200

    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
    print(
        f"patients: {Patient.objects.count():,}; demo-data --patients {args.patients:,} took "
        f"{load_seconds:.1f} s"
    )
    print(f"queries: {len(queries)}, {found} found their patient's page of results")
    for kind, values in sorted(by_kind.items()):
        print(
            f"  {kind:22} n={len(values):3}  median {statistics.median(values):6.2f} ms  "
            f"p95 {percentile(values, 95):6.2f} ms"
        )
    print(
        f"search service: median {statistics.median(service_ms):.2f} ms, "
        f"p95 {percentile(service_ms, 95):.2f} ms, max {max(service_ms):.2f} ms"
    )
    print(
        f"search page (HTMX fragment, in-process): median {statistics.median(page_ms):.2f} ms, "
        f"p95 {percentile(page_ms, 95):.2f} ms"
    )
    print(
        f"patient search p50 {statistics.median(service_ms):.1f} ms on {connection.vendor} at "
        f"{args.patients:,} patients; load {load_seconds:.0f} s"
    )


if __name__ == "__main__":
    main()
