"""Candidacy records for the demo patients who have a neuromodulator treatment ahead: their
answers (from what their record already holds), the medical director's decision and a signed
consent, so that the desk can book and the injector can see a screened patient in `make run`;
and for patients treated before (the portal's patient among them), the health answers and the
consent they gave at the desk on the day of their latest treatment, which their portal shows.

Spanish-speaking patients sign the clinic's Spanish consent (published here first, see
spanish_consents.py). Made through the screening services, as a clinic would make them;
idempotent (a patient who already has a decision is left alone).
"""

from datetime import datetime

from django.db.models import Exists, F, OuterRef

from glabella.catalogue.products import label_areas
from glabella.clinic.clock import clinic_today
from glabella.core import signing
from glabella.core.access import actor_for
from glabella.core.language import language_of
from glabella.core.models import StaffMember
from glabella.core.roles import Role
from glabella.demo.spanish_consents import publish_spanish_consents
from glabella.patients.models import Patient
from glabella.scheduling.models import Appointment
from glabella.screening import rules
from glabella.screening.consents import consent_text, document_for, sign_consent
from glabella.screening.decisions import offered_products, sign_decision
from glabella.screening.evaluation import evaluate_patient
from glabella.screening.intake import submit_intake
from glabella.screening.links import forms_actor
from glabella.screening.models import CandidacyDecision, IntakeResponse
from glabella.treatments.models import TreatmentRecord

DESK_FORMS = 12  # treated patients whose desk-given forms the demo records (each signs a PDF)


def _answers(patient: Patient) -> dict:
    yes_no = {q.value: False for q in rules.Question}
    yes_no["pregnant"] = patient.pregnancy_status == "pregnant"
    return {
        "answers": yes_no,
        "allergies": list(patient.allergies.filter(active=True).values_list("name", flat=True)),
        "medications": list(patient.medications.filter(active=True).values_list("name", flat=True)),
        "conditions": list(patient.conditions.filter(active=True).values_list("name", flat=True)),
        "recent_toxin": [],
        "concerns": [{"area": "between_brows", "at_rest": False, "with_expression": True}],
        "notes": "",
    }


def _lines(verdicts) -> list[dict]:
    """Allow each offered product the rules do not rule out, in all its label areas."""
    lines = []
    for product in offered_products():
        verdict = verdicts[product]
        allowed = verdict.outcome != rules.Outcome.NOT_ELIGIBLE
        for area in label_areas(product):
            lines.append(
                {
                    "product": product.value,
                    "area": area.value,
                    "allowed": allowed,
                    "reason": "" if allowed else "Contraindicated",
                }
            )
    return lines


def load_demo_screening(now: datetime) -> int:
    publish_spanish_consents()  # the clinic's consents in Spanish, for its Spanish speakers
    director = StaffMember.objects.filter(role=Role.MEDICAL_DIRECTOR, active=True).first()
    if director is None:
        return 0
    # The demo-data command writes the history in the director's name: the command channel's
    # signing proof (core.signing.command_proof) stands for the PIN a page would ask.
    staff = actor_for(director.user, channel="command", ip="127.0.0.1")
    proof = signing.command_proof(staff)
    treated = Appointment.objects.filter(
        patient=OuterRef("pk"),
        service__kind="neuromodulator",
        starts_at__gte=now,
        status="booked",
    )
    decided = CandidacyDecision.objects.filter(patient=OuterRef("pk"))
    patients = (
        Patient.objects.filter(Exists(treated))
        .exclude(Exists(decided))
        .select_related("preferred_location")
        .order_by("id")
    )
    made = 0
    for patient in patients:
        consent = document_for("neuromodulator", language_of(patient))  # in her language
        submit_intake(staff, patient, _answers(patient), via="staff", now=now)
        today = clinic_today(patient, now)
        verdicts = evaluate_patient(patient, today)
        sign_decision(staff, patient, _lines(verdicts), proof=proof, now=now)
        if consent is not None:
            sign_consent(
                forms_actor(patient, "tablet", "127.0.0.1"),
                patient,
                consent,
                typed_name=f"{patient.given_name} {patient.family_name}",
                strokes=[],
                adopt_typed=True,
                shown_sha256=consent.text_sha256,
                via="tablet",
                now=now,
            )
        made += 1
    _desk_forms(staff, now)  # not counted: no decision is made
    return made


def _desk_forms(staff, now: datetime) -> int:
    """Treated patients without answers on file: the answers the desk entered and the consent
    signed on the clinic's tablet on the day of their latest treatment (the portal's patient
    first), so a patient treated twice sees her forms given at the desk in her portal."""
    treated = TreatmentRecord.objects.filter(patient=OuterRef("pk"))
    answered = IntakeResponse.objects.filter(patient=OuterRef("pk"))
    patients = (
        Patient.objects.filter(Exists(treated))
        .exclude(Exists(answered))
        .select_related("preferred_location")
        .order_by(F("user").asc(nulls_last=True), "id")[:DESK_FORMS]
    )
    made = 0
    for patient in patients:
        latest = (
            TreatmentRecord.objects.filter(patient=patient, appointment__starts_at__lte=now)
            .select_related("appointment")
            .order_by("-appointment__starts_at")
            .first()
        )
        if latest is None:
            continue
        at = latest.appointment.starts_at
        submit_intake(staff, patient, _answers(patient), via="staff", now=at)
        consent = document_for("neuromodulator", language_of(patient))
        if consent is not None:
            text = consent_text(consent, patient, clinic_today(patient, at))
            sign_consent(
                forms_actor(patient, "tablet", "127.0.0.1"),
                patient,
                consent,
                typed_name=f"{patient.given_name} {patient.family_name}",
                strokes=[],
                adopt_typed=True,
                shown_sha256=text.text_sha256,
                via="tablet",
                now=at,
            )
        made += 1
    return made
