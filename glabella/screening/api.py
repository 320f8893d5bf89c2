"""/api/v1/screening: evaluate answers against the rules, record intake answers, read and sign
candidacy decisions, read consents.

Signed records are only ever added: there is no PUT, PATCH or DELETE on any of them, and an
amendment is a new decision (which points to the one it replaces).
"""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from glabella.clinic.clock import clinic_today
from glabella.core import audit, signing
from glabella.core.api import api_actor, requires, secret_field
from glabella.core.bounds import Day
from glabella.core.roles import Capability
from glabella.patients.models import Patient
from glabella.screening import decisions, intake
from glabella.screening.decisions import (
    DecisionState,
    current_decision,
    decision_state,
    off_label_records,
    offered_products,
)
from glabella.screening.evaluation import (
    evaluate_answers,
    evaluate_patient,
    signature_key,
    signature_of,
    verdict_json,
)
from glabella.screening.models import CandidacyDecision, IntakeResponse, SignedConsent, Via
from glabella.screening.policy import review_states, set_review

router = Router(tags=["screening"])
Action = audit.Action


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class EvaluateIn(Strict):
    product: str = Field(description="botox_cosmetic, dysport, xeomin, jeuveau, daxxify, letybo")
    intake: dict[str, Any] = Field(
        description="The questionnaire's answers in their stored shape, plus birth_date"
    )
    on: Day | None = Field(None, description="The day to evaluate on (default: today)")
    sex: Any = Field(
        None,
        description="female, male, other or unknown (also accepted inside intake): questions "
        "that cannot apply (pregnancy for a male patient) hold nobody when left blank",
    )


class ScreeningFindingOut(Schema):
    rule: str
    severity: str = Field(description="contraindication, precaution, warning or information")
    message: str
    source: str
    because: str
    areas: list[str] = Field(description="The label areas it concerns; empty: every area")


class VerdictOut(Schema):
    product: str
    outcome: str
    findings: list[ScreeningFindingOut]
    unrecognised: list[str]


@router.post(
    "/evaluate",
    response=VerdictOut,
    auth=requires(Capability.VIEW_PATIENT),
    summary="Evaluate intake answers for a product",
)
def evaluate(request: HttpRequest, payload: EvaluateIn):
    """The verdict (eligible, review or not_eligible) with every finding. Writes nothing."""
    return verdict_json(
        evaluate_answers(payload.intake, payload.product, on=payload.on, sex=payload.sex)
    )


class ReviewSettingIn(Strict):
    rule: Any = Field(description="A label precaution's rule id (GET lists them)")
    needs_review: Any = Field(
        description="true: the precaution sends the patient to review; false: a warning only"
    )
    reason: Any = Field(description="Why, 5 to 300 characters; kept in the record")


class ReviewSettingOut(Schema):
    rule: str
    message: str
    source: str
    areas: list[str]
    needs_review: bool
    label_default: bool
    changed_at: datetime | None
    changed_by: str
    reason: str


def _review_out(state) -> dict:
    last = state.last
    return {
        "rule": state.rule.id,
        "message": state.rule.message,
        "source": state.rule.source,
        "areas": sorted(a.value for a in state.rule.areas),
        "needs_review": state.needs_review,
        "label_default": state.default,
        "changed_at": last.at if last else None,
        "changed_by": last.actor_label if last else "",
        "reason": last.reason if last else "",
    }


@router.get(
    "/review-settings",
    response=list[ReviewSettingOut],
    auth=requires(Capability.VIEW_CLINICAL),
    summary="Which label precautions need review",
)
def list_review_settings(request: HttpRequest):
    """Each label precaution the medical director may set, with the label's default and the
    setting in force."""
    return [_review_out(s) for s in review_states()]


@router.post(
    "/review-settings",
    response={201: ReviewSettingOut},
    auth=requires(Capability.SET_SCREENING_POLICY),
    summary="Set whether a label precaution needs review",
)
def set_review_setting(request: HttpRequest, payload: ReviewSettingIn):
    """The medical director sets one precaution; the change is a new row, audited."""
    set_review(api_actor(request), payload.rule, payload.needs_review, payload.reason)
    state = next(s for s in review_states() if s.rule.id == payload.rule)
    return Status(201, _review_out(state))


def _patient(request, public_id: UUID) -> Patient:
    actor = api_actor(request)
    patient = Patient.objects.restrict(actor, "view").filter(public_id=public_id).first()
    if patient is None:
        raise Http404
    return patient


class IntakeIn(Strict):
    answers: dict[str, Any] = Field(description="The questionnaire's answers in their stored shape")


class IntakeOut(Schema):
    id: UUID = Field(alias="public_id")
    version: int = Field(alias="questionnaire.version")
    submitted_at: datetime
    via: str
    answers: dict[str, Any]


@router.post("/patients/{public_id}/intake", response={201: IntakeOut}, summary="Record answers")
def submit_intake(request: HttpRequest, public_id: UUID, payload: IntakeIn):
    """A clinician, or the signed-in patient, records a completed questionnaire. Earlier answers
    stay as they were; what the answers report is added to the patient's record."""
    actor = api_actor(request)
    patient = _patient(request, public_id)
    via = Via.PORTAL if actor.is_patient else Via.API
    return Status(201, intake.submit_intake(actor, patient, payload.answers, via=via))


@router.get("/patients/{public_id}/intake", response=list[IntakeOut], summary="Answers given")
def list_intake(request: HttpRequest, public_id: UUID):
    actor = api_actor(request)
    patient = _patient(request, public_id)
    if not (actor.can(Capability.VIEW_CLINICAL) or actor.patient_id == patient.pk):
        raise Http404
    found = list(
        IntakeResponse.objects.restrict(actor)
        .filter(patient=patient)
        .select_related("questionnaire")
        .order_by("-submitted_at", "-id")[:50]
    )
    audit.record_patient(actor, Action.READ, patient, object_type=audit.Kind.INTAKE)
    return found


class DecisionIn(Strict):
    lines: list[dict[str, Any]] = Field(
        description="One per product and area: product, area, allowed, reason; an area off the "
        "product's label (masseter, perioral, mentalis, dao, lateral_brow, nasalis, other, or a "
        "label area of another product) with off_label true and its rationale"
    )
    note: str = ""
    shown: str | None = Field(
        None, description="signature_key of the findings the signer reviewed (from /screening)"
    )
    secret: str = secret_field()


class LineOut(Schema):
    product: str
    area: str
    allowed: bool
    verdict: str
    reason: str
    off_label: bool
    rationale: str


class OffLabelOut(Schema):
    product: str
    area: str
    area_name: str
    allowed: bool
    rationale: str
    decided_by: str
    decided_at: datetime


class DecisionOut(Schema):
    id: UUID = Field(alias="public_id")
    signed_at: datetime
    signed_by: str = Field(alias="signer_label")
    expires_on: date
    note: str
    supersedes: UUID | None = Field(None, alias="supersedes.public_id")
    lines: list[LineOut]
    off_label: list[OffLabelOut] = Field(
        default=[], description="The structured off-label records: area, rationale, who decided"
    )
    status: str = ""
    status_reason: str = ""
    attestation: str | None = Field(
        None, description="What the signature means, in the words shown at signing"
    )


def _decision_out(decision: CandidacyDecision, state) -> dict:
    return {
        "public_id": decision.public_id,
        "signed_at": decision.signed_at,
        "signer_label": decision.signer_label,
        "expires_on": decision.expires_on,
        "note": decision.note,
        "supersedes": decision.supersedes,
        "lines": list(decision.lines.all()),
        "off_label": off_label_records(decision),
        "status": state.status if state else "",
        "status_reason": state.reason if state else "",
        "attestation": decision.attestation,
    }


class ScreeningOut(Schema):
    verdicts: list[VerdictOut]
    signature_key: str
    decision: DecisionOut | None


@router.get(
    "/patients/{public_id}/screening",
    response=ScreeningOut,
    auth=requires(Capability.VIEW_CLINICAL),
    summary="Verdicts and the current decision",
)
def read_screening(request: HttpRequest, public_id: UUID):
    actor = api_actor(request)
    patient = _patient(request, public_id)
    today = clinic_today(patient)
    verdicts = evaluate_patient(patient, today)
    decision, state = current_decision(patient, today)
    audit.record_patient(actor, Action.READ, patient, object_type=audit.Kind.SCREENING)
    return {
        "verdicts": [verdict_json(verdicts[p]) for p in offered_products()],
        "signature_key": signature_key(signature_of(verdicts)),
        "decision": _decision_out(decision, state) if decision else None,
    }


@router.get(
    "/patients/{public_id}/decisions", response=list[DecisionOut], summary="Decisions signed"
)
def list_decisions(request: HttpRequest, public_id: UUID):
    actor = api_actor(request)
    patient = _patient(request, public_id)
    if not (actor.can(Capability.VIEW_CLINICAL) or actor.patient_id == patient.pk):
        raise Http404
    today = clinic_today(patient)
    decisions = list(
        CandidacyDecision.objects.restrict(actor)
        .filter(patient=patient)
        .select_related("supersedes")
        .prefetch_related("lines")
        .order_by("-signed_at", "-id")[:50]
    )
    signature = signature_of(evaluate_patient(patient, today)) if decisions else []
    newest = decisions[0].pk if decisions else None
    audit.record_patient(actor, Action.READ, patient, object_type=audit.Kind.CANDIDACY_DECISION)
    return [
        _decision_out(
            d,
            decision_state(d, today=today, signature=signature, newest_id=newest),
        )
        for d in decisions
    ]


@router.post(
    "/patients/{public_id}/decisions",
    response={201: DecisionOut},
    auth=requires(Capability.SIGN_DECISION),
    summary="Sign a decision",
)
def sign_decision(request: HttpRequest, public_id: UUID, payload: DecisionIn):
    """A prescriber signs a decision per product and area. It replaces the previous decision,
    which stays on record."""
    actor = api_actor(request)
    patient = _patient(request, public_id)
    proof = signing.typed(payload.secret)  # checked by the service
    decision = decisions.sign_decision(
        actor, patient, payload.lines, proof=proof, note=payload.note, shown=payload.shown
    )
    return Status(201, _decision_out(decision, DecisionState("current")))


class ConsentOut(Schema):
    id: UUID = Field(alias="public_id")
    kind: str = Field(alias="document.kind")
    version: int = Field(alias="document.version")
    title: str = Field(alias="document.title")
    language: str = Field(description="The language of the text signed (en, es)")
    signed_at: datetime
    typed_name: str
    method: str
    via: str
    text_sha256: str
    pdf_sha256: str
    withdrawn: bool
    medication_guide: str = Field(description="The product whose Medication Guide was given")
    medication_guide_version: str
    off_label_areas: list[str] = Field(description="Areas the off-label paragraph named")


@router.get("/patients/{public_id}/consents", response=list[ConsentOut], summary="Consents")
def list_consents(request: HttpRequest, public_id: UUID):
    actor = api_actor(request)
    patient = _patient(request, public_id)
    found = (
        SignedConsent.objects.restrict(actor)
        .filter(patient=patient)
        .select_related("document", "withdrawal")
        .order_by("-signed_at", "-id")[:50]
    )
    audit.record_patient(actor, Action.READ, patient, object_type=audit.Kind.CONSENT)
    out = []
    for c in found:
        c.withdrawn = hasattr(c, "withdrawal")
        out.append(c)
    return out
