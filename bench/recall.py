"""Benchmark: who was treated from a lot, among a million charted points.

    .venv/bin/python bench/recall.py --database sqlite
    .venv/bin/python bench/recall.py --database postgres [--postgres-url URL]

Builds its own database (var/glabella_bench_recall.sqlite3, or the PostgreSQL database
`glabella_bench_recall`), made fresh each run: the clinic, 20,000 patients and two years of
appointments of bench/availability.py; then a signed treatment record for every completed
treatment appointment, with enough points each (glabellar and crow's feet, 4 U) to pass
1,000,000 points, every point drawn from a vial (one stock movement per point), three records
to a 100 U vial, 50 vials to a lot. The rows are laid down with SQL in bulk, in the shape the
charting service writes them.

Then `treatments.recall.recall(lot)` (the query and the grouping per record) is timed for
random lots. The last line: recall p50 <a> ms, p95 <b> ms over <n> lots at <points> points.
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

from common import fresh_database, percentile  # noqa: E402

TARGET_POINTS = 1_000_000
RECORDS_PER_VIAL = 3
VIALS_PER_LOT = 50
RUNS = 60


def lay_down_treatments(connection) -> tuple[int, int, list[int]]:
    """Records, movements and points for every completed treatment appointment. Returns
    (records, points, lot ids)."""
    from datetime import date, timedelta
    from decimal import Decimal

    from glabella.clinic.models import Location
    from glabella.core.models import StaffMember
    from glabella.inventory.models import Lot, Vial
    from glabella.scheduling.models import Appointment

    treated = Appointment.objects.filter(service__kind="neuromodulator", status="completed")
    records = treated.count()
    per_record = -(-TARGET_POINTS // records)  # enough points to pass the target
    vials = -(-records // RECORDS_PER_VIAL)
    lots_needed = -(-vials // VIALS_PER_LOT)
    location = Location.objects.order_by("id").first()
    staff = StaffMember.objects.filter(role="injector").first()
    lots = Lot.objects.bulk_create(
        Lot(
            location=location,
            product="botox_cosmetic",
            lot_number=f"B{n:06d}",
            expires_on=date.today() + timedelta(days=365),
            vial_units=100,
            vials_received=VIALS_PER_LOT,
            supplier="Bench supplier",
            received_on=date.today() - timedelta(days=700),
            received_by=staff,
            seal_checked=True,
            licence_checked=True,
        )
        for n in range(lots_needed)
    )
    Vial.objects.bulk_create(
        (
            Vial(
                lot=lot,
                number=n + 1,
                state="used_up",
                units_total=Decimal(100),
                units_left=Decimal(0),
            )
            for lot in lots
            for n in range(VIALS_PER_LOT)
        ),
        batch_size=5000,
    )
    first_vial = Vial.objects.order_by("id").values_list("id", flat=True).first()
    vendor = connection.vendor
    uuid = "gen_random_uuid()" if vendor == "postgresql" else "lower(hex(randomblob(16)))"
    empty_list, empty_map = (
        ("'[]'::jsonb", "'{}'::jsonb")
        if vendor == "postgresql"
        else (
            "'[]'",
            "'{}'",
        )
    )
    ks = " UNION ALL ".join(f"SELECT {k} AS k" for k in range(per_record))
    area = (
        "CASE WHEN k.k < 5 THEN 'glabellar' WHEN k.k % 2 = 1 THEN 'lateral_canthal_left' "
        "ELSE 'lateral_canthal_right' END"
    )
    # Every name and number in the SQL below is this script's own; nothing comes from input.
    with connection.cursor() as cur:
        cur.execute(
            f"""
            INSERT INTO treatments_treatmentrecord (public_id, appointment_id, patient_id,
                injector_id, product, notes_before, notes_after, status, created_at, guard,
                reasons)
            SELECT {uuid}, a.id, a.patient_id, a.provider_id, 'botox_cosmetic', '', '', 'draft',
                a.starts_at, {empty_list}, {empty_map}
            FROM scheduling_appointment a JOIN clinic_service s ON s.id = a.service_id
            WHERE s.kind = 'neuromodulator' AND a.status = 'completed'
            ORDER BY a.starts_at, a.id
            """
        )
        cur.execute("SELECT min(id) FROM treatments_treatmentrecord")
        first_record = cur.fetchone()[0]
        cur.execute(
            "UPDATE treatments_treatmentrecord SET vial_id = %s + (id - %s) / %s",
            [first_vial, first_record, RECORDS_PER_VIAL],
        )
        cur.execute(
            f"""
            INSERT INTO inventory_movement (id, vial_id, kind, units, balance_after, at,
                patient_id, reason)
            SELECT r.id * 64 + k.k, r.vial_id, 'draw', 4, 0, r.created_at, r.patient_id, ''
            FROM treatments_treatmentrecord r CROSS JOIN ({ks}) k
            """
        )
        cur.execute(
            f"""
            INSERT INTO treatments_injectionpoint (id, record_id, area, x, y, units, depth,
                movement_id)
            SELECT r.id * 64 + k.k, r.id, {area}, 0.5, 0.3, 4, '', r.id * 64 + k.k
            FROM treatments_treatmentrecord r CROSS JOIN ({ks}) k
            """
        )
        cur.execute(
            "UPDATE treatments_treatmentrecord SET status = 'locked', locked_at = created_at"
        )
        if vendor == "postgresql":
            for table in ("inventory_movement", "treatments_injectionpoint"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
        cur.execute("SELECT count(*) FROM treatments_injectionpoint")
        points = cur.fetchone()[0]
    return records, points, [lot.pk for lot in lots]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    database_url = fresh_database(args.database, args.postgres_url, "glabella_bench_recall")
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "glabella.settings")
    import django

    django.setup()
    from availability import PATIENTS, build_clinic, load_history, locations_zone, settle
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from glabella.demo.patients import load_patients
    from glabella.inventory.models import Lot
    from glabella.patients.models import Patient
    from glabella.treatments.recall import recall

    call_command("migrate", verbosity=0)
    t0 = time.monotonic()
    locations, _ = build_clinic()
    today = timezone.now().astimezone(locations_zone()).date()
    load_patients(PATIENTS, 42, today, locations[0])
    patient_ids = list(Patient.objects.values_list("pk", flat=True))
    appointments = load_history(locations, today, patient_ids)
    t1 = time.monotonic()
    records, points, lot_ids = lay_down_treatments(connection)
    settle(connection)
    print(
        f"{args.database}: {appointments:,} appointments in {t1 - t0:.0f} s; {records:,} signed "
        f"records, {points:,} points and movements, {len(lot_ids):,} lots in "
        f"{time.monotonic() - t1:.0f} s"
    )
    rng = random.Random(5)
    timings, sizes = [], []
    for lot_id in rng.sample(lot_ids, min(len(lot_ids), RUNS + 5)):
        lot = Lot.objects.get(pk=lot_id)
        started = time.perf_counter()
        treated = recall(lot)
        timings.append((time.perf_counter() - started) * 1000)
        sizes.append((len(treated), sum(len(t.areas) for t in treated)))
    timings = timings[5:]  # the first few warm the caches
    patients = statistics.median(s[0] for s in sizes)
    print(
        f"  recall of one lot ({patients:.0f} treatments, {VIALS_PER_LOT} vials): "
        f"p50 {statistics.median(timings):.1f} ms, p95 {percentile(timings, 95):.1f} ms, "
        f"max {max(timings):.1f} ms ({len(timings)} lots)"
    )
    print(
        f"recall p50 {statistics.median(timings):.1f} ms, p95 {percentile(timings, 95):.1f} ms "
        f"over {len(timings)} lots at {points:,} points"
    )


if __name__ == "__main__":
    main()
