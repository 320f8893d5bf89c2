"""Which forms a visit asks for: the consents that fit the booked service's kind (a toxin
consultation is never asked for a dermal-filler consent), and the patient's forms as they stand,
however they were given (a link, the portal, the clinic's tablet or the desk).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils.translation import gettext_lazy as _

from glabella.clinic.clock import clinic_today
from glabella.clinic.models import Service
from glabella.core import styles
from glabella.core.language import DEFAULT
from glabella.patients.models import Patient
from glabella.scheduling.models import Appointment
from glabella.screening.consents import (
    current_consent,
    current_documents,
    is_newest,
    newest_documents,
)
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

# How and when a form was given, as the patient reads it: whole sentences, one per way.
ANSWERED = {
    Via.PORTAL: _("Answered online on %(day)s."),
    Via.LINK: _("Answered online on %(day)s."),
    Via.TABLET: _("Answered at the clinic on our tablet on %(day)s."),
    Via.STAFF: _("Answered at the clinic with our staff on %(day)s."),
    Via.API: _("Answered at the clinic on %(day)s."),
}
SIGNED = {
    Via.PORTAL: _("Signed online on %(day)s."),
    Via.LINK: _("Signed online on %(day)s."),
    Via.TABLET: _("Signed at the clinic on our tablet on %(day)s."),
    Via.STAFF: _("Signed at the clinic with our staff on %(day)s."),
    Via.API: _("Signed at the clinic on %(day)s."),
}
SIGNED_EARLIER = {
    Via.PORTAL: _("You signed an earlier form online on %(day)s."),
    Via.LINK: _("You signed an earlier form online on %(day)s."),
    Via.TABLET: _("You signed an earlier form at the clinic on our tablet on %(day)s."),
    Via.STAFF: _("You signed an earlier form at the clinic with our staff on %(day)s."),
    Via.API: _("You signed an earlier form at the clinic on %(day)s."),
}


def given(sentences: dict, via: str, at: datetime, zone) -> str:
    """How and when, in the active language: "Signed online on Dec 1, 2026."."""
    return str(sentences.get(via, sentences[Via.API])) % {"day": styles.day(at, zone)}


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


def forms_overview(
    patient: Patient, today: date, kinds: list[str], language: str = DEFAULT, zone=None
) -> list[dict]:
    """Per kind asked: the document shown to a reader of `language` (hers, else English), the
    current signature (or None, in any language), and the latest signature of any version (to
    say how and when it was given, and why it is asked again), said in the active language."""
    newest = newest_documents()
    docs = current_documents(language, newest=newest)
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
        signed = current_consent(patient, kind, today, newest=newest)
        rows.append(
            {
                "kind": kind,
                "label": labels[kind],
                "document": docs.get(kind),
                "signed": signed,
                "last": last,
                "signed_when": given(SIGNED, signed.via, signed.signed_at, zone) if signed else "",
                "last_when": given(SIGNED_EARLIER, last.via, last.signed_at, zone) if last else "",
                # A newer version of the text she signed, in its language, asks her again.
                "updated": last is not None and not is_newest(last.document, newest),
                "optional": kind in OPTIONAL,
            }
        )
    return rows


def intake_given(response, zone=None) -> str:
    """How and when the answers were given, in the active language ("" if never)."""
    return given(ANSWERED, response.via, response.submitted_at, zone) if response else ""


def forms_left(patient: Patient, service_kind: str, now: datetime) -> bool:
    """Whether a visit of this kind still needs the patient's answers or a consent: answers
    older than six months, or a required consent not signed in its current version."""
    latest = latest_intake(patient)
    if latest is None or latest.submitted_at < now - timedelta(days=INTAKE_FRESH_DAYS):
        return True
    today = clinic_today(patient, now)
    newest = newest_documents()
    docs = current_documents(newest=newest)
    return any(
        kind not in OPTIONAL
        and kind in docs
        and current_consent(patient, kind, today, newest=newest) is None
        for kind in consents_for([service_kind])
    )
