"""The intake questionnaire a patient answers: `submit_intake` checks the answers against the
current questionnaire, stores them (never changed later) and, in the same transaction, adds
what the patient reported to their record (through the patients services, marked as coming
from the intake) with the audit row; `latest_intake` is the newest answers.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from glabella.clinic.clock import clinic_today
from glabella.core import audit
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Forbidden, ValidationFailed
from glabella.core.roles import Capability
from glabella.patients.history import record_intake_history
from glabella.patients.models import (
    Patient,
)
from glabella.screening import questionnaire, rules
from glabella.screening.actors import actor_label, is_the_patient
from glabella.screening.models import (
    IntakeResponse,
    Questionnaire,
)

Action = audit.Action


def current_questionnaire() -> Questionnaire:
    found = Questionnaire.objects.filter(version=questionnaire.VERSION).first()
    if found is None:
        try:
            with transaction.atomic():
                found, _ = Questionnaire.objects.get_or_create(
                    version=questionnaire.VERSION,
                    defaults={"definition": questionnaire.definition()},
                )
        except IntegrityError:  # another process wrote it first
            found = Questionnaire.objects.get(version=questionnaire.VERSION)
    return found


def clean_intake(raw: object, *, today: date, birth_date: date | None) -> dict:
    answers, errors = questionnaire.clean(raw, today=today, birth_date=birth_date)
    if errors:
        raise ValidationFailed(dict(errors))
    return answers


def latest_intake(patient: Patient) -> IntakeResponse | None:
    if patient.pk is None:
        return None
    return IntakeResponse.objects.filter(patient=patient).order_by("-submitted_at", "-id").first()


def submit_intake(
    actor: Actor, patient: Patient, raw: object, *, via: str, now: datetime | None = None
) -> IntakeResponse:
    """Stores a completed questionnaire and adds what it reports to the patient's record."""
    may = actor.can(Capability.CHANGE_CLINICAL) or is_the_patient(actor, patient)
    if not may:
        raise Forbidden("Only the patient or a clinician may record these answers.")
    now = now or timezone.now()
    today = clinic_today(patient, now)
    answers = clean_intake(raw, today=today, birth_date=patient.birth_date)
    form = current_questionnaire()
    with write_transaction():
        response = IntakeResponse.objects.create(
            patient=patient,
            questionnaire=form,
            answers=answers,
            submitted_at=now,
            via=via,
            entered_by=actor.saved_user if actor.is_staff else None,
            actor_label=actor_label(actor),
            ip=actor.ip,
        )
        added = _update_record(actor, patient, answers, today, now)
        audit.record_patient(
            actor,
            Action.CREATE,
            patient,
            object_type=audit.Kind.INTAKE,
            object_id=response.public_id,
            detail={"via": via, "version": form.version, "added_to_record": added},
        )
    return response


# A "yes" to an allergy question goes on the record under this name.
ALLERGY_QUESTIONS = {
    rules.Question.ALLERGY_TOXIN.value: "Botulinum toxin",
    rules.Question.ALLERGY_ALBUMIN.value: "Human albumin",
    rules.Question.ALLERGY_MILK.value: "Cow's milk protein",
}


def _update_record(actor: Actor, patient: Patient, answers: dict, today: date, now) -> dict:
    """What the answers add to the record: reported allergies (with the allergy questions
    answered yes), medications and conditions, and the pregnancy and breastfeeding answers."""
    said_yes = [
        name for question, name in ALLERGY_QUESTIONS.items() if answers["answers"].get(question)
    ]
    reported = {key: answers[key] for key in ("allergies", "medications", "conditions")}
    reported["allergies"] = reported["allergies"] + said_yes
    return record_intake_history(
        actor,
        patient,
        reported,
        pregnant=answers["answers"].get(rules.Question.PREGNANT.value),
        breastfeeding=answers["answers"].get(rules.Question.BREASTFEEDING.value),
        today=today,
        now=now,
    )
