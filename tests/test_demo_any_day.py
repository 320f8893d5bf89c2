"""The demo clinic loads the same way whatever day and hour it is loaded on.

The clock is frozen (it ticks on from there) on days that have broken date code before: both
daylight-saving changes in Los Angeles (at the hour that is skipped and the hour that repeats),
month ends, 29 February, a Sunday, New Year's Eve late in the evening when UTC is already in the
new year, and evenings when the clinic's date and UTC's differ. Each time the demo's invariants
must hold: every completed treatment visit is charted, the stock ledger adds up, nothing from
another day's history waits to go out, and the portal patient's own history is there.
"""

from collections import defaultdict
from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

LA = ZoneInfo("America/Los_Angeles")

# Wall-clock instants in the clinic's zone, with why each one is here.
DAYS = {
    "daylight saving starts (the skipped hour)": datetime(2027, 3, 14, 2, 30),
    "the morning after daylight saving starts": datetime(2027, 3, 15, 8, 0),
    "daylight saving ends (the repeated hour)": datetime(2027, 11, 7, 1, 30),
    "a Sunday": datetime(2027, 6, 6, 12, 0),
    "a month end in the evening (UTC is in the next month)": datetime(2027, 1, 31, 19, 45),
    "29 February": datetime(2028, 2, 29, 10, 0),
    "the day after 29 February": datetime(2028, 3, 1, 0, 30),
    "New Year's Eve, late (UTC is in the new year)": datetime(2027, 12, 31, 23, 30),
    "New Year's Day, just after midnight": datetime(2028, 1, 1, 0, 5),
    "a Monday before opening": datetime(2027, 4, 26, 6, 0),
    "a summer month end at closing": datetime(2027, 8, 31, 17, 0),
    "a Friday evening": datetime(2027, 10, 15, 21, 0),
    "the day this test was written, at 3:33 in the morning": datetime(2026, 12, 1, 3, 33),
}


def load_demo() -> str:
    out = StringIO()
    call_command(
        "demo-data", "--patients", "40", "--seed", "2", "--history-days", "120", "--quiet-logins",
        stdout=out,
    )  # fmt: skip
    return out.getvalue()


def assert_the_demo_holds_together(now: datetime) -> None:
    from glabella.inventory.models import Movement, Vial
    from glabella.messaging.models import Message
    from glabella.outcomes.models import Forecast
    from glabella.patients.models import Patient
    from glabella.scheduling.models import Appointment
    from glabella.treatments.models import InjectionPoint, TreatmentRecord
    from tests.test_booking_race import count_overlaps

    completed = Appointment.objects.filter(service__kind="neuromodulator", status="completed")
    records = TreatmentRecord.objects.count()
    assert records == completed.count() > 100
    assert not TreatmentRecord.objects.exclude(status="locked").exists()
    assert not TreatmentRecord.objects.filter(locked_at__gt=now).exists()
    assert not Appointment.objects.filter(starts_at__gt=now, status="completed").exists()
    assert Appointment.objects.filter(starts_at__gt=now, status="booked").exists()
    assert count_overlaps() == 0
    # The ledger adds up and every draw came from a lot on the shelf and in date that day.
    assert not InjectionPoint.objects.filter(movement__isnull=True).exists()
    moved = defaultdict(int)
    for vial_id, units in Movement.objects.values_list("vial_id", "units"):
        moved[vial_id] += units
    for vial in Vial.objects.all():
        assert vial.units_total - moved[vial.pk] == vial.units_left >= 0
    for drawn_at, received, expires in Movement.objects.filter(kind="draw").values_list(
        "at", "vial__lot__received_on", "vial__lot__expires_on"
    ):
        assert received <= drawn_at.astimezone(LA).date() <= expires
    assert not Movement.objects.filter(at__gt=now).exists()
    # Nothing of that history is waiting to go out when the demo starts.
    late = Message.objects.filter(
        about__regex=r"^(check-in|alert|treatment):", status__in=["queued", "scheduled"]
    )
    assert not late.filter(due_at__lte=now).exists()
    # Each treated patient's newest treatment is forecast; the portal patient has her history.
    treated = TreatmentRecord.objects.values("patient_id").distinct().count()
    assert Forecast.objects.filter(current=True).count() == treated
    grace = Patient.objects.get(user__username="patient@demo.glabella.test")
    assert TreatmentRecord.objects.filter(patient=grace).count() == 2
    assert Appointment.objects.filter(patient=grace, starts_at__gt=now, status="booked").exists()


@pytest.mark.parametrize("wall", DAYS.values(), ids=DAYS.keys())
def test_the_demo_loads_the_same_way_on_any_day_at_any_hour(db, wall):
    instant = wall.replace(tzinfo=LA)
    with time_machine.travel(instant, tick=True):
        assert abs(timezone.now() - instant) < timedelta(minutes=1)
        out = load_demo()
        assert "charted treatments" in out
        assert_the_demo_holds_together(timezone.now())


@pytest.mark.parametrize("days", ["0", "-3", "10951"])
def test_a_history_length_out_of_bounds_is_refused_and_nothing_is_made(db, days):
    from django.core.management.base import CommandError

    from glabella.patients.models import Patient

    before = Patient.objects.count()
    with pytest.raises(CommandError, match="--history-days must be between 1 and 10,950"):
        call_command("demo-data", "--patients", "5", "--history-days", days, stdout=StringIO())
    assert Patient.objects.count() == before
