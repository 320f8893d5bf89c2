"""Rules checked before a booking is written: who may book or change it, whether the time is
in the future and within the online notice and horizon, whether the service and location are
offered, what the treatment needs first (a recent consultation, and whatever the apps listening
to `booking_requested` require), and which free slot the requested start is (or why there is none).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from glabella.clinic.models import ClosedDay, Location, Service
from glabella.core import phones
from glabella.core.access import Actor
from glabella.core.errors import Forbidden, ValidationFailed
from glabella.core.language import long_date
from glabella.core.roles import Capability
from glabella.patients.models import Patient
from glabella.scheduling import availability as engine
from glabella.scheduling import signals
from glabella.scheduling.models import Appointment, Status
from glabella.scheduling.search import SlotTaken, eligible_providers, next_slots, search_slots


def require_staff(actor: Actor) -> None:
    if not actor.can(Capability.CHANGE_PATIENT):
        raise Forbidden("Your role may not book or change appointments.")


def check_start(start, *, now: datetime, service: Service, online: bool) -> None:
    if start is None or timezone.is_naive(start):
        raise ValidationFailed({"start": [_("Give the start time with its time zone.")]})
    if start <= now:
        raise ValidationFailed({"start": [_("That time has passed. Choose a time in the future.")]})
    if online:
        if start < now + timedelta(minutes=service.lead_time_minutes):
            hours = service.lead_time_minutes / 60
            raise ValidationFailed(
                {
                    "start": [
                        _("Online bookings need at least %(hours)s hours' notice.")
                        % {"hours": f"{hours:g}"}
                    ]
                }
            )
        if start > now + timedelta(days=service.horizon_days):
            days = service.horizon_days
            raise ValidationFailed(
                {
                    "start": [
                        ngettext(
                            "Bookings open %(days)d day ahead; choose an earlier day.",
                            "Bookings open %(days)d days ahead; choose an earlier day.",
                            days,
                        )
                        % {"days": days}
                    ]
                }
            )


def check_prerequisites(service: Service, patient: Patient, start: datetime) -> None:
    """What a treatment needs before it can be booked: a consultation within the service's
    window (completed, or booked for earlier the same or another day), and whatever the apps
    that listen to booking_requested require (screening: a current candidacy decision)."""
    if patient.pk is None:
        # A patient registering with this booking has no history; the receivers will say so.
        signals.booking_requested.send(Appointment, service=service, patient=patient, start=start)
        return
    _consultation_within_window(service, patient, start)
    signals.booking_requested.send(Appointment, service=service, patient=patient, start=start)


def _consultation_within_window(service: Service, patient: Patient, start: datetime) -> None:
    days = service.consultation_within_days
    if not days:
        return
    window = Appointment.objects.filter(
        patient=patient,
        service__kind=Service.Kind.CONSULTATION,
        starts_at__gte=start - timedelta(days=days),
        ends_at__lte=start,
    )
    done = window.filter(status__in=[Status.COMPLETED, Status.CHECKED_IN, Status.BOOKED])
    if not done.exists():
        raise ValidationFailed(
            {
                "service": [
                    _(
                        "%(service)s needs a consultation within the %(days)d days before it. "
                        "Book a consultation first."
                    )
                    % {"service": service.shown_name, "days": days}
                ]
            }
        )


def validate_service(service: Service | None, location: Location | None, *, online: bool):
    errors = {}
    if service is None or not service.active:
        errors["service"] = [_("Choose a service we offer.")]
    elif online and not service.bookable_online:
        errors["service"] = [_("This service is booked by the clinic; please call us.")]
    if location is None or not location.active:
        errors["location"] = [_("Choose one of our locations.")]
    if errors:
        raise ValidationFailed(errors)


def choose_slot(
    service, location, start, *, provider, patient, now, online, ignore=None
) -> engine.Slot:
    """The free slot starting at `start`, or why there is none: 422 when the clinic does not
    work then, 409 with alternatives when it does but the time is taken."""
    day = start.astimezone(location.zone).date()
    common = dict(
        first_day=day,
        last_day=day,
        now=now,
        provider=provider,
        patient=patient,
        limit=500,
        online=online,
        ignore=ignore,
    )
    for slot in search_slots(service, [location], **common):
        if slot.start == start:
            return slot  # found among the provider's slots: so they may perform it here
    if provider is not None and not eligible_providers(service, location, day, provider):
        raise ValidationFailed(
            {
                "provider": [
                    _("%(provider)s does not perform %(service)s here.")
                    % {"provider": provider.full_name, "service": service.shown_name}
                ]
            }
        )
    closed = ClosedDay.objects.filter(location=location, day=day).first()
    if closed is not None:
        # The reason is the staff's own words (e.g. Thanksgiving), kept as written.
        values = {"clinic": location.name, "day": long_date(day), "why": closed.reason}
        said = (
            _("%(clinic)s is closed on %(day)s (%(why)s).")
            if closed.reason
            else _("%(clinic)s is closed on %(day)s.")
        )
        raise ValidationFailed({"start": [said % values]})
    open_ = search_slots(service, [location], include_busy=False, **common)
    if not any(s.start == start for s in open_):
        raise ValidationFailed(
            {"start": [_("That time is outside the clinic's hours for this service and provider.")]}
        )
    raise SlotTaken(
        next_slots(service, location, start, now=now, provider=provider, patient=patient)
    )


def check_patient_window(actor: Actor, appointment: Appointment, now: datetime, verb: str):
    """Patients may change a booking themselves only outside the clinic's cancellation window."""
    hours = appointment.location.cancellation_window_hours
    if appointment.starts_at - now < timedelta(hours=hours):
        raise ValidationFailed(
            {
                "appointment": [
                    (
                        _(
                            "Bookings can be moved online up to %(hours)d hours before; please "
                            "call us on %(phone)s."
                        )
                        if verb == "moved"
                        else _(
                            "Bookings can be canceled online up to %(hours)d hours before; please "
                            "call us on %(phone)s."
                        )
                    )
                    % {"hours": hours, "phone": phones.display(appointment.location.phone)}
                ]
            }
        )


def require_may_change(actor: Actor, appointment: Appointment) -> bool:
    """True when the patient themselves acts (held to the window), False for staff."""
    if actor.can(Capability.CHANGE_PATIENT):
        return False
    if actor.is_patient and appointment.patient_id == actor.patient_id:
        return True  # the patient, signed in or holding the booking's manage link
    raise Forbidden("You may not change this appointment.")
