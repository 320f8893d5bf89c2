"""Benchmark: the re-treatment due list for a clinic of 1,000,000 patients and 5,000,000 treatments.

    .venv/bin/python bench/due_list.py [--patients 1000000] [--postgres-url URL]

PostgreSQL only (the target is PostgreSQL's). Builds its own database `glabella_bench_due`, made
fresh each run: the clinic of bench/availability.py (three
locations, their injectors), then with SQL in bulk, in the shape the services write them: the
patients, five signed treatments each (an appointment and a record per treatment, spread over
the last years so no provider or patient is double-booked), a forecast per treatment of which
the newest is current, wearing off spread over two years around today, and a booked treatment
ahead for one patient in twenty.

Then `outcomes.services.due(actor, location, today)` (the query, the booking check and the access
log row) is timed for each location in turn. The last line:
due list p50 <a> ms, p95 <b> ms at <patients> patients and <treatments> treatments (<database>)
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import fresh_database, percentile  # noqa: E402

TREATMENTS_PER_PATIENT = 5
RUNS = 60


def copy_rows(cur, table: str, template_id: int, count: int, overrides: dict[str, str]) -> None:
    """`count` copies of one row of `table`, with some columns computed from g (1..count)."""
    from django.db import connection

    columns = [
        c.name for c in connection.introspection.get_table_description(cur, table) if c.name != "id"
    ]
    values = ", ".join(overrides.get(c, f"t.{c}") for c in columns).replace("%", "%%")
    # Every name here is this script's own; nothing comes from input.
    cur.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"SELECT {values} FROM generate_series(1, %s) AS g, {table} AS t WHERE t.id = %s",
        [count, template_id],
    )


def build(patients: int, reuse: bool = False) -> tuple[int, list]:
    """Lays the rows down; with `reuse`, only the steps an earlier run did not finish."""
    from datetime import timedelta

    from availability import build_clinic
    from django.db import connection
    from django.utils import timezone

    from glabella.clinic.models import Location, Service
    from glabella.core.models import StaffMember
    from glabella.outcomes.models import Forecast
    from glabella.patients.models import Patient
    from glabella.scheduling.models import Appointment
    from glabella.treatments.models import TreatmentRecord

    now = timezone.now().replace(microsecond=0)
    today = now.date()
    if reuse and Patient.objects.filter(given_name="Template").exists():
        locations = list(Location.objects.filter(slug__startswith="bench-").order_by("id"))
        template = Patient.objects.get(given_name="Template")
        appointment = Appointment.objects.filter(patient=template).order_by("id").first()
        record = TreatmentRecord.objects.get(patient=template)
        forecast = Forecast.objects.get(patient=template)
        injectors = list(StaffMember.objects.filter(role="injector").order_by("id"))
    else:
        locations, _ = build_clinic()
        injectors = list(StaffMember.objects.filter(role="injector").order_by("id"))
        service = Service.objects.filter(kind="neuromodulator").first()
        template = Patient.objects.create(
            given_name="Template", family_name="Patient", birth_date="1980-01-01", sex="female"
        )
        appointment = Appointment.objects.create(
            location=locations[0],
            service=service,
            provider=injectors[0],
            patient=template,
            starts_at=now - timedelta(days=7300),
            ends_at=now - timedelta(days=7300) + timedelta(minutes=5),
            blocked_from=now - timedelta(days=7300),
            blocked_until=now - timedelta(days=7300) + timedelta(minutes=5),
            status="completed",
        )
        record = TreatmentRecord.objects.create(
            appointment=appointment,
            patient=template,
            injector=injectors[0],
            product="botox_cosmetic",
            status="draft",
        )
        forecast = Forecast.objects.create(
            treatment=record,
            patient=template,
            location=locations[0],
            injector=injectors[0],
            product="botox_cosmetic",
            treated_on=today,
            area="glabellar",
            days=105,
            low_days=77,
            high_days=144,
            wear_off_on=today,
            low_on=today,
            high_on=today,
            invite_from=today,
            basis="bench",
            current=False,
        )
    treatments = patients * TREATMENTS_PER_PATIENT
    n_loc, n_inj = len(locations), len(injectors)
    location_ids = "ARRAY[" + ", ".join(str(loc.pk) for loc in locations) + "]"
    injector_ids = "ARRAY[" + ", ".join(str(i.pk) for i in injectors) + "]"
    uuid = "gen_random_uuid()"
    minutes = "make_interval(mins => ({m}))"
    with connection.cursor() as cur:
        first = template.pk + 1
        done = Patient.objects.filter(family_name=f"Family{patients}").exists()
        copy_rows(
            cur,
            "patients_patient",
            template.pk,
            0 if done else patients,
            {
                "public_id": uuid,
                "given_name": "'Given' || g",
                "family_name": "'Family' || g",
                "search_text": "'given' || g || ' family' || g",
                "email": "'p' || g || '@bench.test'",
                "phone": "'+1805' || lpad((g % 10000000)::text, 7, '0')",
                "preferred_location_id": f"({location_ids})[1 + (g - 1) % {patients} % {n_loc}]",
            },
        )
        # Treatment k (1..treatments) is patient (k - 1) % patients' (k - 1) // patients'th:
        # five visits each, 5-minute slots per injector, so nothing overlaps.
        slot = minutes.format(m=f"5 * ((g - 1) / {n_inj})")
        start = f"(now() - interval '9 years' + {slot})"
        copy_rows(
            cur,
            "scheduling_appointment",
            appointment.pk,
            0 if Appointment.objects.count() > treatments else treatments,
            {
                "public_id": uuid,
                "patient_id": f"{first} + (g - 1) % {patients}",
                "provider_id": f"({injector_ids})[1 + (g - 1) % {n_inj}]",
                "location_id": f"({location_ids})[1 + (g - 1) % {patients} % {n_loc}]",
                "starts_at": start,
                "ends_at": f"{start} + interval '5 minutes'",
                "blocked_from": start,
                "blocked_until": f"{start} + interval '5 minutes'",
            },
        )
        first_appointment = appointment.pk + 1
        copy_rows(
            cur,
            "treatments_treatmentrecord",
            record.pk,
            0 if TreatmentRecord.objects.count() > treatments else treatments,
            {
                "public_id": uuid,
                "appointment_id": f"{first_appointment} + g - 1",
                "patient_id": f"{first} + (g - 1) % {patients}",
                "status": "'locked'",
                "locked_at": "now() - interval '1 day' * (g % 700)",
            },
        )
        first_record = record.pk + 1
        # The newest of each patient's treatments (the last block of `patients`) is current;
        # its invitation falls anywhere from a year ago to a year ahead.
        invite = "current_date + ((g::bigint * 7919) % 730 - 365)::int"
        copy_rows(
            cur,
            "outcomes_forecast",
            forecast.pk,
            0 if Forecast.objects.count() > treatments else treatments,
            {
                "treatment_id": f"{first_record} + g - 1",
                "patient_id": f"{first} + (g - 1) % {patients}",
                "location_id": f"({location_ids})[1 + (g - 1) % {patients} % {n_loc}]",
                "invite_from": invite,
                "wear_off_on": invite,
                "current": f"g > {treatments - patients}",
            },
        )
        # One patient in twenty has a treatment booked ahead.
        copy_rows(
            cur,
            "scheduling_appointment",
            appointment.pk,
            0 if Appointment.objects.filter(status="booked").count() else patients // 20,
            {
                "public_id": uuid,
                "patient_id": f"{first} + (g - 1) * 20",
                "status": "'booked'",
                "starts_at": f"now() + interval '30 days' + {minutes.format(m='5 * g')}",
                "ends_at": f"now() + interval '30 days' + {minutes.format(m='5 * g + 5')}",
                "blocked_from": f"now() + interval '30 days' + {minutes.format(m='5 * g')}",
                "blocked_until": f"now() + interval '30 days' + {minutes.format(m='5 * g + 5')}",
                "provider_id": f"({injector_ids})[1 + g % {n_inj}]",
            },
        )
    return treatments, locations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # PostgreSQL only: the target is PostgreSQL's, and the bulk SQL uses its functions.
    parser.add_argument("--database", choices=["postgres"], default="postgres")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the last run's database; add what is missing"
    )
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = (
        args.postgres_url.rsplit("/", 1)[0] + "/glabella_bench_due"
        if args.reuse
        else fresh_database(args.database, args.postgres_url, "glabella_bench_due")
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "glabella.settings")
    import django

    django.setup()
    from availability import settle
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from glabella.core.access import system_actor
    from glabella.outcomes.services import due

    call_command("migrate", verbosity=0)
    started = time.monotonic()
    treatments, locations = build(args.patients, reuse=args.reuse)
    settle(connection)
    print(
        f"{args.database}: {args.patients:,} patients, {treatments:,} signed treatments and "
        f"forecasts laid down in {time.monotonic() - started:.0f} s"
    )
    desk = system_actor("due-list bench")
    timings, sizes = [], []
    for run in range(RUNS + 5):
        location = locations[run % len(locations)]
        today = timezone.now().astimezone(location.zone).date()
        began = time.perf_counter()
        rows = due(desk, location, today)
        timings.append((time.perf_counter() - began) * 1000)
        sizes.append(len(rows))
    timings = timings[5:]  # the first few warm the caches
    print(f"  rows per list: median {statistics.median(sizes):.0f} (at most 500)")
    print(
        f"due list p50 {statistics.median(timings):.1f} ms, p95 {percentile(timings, 95):.1f} ms "
        f"at {args.patients:,} patients and {treatments:,} treatments ({args.database})"
    )


if __name__ == "__main__":
    main()
