"""Forms links: the signed link (emailed, or opened on the desk's tablet or the portal) that
lets a patient fill in their questionnaire and consents, the actor who holds it, and
`after_booking`, which sends the link when a consultation is booked, and `forms_for_visit`,
the confirmation page's forms step.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from glabella.clinic.models import Service
from glabella.core import audit
from glabella.core.access import Actor, link_actor
from glabella.core.errors import Forbidden
from glabella.core.language import speaking
from glabella.core.roles import Capability
from glabella.patients.models import (
    Patient,
)
from glabella.screening import fitting
from glabella.screening.models import Via

Action = audit.Action


def forms_actor(patient: Patient, via: str, ip: str | None = None) -> Actor:
    """Whoever holds a valid forms link (or the tablet the desk handed over) acts as the
    patient, for that patient's questionnaire and consents only."""
    return link_actor("forms-link", f"forms {via} for patient {patient.public_id}", patient.pk, ip)


FORMS_SALT = "glabella.screening.forms"


def forms_token(patient: Patient, mode: str = Via.LINK) -> str:
    return signing.TimestampSigner(salt=FORMS_SALT).sign(f"{mode}:{patient.public_id}")


def read_forms_token(token: str) -> tuple[str, str]:
    """(mode, patient public id); raises signing.BadSignature, or SignatureExpired when older
    than the mode allows (a tablet session lasts minutes, an emailed link days)."""
    signer = signing.TimestampSigner(salt=FORMS_SALT)
    mode, _, public_id = signer.unsign(token).partition(":")
    if mode == Via.TABLET:
        max_age = timedelta(minutes=settings.TABLET_LINK_MINUTES)
    elif mode == Via.LINK:
        max_age = timedelta(days=settings.FORMS_LINK_DAYS)
    elif mode == Via.PORTAL:  # made for a signed-in patient as they open their forms
        max_age = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    else:
        raise signing.BadSignature("unknown forms mode")
    signer.unsign(token, max_age=max_age)
    return mode, public_id


def forms_url(patient: Patient, mode: str = Via.LINK) -> str:
    return settings.SITE_URL + reverse("screening:forms", args=[forms_token(patient, mode)])


def send_forms_link(
    actor: Actor, patient: Patient, *, now: datetime | None = None, dedupe_key: str | None = None
):
    """Email or text the patient a link to their questionnaire and consents, in her language
    (the link opens the forms in it). Like every message to a patient it names no treatment:
    only that there are forms to fill in."""
    from glabella.messaging.outbox import queue_to_patient

    if not (actor.can(Capability.VIEW_PATIENT) or actor.role == "system"):
        raise Forbidden("Your role may not send forms to patients.")
    now = now or timezone.now()
    with speaking(patient):
        url = forms_url(patient)
        body = _(
            "Hello %(name)s,\n\n"
            "Before your visit, please answer a few health questions and read the forms we will "
            "ask you to sign. It takes about five minutes:\n%(url)s\n\n"
            "The link works for %(days)s days."
        ) % {
            "name": patient.preferred_name or patient.given_name,
            "url": url,
            "days": settings.FORMS_LINK_DAYS,
        }
        subject = _("Your forms before your visit")
    message = queue_to_patient(
        patient,
        topic="forms",
        subject=subject,
        body=body,
        about=f"patient:{patient.public_id}",
        now=now,
        dedupe_key=dedupe_key,
    )
    audit.record_patient(
        actor,
        Action.CREATE,
        patient,
        object_type=audit.Kind.FORMS_LINK,
        detail={"sent": bool(message)},
    )
    return message


def forms_for_visit(appointment, now: datetime) -> dict:
    """The confirmation page's forms step: a link signed for this patient (as the emailed one
    is), and whether anything is left to fill in for this kind of visit."""
    patient = appointment.patient
    url = reverse("screening:forms", args=[forms_token(patient, Via.LINK)])
    return {"url": url, "done": not fitting.forms_left(patient, appointment.service.kind, now)}


def after_booking(appointment, now: datetime) -> None:
    """A booked consultation: send the forms link, unless the patient's intake is recent and
    the consents its kind asks for are current (they have nothing to fill in)."""
    if appointment.service.kind != Service.Kind.CONSULTATION:
        return
    patient = appointment.patient
    if not fitting.forms_left(patient, appointment.service.kind, now):
        return
    from glabella.core.access import system_actor

    send_forms_link(
        system_actor("booking"),
        patient,
        now=now,
        dedupe_key=f"forms:appointment:{appointment.public_id}",
    )
