"""/api/v1/patients: search, register, read, change, and the clinical history."""

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from glabella.core.api import api_actor, requires
from glabella.core.bounds import Day
from glabella.core.roles import Capability
from glabella.patients import history, services

router = Router(tags=["patients"])
CLINICAL_WRITE = requires(Capability.CHANGE_CLINICAL)


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class PatientSummary(Schema):
    id: UUID = Field(alias="public_id")
    given_name: str
    family_name: str
    preferred_name: str
    birth_date: date
    phone: str
    email: str


class PatientOut(PatientSummary):
    sex: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    postal_code: str
    emergency_contact_name: str
    emergency_contact_phone: str
    preferred_location: UUID | None = Field(None, alias="preferred_location.public_id")
    preferred_channel: str
    language: str
    email_consent: bool
    sms_consent: bool
    marketing_consent: bool
    created_at: datetime
    updated_at: datetime


class PatientChange(Strict):
    given_name: str | None = Field(None, max_length=100)
    family_name: str | None = Field(None, max_length=100)
    preferred_name: str | None = Field(None, max_length=100)
    birth_date: Day | None = None
    sex: Literal["female", "male", "other", "unknown"] | None = None
    phone: str | None = Field(None, max_length=30)
    email: str | None = Field(None, max_length=254)
    address_line1: str | None = Field(None, max_length=200)
    address_line2: str | None = Field(None, max_length=200)
    city: str | None = Field(None, max_length=100)
    state: str | None = Field(None, max_length=2)
    postal_code: str | None = Field(None, max_length=10)
    emergency_contact_name: str | None = Field(None, max_length=150)
    emergency_contact_phone: str | None = Field(None, max_length=30)
    preferred_location: UUID | None = None
    preferred_channel: Literal["email", "sms"] | None = None
    language: Literal["en", "es"] | None = None
    email_consent: bool | None = None
    sms_consent: bool | None = None
    marketing_consent: bool | None = None
    pregnancy_status: (
        Literal["unknown", "not_pregnant", "pregnant", "trying", "not_applicable"] | None
    ) = None
    breastfeeding_status: Literal["unknown", "no", "yes", "not_applicable"] | None = None


class PatientNew(PatientChange):
    given_name: str = Field(max_length=100)
    family_name: str = Field(max_length=100)
    birth_date: Day


class EntryOut(Schema):
    id: UUID = Field(alias="public_id")
    name: str
    notes: str
    active: bool
    source: str
    recorded_at: datetime


class AllergyOut(EntryOut):
    reaction: str
    severity: str


class ConditionOut(EntryOut):
    since: date | None


class MedicationOut(EntryOut):
    dose: str
    since: date | None


class ClinicalOut(Schema):
    pregnancy_status: str
    pregnancy_recorded_on: date | None
    breastfeeding_status: str
    breastfeeding_recorded_on: date | None
    allergies: list[AllergyOut]
    conditions: list[ConditionOut]
    medications: list[MedicationOut]


class AllergyIn(Strict):
    name: str = Field(max_length=150)
    reaction: str = Field("", max_length=200)
    severity: Literal["unknown", "mild", "moderate", "severe"] = "unknown"
    notes: str = Field("", max_length=500)


class ConditionIn(Strict):
    name: str = Field(max_length=150)
    since: Day | None = None
    notes: str = Field("", max_length=500)


class MedicationIn(Strict):
    name: str = Field(max_length=150)
    dose: str = Field("", max_length=100)
    since: Day | None = None
    notes: str = Field("", max_length=500)


@router.get("", response=list[PatientSummary], summary="Search patients")
def search_patients(
    request: HttpRequest, q: Annotated[str, Query(..., min_length=1, max_length=100)]
):
    """By name, phone, email or date of birth (YYYY-MM-DD or MM/DD/YYYY); at most 25 results."""
    return services.search_patients(api_actor(request), q)


@router.post(
    "",
    response={201: PatientOut},
    auth=requires(Capability.CHANGE_PATIENT),
    summary="Register a patient",
)
def register_patient(request: HttpRequest, payload: PatientNew):
    data = payload.model_dump(exclude_unset=True)
    return Status(201, services.register_patient(api_actor(request), data))


@router.get("/{public_id}", response=PatientOut, summary="A patient's record")
def read_patient(request: HttpRequest, public_id: UUID):
    return services.open_patient(api_actor(request), public_id)


@router.patch(
    "/{public_id}",
    response=PatientOut,
    auth=requires(Capability.CHANGE_PATIENT),
    summary="Change a patient's record",
)
def change_patient(request: HttpRequest, public_id: UUID, payload: PatientChange):
    actor = api_actor(request)
    patient = services.open_patient(actor, public_id, action="change")
    services.update_patient(actor, patient, payload.model_dump(exclude_unset=True))
    return patient


@router.get(
    "/{public_id}/clinical", response=ClinicalOut, summary="Allergies, conditions, medications"
)
def read_clinical(request: HttpRequest, public_id: UUID):
    actor = api_actor(request)
    patient = history.open_patient_clinical(actor, public_id)
    entries = history.clinical_entries(actor, patient)
    return {
        "pregnancy_status": patient.pregnancy_status,
        "pregnancy_recorded_on": patient.pregnancy_recorded_on,
        "breastfeeding_status": patient.breastfeeding_status,
        "breastfeeding_recorded_on": patient.breastfeeding_recorded_on,
        "allergies": entries["allergy"],
        "conditions": entries["condition"],
        "medications": entries["medication"],
    }


def _add(request, public_id: UUID, kind: str, payload: Schema):
    actor = api_actor(request)
    patient = history.open_patient_clinical(actor, public_id, action="create")
    return Status(201, history.add_clinical_entry(actor, patient, kind, payload.model_dump()))


@router.post(
    "/{public_id}/allergies",
    response={201: AllergyOut},
    auth=CLINICAL_WRITE,
    summary="Record an allergy",
)
def add_allergy(request: HttpRequest, public_id: UUID, payload: AllergyIn):
    return _add(request, public_id, "allergy", payload)


@router.post(
    "/{public_id}/conditions",
    response={201: ConditionOut},
    auth=CLINICAL_WRITE,
    summary="Record a condition",
)
def add_condition(request: HttpRequest, public_id: UUID, payload: ConditionIn):
    return _add(request, public_id, "condition", payload)


@router.post(
    "/{public_id}/medications",
    response={201: MedicationOut},
    auth=CLINICAL_WRITE,
    summary="Record a medication",
)
def add_medication(request: HttpRequest, public_id: UUID, payload: MedicationIn):
    return _add(request, public_id, "medication", payload)
