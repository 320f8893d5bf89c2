"""django-appointment's side (run in bench/peers/.venv): the same schedule in its own models in
a fresh SQLite database, then its free-slot computation timed, per day as its booking page asks."""

import json
import sys
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path

import django
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
DB = ROOT / "var" / "bench-peers-appointment.sqlite3"
DB.unlink(missing_ok=True)
settings.configure(
    DEBUG=False,
    SECRET_KEY="peer-bench",
    USE_TZ=True,
    TIME_ZONE="America/Los_Angeles",
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DB)}},
    INSTALLED_APPS=[
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "phonenumber_field",
        "appointment",
    ],
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
)
django.setup()
from appointment.models import (  # noqa: E402
    Appointment,
    AppointmentRequest,
    Service,
    StaffMember,
    WorkingHours,
)
from appointment.services import get_available_slots_for_staff  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402
from schedule import timed  # noqa: E402


def main():
    spec = json.loads(Path(sys.argv[1]).read_text())
    call_command("migrate", run_syncdb=True, verbosity=0)
    minutes = spec["minutes"]
    service = Service.objects.create(
        name="Peer visit", duration=timedelta(minutes=minutes), price=0
    )
    user = get_user_model().objects.create(username="peer", email="peer@bench.test")
    client = get_user_model().objects.create(username="client", email="client@bench.test")
    staff = StaffMember.objects.create(user=user, slot_duration=minutes)
    staff.services_offered.add(service)
    for weekday in spec["weekdays"]:
        # django-appointment numbers days 0 = Sunday ... 6 = Saturday.
        WorkingHours.objects.create(
            staff_member=staff,
            day_of_week=(weekday + 1) % 7,
            start_time=clock.fromisoformat(spec["opens"]),
            end_time=clock.fromisoformat(spec["closes"]),
        )
    requests = []
    for start in spec["visits"]:
        local = datetime.fromisoformat(start)
        end = (local + timedelta(minutes=minutes)).time()
        requests.append(
            AppointmentRequest(
                date=local.date(),
                start_time=local.time(),
                end_time=end,
                service=service,
                staff_member=staff,
            )
        )
    AppointmentRequest.objects.bulk_create(requests, batch_size=5000)
    Appointment.objects.bulk_create(
        [
            Appointment(client=client, appointment_request=r, phone="+18055550100")
            for r in AppointmentRequest.objects.all()
        ],
        batch_size=5000,
    )
    today = timezone.localdate()
    day = today + timedelta(days=1)
    while day.weekday() not in spec["weekdays"]:
        day += timedelta(days=1)

    def slots_on(d):
        return get_available_slots_for_staff(d, staff, (d.weekday() + 1) % 7, service)

    def one_day():
        return slots_on(day)

    def sixty_days():
        found = []
        for n in range(61):
            found += slots_on(today + timedelta(days=n))
        return found

    print(
        json.dumps(
            {
                "appointments": len(requests),
                "day": str(day),
                "day_slots": len(one_day()),
                "day_ms": timed(one_day, 50),
                "sixty_slots": len(sixty_days()),
                "sixty_ms": timed(sixty_days, 20),
            }
        )
    )


if __name__ == "__main__":
    main()
