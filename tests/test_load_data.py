"""The load test's chain (bench/load_data.py), built small: what the set-based fill writes is what
the application itself would accept and find. PostgreSQL only, as the generator is."""

import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from glabella.clinic.models import Location, Service
from glabella.core.models import StaffMember
from glabella.patients.models import Patient
from glabella.patients.services import search_patients
from glabella.scheduling import search
from glabella.scheduling.models import LIVE_Q, Appointment

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import load_data

SIZE = load_data.Size(locations=2, providers=20, patients=400, appointments=2_000)


@pytest.fixture
def chain(db):
    if connection.vendor != "postgresql":
        pytest.skip("the chain generator writes PostgreSQL's SQL")
    load_data.build(SIZE, log=lambda _line: None)
    return SIZE


def test_the_chain_has_its_size_and_no_provider_room_or_patient_is_booked_twice(chain):
    assert load_data.present() == chain
    assert Location.objects.count() == chain.locations
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE contype = 'x' "
            "AND conrelid = 'scheduling_appointment'::regclass ORDER BY 1"
        )
        assert [r[0] for r in cursor.fetchall()] == [
            "appointment_patient_no_overlap",
            "appointment_provider_no_overlap",
            "appointment_room_no_overlap",
        ]  # built again after the fill, so PostgreSQL checked every row
    taken = Appointment.objects.filter(LIVE_Q).order_by("-starts_at").first()
    twin = Appointment.objects.get(pk=taken.pk)
    twin.pk, twin.public_id, twin.room = None, uuid.uuid4(), None
    twin.patient = Patient.objects.exclude(pk=taken.patient_id).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()  # the same provider at the same time
    # One patient's visits are days apart (months at full scale).
    visits = {}
    for patient_id, start in Appointment.objects.values_list("patient_id", "starts_at"):
        visits.setdefault(patient_id, []).append(start)
    gaps = [b - a for s in visits.values() for a, b in zip(sorted(s), sorted(s)[1:], strict=False)]
    assert len(visits) == chain.patients and min(gaps) >= timedelta(days=1)


def test_the_desk_finds_the_bulk_patients_and_the_public_page_free_times(chain, actor_of):
    desk = actor_of("front_desk")
    one = Patient.objects.filter(email__endswith="@example.com").order_by("id")[123]
    assert one in search_patients(desk, f"{one.given_name} {one.family_name}")
    assert one in search_patients(desk, one.phone[-7:])
    location = Location.objects.get(slug="chain-001")
    now = timezone.now()
    today = now.astimezone(location.zone).date()
    slots = search.search_slots(
        Service.objects.get(slug="consultation"),
        [location],
        first_day=today + timedelta(days=1),
        last_day=today + timedelta(days=14),
        now=now,
    )
    assert slots and {s.provider_id for s in slots} <= set(
        StaffMember.objects.filter(locations=location).values_list("pk", flat=True)
    )
