"""glabella demo-data --patients N --seed S: the demo clinic and N synthetic patients.

Idempotent: the clinic, staff and patient i of seed S are created only when missing.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from glabella.clinic.services import local_today
from glabella.core import audit
from glabella.core.access import system_actor
from glabella.demo.clinic import DEMO_PASSWORD, ensure_demo_clinic
from glabella.demo.patients import load_patients


class Command(BaseCommand):
    help = "Creates the demo clinic (staff, rooms, services) and deterministic synthetic patients."

    def add_arguments(self, parser):
        parser.add_argument(
            "--patients", type=int, default=300, help="How many patients (default 300)"
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1)")
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the sign-ins")

    def handle(self, *args, patients: int, seed: int, quiet_logins: bool, **options):
        if patients < 0 or patients > 10_000_000:
            raise CommandError("--patients must be between 0 and 10,000,000.")
        started = time.monotonic()
        location, logins = ensure_demo_clinic()

        def progress(done: int, made: int) -> None:
            if patients >= 20_000 and done % 20_000 == 0:
                self.stdout.write(f"  {done:,} patients looked at, {made:,} created")

        made = load_patients(patients, seed, local_today(location), location, progress)
        if made:
            audit.record(
                system_actor("demo-data"),
                audit.Action.CREATE,
                "patient",
                detail={"synthetic_patients": made, "seed": seed},
            )
        seconds = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo clinic ready: {location.organisation.name}, {location.name} "
                f"({made:,} new synthetic patients of {patients:,}, seed {seed}, {seconds:.1f} s)."
            )
        )
        if not quiet_logins:
            self.stdout.write(
                f"Sign in at http://127.0.0.1:8000/sign-in/ with password '{DEMO_PASSWORD}' as:"
            )
            for login in logins:
                self.stdout.write(f"  {login.email:32} {login.what}")
