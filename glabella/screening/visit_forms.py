"""Whether a visit's forms are done, for the calendar's blocks: the health questions answered and
the consent the visit needs signed (the current version, not withdrawn, not older than
CONSENT_VALID_MONTHS). Read for a whole calendar page in two queries, whatever its size.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db.models import OuterRef, Subquery

from glabella.screening.consents import current_documents
from glabella.screening.decisions import add_months
from glabella.screening.fitting import CONSENTS_FOR, INTAKE_FRESH_DAYS, OPTIONAL
from glabella.screening.models import ConsentDocument, IntakeResponse, SignedConsent

# The consents each kind of visit needs signed: the ones the patient's forms page asks for
# (screening/fitting.py), less the optional photo consent. One rule for the desk and the patient.
REQUIRED_FOR = {
    service_kind: tuple(kind for kind in kinds if kind not in OPTIONAL)
    for service_kind, kinds in CONSENTS_FOR.items()
}
HEALTH_QUESTIONS = "Health questions"
CONSENT = "Consent"


def forms_status(visits: list[dict], today: date, zone=UTC) -> dict:
    """public_id -> {"forms": [(label, done), ...], "forms_done": bool} for each visit."""
    patient_ids = {v["patient_id"] for v in visits}
    if not patient_ids:
        return {}
    fresh_since = datetime.combine(today - timedelta(days=INTAKE_FRESH_DAYS), time(0), tzinfo=zone)
    answered = set(  # answers older than the forms page accepts must be given again
        IntakeResponse.objects.filter(patient_id__in=patient_ids, submitted_at__gte=fresh_since)
        .values_list("patient_id", flat=True)
        .distinct()
    )
    current_version = (
        ConsentDocument.objects.filter(
            kind=OuterRef("document__kind"), language=OuterRef("document__language")
        )
        .order_by("-version")
        .values("version")[:1]
    )
    since = datetime.combine(
        add_months(today, -settings.CONSENT_VALID_MONTHS), time(0), tzinfo=zone
    )
    published = set(current_documents())  # a kind with no text published asks no signature
    signed = set(
        SignedConsent.objects.filter(
            patient_id__in=patient_ids,
            withdrawal__isnull=True,
            signed_at__gte=since,
            document__version=Subquery(current_version),
        )
        .values_list("patient_id", "document__kind")
        .distinct()
    )
    answers = {}
    for visit in visits:
        patient = visit["patient_id"]
        forms = [(HEALTH_QUESTIONS, patient in answered)]
        for kind in REQUIRED_FOR.get(visit["service_kind"], ()):
            if kind not in published:
                continue
            forms.append((CONSENT, (patient, str(kind)) in signed))
        answers[visit["public_id"]] = {
            "forms": forms,
            "forms_done": all(done for _, done in forms),
        }
    return answers
