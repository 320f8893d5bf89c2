"""/api/v1/aftercare: triage a report (writes nothing), submit a check-in by its link's token,
list open alerts, and acknowledge one."""

from datetime import datetime
from typing import Any
from uuid import UUID

from django.core import signing
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from glabella.aftercare import services, triage
from glabella.aftercare.models import Alert, CheckIn
from glabella.core.api import api_actor, requires
from glabella.core.errors import ValidationFailed
from glabella.core.roles import Capability

router = Router(tags=["aftercare"])


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class TriageIn(Strict):
    days_since: int | None = Field(None, ge=0, le=3650)
    symptoms: list[str] = Field(
        default_factory=list, max_length=40, description="Symptom codes, or words"
    )
    severity: str | None = None
    getting_better: bool | None = None
    free_text: str = Field("", max_length=2000)


class ReasonOut(Schema):
    urgency: str
    why: str


class TriageOut(Schema):
    urgency: str
    reasons: list[ReasonOut]


@router.post(
    "/triage", response=TriageOut, auth=requires(Capability.VIEW_PATIENT), summary="Triage"
)
def triage_report(request: HttpRequest, payload: TriageIn):
    """The urgency of a report (self_care, review or urgent) with the reasons. Writes nothing.
    Symptoms that are not codes are read as words, like free text."""
    if payload.severity and payload.severity not in set(triage.Severity):
        raise ValidationFailed({"severity": ["Choose mild, moderate or severe."]})
    codes = tuple(s for s in payload.symptoms if s in triage.BY_CODE)
    words = ". ".join(s for s in payload.symptoms if s not in triage.BY_CODE)
    result = triage.triage(
        triage.Report(
            symptoms=codes,
            severity=triage.Severity(payload.severity) if payload.severity else None,
            getting_better=payload.getting_better,
            free_text=". ".join(t for t in (words, payload.free_text) if t),
            days_since=payload.days_since,
        )
    )
    return {"urgency": result.urgency.value, "reasons": list(result.reasons)}


class SubmittedOut(Schema):
    urgency: str
    advice: str


ADVICE = {
    "urgent": "Call 911 (or your local emergency number) now; the clinic has been alerted.",
    "review": "A clinician will contact you by the end of the next business day.",
    "self_care": "This is expected and usually passes within days.",
}


class CheckInIn(Strict):
    """The check-in's answers; every one optional, checked by the service field by field."""

    symptoms: Any = None
    severity: Any = None
    started_on: Any = None
    getting_better: Any = None
    free_text: Any = None
    effect_shows: Any = None
    satisfied: Any = None


@router.post(
    "/check-ins/{token}", response={201: SubmittedOut}, auth=None, summary="Answer a check-in"
)
def submit_check_in(request: HttpRequest, token: str, payload: CheckInIn):
    """By the token of the check-in link; answered once."""
    try:
        public_id = services.read_check_in_token(token)
    except signing.BadSignature:
        raise Http404 from None
    check_in = CheckIn.objects.select_related("patient", "treatment").get(public_id=public_id)
    answers = {k: v for k, v in payload.model_dump().items() if v is not None}
    report = services.submit(check_in, answers, via="api")
    return Status(201, {"urgency": report.urgency, "advice": ADVICE[report.urgency]})


class AlertOut(Schema):
    id: UUID = Field(alias="public_id")
    urgency: str
    patient: UUID = Field(alias="patient.public_id")
    opened_at: datetime
    due_by: datetime
    reasons: list[dict[str, Any]] = Field(alias="report.reasons")
    free_text: str = Field(alias="report.free_text")


@router.get("/alerts", response=list[AlertOut], auth=requires(Capability.VIEW_CLINICAL))
def list_alerts(request: HttpRequest):
    """Open alerts: urgent first, then reviews by when they are due."""
    return services.open_alerts()


class AcknowledgeIn(Strict):
    contact: str = Field(max_length=2000)
    advice: str = Field("", max_length=2000)
    outcome: str = Field("", max_length=2000)


@router.post(
    "/alerts/{public_id}/acknowledge",
    response=AlertOut,
    auth=requires(Capability.CHANGE_CLINICAL),
)
def acknowledge(request: HttpRequest, public_id: UUID, payload: AcknowledgeIn):
    actor = api_actor(request)
    alert = Alert.objects.restrict(actor).filter(public_id=public_id).first()
    if alert is None:
        raise Http404
    return services.acknowledge(actor, alert, **payload.model_dump())
