"""The waitlist: a patient joins it for a service and a range of days, and a freed time is
offered to the first patient waiting for it (an offer lapses after a day).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from glabella.clinic.models import Location, Service
from glabella.core.access import Actor
from glabella.core.audit import Action, Kind, record_patient
from glabella.core.db import write_transaction
from glabella.core.errors import Forbidden, ValidationFailed
from glabella.core.models import StaffMember
from glabella.core.roles import Capability
from glabella.patients.models import Patient
from glabella.scheduling import notices
from glabella.scheduling.models import Appointment, WaitlistEntry

WAITLIST_OFFER_HOURS = 24  # an offer not taken up within this long passes to the next patient


def join_waitlist(
    actor: Actor,
    *,
    patient: Patient,
    service: Service,
    location: Location,
    earliest: date,
    latest: date,
    provider: StaffMember | None = None,
    now: datetime | None = None,
) -> WaitlistEntry:
    now = now or timezone.now()
    if not (actor.can(Capability.CHANGE_PATIENT) or actor.patient_id == patient.pk):
        raise Forbidden("You may not add this patient to the waitlist.")
    errors = {}
    if earliest > latest:
        errors["latest"] = ["The last day must be on or after the first day."]
    if latest < now.astimezone(location.zone).date():
        errors["latest"] = ["The last day has already passed."]
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        entry = WaitlistEntry.objects.create(
            patient=patient,
            service=service,
            location=location,
            provider=provider,
            earliest=earliest,
            latest=latest,
            created_at=now,
        )
        record_patient(
            actor, Action.CREATE, patient, object_type=Kind.WAITLIST, object_id=entry.public_id
        )
    return entry


def offer_to_waitlist(appointment: Appointment, freed_start: datetime, now: datetime) -> None:
    """Offer a freed time to the first patient waiting for it (in the caller's transaction)."""
    day = freed_start.astimezone(appointment.location.zone).date()
    stale = now - timedelta(hours=WAITLIST_OFFER_HOURS)
    candidates = (
        WaitlistEntry.objects.filter(
            service=appointment.service,
            location=appointment.location,
            earliest__lte=day,
            latest__gte=day,
        )
        .filter(Q(provider__isnull=True) | Q(provider_id=appointment.provider_id))
        .filter(Q(state="waiting") | Q(state="offered", offered_at__lt=stale))
        .exclude(patient_id=appointment.patient_id)
        .select_related("patient", "location")
        .order_by("created_at", "id")
    )
    entry = candidates.first()
    if entry is None:
        return
    entry.state, entry.offered_at, entry.offered_start = (
        WaitlistEntry.State.OFFERED,
        now,
        freed_start,
    )
    entry.save(update_fields=["state", "offered_at", "offered_start"])  # with its history row
    notices.slot_offered(entry, freed_start, now)
