"""Every write screening makes, and the reads that decide what a patient may be booked and
treated for.

- Intake: `submit_intake` checks answers against the questionnaire, stores them (never changed
  later), and adds what the patient reported to their record, marked as coming from the intake.
- Evaluation: `evaluate_patient` runs the rules engine on the latest answers and the record's
  current allergies, medications and conditions, with the clinic's policy switches.
- Decisions: `sign_decision` records a prescriber's decision per product and area. The newest
  decision is current while it has not expired and the rules still come out as they did when it
  was signed (`decision_state`); any change of outcome invalidates it.
- Consent: `publish_consent` adds a version of a consent text; `sign_consent` records the
  patient's signature on the current version, with the PDF.
- Policy: `set_policy` switches a clinic-policy rule, audited; `set_review` sets whether a label
  precaution needs review before a decision (the label's defaults until the medical director
  changes one), audited.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import CharField, Value
from django.urls import reverse
from django.utils import timezone

from glabella.catalogue.areas import Area, OffLabelArea, area_name
from glabella.catalogue.products import MEDICATION_GUIDES, Product, label_areas, off_label_areas
from glabella.clinic.clock import clinic_today, clinic_zone
from glabella.clinic.models import Service
from glabella.core import audit
from glabella.core.access import Actor, link_actor
from glabella.core.db import write_transaction
from glabella.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from glabella.core.roles import PRESCRIBING_CREDENTIALS, Capability
from glabella.core.text import CONTROL
from glabella.patients.models import (
    Allergy,
    BreastfeedingStatus,
    ClinicalEntry,
    Condition,
    Medication,
    Patient,
    PregnancyStatus,
)
from glabella.screening import pdf, questionnaire, rules
from glabella.screening.consent_texts import DEFAULTS, OFF_LABEL
from glabella.screening.models import (
    CandidacyDecision,
    ConsentDocument,
    ConsentKind,
    ConsentWithdrawal,
    DecisionLine,
    IntakeResponse,
    PolicyChange,
    Questionnaire,
    ReviewSetting,
    SignedConsent,
    Via,
)

Action = audit.Action

# ---------------------------------------------------------------- time and place


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def offered_products() -> tuple[Product, ...]:
    return tuple(Product(p) for p in settings.OFFERED_PRODUCTS)


# ---------------------------------------------------------------- who is acting


def forms_actor(patient: Patient, via: str, ip: str | None = None) -> Actor:
    """Whoever holds a valid forms link (or the tablet the desk handed over) acts as the
    patient, for that patient's questionnaire and consents only."""
    return link_actor("forms-link", f"forms {via} for patient {patient.public_id}", patient.pk, ip)


def _is_the_patient(actor: Actor, patient: Patient) -> bool:
    return actor.patient_id is not None and actor.patient_id == patient.pk


def _label(actor: Actor) -> str:
    return actor.label[:200]


# ---------------------------------------------------------------- forms links

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
    """Email or text the patient a link to their questionnaire and consents. Like every
    message to a patient it names no treatment: only that there are forms to fill in."""
    from glabella.messaging.outbox import queue_to_patient

    if not (actor.can(Capability.VIEW_PATIENT) or actor.role == "system"):
        raise Forbidden("Your role may not send forms to patients.")
    now = now or timezone.now()
    url = forms_url(patient)
    body = (
        f"Hello {patient.preferred_name or patient.given_name},\n\n"
        "Before your visit, please answer a few health questions and read the forms we will ask "
        f"you to sign. It takes about five minutes:\n{url}\n\n"
        f"The link works for {settings.FORMS_LINK_DAYS} days."
    )
    message = queue_to_patient(
        patient,
        topic="forms",
        subject="Your forms before your visit",
        body=body,
        about=f"patient:{patient.public_id}",
        now=now,
        dedupe_key=dedupe_key,
    )
    audit.record_patient(
        actor, Action.CREATE, patient, object_type="forms-link", detail={"sent": bool(message)}
    )
    return message


def after_booking(appointment, now: datetime) -> None:
    """A booked consultation: send the forms link, unless the patient's intake is recent and
    their treatment consent current (they have nothing to fill in)."""
    if appointment.service.kind != Service.Kind.CONSULTATION:
        return
    patient = appointment.patient
    today = clinic_today(patient, now)
    latest = latest_intake(patient)
    recent = latest is not None and latest.submitted_at >= now - timedelta(days=180)
    if recent and current_consent(patient, ConsentKind.NEUROMODULATOR, today) is not None:
        return
    from glabella.core.access import system_actor

    send_forms_link(
        system_actor("booking"),
        patient,
        now=now,
        dedupe_key=f"forms:appointment:{appointment.public_id}",
    )


# ---------------------------------------------------------------- intake


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
    may = actor.can(Capability.CHANGE_CLINICAL) or _is_the_patient(actor, patient)
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
            actor_label=_label(actor),
            ip=actor.ip,
        )
        added = _update_record(actor, patient, answers, today, now)
        audit.record_patient(
            actor,
            Action.CREATE,
            patient,
            object_type="intake",
            object_id=response.public_id,
            detail={"via": via, "version": form.version, "added_to_record": added},
        )
    return response


def _fold(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.casefold().split())


# A "yes" to an allergy question goes on the record under this name.
ALLERGY_QUESTIONS = {
    rules.Question.ALLERGY_TOXIN.value: "Botulinum toxin",
    rules.Question.ALLERGY_ALBUMIN.value: "Human albumin",
    rules.Question.ALLERGY_MILK.value: "Cow's milk protein",
}


def _update_record(actor: Actor, patient: Patient, answers: dict, today: date, now) -> dict:
    """Adds reported allergies, medications and conditions the record does not have yet (as
    active entries from the intake), and the pregnancy and breastfeeding answers."""
    added: dict[str, int] = {}
    by = actor.saved_user
    said_yes = [
        name for question, name in ALLERGY_QUESTIONS.items() if answers["answers"].get(question)
    ]
    for key, model in (
        ("allergies", Allergy),
        ("medications", Medication),
        ("conditions", Condition),
    ):
        known = {
            _fold(n)
            for n in model.objects.filter(patient=patient, active=True).values_list(
                "name", flat=True
            )
        }
        reported = answers[key] + (said_yes if key == "allergies" else [])
        new = []
        for name in reported:
            if _fold(name) not in known:
                known.add(_fold(name))
                new.append(name)
        model.objects.bulk_create(
            model(
                patient=patient,
                name=name,
                source=ClinicalEntry.Source.INTAKE,
                recorded_at=now,
                recorded_by=by,
            )
            for name in new
        )
        added[key] = len(new)
    changes = {}
    pregnant = answers["answers"].get(rules.Question.PREGNANT.value)
    if pregnant is not None:
        changes["pregnancy_status"] = (
            PregnancyStatus.PREGNANT if pregnant else PregnancyStatus.NOT_PREGNANT
        )
        changes["pregnancy_recorded_on"] = today
    feeding = answers["answers"].get(rules.Question.BREASTFEEDING.value)
    if feeding is not None:
        changes["breastfeeding_status"] = (
            BreastfeedingStatus.YES if feeding else BreastfeedingStatus.NO
        )
        changes["breastfeeding_recorded_on"] = today
    if changes:
        Patient.objects.filter(pk=patient.pk).update(updated_at=now, **changes)
        for name, value in changes.items():
            setattr(patient, name, value)
    return added


# ---------------------------------------------------------------- evaluation


def policies_off() -> frozenset[str]:
    """Clinic-policy rules the medical director has switched off (the latest change per rule)."""
    off = set()
    seen = set()
    for rule_id, enabled in PolicyChange.objects.order_by("-at", "-id").values_list(
        "rule_id", "enabled"
    ):
        if rule_id in seen:
            continue
        seen.add(rule_id)
        if not enabled:
            off.add(rule_id)
    return frozenset(off & rules.POLICY_RULES)


@dataclass(frozen=True)
class PolicyState:
    rule: rules.Rule
    enabled: bool
    last: PolicyChange | None


def policy_states() -> list[PolicyState]:
    latest: dict[str, PolicyChange] = {}
    for change in PolicyChange.objects.select_related("changed_by").order_by("-at", "-id"):
        latest.setdefault(change.rule_id, change)
    return [
        PolicyState(
            rule, latest[rule.id].enabled if rule.id in latest else True, latest.get(rule.id)
        )
        for rule in rules.RULES
        if rule.policy
    ]


def _change_reason(reason, errors: dict[str, list[str]]) -> str:
    """Why the medical director changed a setting, in a few plain words (kept in the record)."""
    reason = " ".join(reason.split()) if isinstance(reason, str) else ""
    if len(reason) < 5:
        errors["reason"] = ["Say why, in a few words: the change is kept in the record."]
    elif len(reason) > 300 or CONTROL.search(reason):
        errors["reason"] = ["Keep the reason to 300 plain characters."]
    return reason


def set_policy(actor: Actor, rule_id: str, enabled: bool, reason: str, *, now=None) -> PolicyChange:
    if not actor.can(Capability.SET_SCREENING_POLICY):
        raise Forbidden("Only the medical director switches clinic policies.")
    errors: dict[str, list[str]] = {}
    if rule_id not in rules.POLICY_RULES:
        errors["rule"] = ["Choose one of the clinic-policy rules; label rules cannot be switched."]
    reason = _change_reason(reason, errors)
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        change = PolicyChange.objects.create(
            rule_id=rule_id,
            enabled=enabled,
            reason=reason,
            changed_by=actor.saved_user,
            actor_label=_label(actor),
            at=now or timezone.now(),
        )
        audit.record(
            actor,
            Action.UPDATE,
            "screening.policy",
            rule_id,
            detail={"enabled": enabled, "reason": reason},
        )
    return change


def needs_review() -> frozenset[str]:
    """The label precautions that need review before a decision: the label's defaults, as the
    medical director last set each (the latest change per rule)."""
    out = set(rules.DEFAULT_REVIEW)
    seen = set()
    for rule_id, on in ReviewSetting.objects.order_by("-at", "-id").values_list(
        "rule_id", "needs_review"
    ):
        if rule_id in seen or rule_id not in rules.REVIEWABLE_RULES:
            continue
        seen.add(rule_id)
        (out.add if on else out.discard)(rule_id)
    return frozenset(out)


@dataclass(frozen=True)
class ReviewState:
    rule: rules.Rule
    needs_review: bool
    default: bool  # the label's default
    last: ReviewSetting | None


def review_states() -> list[ReviewState]:
    latest: dict[str, ReviewSetting] = {}
    for change in ReviewSetting.objects.order_by("-at", "-id"):
        latest.setdefault(change.rule_id, change)
    on = needs_review()
    return [
        ReviewState(rule, rule.id in on, rule.id in rules.DEFAULT_REVIEW, latest.get(rule.id))
        for rule in rules.RULES
        if rule.reviewable
    ]


def set_review(
    actor: Actor, rule_id: object, needs: object, reason: object, *, now=None
) -> ReviewSetting:
    """The medical director sets whether a label precaution needs review (True) or is shown as
    a warning only (False). Audited; the change is a new row."""
    if not actor.can(Capability.SET_SCREENING_POLICY):
        raise Forbidden("Only the medical director sets which precautions need review.")
    errors: dict[str, list[str]] = {}
    if not isinstance(rule_id, str) or rule_id not in rules.REVIEWABLE_RULES:
        errors["rule"] = [
            "Choose one of the label's precautions: "
            + ", ".join(sorted(rules.REVIEWABLE_RULES))
            + "."
        ]
    if not isinstance(needs, bool):
        errors["needs_review"] = ["Say whether it needs review: true or false."]
    reason = _change_reason(reason, errors)
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        change = ReviewSetting.objects.create(
            rule_id=rule_id,
            needs_review=needs,
            reason=reason,
            changed_by=actor.saved_user,
            actor_label=_label(actor),
            at=now or timezone.now(),
        )
        audit.record(
            actor,
            Action.UPDATE,
            "screening.review",
            rule_id,
            detail={"needs_review": needs, "reason": reason},
        )
    return change


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
                key += f":{_fold(f.because)}"
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


# ---------------------------------------------------------------- decisions


@dataclass(frozen=True)
class DecisionState:
    status: str  # current, expired, invalidated, superseded
    reason: str = ""

    @property
    def current(self) -> bool:
        return self.status == "current"


def _changes(old: list[str], new: list[str]) -> str:
    def group(keys):
        by_rule: dict[str, set[str]] = {}
        for key in keys:
            product, _, rest = key.partition(":")
            by_rule.setdefault(rest, set()).add(product)
        return [
            f"{rule} ({'all products' if len(ps) == len(Product) else ', '.join(sorted(ps))})"
            for rule, ps in sorted(by_rule.items())
        ]

    parts = []
    appeared = group(set(new) - set(old))
    gone = group(set(old) - set(new))
    if appeared:
        parts.append("new finding: " + "; ".join(appeared))
    if gone:
        parts.append("no longer found: " + "; ".join(gone))
    return "The answers or the record changed since signing: " + ". ".join(parts) + "."


def decision_state(
    decision: CandidacyDecision,
    *,
    today: date,
    signature: list[str],
    newest_id: int | None = None,
) -> DecisionState:
    if newest_id is not None and decision.pk != newest_id:
        return DecisionState("superseded", "A later decision replaces it.")
    if today > decision.expires_on:
        ended = decision.expires_on
        return DecisionState("expired", f"Expired on {ended:%B} {ended.day}, {ended.year}.")
    if list(decision.signature) != list(signature):
        return DecisionState("invalidated", _changes(decision.signature, signature))
    return DecisionState("current")


def current_decision(
    patient: Patient, today: date
) -> tuple[CandidacyDecision | None, DecisionState | None]:
    """The newest decision and its state (None, None if there is none)."""
    if patient.pk is None:
        return None, None
    newest = (
        CandidacyDecision.objects.filter(patient=patient)
        .order_by("-signed_at", "-id")
        .prefetch_related("lines")
        .first()
    )
    if newest is None:
        return None, None
    signature = signature_of(evaluate_patient(patient, today))
    return newest, decision_state(newest, today=today, signature=signature)


def allowed_lines(patient: Patient, today: date) -> list[DecisionLine]:
    decision, state = current_decision(patient, today)
    if decision is None or not state.current:
        return []
    return [line for line in decision.lines.all() if line.allowed]


def _area(value: str) -> Area | OffLabelArea:
    return Area(value) if value in set(Area) else OffLabelArea(value)


def clearance(patient: Patient, product: str, on_day: date):
    """(the current decision, the areas it allows this product in) for a treatment on `on_day`;
    (None, None) without a current decision running that day. Label areas come from on-label
    lines; an area off this product's label is in the set only when the decision allowed it as
    an off-label line (with its rationale), so an off-label area nobody decided is not cleared."""
    decision, state = current_decision(patient, clinic_today(patient))
    if decision is None or not state.current or on_day > decision.expires_on:
        return None, None
    areas = frozenset(
        _area(line.area)
        for line in decision.lines.all()
        if line.allowed and line.product == product
    )
    return decision, areas


def off_label_records(decision: CandidacyDecision | None) -> list[dict]:
    """The decision's structured off-label records (area, rationale, who decided, when)."""
    if decision is None:
        return []
    return [r for line in decision.lines.all() if (r := line.off_label_record()) is not None]


def is_cleared(patient: Patient, product: str, area: str, on_day: date) -> bool:
    """Whether a current decision allows this product in this area on this day (charting)."""
    today = clinic_today(patient)
    decision, state = current_decision(patient, today)
    if decision is None or not state.current or on_day > decision.expires_on:
        return False
    return any(
        line.allowed and line.product == product and line.area == area
        for line in decision.lines.all()
    )


NEEDS_DECISION = (
    "A neuromodulator treatment needs a current candidacy decision from a consultation. "
    "Book a consultation first."
)


def require_treatment_clearance(service: Service, patient: Patient, start: datetime) -> None:
    """The booking prerequisite screening registers with scheduling."""
    if service.kind != Service.Kind.NEUROMODULATOR:
        return
    if patient.pk is None:
        raise ValidationFailed({"service": [NEEDS_DECISION]})
    today = clinic_today(patient)
    decision, state = current_decision(patient, today)
    if decision is None or not state.current:
        raise ValidationFailed({"service": [NEEDS_DECISION]})
    if not any(line.allowed for line in decision.lines.all()):
        raise ValidationFailed(
            {"service": ["The candidacy decision does not allow a neuromodulator treatment."]}
        )
    day = start.astimezone(clinic_zone(patient)).date()
    if day > decision.expires_on:
        ends = decision.expires_on
        raise ValidationFailed(
            {
                "service": [
                    f"The candidacy decision runs until {ends:%B} {ends.day}, {ends.year}, "
                    "before this treatment: book a consultation to renew it first."
                ]
            }
        )


def sign_decision(
    actor: Actor,
    patient: Patient,
    lines: object,
    *,
    note: str = "",
    shown: str | None = None,
    now: datetime | None = None,
) -> CandidacyDecision:
    """A prescriber's decision per product and area, on the findings as they stand now.
    `shown` is the signature_key of the findings the signer was shown: if the answers changed
    in between, nothing is signed."""
    staff = actor.staff
    if staff is None or not actor.can(Capability.SIGN_DECISION):
        raise Forbidden("Only a clinician signs a candidacy decision.")
    now = now or timezone.now()
    today = clinic_today(patient, now)
    if staff.credential not in PRESCRIBING_CREDENTIALS:
        raise Forbidden(
            "A candidacy decision follows a good-faith examination by an MD, DO, NP or PA; "
            "ask your supervising prescriber to sign it."
        )
    if not staff.licence_current_on(today):
        raise Forbidden("Your licence on file is not current; the decision cannot be signed.")
    response = latest_intake(patient)
    if response is None:
        raise ValidationFailed(
            {"intake": ["Record the patient's intake questionnaire before deciding."]}
        )
    verdicts = evaluate_patient(patient, today)
    signature = signature_of(verdicts)
    if shown is not None and shown != signature_key(signature):
        raise Conflict(
            "The patient's answers or record changed while you were deciding. "
            "Review the findings again, then sign."
        )
    cleaned, errors = _clean_lines(lines, verdicts)
    note = (note or "").strip()
    if len(note) > 2000 or CONTROL.search(note):
        errors["note"] = ["Keep the note to 2000 plain characters."]
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        previous = (
            CandidacyDecision.objects.filter(patient=patient).order_by("-signed_at", "-id").first()
        )
        decision = CandidacyDecision.objects.create(
            patient=patient,
            intake=response,
            signed_by=staff,
            signer_label=str(staff)[:200],
            signed_at=now,
            expires_on=add_months(today, settings.DECISION_VALID_MONTHS),
            note=note,
            evaluation=evaluation_json(verdicts),
            signature=signature,
            policies_off=sorted(policies_off()),
            supersedes=previous,
            ip=actor.ip,
        )
        DecisionLine.objects.bulk_create(
            DecisionLine(decision=decision, **line) for line in cleaned
        )
        audit.record_patient(
            actor,
            Action.CREATE,
            patient,
            object_type="candidacy-decision",
            object_id=decision.public_id,
            detail={
                "allowed": [f"{x['product']}:{x['area']}" for x in cleaned if x["allowed"]],
                "declined": [f"{x['product']}:{x['area']}" for x in cleaned if not x["allowed"]],
                "off_label": [
                    {"product": x["product"], "area": x["area"], "rationale": x["rationale"]}
                    for x in cleaned
                    if x["off_label"]
                ],
                "supersedes": str(previous.public_id) if previous else None,
            },
        )
    return decision


LINE_KEYS = {"product", "area", "allowed", "reason", "off_label", "rationale"}


def _clean_lines(raw: object, verdicts) -> tuple[list[dict], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    if not isinstance(raw, list) or not raw:
        return [], {"lines": ["Decide for at least one product and area."]}
    if len(raw) > 100:
        return [], {"lines": ["Decide for at most 100 products and areas at once."]}
    offered = set(offered_products())
    out, seen = [], set()
    for i, line in enumerate(raw):
        where = f"lines.{i}"
        if not isinstance(line, dict) or set(line) - LINE_KEYS:
            errors[where] = [
                "Give product, area, allowed and, where needed, a reason; for an area off the "
                "label, off_label and the rationale."
            ]
            continue
        product, area = line.get("product"), line.get("area")
        if (
            not isinstance(product, str)
            or product not in set(Product)
            or Product(product) not in offered
        ):
            errors[f"{where}.product"] = ["Choose one of the products the clinic offers."]
            continue
        product = Product(product)
        areas = label_areas(product)
        off_areas = off_label_areas(product)
        on_label = isinstance(area, str) and area in {a.value for a in areas}
        off = isinstance(area, str) and area in {a.value for a in off_areas}
        if not (on_label or off):
            names = ", ".join(a.label for a in areas)
            others = ", ".join(a.label for a in off_areas)
            errors[f"{where}.area"] = [
                f"Choose one of this product's label areas: {names}; or, as an off-label "
                f"line, one of: {others}."
            ]
            continue
        allowed = line.get("allowed")
        if not isinstance(allowed, bool):
            errors[f"{where}.allowed"] = ["Say whether it is allowed: yes or no."]
            continue
        reason = line.get("reason", "") or ""
        if not isinstance(reason, str) or len(reason) > 500 or CONTROL.search(reason):
            errors[f"{where}.reason"] = ["Keep the reason to 500 plain characters."]
            continue
        reason = " ".join(reason.split())
        marked = line.get("off_label", False)
        if not isinstance(marked, bool):
            errors[f"{where}.off_label"] = ["Say whether the line is off-label: true or false."]
            continue
        if on_label and marked:
            errors[f"{where}.off_label"] = [
                f"{area_name(area)} is on the label of {product.label}: decide it as a label line."
            ]
            continue
        if off and not marked:
            errors[f"{where}.off_label"] = [
                f"{area_name(area)} is not on the label of {product.label}: decide it as an "
                "off-label line, with the rationale."
            ]
            continue
        rationale = line.get("rationale", "") or ""
        if not isinstance(rationale, str) or len(rationale) > 500 or CONTROL.search(rationale):
            errors[f"{where}.rationale"] = ["Keep the rationale to 500 plain characters."]
            continue
        rationale = " ".join(rationale.split())
        if on_label and rationale:
            errors[f"{where}.rationale"] = ["A rationale is for off-label lines only."]
            continue
        if off and allowed and len(rationale) < 10:
            errors[f"{where}.rationale"] = [
                "Give the clinical rationale for treating this area off-label (at least a few "
                "words): it is kept with the decision."
            ]
            continue
        if (product, area) in seen:
            errors[f"{where}.area"] = ["This product and area are decided twice."]
            continue
        seen.add((product, area))
        verdict = verdicts[product].outcome
        if allowed and verdict == rules.Outcome.NOT_ELIGIBLE:
            first = verdicts[product].findings[0].message
            errors[f"{where}.allowed"] = [
                f"{product.label} is contraindicated for this patient ({first}) and cannot be "
                "allowed. If an answer was wrong, record corrected answers first."
            ]
            continue
        if not allowed and on_label and verdict == rules.Outcome.ELIGIBLE and not reason:
            errors[f"{where}.reason"] = [
                "Give a reason: declining departs from the verdict (eligible)."
            ]
            continue
        out.append(
            {
                "product": product.value,
                "area": _area(area).value,
                "allowed": allowed,
                "verdict": verdict.value,
                "reason": reason,
                "off_label": off,
                "rationale": rationale,
            }
        )
    return out, errors


# ---------------------------------------------------------------- consent documents


def text_of(title: str, version: int, body: str) -> str:
    """The exact text a patient signs, as hashed."""
    return f"{title}\nVersion {version}\n\n{body}"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def ensure_default_consents(now: datetime | None = None) -> None:
    """Publishes the shipped consent texts as version 1 of each kind that has none yet."""
    for kind, (title, body) in DEFAULTS.items():
        if ConsentDocument.objects.filter(kind=kind).exists():
            continue
        # Another process may publish it meanwhile: then the unique version refuses this one.
        with contextlib.suppress(IntegrityError), transaction.atomic():
            ConsentDocument.objects.create(
                kind=kind,
                version=1,
                title=title,
                body=body,
                text_sha256=sha256(text_of(title, 1, body)),
                published_at=now or timezone.now(),
                actor_label="glabella default text",
            )


def current_documents() -> dict[str, ConsentDocument]:
    latest: dict[str, ConsentDocument] = {}
    for doc in ConsentDocument.objects.order_by("kind", "-version"):
        latest.setdefault(doc.kind, doc)
    return latest


def publish_consent(actor: Actor, kind: str, title: str, body: str, *, now=None) -> ConsentDocument:
    if not actor.can(Capability.MANAGE_CONSENT_FORMS):
        raise Forbidden("Only the medical director or the owner publishes consent documents.")
    errors: dict[str, list[str]] = {}
    if kind not in ConsentKind.values:
        errors["kind"] = ["Choose the treatment the consent is for."]
    title = " ".join((title or "").split())
    body = (body or "").replace("\r\n", "\n").replace("\r", "\n").strip() + "\n"
    if not 3 <= len(title) <= 200 or CONTROL.search(title):
        errors["title"] = ["Give a title of 3 to 200 plain characters."]
    if not 50 <= len(body) <= 20000:
        errors["body"] = ["The text must be 50 to 20,000 characters."]
    elif CONTROL.search(body.replace("\n", "")):
        errors["body"] = ["Remove the control characters."]
    if errors:
        raise ValidationFailed(errors)
    try:
        with write_transaction():
            last = ConsentDocument.objects.filter(kind=kind).order_by("-version").first()
            version = (last.version if last else 0) + 1
            doc = ConsentDocument.objects.create(
                kind=kind,
                version=version,
                title=title,
                body=body,
                text_sha256=sha256(text_of(title, version, body)),
                published_at=now or timezone.now(),
                published_by=actor.saved_user,
                actor_label=_label(actor),
            )
            audit.record(
                actor,
                Action.CREATE,
                "consent-document",
                doc.public_id,
                detail={"kind": kind, "version": version},
            )
    except IntegrityError:
        raise Conflict(
            "Someone published a version at the same moment; reload and try again."
        ) from None
    return doc


# ---------------------------------------------------------------- signed consents


@dataclass(frozen=True)
class ConsentText:
    """What the patient reads and signs: the document's text, with the off-label paragraph
    when their current decision allows an area off the product's label."""

    body: str
    off_label_areas: tuple[str, ...]
    text_sha256: str


def consent_text(document: ConsentDocument, patient: Patient, today: date) -> ConsentText:
    areas: list[str] = []
    if document.kind == ConsentKind.NEUROMODULATOR:
        decision, state = current_decision(patient, today)
        if decision is not None and state.current:
            for line in decision.lines.all():
                if line.off_label and line.allowed and line.area not in areas:
                    areas.append(line.area)
    if not areas:
        return ConsentText(document.body, (), document.text_sha256)
    heading, paragraph = OFF_LABEL
    names = ", ".join(area_name(a).lower() for a in areas)
    body = document.body.rstrip("\n") + f"\n\n{heading}\n{paragraph.format(areas=names)}\n"
    return ConsentText(body, tuple(areas), sha256(text_of(document.title, document.version, body)))


def medication_guides() -> list[tuple[str, str]]:
    """(product, version) of the Medication Guides of the products the clinic offers."""
    return [(p.value, MEDICATION_GUIDES[p].version) for p in offered_products()]


def current_consent(
    patient: Patient, kind: str, today: date, *, documents: dict | None = None
) -> SignedConsent | None:
    """The patient's signature on the current version of this consent, if it is not withdrawn
    and not older than CONSENT_VALID_MONTHS. `documents`: current_documents(), if already read."""
    document = (documents if documents is not None else current_documents()).get(kind)
    if document is None or patient.pk is None:
        return None
    signed = (
        SignedConsent.objects.filter(patient=patient, document=document, withdrawal__isnull=True)
        .order_by("-signed_at", "-id")
        .first()
    )
    if signed is None:
        return None
    signed_on = signed.signed_at.astimezone(clinic_zone(patient)).date()
    if add_months(signed_on, settings.CONSENT_VALID_MONTHS) < today:
        return None
    return signed


def consent_overview(patient: Patient, today: date) -> list[dict]:
    """Per kind: the current document, the current signature (or None)."""
    docs = current_documents()
    return [
        {
            "kind": kind,
            "label": label,
            "document": docs.get(kind),
            "signed": current_consent(patient, kind, today, documents=docs),
        }
        for kind, label in ConsentKind.choices
    ]


MAX_STROKES = 100
MAX_POINTS = 5000


def clean_strokes(raw: object) -> list[list[list[int]]]:
    """A drawn signature: strokes of points, each 0-1000 on both axes. Raises ValueError with
    what is wrong."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else []
        except ValueError:
            raise ValueError("The signature could not be read; please draw it again.") from None
    if not isinstance(raw, list) or len(raw) > MAX_STROKES:
        raise ValueError("The signature could not be read; please draw it again.")
    strokes, total = [], 0
    for stroke in raw:
        if not isinstance(stroke, list):
            raise ValueError("The signature could not be read; please draw it again.")
        points = []
        for point in stroke:
            if (
                not isinstance(point, list)
                or len(point) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in point)
                or not all(math.isfinite(v) and 0 <= v <= 1000 for v in point)
            ):
                raise ValueError("The signature could not be read; please draw it again.")
            points.append([round(point[0]), round(point[1])])
        total += len(points)
        if points:
            strokes.append(points)
    if total > MAX_POINTS:
        raise ValueError("The signature has too many points; please draw it again, simply.")
    if strokes:
        xs = [p[0] for s in strokes for p in s]
        ys = [p[1] for s in strokes for p in s]
        if max(xs) - min(xs) < 30 and max(ys) - min(ys) < 30:
            raise ValueError("Please draw your signature across the box; a dot is not enough.")
    return strokes


def _name_matches(typed: str, patient: Patient) -> bool:
    words = set(re.sub(r"[^a-z0-9 ]", " ", _fold(typed)).split())
    family = set(re.sub(r"[^a-z0-9 ]", " ", _fold(patient.family_name)).split())
    given = set(re.sub(r"[^a-z0-9 ]", " ", _fold(patient.given_name)).split())
    preferred = set(re.sub(r"[^a-z0-9 ]", " ", _fold(patient.preferred_name)).split())
    return bool(family) and family <= words and bool(words & (given | preferred))


def sign_consent(
    actor: Actor,
    patient: Patient,
    document: ConsentDocument,
    *,
    typed_name: str,
    strokes: object,
    adopt_typed: bool,
    shown_sha256: str,
    via: str,
    user_agent: str = "",
    medication_guide: object = None,
    now: datetime | None = None,
) -> SignedConsent:
    """The patient signs the current version of a consent document (never staff for them), as
    shown to them (`consent_text`: with the off-label paragraph when their decision has
    off-label lines). `medication_guide`: the product whose Medication Guide they were given,
    recorded with its version (the treatment consent's form asks for it)."""
    if not _is_the_patient(actor, patient):
        raise Forbidden("Only the patient signs their consent.")
    now = now or timezone.now()
    current = current_documents().get(document.kind)
    text = consent_text(document, patient, clinic_today(patient, now))
    if current is None or current.pk != document.pk or shown_sha256 != text.text_sha256:
        raise Conflict("The clinic has published a newer version of this form: please read it.")
    errors: dict[str, list[str]] = {}
    guide_version = ""
    if medication_guide not in (None, ""):
        guides = dict(medication_guides())
        if document.kind != ConsentKind.NEUROMODULATOR:
            errors["medication_guide"] = ["A Medication Guide goes with a treatment consent."]
        elif not isinstance(medication_guide, str) or medication_guide not in guides:
            errors["medication_guide"] = [
                "Choose the Medication Guide you were given, from the products the clinic offers."
            ]
        else:
            guide_version = guides[medication_guide]
    typed = " ".join((typed_name or "").split())
    if not typed:
        errors["typed_name"] = ["Type your full name."]
    elif len(typed) > 200 or CONTROL.search(typed):
        errors["typed_name"] = ["Type your name in at most 200 plain characters."]
    elif not _name_matches(typed, patient):
        errors["typed_name"] = ["Type your full name as the clinic has it on your record."]
    try:
        drawn = clean_strokes(strokes)
    except ValueError as exc:
        errors["signature"] = [str(exc)]
        drawn = []
    if adopt_typed and drawn:
        errors["signature"] = ["Either draw your signature or sign with your typed name, not both."]
    elif not adopt_typed and not drawn and "signature" not in errors:
        errors["signature"] = [
            "Draw your signature in the box, or choose to sign with your typed name."
        ]
    if errors:
        raise ValidationFailed(errors)
    method = SignedConsent.Method.TYPED if adopt_typed else SignedConsent.Method.DRAWN
    zone = clinic_zone(patient)
    consent = SignedConsent(
        patient=patient,
        document=document,
        typed_name=typed,
        method=method,
        strokes=drawn,
        signed_at=now,
        via=via,
        ip=actor.ip,
        user_agent=(user_agent or "")[:300],
        text_sha256=text.text_sha256,
        actor_label=_label(actor),
        off_label_areas=list(text.off_label_areas),
        medication_guide=medication_guide if guide_version else "",
        medication_guide_version=guide_version,
    )
    from glabella.clinic.models import Organisation

    org = Organisation.objects.order_by("id").first()
    consent.pdf = pdf.render(
        pdf.ConsentRecord(
            clinic=org.name if org else "",
            title=document.title,
            version=document.version,
            body=text.body,
            patient_name=f"{patient.given_name} {patient.family_name}",
            birth_date=patient.birth_date.isoformat(),
            typed_name=typed,
            method=method,
            strokes=drawn,
            signed_at=now.astimezone(zone),
            ip=actor.ip or "",
            via=Via(via).label,
            text_sha256=text.text_sha256,
            consent_id=str(consent.public_id),
            medication_guide=guide_version,
        )
    )
    consent.pdf_sha256 = hashlib.sha256(consent.pdf).hexdigest()
    with write_transaction():
        consent.save()
        audit.record_patient(
            actor,
            Action.CREATE,
            patient,
            object_type="consent",
            object_id=consent.public_id,
            detail={
                "kind": document.kind,
                "version": document.version,
                "method": method,
                "medication_guide": guide_version,
                "off_label_areas": list(text.off_label_areas),
            },
        )
    return consent


def withdraw_consent(actor: Actor, consent: SignedConsent, *, reason: str = "", via: str, now=None):
    patient = consent.patient
    if not (_is_the_patient(actor, patient) or actor.can(Capability.CHANGE_PATIENT)):
        raise Forbidden("Only the patient, or staff on their word, withdraws a consent.")
    reason = " ".join((reason or "").split())
    if len(reason) > 300 or CONTROL.search(reason):
        raise ValidationFailed({"reason": ["Keep the reason to 300 plain characters."]})
    try:
        with write_transaction():
            withdrawal = ConsentWithdrawal.objects.create(
                consent=consent,
                at=now or timezone.now(),
                reason=reason,
                via=via,
                actor_label=_label(actor),
            )
            audit.record_patient(
                actor,
                Action.CREATE,
                patient,
                object_type="consent-withdrawal",
                object_id=consent.public_id,
                detail={"kind": consent.document.kind},
            )
    except IntegrityError:
        raise Conflict("This consent is already withdrawn.") from None
    return withdrawal


def open_consent(actor: Actor, public_id) -> SignedConsent:
    found = (
        SignedConsent.objects.restrict(actor, "view")
        .select_related("document", "patient")
        .filter(public_id=public_id)
        .first()
    )
    if found is None:
        raise NotFound("No such consent.")
    return found


def public_self_check(ip: str, answers: dict | None):
    """The anonymous self-check: counted per address first (Throttled, 429), then the verdict for
    the answers when the form parsed, None when it did not. Nothing is stored."""
    from glabella.core import throttle
    from glabella.screening.selfcheck import self_check

    throttle.check_public_form("self-check", ip=ip)
    if answers is None:
        return None
    return self_check(
        answers,
        today=clinic_today(),
        offered=offered_products(),
        policies_off=policies_off(),
        needs_review=needs_review(),
    )
