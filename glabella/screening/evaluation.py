"""What the rules engine says about a patient: `intake_for` gathers the latest answers with the
record's current allergies, medications, conditions and pregnancy or breastfeeding;
`evaluate_patient` runs the rules for every product with the clinic's policy; the signature of
the findings (`signature_of`) is what a decision rests on. Writes nothing.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date

from django.db.models import CharField, Value

from glabella.catalogue.products import Product
from glabella.clinic.clock import clinic_today
from glabella.core import audit
from glabella.core.errors import ValidationFailed
from glabella.core.text import fold
from glabella.patients.models import (
    Allergy,
    BreastfeedingStatus,
    Condition,
    Medication,
    Patient,
    PregnancyStatus,
)
from glabella.screening import questionnaire, rules
from glabella.screening.intake import latest_intake
from glabella.screening.models import (
    IntakeResponse,
)
from glabella.screening.policy import needs_review, policies_off

Action = audit.Action


def current_entries(patient: Patient) -> dict[str, tuple[str, ...]]:
    """The record's active allergies, medications and conditions, by name, in one query."""
    names: dict[str, list[str]] = {"allergies": [], "medications": [], "conditions": []}
    if patient.pk is None:
        return dict.fromkeys(names, ())
    queries = [
        model.objects.filter(patient=patient, active=True)
        .order_by()
        .values_list(Value(key, output_field=CharField()), "name", "id")
        for key, model in (
            ("allergies", Allergy),
            ("medications", Medication),
            ("conditions", Condition),
        )
    ]
    for key, name, _ in sorted(queries[0].union(*queries[1:], all=True), key=lambda r: r[2]):
        names[key].append(name)
    return {key: tuple(values) for key, values in names.items()}


def intake_for(
    patient: Patient, today: date, response: IntakeResponse | None = None
) -> rules.Intake:
    """What the rules read for a patient: the latest answers, the record's current allergies,
    medications and conditions, and pregnancy or breastfeeding as recorded since."""
    response = response or latest_intake(patient)
    answers = response.answers if response else {}
    names = current_entries(patient)
    intake = questionnaire.to_intake(
        answers, today=today, birth_date=patient.birth_date, sex=patient.sex, **names
    )
    answered_on = response.submitted_at.date() if response else None
    overrides = {}
    for question, status, recorded, yes, no in (
        (
            rules.Question.PREGNANT,
            patient.pregnancy_status,
            patient.pregnancy_recorded_on,
            {PregnancyStatus.PREGNANT},
            {PregnancyStatus.NOT_PREGNANT, PregnancyStatus.NOT_APPLICABLE},
        ),
        (
            rules.Question.BREASTFEEDING,
            patient.breastfeeding_status,
            patient.breastfeeding_recorded_on,
            {BreastfeedingStatus.YES},
            {BreastfeedingStatus.NO, BreastfeedingStatus.NOT_APPLICABLE},
        ),
    ):
        newer = recorded is not None and (answered_on is None or recorded >= answered_on)
        if newer and (status in yes or status in no):
            overrides[question] = status in yes
    if overrides:
        intake = rules.Intake(
            today=intake.today,
            birth_date=intake.birth_date,
            answers={**intake.answers, **overrides},
            allergies=intake.allergies,
            medications=intake.medications,
            conditions=intake.conditions,
            last_toxin_on=intake.last_toxin_on,
            sex=intake.sex,
        )
    return intake


def evaluate_intake(intake: rules.Intake) -> dict[Product, rules.Verdict]:
    off, review = policies_off(), needs_review()
    return {p: rules.evaluate(intake, p, policies_off=off, needs_review=review) for p in Product}


def evaluate_patient(patient: Patient, today: date) -> dict[Product, rules.Verdict]:
    """The verdict for every product (the offered ones are shown; all six are signed on)."""
    return evaluate_intake(intake_for(patient, today))


SEXES = ("female", "male", "other", "unknown")


def evaluate_answers(
    raw: object, product: object, *, on: date | None = None, sex: object = None
) -> rules.Verdict:
    """For the API: answers in the stored shape plus `birth_date` (and, optionally, `sex`, here
    or in the answers), and a product. Writes nothing."""
    errors: dict[str, list[str]] = {}
    if not isinstance(product, str) or product not in set(Product):
        errors["product"] = [f"Choose one of: {', '.join(p.value for p in Product)}."]
    if sex is not None and sex not in SEXES:
        errors["sex"] = [f"Choose one of: {', '.join(SEXES)}."]
    today = on or clinic_today()
    birth_date = None
    if isinstance(raw, dict):
        raw = dict(raw)
        birth_raw = raw.pop("birth_date", None)
        birth_date = questionnaire.parse_date(birth_raw)
        if birth_date is None:
            errors["intake.birth_date"] = ["Give the date of birth as YYYY-MM-DD."]
        elif birth_date > today or birth_date.year < today.year - 120:
            errors["intake.birth_date"] = ["This date of birth cannot be right."]
        if "sex" in raw:
            given = raw.pop("sex")
            if given is not None and given not in SEXES:
                errors["intake.sex"] = [f"Choose one of: {', '.join(SEXES)}."]
            elif sex is None:
                sex = given
    answers, found = questionnaire.clean(raw, today=today, birth_date=birth_date)
    for name, messages in found.items():
        errors[f"intake.{name}"] = messages
    if errors:
        raise ValidationFailed(errors)
    intake = questionnaire.to_intake(answers, today=today, birth_date=birth_date, sex=sex)
    return rules.evaluate(
        intake, Product(product), policies_off=policies_off(), needs_review=needs_review()
    )


GENERIC_RULES = {"unanswered", "unrecognised-entry"}


def signature_of(verdicts: dict[Product, rules.Verdict]) -> list[str]:
    """The rule outcomes a decision rests on: product:rule for each finding (and, for the
    catch-all rules, which answer or entry), so that a change in any of them is seen."""
    keys = set()
    for product, verdict in verdicts.items():
        for f in verdict.findings:
            key = f"{product.value}:{f.rule}"
            if f.rule in GENERIC_RULES:
                key += f":{fold(f.because)}"
            keys.add(key)
    return sorted(keys)


def signature_key(signature: list[str]) -> str:
    return hashlib.sha256(json.dumps(signature).encode()).hexdigest()[:16]


def verdict_json(verdict: rules.Verdict) -> dict:
    """A verdict as the API returns it and a decision stores it."""
    return {
        "product": verdict.product.value,
        "outcome": verdict.outcome.value,
        "findings": [
            {
                "rule": f.rule,
                "severity": f.severity.value,
                "message": f.message,
                "source": f.source,
                "because": f.because,
                "areas": [a.value for a in f.areas],
            }
            for f in verdict.findings
        ],
        "unrecognised": [r.text for r in verdict.unrecognised],
    }


def evaluation_json(verdicts: dict[Product, rules.Verdict]) -> dict:
    return {p.value: verdict_json(v) for p, v in verdicts.items()}
