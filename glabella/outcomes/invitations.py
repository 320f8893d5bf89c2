"""The invitation back: INVITE_DAYS_BEFORE days before a treatment's forecast invite date, once
per treatment (the database holds one row per treatment), only to a patient who agreed to
messages in that channel and never in the quiet hours; its link books the patient's usual
injector at their usual location, from the invite date on (never before the label allows). The
message is written in the patient's language, its link to the page in that language."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _

from glabella.clinic.models import Location, Service
from glabella.core import audit, phones
from glabella.core.access import Actor, link_actor
from glabella.core.db import write_transaction
from glabella.core.language import current, speaking
from glabella.messaging import quiet
from glabella.messaging.models import Channel
from glabella.messaging.outbox import queue_message
from glabella.outcomes.models import Forecast, Invitation
from glabella.outcomes.services import booked_ahead
from glabella.scheduling import bookings
from glabella.scheduling.models import Appointment
from glabella.treatments.models import TreatmentRecord

INVITE_SALT = "glabella.outcomes.invitation"
OVERDUE_DAYS = 30  # a forecast further past than this is not invited (the due list shows it)
BATCH = 500


def invite_route(patient) -> tuple[str, str] | None:
    """The channel for an invitation: only one the patient has agreed to (texts with text
    consent, email with email consent), preferred first; None when neither."""
    sms = (Channel.SMS, patient.phone) if patient.phone and patient.sms_consent else None
    email = (Channel.EMAIL, patient.email) if patient.email and patient.email_consent else None
    first, second = (sms, email) if patient.preferred_channel == Channel.SMS else (email, sms)
    return first or second


def usual(patient_id: int, last: int = 5) -> tuple[int, int] | None:
    """(location id, injector id) the patient saw most often in their last signed treatments;
    a tie goes to the most recent."""
    rows = list(
        TreatmentRecord.objects.filter(
            patient_id=patient_id, locked_at__isnull=False, amends__isnull=True
        )
        .order_by("-appointment__starts_at")
        .values_list("appointment__location_id", "injector_id")[:last]
    )
    if not rows:
        return None
    counts = Counter(rows)
    return max(rows, key=lambda r: (counts[r], -rows.index(r)))


def service_for(record) -> Service | None:
    """The service to book again: the one the treatment was given in, if still offered."""
    service = record.appointment.service
    if service.active and service.kind == Service.Kind.NEUROMODULATOR:
        return service
    return default_service()


def token(invitation: Invitation) -> str:
    return signing.TimestampSigner(salt=INVITE_SALT).sign(str(invitation.public_id))


def read_token(value: str) -> Invitation:
    signer = signing.TimestampSigner(salt=INVITE_SALT)
    public_id = signer.unsign(value, max_age=timedelta(days=settings.INVITE_LINK_DAYS))
    found = (
        Invitation.objects.select_related("patient", "location", "injector", "service", "treatment")
        .filter(public_id=public_id)
        .first()
    )
    if found is None:
        raise signing.BadSignature("no such invitation")
    return found


def url(invitation: Invitation) -> str:
    return settings.SITE_URL + reverse("outcomes:book-again", args=[token(invitation)])


def send_due(now: datetime | None = None) -> int:
    """Invite every patient whose current forecast's invite date is INVITE_DAYS_BEFORE days away
    (or has passed, up to OVERDUE_DAYS), who has nothing booked and no invitation for that
    treatment, at locations outside their quiet hours. Returns how many were recorded."""
    now = now or timezone.now()
    done = 0
    for location in Location.objects.filter(active=True):
        if quiet.is_quiet(now, location.zone, settings.QUIET_HOURS):
            continue
        today = now.astimezone(location.zone).date()
        candidates = list(
            Forecast.objects.filter(
                location=location,
                current=True,
                invite_from__gte=today - timedelta(days=OVERDUE_DAYS),
                invite_from__lte=today + timedelta(days=settings.INVITE_DAYS_BEFORE),
                treatment__invitation__isnull=True,
            )
            .select_related("patient", "treatment__appointment__service", "injector")
            .order_by("invite_from", "id")[:BATCH]
        )
        booked = booked_ahead({f.patient_id for f in candidates}, now)
        for found in candidates:
            if found.patient_id not in booked and invite(found, location, now) is not None:
                done += 1
    return done


def invite(
    found: Forecast, location, now: datetime, *, actor: Actor | None = None
) -> Invitation | None:
    """Record the one invitation for this forecast's treatment and queue its message (or record
    that it could not be sent for want of consent), in one transaction. `actor`: the staff member
    who asked for it from the due list (logged with it; in the quiet hours it waits for morning)."""
    patient = found.patient
    where = usual(patient.pk) or (found.location_id, found.injector_id)
    route = invite_route(patient)
    due_at = quiet.next_allowed(now, location.zone, settings.QUIET_HOURS) if actor else now
    try:
        with write_transaction():
            invitation = Invitation.objects.create(
                sent_by=actor.staff if actor else None,
                treatment=found.treatment,
                patient=patient,
                location_id=where[0],
                injector_id=where[1],
                service=service_for(found.treatment),
                book_from=found.invite_from,
                status=Invitation.Status.SENT if route else Invitation.Status.NO_CONSENT,
                channel=route[0] if route else "",
                created_at=now,
            )
            if route is not None:
                _queue(invitation, route, now, due_at=due_at)
            if actor is not None:
                audit.record_patient(
                    actor,
                    audit.Action.CREATE,
                    patient,
                    object_type=audit.Kind.INVITATION,
                    object_id=invitation.public_id,
                )
    except IntegrityError:
        return None  # another worker invited for this treatment first
    return invitation


def opens_on(found: Forecast) -> date:
    """The first day the invitation for this forecast goes out (`send_due`'s window)."""
    return found.invite_from - timedelta(days=settings.INVITE_DAYS_BEFORE)


def open_from_portal(found: Forecast, now: datetime) -> Invitation | None:
    """The invitation for a forecast's treatment when the patient asks to book from the portal:
    the one sent, or a new one without a message (they are already here). None before the time
    an invitation would be sent, so that the patient still gets it then."""
    existing = Invitation.objects.filter(treatment_id=found.treatment_id).first()
    if existing is not None:
        return existing
    if now.astimezone(found.location.zone).date() < opens_on(found):
        return None
    where = usual(found.patient_id) or (found.location_id, found.injector_id)
    try:
        with write_transaction():
            return Invitation.objects.create(
                treatment=found.treatment,
                patient=found.patient,
                location_id=where[0],
                injector_id=where[1],
                service=service_for(found.treatment),
                book_from=found.invite_from,
                status=Invitation.Status.PORTAL,
                created_at=now,
            )
    except IntegrityError:
        return Invitation.objects.filter(treatment_id=found.treatment_id).first()


def _queue(
    invitation: Invitation, route: tuple[str, str], now: datetime, due_at: datetime | None = None
) -> None:
    patient = invitation.patient
    channel, to = route
    zone = invitation.location.zone
    local_from = max(invitation.book_from, now.astimezone(zone).date())
    injector = invitation.injector
    with speaking(patient):
        body = _(
            "Hello %(name)s,\n\nThe effect of your last treatment with us is likely to fade "
            "around %(fades)s. %(injector)s has times at %(place)s from %(from)s; choose one "
            "here:\n%(link)s\n\nIf you would rather not hear from us about this, reply and tell "
            "us, or call %(phone)s."
        ) % {
            "name": patient.preferred_name or patient.given_name,
            "fades": _day(invitation.book_from),
            "injector": injector.full_name,
            "place": invitation.location.name,
            "from": _day(local_from),
            "link": url(invitation),
            "phone": phones.display(invitation.location.phone),
        }
        queue_message(
            patient=patient,
            channel=channel,
            to=to,
            topic="invitation",
            subject=_("Time for your next visit?"),
            body=body,
            about=f"invitation:{invitation.public_id}",
            dedupe_key=f"invitation:{invitation.treatment.public_id}",
            due_at=due_at,
            now=now,
        )


def slots_from(invitation: Invitation, today: date) -> date:
    return max(invitation.book_from, today)


def _day(d: date) -> str:
    """A day in the active language, without its year: December 1 / 1 de diciembre."""
    return date_format(d, DAY_IN_WORDS.get(current(), DAY_IN_WORDS["en"]))


DAY_IN_WORDS = {"en": "F j", "es": r"j \d\e F"}


def default_service() -> Service | None:
    return (
        Service.objects.filter(active=True, kind=Service.Kind.NEUROMODULATOR).order_by("pk").first()
    )


def book(invitation: Invitation, start: datetime, provider, now: datetime) -> Appointment:
    """Book from the invitation as the patient (a clinic-issued link), then mark it booked."""
    actor = link_actor("patient-link", "patient (invitation link)", invitation.patient_id)
    appointment = bookings.book(
        actor,
        service=invitation.service,
        location=invitation.location,
        start=start,
        patient=invitation.patient,
        provider=provider,
        source=Appointment.Source.INVITATION,
        now=now,
    )
    with write_transaction():
        Invitation.objects.filter(pk=invitation.pk).update(
            appointment=appointment, status=Invitation.Status.BOOKED
        )
    return appointment


def every_quarter_hour(now: datetime) -> int:
    """The scheduler's minute: invitations are looked for every fifteen minutes."""
    return send_due(now) if now.minute % 15 == 0 else 0
