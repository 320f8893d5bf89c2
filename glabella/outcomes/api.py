"""/api/v1/outcomes: a treatment's wrinkle grades, recorded and read with their results."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from glabella.core import audit
from glabella.core.access import get_restricted_or_404
from glabella.core.api import api_actor, requires
from glabella.core.roles import Capability
from glabella.outcomes import services
from glabella.outcomes.models import Score
from glabella.treatments.models import TreatmentRecord

router = Router(tags=["outcomes"])


class GradingIn(Schema):
    """Checked field by field by the service."""

    model_config = ConfigDict(extra="forbid")
    scored_on: Any = None
    grades: Any = None


class GradeOut(Schema):
    id: UUID = Field(alias="public_id")
    area: str
    state: str
    rater: str
    grade: int
    scale: str
    scored_on: date
    day: int
    created_at: datetime


class ResultOut(Schema):
    area: str
    baseline: dict[str, int]
    follow_up: dict[str, int]
    follow_up_day: int | None
    improved: bool | None
    trial_responder: bool | None


class GradesOut(Schema):
    treatment: UUID
    grades: list[GradeOut]
    results: list[ResultOut]


def _treatment(request, public_id: UUID) -> TreatmentRecord:
    return get_restricted_or_404(
        TreatmentRecord.objects.select_related("patient", "appointment"),
        api_actor(request),
        public_id=public_id,
    )


def _out(record: TreatmentRecord) -> dict:
    grades = list(Score.objects.filter(treatment=record))
    return {"treatment": record.public_id, "grades": grades, "results": services.results(grades)}


@router.get(
    "/treatments/{public_id}/grades",
    response=GradesOut,
    auth=requires(Capability.VIEW_CLINICAL),
    summary="A treatment's wrinkle grades",
)
def read_grades(request: HttpRequest, public_id: UUID):
    """Every grade, and per area whether the result improved (one grade at maximum contraction)
    and is a trial responder (two grades by both raters), computed from the grades."""
    record = _treatment(request, public_id)
    audit.record_patient(
        api_actor(request),
        audit.Action.READ,
        record.patient,
        object_type="wrinkle-grades",
        object_id=record.public_id,
    )
    return _out(record)


@router.post(
    "/treatments/{public_id}/grades",
    response={201: GradesOut},
    auth=requires(Capability.CHANGE_CLINICAL),
    summary="Record wrinkle grades",
)
def record_grades(request: HttpRequest, public_id: UUID, payload: GradingIn):
    """Grades given on one day (`scored_on`): each an area, a state (rest or contraction), a
    rater (injector or patient) and a grade from 0 to 3 on the Facial Wrinkle Scale."""
    record = _treatment(request, public_id)
    services.record(api_actor(request), record, payload.model_dump())
    return Status(201, _out(record))
