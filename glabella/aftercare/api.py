"""/api/v1/aftercare: triage a report (writes nothing), submit a check-in by its link's token,
list open alerts and acknowledge one, and adverse events: record one, list, read, export it as
MedWatch 3500-shaped JSON or PDF, and record when it was reported."""

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from glabella.aftercare import (
    check_ins,
    follow_up_board,
    medwatch,
    patient_advice,
    photos,
    reports,
    triage,
)
from glabella.aftercare.models import AdverseEvent, Alert, CheckIn, Report
from glabella.core import audit
from glabella.core.access import get_restricted_or_404
from glabella.core.api import api_actor, requires
from glabella.core.bounds import Day
from glabella.core.errors import ValidationFailed
from glabella.core.roles import Capability
from glabella.treatments.models import TreatmentRecord

router = Router(tags=["aftercare"])


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class TriageIn(Strict):
    days_since: int | None = Field(None, ge=0, le=3650)
    symptoms: list[Annotated[str, Field(max_length=500)]] = Field(
        default_factory=list,
        max_length=40,
        description=f"Symptom codes ({', '.join(triage.BY_CODE)}), or the patient's words",
    )
    severity: str | None = None
    getting_better: bool | None = None
    free_text: str = Field("", max_length=2000)


class ReasonOut(Schema):
    urgency: str
    why: str
    same_day: bool = False


class TriageOut(Schema):
    urgency: str
    reasons: list[ReasonOut]
    same_day: bool = Field(description="A review a clinician makes the same day")
    within: str = Field(description="now, same_day, next_business_day, or empty for self-care")
    unread: list[str] = Field(description="Words of the report the triage could not read")


@router.post(
    "/triage", response=TriageOut, auth=requires(Capability.VIEW_PATIENT), summary="Triage"
)
def triage_report(request: HttpRequest, payload: TriageIn):
    """The urgency of a report (self_care, review or urgent) with the reasons, how soon a
    clinician acts, and the words it could not read. Writes nothing. Symptoms that are not codes
    are read as words, like free text."""
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
    return {
        "urgency": result.urgency.value,
        "reasons": list(result.reasons),
        "same_day": result.same_day,
        "within": result.within,
        "unread": list(result.unread),
    }


class SubmittedOut(Schema):
    urgency: str
    advice: str
    clinic_alerted: bool = Field(
        description="Whether a clinician was alerted (a notice written); never claimed otherwise"
    )
    alerted: list[str] = Field(
        description="Who was alerted: on_call, medical_director, owner (none: nobody)"
    )
    due_by: datetime | None = Field(None, description="When a clinician is due to act")


class CheckInIn(Strict):
    """The check-in's answers; every one optional, checked by the service field by field."""

    symptoms: Any = None
    severity: Any = None
    started_on: Any = None
    getting_better: Any = None
    free_text: Any = None
    effect_shows: Any = None
    satisfied: Any = None
    photo: str | None = Field(
        None,
        max_length=photos.BASE64_MAX,
        description="An optional photo (JPEG, PNG or WebP), base64-encoded",
    )


@router.post(
    "/check-ins/{token}", response={201: SubmittedOut}, auth=None, summary="Answer a check-in"
)
def submit_check_in(request: HttpRequest, token: str, payload: CheckInIn):
    """By the token of the check-in link; answered once."""
    try:
        public_id = check_ins.read_check_in_token(token)
    except signing.BadSignature:
        raise Http404 from None
    check_in = CheckIn.objects.select_related("patient", "treatment").get(public_id=public_id)
    answers = {k: v for k, v in payload.model_dump(exclude={"photo"}).items() if v is not None}
    photo = photos.from_base64(payload.photo) if payload.photo is not None else None
    report = reports.submit(check_in, answers, via="api", photo=photo)
    answer = patient_advice.answer_for(report)
    return Status(
        201,
        {
            "urgency": answer.urgency,
            "advice": answer.advice,
            "clinic_alerted": answer.told.anyone,
            "alerted": list(answer.told.levels),
            "due_by": answer.due_by,
        },
    )


class NoticeOut(Schema):
    level: str
    name: str
    channel: str
    sent_at: datetime
    delivery: str

    @staticmethod
    def resolve_delivery(notice) -> str:
        return notice.message.status if notice.message_id else "unknown"


class AlertOut(Schema):
    id: UUID = Field(alias="public_id")
    urgency: str
    patient: UUID = Field(alias="patient.public_id")
    opened_at: datetime
    due_by: datetime
    reasons: list[dict[str, Any]] = Field(alias="report.reasons")
    free_text: str = Field(alias="report.free_text")
    level: str = Field(description="The last level told: on_call, medical_director or owner")
    escalate_at: datetime | None = Field(description="When it goes on unless acknowledged")
    notices: list[NoticeOut] = Field(description="Who was told, how and when")

    @staticmethod
    def resolve_notices(alert) -> list:
        return list(alert.notices.all())


@router.get("/alerts", response=list[AlertOut], auth=requires(Capability.VIEW_CLINICAL))
def list_alerts(request: HttpRequest):
    """Open alerts: urgent first, then reviews by when they are due."""
    alerts = follow_up_board.open_alerts(api_actor(request))
    audit.record_listing(
        api_actor(request), audit.Kind.AFTERCARE_ALERT, (a.patient.public_id for a in alerts)
    )
    return alerts


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
    alert = get_restricted_or_404(Alert.objects.all(), actor, public_id=public_id)
    return follow_up_board.acknowledge(actor, alert, **payload.model_dump())


# ---------------------------------------------------------------- adverse events


class EventIn(Strict):
    """Checked field by field by the service; `treatment` and `report` are public ids."""

    treatment: UUID
    report: UUID | None = None
    description: Any = None
    onset_on: Any = None
    outcomes: Any = None
    causality: Any = None
    source: Any = None
    weight_kg: Any = None
    resolved: Any = None
    died_on: Any = Field(None, description="The date of death, with the outcome death")
    relevant_tests: Any = Field(
        None, description="B6: a list of {test, result, on}, `on` as YYYY-MM-DD or null"
    )
    relevant_history: Any = Field(
        None, description="B7: lines of text; left out, they are filled from the patient's record"
    )
    dechallenge: Any = Field(
        None, description="Abated after use stopped or dose reduced: yes, no or doesnt_apply"
    )
    rechallenge: Any = Field(
        None, description="Reappeared after reintroduction: yes, no or doesnt_apply"
    )
    product_returned_on: Any = Field(
        None, description="The day the product was returned to its manufacturer"
    )


class LabTestOut(Schema):
    test: str
    result: str
    on: date | None


class EventOut(Schema):
    id: UUID = Field(alias="public_id")
    patient: UUID = Field(alias="patient.public_id")
    treatment: UUID = Field(alias="treatment.public_id")
    report: UUID | None = None
    source: str
    description: str
    onset_on: date
    outcomes: list[str]
    resolved: bool | None
    causality: str
    weight_kg: str | None = None
    died_on: date | None
    relevant_tests: list[LabTestOut]
    relevant_history: list[str] | None
    dechallenge: str
    rechallenge: str
    product_returned_on: date | None
    reporter: str = Field(alias="reporter.full_name")
    created_at: datetime
    reported_to_fda_on: date | None
    reported_to_maker_on: date | None

    @staticmethod
    def resolve_report(event) -> UUID | None:
        return event.report.public_id if event.report_id else None

    @staticmethod
    def resolve_weight_kg(event) -> str | None:
        return None if event.weight_kg is None else f"{event.weight_kg:f}"


EVENTS = AdverseEvent.objects.select_related("patient", "treatment", "report", "reporter")


def _event(request: HttpRequest, public_id: UUID) -> AdverseEvent:
    return get_restricted_or_404(EVENTS, api_actor(request), public_id=public_id)


@router.post(
    "/adverse-events",
    response={201: EventOut},
    auth=requires(Capability.CHANGE_CLINICAL),
    summary="Record an adverse event",
)
def open_event(request: HttpRequest, payload: EventIn):
    """From a signed treatment (and, if it came from one, the patient's check-in report)."""
    actor = api_actor(request)
    treatment = (
        TreatmentRecord.objects.restrict(actor)
        .select_related("patient")
        .filter(public_id=payload.treatment, locked_at__isnull=False)
        .first()
    )
    if treatment is None:
        raise ValidationFailed({"treatment": ["No signed treatment with this id."]})
    report = None
    if payload.report is not None:
        report = Report.objects.restrict(actor).filter(public_id=payload.report).first()
        if report is None:
            raise ValidationFailed({"report": ["No check-in report with this id."]})
    data = payload.model_dump(exclude={"treatment", "report"})
    event = medwatch.open_event(actor, treatment, data, report=report)
    return Status(201, EVENTS.get(pk=event.pk))


class EventFilter(Schema):
    unreported: bool = Field(False, description="Only events not yet reported to the FDA")
    treatment: UUID | None = None


@router.get(
    "/adverse-events",
    response=list[EventOut],
    auth=requires(Capability.VIEW_CLINICAL),
    summary="Adverse events",
)
def list_events(request: HttpRequest, filters: Query[EventFilter]):
    """Newest first, at most 500."""
    actor = api_actor(request)
    found = EVENTS.restrict(actor)
    if filters.unreported:
        found = found.filter(reported_to_fda_on__isnull=True)
    if filters.treatment is not None:
        found = found.filter(treatment__public_id=filters.treatment)
    events = list(found[:500])
    audit.record_listing(actor, audit.Kind.ADVERSE_EVENT, (e.patient.public_id for e in events))
    return events


@router.get(
    "/adverse-events/{public_id}",
    response=EventOut,
    auth=requires(Capability.VIEW_CLINICAL),
    summary="An adverse event",
)
def read_event(request: HttpRequest, public_id: UUID):
    event = _event(request, public_id)
    audit.record_patient(
        api_actor(request),
        audit.Action.READ,
        event.patient,
        object_type=audit.Kind.ADVERSE_EVENT,
        object_id=event.public_id,
    )
    return event


@router.get(
    "/adverse-events/{public_id}/medwatch",
    auth=requires(Capability.VIEW_CLINICAL),
    summary="The MedWatch 3500-shaped export",
    response={200: dict[str, Any]},
)
def export_event(request: HttpRequest, public_id: UUID, format: Literal["json", "pdf"] = "json"):
    """The form's sections filled from the record, the patient by initials and id, never by name:
    JSON, or the printable PDF with `?format=pdf`."""
    event = _event(request, public_id)
    audit.record_patient(
        api_actor(request),
        audit.Action.EXPORT,
        event.patient,
        object_type=audit.Kind.ADVERSE_EVENT,
        object_id=event.public_id,
        detail={"format": format},
    )
    if format == "json":
        return medwatch.export(event)
    response = HttpResponse(medwatch.export_pdf(event), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="medwatch-{event.public_id}.pdf"'
    return response


class FollowUpIn(Strict):
    """Only the fields sent change; each is checked as on recording."""

    outcomes: Any = None
    died_on: Any = None
    relevant_tests: Any = None
    relevant_history: Any = None
    dechallenge: Any = None
    rechallenge: Any = None
    product_returned_on: Any = None
    resolved: Any = None


@router.patch(
    "/adverse-events/{public_id}",
    response=EventOut,
    auth=requires(Capability.CHANGE_CLINICAL),
    summary="Follow up an adverse event",
)
def revise_event(request: HttpRequest, public_id: UUID, payload: FollowUpIn):
    """What became known later: outcomes (death with its date), tests, history, dechallenge,
    rechallenge, the product's return to its maker, resolved."""
    event = _event(request, public_id)
    medwatch.revise_event(api_actor(request), event, payload.model_dump(exclude_unset=True))
    return EVENTS.get(pk=event.pk)


class ReportedIn(Strict):
    to: Literal["fda", "maker"]
    on: Day


@router.post(
    "/adverse-events/{public_id}/reported",
    response=EventOut,
    auth=requires(Capability.CHANGE_CLINICAL),
    summary="Record that it was reported",
)
def mark_reported(request: HttpRequest, public_id: UUID, payload: ReportedIn):
    """To the FDA or to the maker, on a day (today or earlier)."""
    event = _event(request, public_id)
    medwatch.mark_reported(api_actor(request), event, payload.to, payload.on)
    return EVENTS.get(pk=event.pk)
