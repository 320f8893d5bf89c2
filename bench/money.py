"""Benchmark: the money pages' reads on the demo clinic with years of paid history.

    .venv/bin/python bench/money.py [--database sqlite|postgres] [--patients 3000] [--years 2]

Builds its own database (`glabella_bench_money`), fresh each run, with the demo clinic's
`demo-data` (the synthetic patients, their visits, charted treatments with their draws from the
vials, and a paid invoice for each, as `make run` lays them down, only longer). Then times, on
the clinic's clock, what the owner and the desk read most:

- the revenue report by product over the last 31 days and the last 366 days;
- the reconciliation of units billed, charted and drawn over the last 31 days (the longest it
  allows);
- the day's takings by method, for a day in the history;
- the checkout list of the day, and one invoice's page (lines, payments, refunds, balance).

Each is run 25 times after 3 to warm up. The last line:
money <report> p50 <a> ms, p95 <b> ms at <invoices> invoices (<database>), one per report.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import fresh_database, percentile  # noqa: E402

RUNS = 25
WARM = 3


def timed(work) -> tuple[float, float]:
    found = []
    for n in range(RUNS + WARM):
        began = time.perf_counter()
        work()
        if n >= WARM:
            found.append((time.perf_counter() - began) * 1000)
    return statistics.median(found), percentile(found, 95)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--patients", type=int, default=3000)
    parser.add_argument("--years", type=int, default=2)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = fresh_database(
        args.database, args.postgres_url, "glabella_bench_money"
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "glabella.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from glabella.billing import close, desk, reports
    from glabella.billing.models import Invoice, InvoiceLine, Payment
    from glabella.clinic.clock import local_today
    from glabella.clinic.models import Location
    from glabella.core.access import actor_for
    from glabella.core.models import StaffMember
    from glabella.demo.clinic import DEMO_DOMAIN

    call_command("migrate", verbosity=0)
    started = time.monotonic()
    call_command(
        "demo-data",
        "--patients",
        str(args.patients),
        "--history-years",
        str(args.years),
        "--quiet-logins",
        stdout=StringIO(),
    )
    invoices = Invoice.objects.count()
    print(
        f"{args.database}: demo clinic with {args.patients:,} patients and {args.years} years: "
        f"{invoices:,} invoices, {InvoiceLine.objects.count():,} lines, "
        f"{Payment.objects.count():,} payments, laid down in {time.monotonic() - started:.0f} s"
    )
    location = Location.objects.order_by("id").first()
    owner = actor_for(StaffMember.objects.get(user__username=f"owner@{DEMO_DOMAIN}").user)
    front = actor_for(StaffMember.objects.get(user__username=f"desk@{DEMO_DOMAIN}").user)
    today = local_today(location, timezone.now())
    month = reports.Period(today - timedelta(days=30), today)
    year = reports.Period(today - timedelta(days=365), today)
    busy = (
        Invoice.objects.filter(status=Invoice.Status.FINALIZED, treatment__isnull=False)
        .order_by("-finalized_at")
        .first()
    )
    busy_day = busy.finalized_at.astimezone(location.zone).date()
    work = {
        "revenue by product, 31 days": lambda: reports.revenue(owner, "product", month, location),
        "revenue by product, 366 days": lambda: reports.revenue(owner, "product", year, location),
        "revenue by month, 366 days": lambda: reports.revenue(owner, "month", year, location),
        "reconciliation, 31 days": lambda: reports.reconciliation(owner, location, month),
        "takings of a day": lambda: close.takings(location, busy_day),
        "checkout list": lambda: desk.checkout_list(front, location, today),
        "an invoice's page": lambda: desk.read_invoice(front, busy),
    }
    for name, run in work.items():
        p50, p95 = timed(run)
        print(
            f"money {name} p50 {p50:.1f} ms, p95 {p95:.1f} ms at {invoices:,} invoices "
            f"({args.database})"
        )


if __name__ == "__main__":
    main()
