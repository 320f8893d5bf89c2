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
from glabella.scheduling.search import search_slots

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


OPEN_STATES = (WaitlistEntry.State.WAITING, WaitlistEntry.State.OFFERED)
OFFER_CHOICES = 24  # free times listed on the offer page


def open_entries(actor: Actor, location: Location):
    """Who waits at this location, first come first: the waitlist page's rows."""
    return (
        WaitlistEntry.objects.restrict(actor)
        .filter(location=location, state__in=OPEN_STATES)
        .select_related("patient", "service", "provider", "location")
        .order_by("created_at", "id")
    )


def times_to_offer(entry: WaitlistEntry, now: datetime) -> list:
    """The free times inside the entry's window for its service (and provider, if it named one)."""
    today = now.astimezone(entry.location.zone).date()
    first = max(entry.earliest, today)
    if first > entry.latest:
        return []
    return search_slots(
        entry.service,
        [entry.location],
        first_day=first,
        last_day=entry.latest,
        now=now,
        provider=entry.provider,
        patient=entry.patient,
        limit=OFFER_CHOICES,
        online=False,
    )


def _open_entry(entry: WaitlistEntry) -> WaitlistEntry:
    locked = WaitlistEntry.objects.select_for_update().select_related("patient", "location")
    locked = locked.get(pk=entry.pk)
    if locked.state not in OPEN_STATES:
        raise ValidationFailed(
            {
                "entry": [
                    f"This patient is no longer waiting ({locked.get_state_display().lower()})."
                ]
            }
        )
    return locked


def offer_time(
    actor: Actor, entry: WaitlistEntry, start: datetime, *, now: datetime | None = None
) -> WaitlistEntry:
    """Offer one free time to a waiting patient: they are told by their chosen channel, and the
    first to book it has it (the same message a freed time sends on its own)."""
    now = now or timezone.now()
    if not actor.can(Capability.CHANGE_PATIENT):
        raise Forbidden("Your role may not offer times to the waitlist.")
    if start is None or start <= now:
        raise ValidationFailed({"start": ["Choose a time in the future from the list."]})
    if all(slot.start != start for slot in times_to_offer(entry, now)):
        raise ValidationFailed(
            {
                "start": [
                    "That time is not free for this service and window; choose one from the list."
                ]
            }
        )
    with write_transaction():
        locked = _open_entry(entry)
        locked.state, locked.offered_at, locked.offered_start = (
            WaitlistEntry.State.OFFERED,
            now,
            start,
        )
        locked.save(update_fields=["state", "offered_at", "offered_start"])
        record_patient(
            actor,
            Action.UPDATE,
            locked.patient,
            object_type=Kind.WAITLIST,
            object_id=locked.public_id,
            detail={"offered": start.isoformat()},
        )
        notices.slot_offered(locked, start, now)
    return locked


def remove_entry(
    actor: Actor, entry: WaitlistEntry, *, reason: str, now: datetime | None = None
) -> WaitlistEntry:
    """Take a patient off the waitlist, with the reason (kept and shown)."""
    now = now or timezone.now()
    if not actor.can(Capability.CHANGE_PATIENT):
        raise Forbidden("Your role may not change the waitlist.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": ["Give the reason for removing this patient."]})
    if len(reason) > 300:
        raise ValidationFailed({"reason": ["Keep the reason to 300 characters."]})
    with write_transaction():
        locked = _open_entry(entry)
        locked.state = WaitlistEntry.State.WITHDRAWN
        locked.removed_at, locked.removed_reason = now, reason
        locked.save(update_fields=["state", "removed_at", "removed_reason"])
        record_patient(
            actor,
            Action.UPDATE,
            locked.patient,
            object_type=Kind.WAITLIST,
            object_id=locked.public_id,
            detail={"removed": reason},
        )
    return locked
