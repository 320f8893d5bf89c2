"""Benchmark: the FHIR API on the demo clinic (issue 22): a page of each resource type, one read,
and a Bulk export of the whole clinic.

    .venv/bin/python bench/fhir.py [--database sqlite|postgres] [--patients 300] [--reuse]

Builds its own database (`glabella_bench_fhir`, fresh, migrated, the demo clinic with its two
years of history), then, as the medical director's read token: for each registered type a
search page of 100 (`_count=100`) and a read of its first resource, 10 runs after 2 to warm up,
through the whole stack (token, access door, access log, JSON). Types that need search
parameters (Slot) are searched for one location's week. Then the system-level Bulk export is
kicked off and its worker task run, timed once, with the lines and bytes it wrote.
The lines: fhir <Type> page p50 <a> ms, p95 <b> ms (<n> of <total>); read p50 <c> ms.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import fresh_database, percentile  # noqa: E402

RUNS = 10
WARM = 2


def timed(call) -> tuple[float, float, object]:
    times, last = [], None
    for i in range(WARM + RUNS):
        start = time.perf_counter()
        last = call()
        if i >= WARM:
            times.append((time.perf_counter() - start) * 1000)
    return percentile(times, 50), percentile(times, 95), last


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--reuse", action="store_true", help="keep the last run's database")
    args = parser.parse_args()
    if args.reuse and args.database == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'glabella_bench_fhir.sqlite3'}"
    elif args.reuse:
        os.environ["DATABASE_URL"] = args.pg_url.rsplit("/", 1)[0] + "/glabella_bench_fhir"
    else:
        os.environ["DATABASE_URL"] = fresh_database(
            args.database, args.pg_url, "glabella_bench_fhir"
        )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "glabella.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host, without touching the database
    call_command("migrate", verbosity=0)
    if not args.reuse:
        start = time.perf_counter()
        call_command("demo-data", patients=args.patients, seed=1, quiet_logins=True, verbosity=0)
        took = time.perf_counter() - start
        print(f"demo clinic with {args.patients} patients built in {took:.0f} s")

    from glabella.core import tokens
    from glabella.core.access import system_actor
    from glabella.core.models import StaffMember
    from glabella.fhir import registry

    director = StaffMember.objects.filter(role="medical_director").first()
    raw = tokens.issue(
        system_actor("bench"), director, "bench", tokens.scope_for(director, tokens.READ), None
    )[1]
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    needs = extra_search_parameters()
    for name in registry.names():
        if not registry.get(name).searchable:
            continue  # read by id only (Binary: the files behind attachments)
        params = {"_count": "100", **needs.get(name, {})}

        def page(name=name, params=params):
            response = client.get(f"/fhir/R4/{name}", params)
            assert response.status_code == 200, (name, response.content[:300])
            return response.json()

        p50, p95, body = timed(page)
        line = f"fhir {name} page p50 {p50:.0f} ms, p95 {p95:.0f} ms "
        line += f"({len(body.get('entry', []))} of {body.get('total')})"
        if body.get("entry"):
            first = body["entry"][0]["resource"]["id"]
            r50, _, _ = timed(lambda name=name, first=first: client.get(f"/fhir/R4/{name}/{first}"))
            line += f"; read p50 {r50:.0f} ms"
        print(line)
    bulk_export(client)


def extra_search_parameters() -> dict[str, dict]:
    """The searches a type requires (a Slot search names a location and a week from tomorrow)."""
    from datetime import timedelta

    from django.utils import timezone

    from glabella.clinic.models import Location

    location = Location.objects.filter(active=True).order_by("id").first()
    start = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    return {
        "Slot": {
            "location": f"Location/{location.public_id}",
            "start": [f"ge{start.isoformat()}", f"lt{(start + timedelta(days=7)).isoformat()}"],
        }
    }


def bulk_export(client) -> None:
    """The system export, kicked off through the API and run as the worker runs it."""
    from glabella.fhir import bulk
    from glabella.fhir.models import BulkExport

    response = client.get("/fhir/R4/$export", headers={"Prefer": "respond-async"})
    assert response.status_code == 202, response.content[:300]
    job = BulkExport.objects.get(public_id=response["Content-Location"].rsplit("/", 1)[1])
    start = time.perf_counter()
    assert bulk.export_task.call(job.pk) == "complete"
    took = time.perf_counter() - start
    status = "/fhir/R4/" + response["Content-Location"].split("/fhir/R4/", 1)[1]
    outputs = client.get(status).json()["output"]
    lines = sum(o["count"] for o in outputs)
    size = sum(len(f.data) for f in job.files.all())
    print(
        f"fhir bulk export of the whole clinic {took:.1f} s: {lines:,} resources in "
        f"{len(outputs)} files, {size / 2**20:.1f} MB"
    )


if __name__ == "__main__":
    main()
