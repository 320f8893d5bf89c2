"""Whether a visit's forms are done, for the calendar's blocks: the health questions answered and
the consent the visit needs signed (the current version, not withdrawn, not older than
CONSENT_VALID_MONTHS). Read for a whole calendar page in two queries, whatever its size.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from django.conf import settings
from django.db.models import OuterRef, Subquery

from glabella.clinic.models import Service
from glabella.screening.decisions import add_months
from glabella.screening.models import ConsentDocument, ConsentKind, IntakeResponse, SignedConsent

# The consent each kind of visit needs signed before the injector treats (a consultation for a
# neuromodulator is where the patient reads and signs it; a review needs none).
CONSENT_FOR = {
    Service.Kind.CONSULTATION: ConsentKind.NEUROMODULATOR,
    Service.Kind.NEUROMODULATOR: ConsentKind.NEUROMODULATOR,
    Service.Kind.FILLER: ConsentKind.FILLER,
}
HEALTH_QUESTIONS = "Health questions"
CONSENT = "Consent"


def forms_status(visits: list[dict], today: date) -> dict:
    """public_id -> {"forms": [(label, done), ...], "forms_done": bool} for each visit."""
    patient_ids = {v["patient_id"] for v in visits}
    if not patient_ids:
        return {}
    answered = set(
        IntakeResponse.objects.filter(patient_id__in=patient_ids)
        .values_list("patient_id", flat=True)
        .distinct()
    )
    current_version = (
        ConsentDocument.objects.filter(kind=OuterRef("document__kind"))
        .order_by("-version")
        .values("version")[:1]
    )
    since = datetime.combine(add_months(today, -settings.CONSENT_VALID_MONTHS), time(0), tzinfo=UTC)
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
        kind = CONSENT_FOR.get(visit["service_kind"])
        if kind is not None:
            forms.append((CONSENT, (patient, kind.value) in signed))
        answers[visit["public_id"]] = {
            "forms": forms,
            "forms_done": all(done for _, done in forms),
        }
    return answers
