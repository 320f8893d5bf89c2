"""/api/v1/outcomes: a treatment's wrinkle grades (recorded, and read with their results), a
patient's forecasts, photos (metadata; added base64-encoded) and durations, and the due list."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from glabella.aftercare import photos as cleaning
from glabella.clinic.models import Location
from glabella.core import audit
from glabella.core.access import get_restricted_or_404
from glabella.core.api import api_actor, requires
from glabella.core.bounds import Day
from glabella.core.errors import ValidationFailed
from glabella.core.roles import Capability
from glabella.outcomes import photos, services
from glabella.outcomes.models import Course, Forecast, Photo, Score
from glabella.patients.models import Patient
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
        object_type=audit.Kind.WRINKLE_GRADES,
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


# ---------------------------------------------------------------- forecasts and the due list


class ForecastOut(Schema):
    treatment: UUID = Field(alias="treatment.public_id")
    product: str
    treated_on: date
    area: str
    days: int
    low_days: int
    high_days: int
    wear_off_on: date
    low_on: date
    high_on: date
    invite_from: date
    areas: dict[str, dict[str, int]]
    basis: str
    current: bool


@router.get(
    "/patients/{public_id}/forecasts",
    response=list[ForecastOut],
    auth=requires(Capability.VIEW_CLINICAL),
    summary="A patient's forecasts",
)
def patient_forecasts(request: HttpRequest, public_id: UUID):
    """Each signed treatment's forecast, newest first; `current` marks the one that counts."""
    actor = api_actor(request)
    patient = _patient(request, public_id)
    audit.record_patient(actor, audit.Action.READ, patient, object_type=audit.Kind.FORECAST)
    return (
        Forecast.objects.restrict(actor)
        .filter(patient=patient)
        .select_related("treatment")
        .order_by("-treated_on", "-id")
    )


class DueOut(Schema):
    patient: UUID = Field(alias="patient.public_id")
    name: str = Field(alias="patient.full_name")
    phone: str = Field(alias="patient.phone")
    product: str
    treated_on: date
    wear_off_on: date
    invite_from: date
    injector: str = Field(alias="injector.full_name")


@router.get(
    "/due",
    response=list[DueOut],
    auth=requires(Capability.VIEW_PATIENT),
    summary="Patients due for re-treatment",
)
def due_list(request: HttpRequest, location: str, ahead: int = 14):
    """At a location (its slug): patients whose current treatment wears off from 30 days ago
    to `ahead` days from now, with nothing booked; soonest first."""
    if not 0 <= ahead <= 90:
        raise ValidationFailed({"ahead": ["Look ahead 0 to 90 days."]})
    found = Location.objects.filter(slug=location).first()
    if found is None:
        raise ValidationFailed({"location": ["No location with this slug."]})
    today = timezone.now().astimezone(found.zone).date()
    return services.due(api_actor(request), found, today, ahead=ahead)


# ---------------------------------------------------------------- photos and durations


class PhotoOut(Schema):
    id: UUID = Field(alias="public_id")
    treatment: UUID = Field(alias="treatment.public_id")
    view: str
    taken_on: date
    day: int
    width: int
    height: int
    size: int
    sha256: str
    taken_by: str = Field(alias="taken_by.full_name")
    created_at: datetime
    url: str
    thumbnail_url: str

    @staticmethod
    def resolve_url(obj) -> str:
        return reverse("outcomes:photo", args=[obj.public_id])

    @staticmethod
    def resolve_thumbnail_url(obj) -> str:
        return reverse("outcomes:thumbnail", args=[obj.public_id])


class PhotoIn(Schema):
    model_config = ConfigDict(extra="forbid")
    treatment: UUID
    view: str = Field(description="rest, frown, brow_raise, smile_left or smile_right")
    taken_on: Day
    photo: str = Field(
        max_length=cleaning.BASE64_MAX, description="JPEG, PNG or WebP, base64-encoded"
    )


def _patient(request, public_id: UUID) -> Patient:
    return get_restricted_or_404(Patient.objects.all(), api_actor(request), public_id=public_id)


@router.get(
    "/patients/{public_id}/photos",
    response=list[PhotoOut],
    auth=requires(Capability.VIEW_CLINICAL),
    summary="A patient's clinical photos (metadata)",
)
def list_photos(request: HttpRequest, public_id: UUID):
    """Each photo's view, day and treatment, with the links that serve the image and its
    thumbnail to a signed-in clinician (the bytes never come in JSON)."""
    actor = api_actor(request)
    patient = _patient(request, public_id)
    found = list(photos.listed(actor, patient).select_related("taken_by"))
    audit.record_listing(actor, audit.Kind.CLINICAL_PHOTO, [patient.public_id])
    return found


@router.post(
    "/patients/{public_id}/photos",
    response={201: PhotoOut},
    auth=requires(Capability.CHANGE_CLINICAL),
    summary="Add a clinical photo",
)
def add_photo(request: HttpRequest, public_id: UUID, payload: PhotoIn):
    """One standard view for one of the patient's treatments, under their photo consent; the
    image is checked, turned upright, scaled and stored without its metadata."""
    actor = api_actor(request)
    patient = _patient(request, public_id)
    record = (
        TreatmentRecord.objects.restrict(actor)
        .filter(patient=patient, public_id=payload.treatment)
        .select_related("patient", "appointment")
        .first()
    )
    if record is None:
        raise ValidationFailed({"treatment": ["Not a treatment of this patient."]})
    made = photos.take(
        actor,
        record,
        view=payload.view,
        taken_on=payload.taken_on,
        raw=cleaning.from_base64(payload.photo),
    )
    return Status(201, Photo.objects.select_related("treatment", "taken_by").get(pk=made.pk))


class CourseOut(Schema):
    treatment: UUID = Field(alias="treatment.public_id")
    product: str
    area: str
    treated_on: date
    dose_ratio: float
    onset_day: int | None
    returned_on: date | None
    lasted_days: int | None
    working_at_days: int | None
    end: str


@router.get(
    "/patients/{public_id}/durations",
    response=list[CourseOut],
    auth=requires(Capability.VIEW_CLINICAL),
    summary="How long each treated area lasted",
)
def durations_of(request: HttpRequest, public_id: UUID):
    """Per treated area, newest first: the onset, when movement returned (`lasted_days`) or how
    long it was known still to work (`working_at_days`), and how the course ended."""
    actor = api_actor(request)
    patient = _patient(request, public_id)
    audit.record_patient(actor, audit.Action.READ, patient, object_type=audit.Kind.DURATIONS)
    return (
        Course.objects.restrict(actor)
        .filter(patient=patient)
        .select_related("treatment")
        .order_by("-treated_on", "area")
    )
