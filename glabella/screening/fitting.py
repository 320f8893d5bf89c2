"""Which forms a visit asks for: the consents that fit the booked service's kind (a toxin
consultation is never asked for a dermal-filler consent), and the patient's forms as they stand,
however they were given (a link, the portal, the clinic's tablet or the desk).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from glabella.clinic.clock import clinic_today
from glabella.clinic.models import Service
from glabella.patients.models import Patient
from glabella.scheduling.models import Appointment
from glabella.screening.consents import current_consent, current_documents
from glabella.screening.intake import latest_intake
from glabella.screening.models import ConsentKind, SignedConsent, Via

Kind = Service.Kind

# The consents each kind of visit asks for, the optional photo consent last. A consultation
# is for toxin treatment, the clinic's service: it asks for the treatment's consent ahead.
CONSENTS_FOR: dict[str, tuple[str, ...]] = {
    Kind.CONSULTATION: (ConsentKind.NEUROMODULATOR, ConsentKind.PHOTO),
    Kind.NEUROMODULATOR: (ConsentKind.NEUROMODULATOR, ConsentKind.PHOTO),
    Kind.FILLER: (ConsentKind.FILLER, ConsentKind.PHOTO),
    Kind.REVIEW: (ConsentKind.PHOTO,),
}
OPTIONAL = frozenset({ConsentKind.PHOTO})
INTAKE_FRESH_DAYS = 180

# How a form was given, as the patient reads it.
GIVEN = {
    Via.PORTAL: "online",
    Via.LINK: "online",
    Via.TABLET: "at the clinic on our tablet",
    Via.STAFF: "at the clinic with our staff",
    Via.API: "at the clinic",
}


def consents_for(service_kinds) -> list[str]:
    """The consent kinds the given kinds of visit ask for, in ConsentKind's order."""
    wanted = {kind for service_kind in service_kinds for kind in CONSENTS_FOR.get(service_kind, ())}
    return [kind for kind in ConsentKind.values if kind in wanted]


def upcoming_kinds(patient: Patient, now: datetime) -> set[str]:
    """The kinds of the patient's visits still ahead (booked or checked in)."""
    if patient.pk is None:
        return set()
    return set(
        Appointment.objects.live()
        .filter(patient=patient, ends_at__gte=now)
        .values_list("service__kind", flat=True)
    )


def asked_kinds(patient: Patient, now: datetime) -> list[str]:
    """What the patient's forms page asks for: the consents their visits ahead fit (a
    consultation's when nothing is booked), and any kind they have signed before, to keep its
    copy at hand."""
    kinds = upcoming_kinds(patient, now) or {Kind.CONSULTATION}
    signed = set(
        SignedConsent.objects.filter(patient=patient).values_list("document__kind", flat=True)
    )
    wanted = set(consents_for(kinds)) | signed
    return [kind for kind in ConsentKind.values if kind in wanted]


def forms_overview(patient: Patient, today: date, kinds: list[str]) -> list[dict]:
    """Per kind asked: the current document, the current signature (or None), and the latest
    signature of any version (to say how and when it was given, and why it is asked again)."""
    docs = current_documents()
    labels = dict(ConsentKind.choices)
    rows = []
    for kind in kinds:
        last = (
            SignedConsent.objects.filter(patient=patient, document__kind=kind)
            .filter(withdrawal__isnull=True)
            .select_related("document")
            .order_by("-signed_at", "-id")
            .first()
        )
        rows.append(
            {
                "kind": kind,
                "label": labels[kind],
                "document": docs.get(kind),
                "signed": current_consent(patient, kind, today, documents=docs),
                "last": last,
                "given": GIVEN.get(last.via, "") if last else "",
                "optional": kind in OPTIONAL,
            }
        )
    return rows


def intake_given(response) -> str:
    return GIVEN.get(response.via, "") if response else ""


def forms_left(patient: Patient, service_kind: str, now: datetime) -> bool:
    """Whether a visit of this kind still needs the patient's answers or a consent: answers
    older than six months, or a required consent not signed in its current version."""
    latest = latest_intake(patient)
    if latest is None or latest.submitted_at < now - timedelta(days=INTAKE_FRESH_DAYS):
        return True
    today = clinic_today(patient, now)
    docs = current_documents()
    return any(
        kind not in OPTIONAL
        and kind in docs
        and current_consent(patient, kind, today, documents=docs) is None
        for kind in consents_for([service_kind])
    )
