"""Public online booking: every field of the booking page checked at once, then the patient
created or matched (a known patient's language updated to the one chosen) and booked in one
transaction; and the actor a manage link stands for.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from glabella.core import throttle
from glabella.core.access import Actor, link_actor
from glabella.core.errors import ValidationFailed
from glabella.scheduling.bookings import book
from glabella.scheduling.models import Appointment
from glabella.scheduling.rules import validate_service


def book_online(actor: Actor, data: dict, *, now: datetime | None = None) -> Appointment:
    """A booking from the public page: checks every field at once (the patient's details, the
    area served, the time), then creates or matches the patient and books in one transaction."""
    from glabella.patients.services import (
        patient_for_online_booking,
        remember_language,
        save_new_patient,
    )

    now = now or timezone.now()
    location, service, start = data.get("location"), data.get("service"), data.get("start")
    errors: dict[str, list[str]] = {}
    try:
        validate_service(service, location, online=True)
    except ValidationFailed as failed:
        errors.update(failed.fields)
    if start is None:
        errors["start"] = [_("Choose a time.")]
    today = now.astimezone(location.zone).date() if location else now.date()
    patient = None
    try:
        patient = patient_for_online_booking(
            data, today=today, organisation_id=location.organisation_id if location else None
        )
    except ValidationFailed as failed:
        errors.update(failed.fields)
    zip_code = (data.get("postal_code") or "").strip()
    served = location is None or not zip_code or location.serves(zip_code)
    if not served and "postal_code" not in errors:
        errors["postal_code"] = [
            _(
                "Our %(clinic)s clinic does not serve ZIP code %(zip)s. Please call us and we "
                "will suggest the nearest clinic."
            )
            % {"clinic": location.name, "zip": zip_code}
        ]
    if errors:
        raise ValidationFailed(errors)

    def register():
        """Inside the booking's transaction: a new patient saved, or a known one's language."""
        if patient.pk is None:
            return save_new_patient(actor, patient)
        return remember_language(actor, patient, data.get("language"))

    return book(
        actor,
        service=service,
        location=location,
        start=start,
        patient=patient,
        provider=data.get("provider"),  # None: whoever is free
        source=Appointment.Source.ONLINE,
        now=now,
        register=register,
    )


def manage_actor(appointment: Appointment, ip: str | None = None) -> Actor:
    """Whoever holds a valid manage link acts as the patient for that one booking."""
    label = f"manage link for appointment {appointment.public_id}"
    return link_actor("manage-link", label, appointment.patient_id, ip, channel="web")


def book_from_public_page(
    actor: Actor, email: str, data: dict | None, *, now: datetime | None = None
) -> Appointment | None:
    """A submission of the public booking form: counted first, good or bad (the same email a
    hundred times a minute is abuse; Throttled, 429), then booked when the form parsed (`data`);
    None when it did not."""
    throttle.check_public_form("booking", email=email, ip=actor.ip, now=now)
    return None if data is None else book_online(actor, data, now=now)
