"""/api/v1/treatments: the dose guard on a plan (writes nothing), charting a record, signing and
amending it, receiving stock, reconstituting a vial, and the recall of a lot.

A signed record has no PUT, PATCH or DELETE: it is amended by a new record.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict, StrictInt

from glabella.catalogue.areas import ChartArea
from glabella.catalogue.labels import DILUENTS, LABEL_DILUENT
from glabella.catalogue.products import Product
from glabella.clinic.models import Location
from glabella.core import audit, signing
from glabella.core.api import api_actor, requires, secret_field
from glabella.core.bounds import Day, Instant
from glabella.core.errors import ValidationFailed
from glabella.core.roles import Capability
from glabella.inventory import services as stock
from glabella.inventory.models import Lot, Vial
from glabella.patients.models import Patient
from glabella.scheduling.models import Appointment
from glabella.treatments import charting, cosign, dosing, guard, verdict
from glabella.treatments import recall as lot_recall
from glabella.treatments.house_limits_api import router as house_limits_router
from glabella.treatments.models import TreatmentRecord

router = Router(tags=["treatments"])
CLINICAL = requires(Capability.VIEW_CLINICAL)
CHART = requires(Capability.CHART)
STOCK = requires(Capability.MANAGE_STOCK)
Action = audit.Action
DILUENT_KEYS = [d.key for d in DILUENTS]


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class PlannedPoint(Strict):
    area: str
    units: Decimal


class PastIn(Strict):
    day: Day
    product: str = Field(
        max_length=100, description="A product value, or its brand or generic name"
    )
    units: Decimal | None = Field(None, ge=0, le=5000, description="Left out: not known")
    reported: bool = Field(False, description="Told by the patient rather than charted")


class BandsIn(Strict):
    """Platysma bands seen on each side: 1 or 2."""

    left: StrictInt = Field(ge=1, le=2)
    right: StrictInt = Field(ge=1, le=2)


class CheckIn(Strict):
    product: str
    points: list[PlannedPoint] = Field(default_factory=list, max_length=200)
    areas: dict[str, Decimal] = Field(
        default_factory=dict, description="Area totals, instead of (or beside) points"
    )
    patient: UUID | None = Field(None, description="Reads history, decision and consent")
    history: list[PastIn] = Field(default_factory=list, max_length=100)
    vial: UUID | None = None
    vials: list[UUID] = Field(
        default_factory=list, max_length=10, description="Several vials, in the order drawn"
    )
    at: Instant | None = None
    platysma_bands: BandsIn | None = Field(
        None, description="Platysma bands on each side (1 or 2): the label's neck dose by them"
    )
    record: UUID | None = Field(
        None,
        description="A draft record: the plan is checked as that record's (its patient, and the "
        "points already signed in its session, as the chart page and signing check it)",
    )


class DoseFindingOut(Schema):
    code: str
    level: str
    message: str
    area: str
    cosign: bool = Field(
        False, description="A ceiling: signed only with the medical director's co-signature"
    )


class CheckOut(Schema):
    level: str
    findings: list[DoseFindingOut]
    area_totals: dict[str, Decimal]
    total: Decimal
    clearance_checked: bool = Field(
        description="False without a patient: the decision and consent were not checked"
    )


@router.post("/check", response=CheckOut, auth=CLINICAL, summary="Check a plan")
def check_plan(request: HttpRequest, payload: CheckIn):
    """The dose guard's findings for a planned treatment. Writes nothing."""
    actor = api_actor(request)
    errors: dict[str, list[str]] = {}
    if payload.product not in set(Product):
        raise ValidationFailed({"product": [f"Choose one of: {', '.join(Product)}."]})
    planned = [(p.area, p.units, f"points.{i}", False) for i, p in enumerate(payload.points)]
    planned += [(area, units, f"areas.{area}", True) for area, units in payload.areas.items()]
    if not planned:
        errors["points"] = ["Give at least one point or area total."]
    points = []
    for area, units, where, total in planned:
        if area not in {a.value for a in ChartArea}:
            field = f"{where}.area" if where.startswith("points") else where
            errors[field] = ["Choose an area of the chart."]
        elif not units.is_finite():
            errors[where] = ["Give a number of units."]
        elif abs(units) > charting.MOST_UNITS:
            errors[where] = [f"Give at most {charting.MOST_UNITS} units."]
        else:
            points.append({"area": area, "units": units, "total": total})
    vial = None
    if payload.vial is not None:
        vial = (
            Vial.objects.restrict(actor)
            .select_related("lot")
            .filter(public_id=payload.vial)
            .first()
        )
        if vial is None:
            errors["vial"] = ["No such vial."]
    several = _vials(actor, payload.vials, errors)
    record = None
    if payload.record is not None:
        record = (
            TreatmentRecord.objects.restrict(actor, "view")
            .select_related("patient")
            .filter(public_id=payload.record)
            .first()
        )
        if record is None:
            errors["record"] = ["No such treatment record."]
        elif record.locked:
            errors["record"] = ["This record is signed: check an amendment to it instead."]
        elif record.product != payload.product:
            errors["product"] = ["Give the record's own product."]
        elif payload.patient is not None and payload.patient != record.patient.public_id:
            errors["patient"] = ["The record is another patient's."]
    if errors:
        raise ValidationFailed(errors)
    if vial is not None and several:
        several = [vial, *[v for v in several if v.pk != vial.pk]]
    patient = None
    if payload.patient is not None or record is not None:
        patient = record.patient if record is not None else None
        if patient is None:
            patient = (
                Patient.objects.restrict(actor, "view").filter(public_id=payload.patient).first()
            )
        if patient is None:
            raise ValidationFailed({"patient": ["No such patient."]})
        audit.record_patient(actor, Action.READ, patient, object_type=audit.Kind.TREATMENT_CHECK)
    ctx, result = verdict.verdict(
        payload.product,
        points,
        payload.at or timezone.now(),
        patient=patient,
        vial=None if several else vial,
        vials=several,
        record=record,
        history_given=tuple(
            dosing.PastSession(h.day, h.product, h.units, h.reported) for h in payload.history
        ),
        platysma_bands=(
            (payload.platysma_bands.left, payload.platysma_bands.right)
            if payload.platysma_bands
            else None
        ),
    )
    return {
        "level": result.level.value,
        "findings": [
            {
                "code": f.code,
                "level": f.level.value,
                "message": f.message,
                "area": f.area,
                "cosign": f.cosign,
            }
            for f in result.findings
        ],
        "area_totals": result.area_totals,
        "total": result.total,
        "clearance_checked": ctx.clearance_checked,
    }


def _vials(actor, ids: list[UUID], errors: dict) -> list[Vial]:
    """The vials named, in order; an unknown one is refused on its own field."""
    found = {
        v.public_id: v
        for v in Vial.objects.restrict(actor)
        .select_related("lot__location")
        .filter(public_id__in=ids)
    }
    for i, public_id in enumerate(ids):
        if public_id not in found:
            errors[f"vials.{i}"] = ["No such vial."]
    return [found[i] for i in ids if i in found]


# ---------------------------------------------------------------- records


class PointOut(Schema):
    area: str
    x: Decimal
    y: Decimal
    units: Decimal
    depth: str
    vial: UUID | None = Field(
        None, alias="movement.vial.public_id", description="Once signed: the vial drawn from"
    )


class RecordVialOut(Schema):
    id: UUID = Field(alias="public_id")
    lot: str = Field(alias="lot.lot_number")
    number: int
    units_per_01ml: Decimal | None


class RecordOut(Schema):
    id: UUID = Field(alias="public_id")
    status: str
    product: str
    patient: UUID = Field(alias="patient.public_id")
    appointment: UUID = Field(alias="appointment.public_id")
    injector: str = Field(alias="injector.full_name")
    vial: UUID | None = Field(None, alias="vial.public_id")
    lot: str | None = Field(None, alias="vial.lot.lot_number")
    notes_before: str
    notes_after: str
    created_at: datetime
    locked_at: datetime | None
    guard: list[dict[str, Any]]
    guard_level: str | None = Field(None, description="The guard's level at signing")
    reasons: dict[str, str]
    amends: UUID | None = Field(None, alias="amends.public_id")
    points: list[PointOut]
    platysma_bands_left: int | None
    platysma_bands_right: int | None
    vials: list[RecordVialOut] = Field(description="Every vial drawn from, in order")
    attestation: str | None = Field(
        None, description="What the signature means, in the words shown at signing"
    )

    @staticmethod
    def resolve_vials(record) -> list:
        return guard.record_vials(record)


def _out(record: TreatmentRecord) -> TreatmentRecord:
    """The record as stored now, with what RecordOut reads."""
    return (
        TreatmentRecord.objects.select_related(
            "patient", "appointment", "injector", "vial__lot", "amends"
        )
        .prefetch_related("points__movement__vial")
        .get(pk=record.pk)
    )


class StartIn(Strict):
    appointment: UUID
    product: str


@router.post("/records", response={201: RecordOut}, auth=CHART, summary="Start a record")
def start_record(request: HttpRequest, payload: StartIn):
    actor = api_actor(request)
    appointment = (
        Appointment.objects.restrict(actor, "view")
        .select_related("service", "patient")
        .filter(public_id=payload.appointment)
        .first()
    )
    if appointment is None:
        raise ValidationFailed({"appointment": ["No such appointment."]})
    return Status(201, _out(charting.start(actor, appointment, payload.product)))


@router.get("/records/{public_id}", response=RecordOut, summary="A treatment record")
def read_record(request: HttpRequest, public_id: UUID):
    actor = api_actor(request)
    record = charting.open_record(actor, public_id)
    audit.record_patient(
        actor,
        Action.READ,
        record.patient,
        object_type=audit.Kind.TREATMENT,
        object_id=record.public_id,
    )
    return _out(record)


class DraftIn(Strict):
    points: list[dict[str, Any]] = Field(max_length=200)
    vial: UUID | None = None
    vials: list[UUID] = Field(
        default_factory=list,
        max_length=10,
        description="The vials drawn from, in order (after `vial`, when both are given)",
    )
    notes_before: str = Field("", max_length=4000)
    notes_after: str = Field("", max_length=4000)
    platysma_bands: BandsIn | None = Field(
        None, description="Platysma bands on each side; left out: kept as they are; null: cleared"
    )


@router.post("/records/{public_id}/draft", response=RecordOut, auth=CHART, summary="Save draft")
def save_draft(request: HttpRequest, public_id: UUID, payload: DraftIn):
    """Replaces the draft's points (area, x, y as fractions of the chart, units, depth)."""
    actor = api_actor(request)
    record = charting.open_record(actor, public_id, "change")
    vial = None
    if payload.vial is not None:
        vial = (
            Vial.objects.restrict(actor)
            .select_related("lot")
            .filter(public_id=payload.vial)
            .first()
        )
        if vial is None:
            raise ValidationFailed({"vial": ["No such vial."]})
    errors: dict[str, list[str]] = {}
    several = _vials(actor, payload.vials, errors)
    if errors:
        raise ValidationFailed(errors)
    charting.save_draft(
        actor,
        record,
        points=payload.points,
        vial=vial,
        vials=several,
        notes_before=payload.notes_before,
        notes_after=payload.notes_after,
        platysma_bands=(
            (payload.platysma_bands.model_dump() if payload.platysma_bands else None)
            if "platysma_bands" in payload.model_fields_set
            else charting.KEEP
        ),
    )
    return _out(record)


class SignIn(Strict):
    reasons: dict[str, str] = Field(
        default_factory=dict, description="A reason for each warning, by its code"
    )
    secret: str = secret_field()


@router.post("/records/{public_id}/sign", response=RecordOut, auth=CHART, summary="Sign and lock")
def sign_record(request: HttpRequest, public_id: UUID, payload: SignIn):
    actor = api_actor(request)
    record = charting.open_record(actor, public_id, "change")
    proof = signing.typed(payload.secret)  # checked by the service
    charting.lock(actor, record, proof=proof, reasons=payload.reasons)
    return _out(record)


class CosignIn(Strict):
    note: str = Field("", max_length=300)
    secret: str = secret_field()


class CosignOut(Schema):
    id: UUID = Field(alias="public_id")
    record: UUID = Field(alias="record.public_id")
    signed_by: str = Field(alias="actor_label")
    at: datetime
    ceilings: list[dict[str, Any]]
    note: str
    attestation: str | None = Field(None, description="What the co-signature means")


@router.post(
    "/records/{public_id}/cosign",
    response={201: CosignOut},
    auth=CLINICAL,
    summary="The medical director co-signs a dose above the ceiling",
)
def cosign_record(request: HttpRequest, public_id: UUID, payload: CosignIn):
    """Only the medical director: the co-signature covers the draft's plan as it stands."""
    actor = api_actor(request)
    record = charting.open_record(actor, public_id)
    proof = signing.typed(payload.secret)  # checked by the service
    return Status(201, cosign.cosign(actor, record, proof=proof, note=payload.note))


@router.post("/records/{public_id}/amend", response={201: RecordOut}, auth=CHART, summary="Amend")
def amend_record(request: HttpRequest, public_id: UUID):
    actor = api_actor(request)
    record = charting.open_record(actor, public_id, "change")
    return Status(201, _out(charting.amend(actor, record)))


# ---------------------------------------------------------------- stock


class ReceiveIn(Strict):
    location: str = Field(description="The location's slug")
    product: str
    ndc: str = Field("", max_length=20)
    lot_number: str = Field(max_length=40)
    expires_on: Day
    vial_units: int
    vials_received: int
    supplier: str = Field(max_length=150)
    invoice: str = Field("", max_length=60)
    unit_cost: Decimal = Decimal(0)
    received_on: Day | None = None
    seal_checked: bool
    licence_checked: bool


class VialOut(Schema):
    id: UUID = Field(alias="public_id")
    number: int
    state: str
    units_left: Decimal
    discard_by: datetime | None
    diluent: str = ""
    diluent_ml: Decimal | None = None
    units_per_01ml: Decimal | None = Field(None, description="The concentration: U per 0.1 mL")
    unit_step: Decimal | None = Field(None, description="The finest step of units measurable")
    dilution_note: str = Field("", description="Off the label: the warning and the reason")


class LotOut(Schema):
    id: UUID = Field(alias="public_id")
    product: str
    lot_number: str
    expires_on: date
    vials: list[VialOut]


def _lot_out(lot: Lot) -> dict:
    return {
        "public_id": lot.public_id,
        "product": lot.product,
        "lot_number": lot.lot_number,
        "expires_on": lot.expires_on,
        "vials": list(lot.vials.all()),
    }


@router.post("/stock/lots", response={201: LotOut}, auth=STOCK, summary="Receive a delivery")
def receive(request: HttpRequest, payload: ReceiveIn):
    actor = api_actor(request)
    location = Location.objects.filter(slug=payload.location, active=True).first()
    if location is None:
        raise ValidationFailed({"location": ["Choose one of our locations."]})
    data = payload.model_dump(exclude={"location"})
    return Status(201, _lot_out(stock.receive(actor, location, data)))


class ReconstituteIn(Strict):
    diluent_ml: Decimal
    diluent: str = Field(
        LABEL_DILUENT.key, max_length=40, description=f"One of: {', '.join(DILUENT_KEYS)}"
    )
    reason: str = Field("", max_length=300, description="Needed for a volume off the label")


@router.post(
    "/stock/vials/{public_id}/reconstitute",
    response=VialOut,
    auth=STOCK,
    summary="Reconstitute a vial",
)
def reconstitute(request: HttpRequest, public_id: UUID, payload: ReconstituteIn):
    actor = api_actor(request)
    vial = Vial.objects.restrict(actor).select_related("lot").filter(public_id=public_id).first()
    if vial is None:
        raise Http404
    return stock.reconstitute(
        actor, vial, payload.diluent_ml, diluent=payload.diluent, reason=payload.reason
    )


class TreatedOut(Schema):
    patient: UUID
    name: str
    phone: str
    email: str
    treated_on: date
    areas: dict[str, Decimal]
    units: Decimal


@router.get(
    "/stock/lots/{public_id}/recall",
    response=list[TreatedOut],
    auth=CLINICAL,
    summary="Who was treated from a lot",
)
def recall(request: HttpRequest, public_id: UUID):
    actor = api_actor(request)
    lot = Lot.objects.restrict(actor).filter(public_id=public_id).first()
    if lot is None:
        raise Http404
    treated = lot_recall.recall(lot)
    ids = dict(
        Patient.objects.filter(pk__in=[t.patient_id for t in treated]).values_list(
            "pk", "public_id"
        )
    )
    audit.record_listing(
        actor,
        audit.Kind.RECALL,
        (t.patient_public_id for t in treated),
        action=Action.EXPORT,
        object_id=lot.public_id,
        detail={"count": len(treated)},
    )
    return [{**t.__dict__, "patient": ids[t.patient_id]} for t in treated]


# The clinic's house maximums: their own module, on this router's path.
router.add_router("", house_limits_router)
