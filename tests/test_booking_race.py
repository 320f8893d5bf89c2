"""Fifty clients race for ten times: the database lets exactly one win each, on both databases."""

import threading
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction

from glabella.clinic.models import Service
from glabella.core.access import system_actor
from glabella.scheduling import bookings, search
from glabella.scheduling.models import Appointment
from tests.conftest import make_patient

LA = ZoneInfo("America/Los_Angeles")
NOW = datetime(2026, 11, 23, 7, 0, tzinfo=LA)
THREADS = 50

OVERLAPS_SQL = """
    SELECT count(*) FROM scheduling_appointment a
    JOIN scheduling_appointment b
      ON a.id < b.id
     AND (
          (a.blocked_from < b.blocked_until AND b.blocked_from < a.blocked_until
           AND (a.provider_id = b.provider_id OR a.room_id = b.room_id))
       OR (a.starts_at < b.ends_at AND b.starts_at < a.ends_at AND a.patient_id = b.patient_id)
     )
    WHERE a.status NOT IN ('cancelled_by_patient', 'cancelled_by_clinic')
      AND b.status NOT IN ('cancelled_by_patient', 'cancelled_by_clinic')
"""


def count_overlaps() -> int:
    with connection.cursor() as cursor:
        cursor.execute(OVERLAPS_SQL)
        return cursor.fetchone()[0]


def ten_contested_times() -> list[list[datetime]]:
    """Ten groups on five working weekdays; within a group the times are the same or overlap
    (09:00 and 09:15), and groups are hours apart so they never touch each other."""
    groups = []
    for day in (1, 2, 3, 4, 7):  # Tuesday to Friday and the next Monday
        for hour in (9, 14):
            base = datetime.combine(NOW.date() + timedelta(days=day), time(hour), tzinfo=LA)
            groups.append([base, base + timedelta(minutes=15)])
    return groups


@pytest.mark.django_db(transaction=True)
def test_fifty_threads_booking_ten_times_get_exactly_ten_appointments(clinic):
    consultation = Service.objects.get(slug="consultation")
    provider = search.eligible_providers(consultation, clinic, NOW.date())[0]
    patients = [make_patient(email=f"racer{i}@example.com") for i in range(THREADS)]
    groups = ten_contested_times()
    actor = system_actor("race test")
    barrier = threading.Barrier(THREADS)
    outcomes: list[tuple[int, str]] = []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        group = i % len(groups)
        start = groups[group][(i // len(groups)) % 2]  # half ask 09:00, half 09:15
        barrier.wait()
        try:
            bookings.book(
                actor,
                service=consultation,
                location=clinic,
                start=start,
                patient=patients[i],
                provider=provider,
                now=NOW,
            )
            result = "booked"
        except search.SlotTaken as taken:
            result = "409" if taken.status == 409 else "other"
        except Exception as exc:  # anything else is a failure of the guarantee
            result = f"error {type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            outcomes.append((group, result))

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert len(outcomes) == THREADS
    assert [r for _, r in outcomes if r not in ("booked", "409")] == []
    per_group = {g: sum(r == "booked" for gg, r in outcomes if gg == g) for g in range(10)}
    assert per_group == dict.fromkeys(range(10), 1)
    assert Appointment.objects.live().filter(provider=provider).count() == 10
    assert count_overlaps() == 0


@pytest.mark.django_db(transaction=True)
def test_postgresql_itself_refuses_an_overlap_that_skips_the_service(clinic):
    """The exclusion constraint, not the service's check, is the guarantee on PostgreSQL."""
    if connection.vendor != "postgresql":
        pytest.skip("exclusion constraints exist on PostgreSQL only; SQLite serialises writes")
    consultation = Service.objects.get(slug="consultation")
    provider = search.eligible_providers(consultation, clinic, NOW.date())[0]
    start = datetime(2026, 11, 24, 10, tzinfo=LA)
    row = dict(
        location=clinic,
        service=consultation,
        provider=provider,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        blocked_from=start,
        blocked_until=start + timedelta(minutes=35),
    )
    Appointment.objects.create(patient=make_patient(email="one@example.com"), **row)
    shifted = {
        **row,
        "starts_at": start + timedelta(minutes=34),
        "ends_at": start + timedelta(minutes=64),
        "blocked_from": start + timedelta(minutes=34),
        "blocked_until": start + timedelta(minutes=64),
    }
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        Appointment.objects.create(patient=make_patient(email="two@example.com"), **shifted)
    assert refused.value.__cause__.sqlstate == "23P01"
    # Cancelled appointments do not hold their time; touching ranges do not overlap.
    Appointment.objects.filter(provider=provider).update(status="cancelled_by_clinic")
    Appointment.objects.create(patient=make_patient(email="three@example.com"), **shifted)
    touching = {**shifted, "starts_at": start + timedelta(minutes=64)}
    touching.update(
        ends_at=start + timedelta(minutes=94),
        blocked_from=start + timedelta(minutes=64),
        blocked_until=start + timedelta(minutes=94),
    )
    Appointment.objects.create(patient=make_patient(email="four@example.com"), **touching)
