"""Consult and treat in one visit, in the demo: when the demo is built while the clinic is open,
a synthetic patient without a decision is in a consultation with the medical director that began
a quarter of an hour ago (checked in), and the director signed her decision during it, so "Treat
in this visit" shows on her screening page, on the day's treatments and on the calendar.

Outside opening hours, or when the director or the patient is not free for the consultation and
a treatment after it, nothing is made: the demo stays valid at any hour. `demo-data` makes it
only when it lays down the demo's history (a new database), so running it again minutes later
adds nothing; here, a consultation with the demo's note today is left alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef

from glabella.clinic.models import Location, Service
from glabella.clinic.services import opening_hours_on
from glabella.core import signing
from glabella.core.access import actor_for
from glabella.core.models import StaffMember
from glabella.core.roles import Role
from glabella.patients.models import Patient
from glabella.scheduling.models import Appointment, Status
from glabella.screening.decisions import sign_decision
from glabella.screening.evaluation import evaluate_patient
from glabella.screening.intake import submit_intake
from glabella.screening.models import CandidacyDecision

NOTE = "Demo: the consultation under way"
AFTER = timedelta(minutes=45)  # room for a treatment right after it


def load_demo_visit(location: Location, now: datetime) -> int:
    from glabella.demo.screening import _answers, _lines

    service = Service.objects.filter(kind=Service.Kind.CONSULTATION, active=True).first()
    director = StaffMember.objects.filter(
        role=Role.MEDICAL_DIRECTOR, active=True, locations=location
    ).first()
    if service is None or director is None:
        return 0
    start = (now - timedelta(minutes=15)).replace(second=0, microsecond=0)
    end = start + timedelta(minutes=service.duration_minutes)
    zone = location.zone
    local_start, local_end = start.astimezone(zone), (end + AFTER).astimezone(zone)
    if local_start.date() != local_end.date() or not any(
        opens <= local_start.time() and local_end.time() <= closes
        for opens, closes in opening_hours_on(location, local_start.date())
    ):
        return 0
    live = Appointment.objects.live()
    if live.filter(note=NOTE, starts_at__date=start.date()).exists():
        return 0
    if live.filter(provider=director).blocking(start, end + AFTER).exists():
        return 0
    busy = live.attending(start, end + AFTER).filter(patient=OuterRef("pk"))
    decided = CandidacyDecision.objects.filter(patient=OuterRef("pk"))
    patient = (
        Patient.objects.filter(preferred_location=location, user__isnull=True)
        .exclude(Exists(decided))
        .exclude(Exists(busy))
        .order_by("id")
        .first()
    )
    if patient is None:
        return 0
    Appointment.objects.create(
        location=location,
        service=service,
        provider=director,
        patient=patient,
        starts_at=start,
        ends_at=end,
        blocked_from=start,
        blocked_until=end + timedelta(minutes=service.buffer_after_minutes),
        status=Status.CHECKED_IN,
        checked_in_at=start,
        booked_at=start - timedelta(days=3),
        note=NOTE,
    )
    # Written in the director's name through the command channel's signing proof, as the
    # demo's other decisions are (demo/screening.py).
    staff = actor_for(director.user, channel="command", ip="127.0.0.1")
    submit_intake(staff, patient, _answers(patient), via="staff", now=now)
    verdicts = evaluate_patient(patient, local_start.date())
    sign_decision(staff, patient, _lines(verdicts), proof=signing.command_proof(staff), now=now)
    return 1
