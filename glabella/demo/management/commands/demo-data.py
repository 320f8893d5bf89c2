"""glabella demo-data --patients N --seed S: the demo clinic, N synthetic patients and their
appointments (two years of history and the coming weeks).

Idempotent: the clinic, staff and patient i of seed S are created only when missing.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from glabella.clinic.clock import local_today
from glabella.core import audit
from glabella.core.access import system_actor
from glabella.demo.aftercare import load_demo_aftercare
from glabella.demo.billing import load_demo_billing
from glabella.demo.clinic import DEMO_PASSWORD, DEMO_TOTP_KEY, ensure_demo_clinic
from glabella.demo.desk import load_demo_desk
from glabella.demo.outcomes import load_demo_outcomes
from glabella.demo.patients import load_patients
from glabella.demo.portal import load_portal_patient_history
from glabella.demo.schedule import load_demo_history, load_demo_waitlist
from glabella.demo.screening import load_demo_screening
from glabella.demo.treatments import load_demo_treatments
from glabella.demo.visit import load_demo_visit


class Command(BaseCommand):
    help = "Creates the demo clinic (staff, rooms, services) and deterministic synthetic patients."

    def add_arguments(self, parser):
        parser.add_argument(
            "--patients", type=int, default=300, help="How many patients (default 300)"
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1)")
        parser.add_argument(
            "--history-years",
            type=int,
            default=2,
            help="Years of past appointments to create once (default 2; 0 for none)",
        )
        parser.add_argument(
            "--history-days",
            type=int,
            default=None,
            help="Days of past appointments instead of whole years (1 to 10,950)",
        )
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the sign-ins")

    def handle(
        self,
        *args,
        patients: int,
        seed: int,
        history_years: int,
        history_days: int | None,
        quiet_logins: bool,
        **options,
    ):
        if patients < 0 or patients > 10_000_000:
            raise CommandError("--patients must be between 0 and 10,000,000.")
        if not 0 <= history_years <= 30:
            raise CommandError("--history-years must be between 0 and 30.")
        if history_days is not None and not 1 <= history_days <= 10_950:
            raise CommandError("--history-days must be between 1 and 10,950.")
        days = history_days if history_days is not None else 365 * history_years
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
                audit.Kind.PATIENT,
                detail={"synthetic_patients": made, "seed": seed},
            )
        visits = 0
        if days:
            today = local_today(location)
            visits = load_demo_history(location, seed, today, days=days)
            visits += load_portal_patient_history(location, today)
            load_demo_waitlist(location, seed, today)
            if visits:
                audit.record(
                    system_actor("demo-data"),
                    audit.Action.CREATE,
                    audit.Kind.APPOINTMENT,
                    detail={"synthetic_appointments": visits, "seed": seed},
                )
        charted = load_demo_treatments(local_today(location), seed)
        screened = load_demo_screening(timezone.now())
        if visits:  # consult and treat in one visit: laid down with the history, so a second
            # run minutes later (the provider's or the patient's time seen anew) adds nothing
            screened += load_demo_visit(location, timezone.now())
        followed = load_demo_aftercare(timezone.now(), seed)
        forecast = load_demo_outcomes(timezone.now(), seed)
        load_demo_desk(timezone.now())
        invoiced = load_demo_billing(local_today(location), seed)
        seconds = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo clinic ready: {location.organisation.name}, {location.name} "
                f"({made:,} new synthetic patients of {patients:,}, {visits:,} appointments, "
                f"{charted:,} charted treatments, {followed:,} check-in reports, "
                f"{forecast:,} forecasts, {invoiced:,} invoices, "
                f"{screened:,} candidacy decisions, seed {seed}, "
                f"{seconds:.1f} s)."
            )
        )
        if not quiet_logins:
            self.stdout.write(
                f"Sign in at http://127.0.0.1:8000/sign-in/ with password '{DEMO_PASSWORD}' as:"
            )
            for login in logins:
                self.stdout.write(f"  {login.email:32} {login.what}")
            key = " ".join(DEMO_TOTP_KEY[i : i + 4] for i in range(0, len(DEMO_TOTP_KEY), 4))
            self.stdout.write(
                "Staff then give a second step: the six-digit code of an authenticator app set "
                f"up with the key {key} (time-based, 30 s), or run `glabella demo-code`."
            )
