"""The demo's portal patient, Grace, with a history of her own: a consultation and two
treatments with the NP injector (the latest 16 days ago, so her aftercare and check-ins show),
the two-week review after the first, and a consultation booked ahead. Laid down with the rest of
the history, before the treatments are charted, so that charting, aftercare and the forecast
reach her visits as they reach everyone's.

Each visit takes the first time on a 15-minute grid, in the injector's hours that day, at which
she, a room for the service and the patient are all free, so the database's no-overlap rules
hold whatever the synthetic history did with that day.
"""

import uuid
from datetime import date, datetime, time, timedelta

from django.db import transaction

from glabella.clinic.models import Location, Service
from glabella.core.models import StaffMember
from glabella.demo.clinic import DEMO_DOMAIN
from glabella.demo.schedule import appointment_row
from glabella.patients.models import Patient
from glabella.scheduling.availability import to_instant
from glabella.scheduling.models import LIVE_Q, Appointment, Status, WeeklyHours

# (service, days from today, status): negative days are in the past.
VISITS = (
    ("consultation", -140, Status.COMPLETED),
    ("neuromodulator", -126, Status.COMPLETED),
    ("two-week-review", -112, Status.COMPLETED),
    ("neuromodulator", -16, Status.COMPLETED),
    ("consultation", 9, Status.BOOKED),
)
GRID = timedelta(minutes=15)


def load_portal_patient_history(location: Location, today: date) -> int:
    """Grace's visits, once; returns how many were written."""
    grace = Patient.objects.filter(user__username=f"patient@{DEMO_DOMAIN}").first()
    injector = StaffMember.objects.filter(user__username=f"injector@{DEMO_DOMAIN}").first()
    if grace is None or injector is None or Appointment.objects.filter(patient=grace).exists():
        return 0
    written = 0
    with transaction.atomic():
        for slug, days, status in VISITS:
            service = Service.objects.get(slug=slug)
            visit = _first_free(location, service, injector, grace, today + timedelta(days=days))
            if visit is None:
                continue
            start, room = visit
            appointment_row(
                location,
                service,
                injector.pk,
                room.pk if room else None,
                grace.pk,
                start,
                status=status,
                source=Appointment.Source.STAFF,
                booked_at=start - timedelta(days=10),
                public_id=uuid.uuid4(),
            ).save()
            written += 1
    return written


def _first_free(location, service, injector, patient, around: date):
    """The first free start (and room) on the injector's working day nearest after `around`."""
    hours = list(
        WeeklyHours.objects.filter(
            staff=injector, location=location, kind=WeeklyHours.Kind.WORK
        ).values_list("weekday", "starts", "ends")
    )
    rooms = list(service.rooms.filter(location=location, active=True))
    for shift in range(7):
        day = around + timedelta(days=shift)
        for weekday, starts, ends in hours:
            if weekday != day.weekday():
                continue
            wall = datetime.combine(day, starts)
            last = datetime.combine(day, ends) - timedelta(minutes=service.duration_minutes)
            while wall <= last:
                found = _free_at(location, service, injector, patient, rooms, wall.time(), day)
                if found is not None:
                    return found
                wall += GRID
    return None


def _free_at(location, service, injector, patient, rooms, wall: time, day: date):
    start = to_instant(day, wall, location.zone)
    end = start + timedelta(minutes=service.duration_minutes)
    blocked = (
        start - timedelta(minutes=service.buffer_before_minutes),
        end + timedelta(minutes=service.buffer_after_minutes),
    )
    live = Appointment.objects.filter(LIVE_Q)  # what the database's no-overlap rules count
    overlapping = {"blocked_from__lt": blocked[1], "blocked_until__gt": blocked[0]}
    if live.filter(provider=injector, **overlapping).exists():
        return None
    if live.filter(patient=patient, starts_at__lt=end, ends_at__gt=start).exists():
        return None
    for room in rooms or [None]:
        if room is None or not live.filter(room=room, **overlapping).exists():
            return start, room
    return None
