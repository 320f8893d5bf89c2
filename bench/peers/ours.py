"""glabella's side: the schedule in a fresh SQLite database, then search_slots timed."""

import json
import os
import sys
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
DB = ROOT / "var" / "bench-peers-glabella.sqlite3"
for suffix in ("", "-wal", "-shm"):
    Path(f"{DB}{suffix}").unlink(missing_ok=True)
os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
os.environ["DJANGO_SETTINGS_MODULE"] = "glabella.settings"
import django  # noqa: E402

django.setup()
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402
from schedule import timed  # noqa: E402

from glabella.clinic.models import Service  # noqa: E402
from glabella.core.models import StaffMember  # noqa: E402
from glabella.demo.clinic import ensure_demo_clinic  # noqa: E402
from glabella.patients.models import Patient  # noqa: E402
from glabella.scheduling import search  # noqa: E402
from glabella.scheduling.availability import to_instant  # noqa: E402
from glabella.scheduling.models import Appointment, WeeklyHours  # noqa: E402
from glabella.scheduling.search import search_slots  # noqa: E402


def main():
    spec = json.loads(Path(sys.argv[1]).read_text())
    # The peer offers a start every slot_duration minutes; use the same grid (ours is 15).
    search.SLOT_STEP = timedelta(minutes=spec["minutes"])
    call_command("migrate", verbosity=0)
    location, _ = ensure_demo_clinic()
    service = Service.objects.create(
        organisation=location.organisation,
        name="Peer visit",
        slug="peer-visit",
        kind="consultation",
        duration_minutes=spec["minutes"],
        price=0,
        performer_credentials=["NP"],
    )
    supervisor = StaffMember.objects.get(user__username="director@demo.glabella.test")
    user = get_user_model().objects.create(username="peer@bench.test")
    provider = StaffMember.objects.create(
        user=user,
        full_name="Peer Provider",
        role="injector",
        credential="NP",
        licence_number="NP1",
        licence_state="CA",
        licence_expires="2040-01-01",
        supervising_prescriber=supervisor,
    )
    location.staff.add(provider)
    # The peer has no opening hours of its own: open the location whenever the provider works.
    location.opening_hours.all().delete()
    for weekday in spec["weekdays"]:
        WeeklyHours.objects.create(
            staff=provider,
            location=location,
            weekday=weekday,
            starts=clock.fromisoformat(spec["opens"]),
            ends=clock.fromisoformat(spec["closes"]),
        )
    patient = Patient.objects.create(given_name="P", family_name="Q", birth_date=date(1980, 1, 1))
    zone = location.zone
    rows = []
    for start in spec["visits"]:
        local = datetime.fromisoformat(start)
        s = to_instant(local.date(), local.time(), zone)
        e = s + timedelta(minutes=spec["minutes"])
        rows.append(
            Appointment(
                location=location,
                service=service,
                provider=provider,
                patient=patient,
                starts_at=s,
                ends_at=e,
                blocked_from=s,
                blocked_until=e,
            )
        )
    Appointment.objects.bulk_create(rows, batch_size=5000)
    today = timezone.now().astimezone(zone).date()
    day = today + timedelta(days=1)
    while day.weekday() not in spec["weekdays"]:
        day += timedelta(days=1)
    now = timezone.now()

    def one_day():
        return search_slots(
            service,
            [location],
            first_day=day,
            last_day=day,
            now=now,
            provider=provider,
            limit=10_000,
            online=False,
        )

    def sixty_days():
        return search_slots(
            service,
            [location],
            first_day=today,
            last_day=today + timedelta(days=60),
            now=now,
            provider=provider,
            limit=10_000,
            online=False,
        )

    found_day, found_60 = len(one_day()), len(sixty_days())
    print(
        json.dumps(
            {
                "appointments": len(rows),
                "day": str(day),
                "day_slots": found_day,
                "day_ms": timed(one_day, 50),
                "sixty_slots": found_60,
                "sixty_ms": timed(sixty_days, 20),
            }
        )
    )


if __name__ == "__main__":
    main()
