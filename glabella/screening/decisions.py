"""Candidacy decisions: `sign_decision` records a prescriber's decision per product and area
(with its audit row, in one transaction). The newest decision is current while it has not
expired and the rules still come out as they did when it was signed (`decision_state`); any
change of outcome invalidates it. From it follow what a patient may be booked for
(`require_treatment_clearance`) and treated for (`clearance`, `is_cleared`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.utils import timezone

from glabella.catalogue.areas import Area, OffLabelArea, area_name
from glabella.catalogue.products import Product, label_areas, off_label_areas
from glabella.clinic.clock import clinic_today, clinic_zone
from glabella.clinic.models import Service
from glabella.core import audit, signing
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Conflict, Forbidden, ValidationFailed
from glabella.core.roles import PRESCRIBING_CREDENTIALS, Capability
from glabella.core.text import CONTROL
from glabella.patients.models import (
    Patient,
)
from glabella.screening import rules
from glabella.screening.evaluation import (
    evaluate_patient,
    evaluation_json,
    signature_key,
    signature_of,
)
from glabella.screening.intake import latest_intake
from glabella.screening.models import (
    CandidacyDecision,
    DecisionLine,
)
from glabella.screening.policy import policies_off

Action = audit.Action


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
        return DecisionState("expired", f"Expired on {ended:%b} {ended.day}, {ended.year}.")
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
                    f"The candidacy decision runs until {ends:%b} {ends.day}, {ends.year}, "
                    "before this treatment: book a consultation to renew it first."
                ]
            }
        )


DECIDED_WORDS = (
    "I examined this patient in good faith, reviewed their answers and the findings shown, and "
    "decide their candidacy for each product and area as listed."
)


def attestation(staff) -> str:
    """What signing a candidacy decision means, shown above the PIN and kept on the decision."""
    return signing.statement(staff, DECIDED_WORDS)


def sign_decision(
    actor: Actor,
    patient: Patient,
    lines: object,
    *,
    proof: signing.SigningProof | None = None,
    note: str = "",
    shown: str | None = None,
    now: datetime | None = None,
) -> CandidacyDecision:
    """A prescriber's decision per product and area, on the findings as they stand now.
    `shown` is the signature_key of the findings the signer was shown: if the answers changed
    in between, nothing is signed. `proof`: the signer's PIN or password (`core.signing`)."""
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
        raise Forbidden("Your license on file is not current; the decision cannot be signed.")
    proved = signing.require(actor, proof)
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
            attestation=attestation(staff),
        )
        DecisionLine.objects.bulk_create(
            DecisionLine(decision=decision, **line) for line in cleaned
        )
        audit.record_patient(
            actor,
            Action.CREATE,
            patient,
            object_type=audit.Kind.CANDIDACY_DECISION,
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
                "signed_with": proved.method,
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
