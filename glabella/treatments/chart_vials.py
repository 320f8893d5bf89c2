"""The vial from the chart: which vials of the record's product the chart may draw from at its
location, why there is none when there is none, and reconstituting a sealed one there.

A vial is open for the chart when it is reconstituted, has units left, is within its hours of use
after reconstitution and its lot is in date. The sealed vials offered are the next one of each
in-date lot, the lot that expires first first. Reconstituting from the chart uses the label's
diluent and one of the label's volumes for the vial's size (`catalogue.labels`); anything else is
the Stock page's (with its reason). The write is `inventory.services.reconstitute`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from glabella.catalogue.labels import LABEL_DILUENT, LABELS
from glabella.catalogue.products import Product
from glabella.clinic.clock import local_today
from glabella.core.access import Actor
from glabella.core.errors import Forbidden, ValidationFailed
from glabella.core.roles import Capability
from glabella.inventory import services as stock
from glabella.inventory.models import Lot, Vial
from glabella.treatments.models import TreatmentRecord


@dataclass
class VialMenu:
    open: list[Vial]
    sealed: list[Vial]  # the next sealed vial of each in-date lot, soonest expiry first
    sealed_counts: dict[int, int] = field(default_factory=dict)  # lot id -> sealed vials
    why_none: list[str] = field(default_factory=list)  # when `open` is empty: why, in words


def _ml(value: Decimal) -> str:
    return f"{value.normalize():f}"


def menu(record: TreatmentRecord, now: datetime | None = None) -> VialMenu:
    now = now or timezone.now()
    location = record.appointment.location
    today = local_today(location, now)
    label = LABELS[Product(record.product)]
    lots = list(Lot.objects.filter(location=location, product=record.product))
    vials = list(
        Vial.objects.filter(lot__in=lots)
        .select_related("lot")
        .order_by("lot__expires_on", "lot__lot_number", "number")
    )
    in_date = [v for v in vials if v.lot.expires_on >= today]
    open_ = [
        v
        for v in in_date
        if v.state == Vial.State.RECONSTITUTED
        and v.units_left > 0
        and (v.discard_by is None or v.discard_by > now)
    ]
    open_.sort(key=lambda v: (v.discard_by or now, v.lot.lot_number, v.number))
    sealed_all = [
        v for v in in_date if v.state == Vial.State.SEALED and label.vial(v.lot.vial_units)
    ]
    counts: dict[int, int] = {}
    sealed: list[Vial] = []
    for v in sealed_all:
        if v.lot_id not in counts:
            sealed.append(v)
        counts[v.lot_id] = counts.get(v.lot_id, 0) + 1
    result = VialMenu(open=open_, sealed=sealed, sealed_counts=counts)
    if open_:
        return result
    name = label.name
    if not lots:
        result.why_none.append(
            f"No lot of {name} has been received at {location.name}: receive one on the Stock "
            "page first."
        )
        return result
    past_hours = [
        v
        for v in in_date
        if v.state == Vial.State.RECONSTITUTED and v.discard_by is not None and v.discard_by <= now
    ]
    expired_open = [v for v in vials if v.state in Vial.OPEN and v.lot.expires_on < today]
    if past_hours:
        result.why_none.append(
            f"{_count(len(past_hours), 'reconstituted vial')} of {name} passed the "
            f"{label.beyond_use_hours} hours of use after reconstitution: discard "
            f"{'it' if len(past_hours) == 1 else 'them'}."
        )
    if expired_open:
        lot_numbers = sorted({v.lot.lot_number for v in expired_open})
        result.why_none.append(
            f"Lot {', '.join(lot_numbers)} of {name} is past its expiry date: its vials cannot "
            "be used."
        )
    if sealed:
        result.why_none.append(
            f"No vial of {name} is open here; {_count(len(sealed_all), 'sealed vial')} "
            "can be reconstituted below."
        )
    elif not past_hours and not expired_open:
        result.why_none.append(
            f"Every vial of {name} received at {location.name} is used up, discarded or "
            "written off: receive a delivery on the Stock page."
        )
    return result


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def volumes(vial: Vial) -> list[tuple[str, str]]:
    """The label's volumes for this vial's size: (mL, the words shown with the concentration)."""
    size = LABELS[Product(vial.lot.product)].vial(vial.lot.vial_units)
    if size is None:
        return []
    return [
        (
            _ml(ml),
            f"{_ml(ml)} mL of {LABEL_DILUENT.name}: {_ml(size.units_per_01ml(ml))} U per 0.1 mL",
        )
        for ml in size.diluent_ml
    ]


def reconstitute_for(
    actor: Actor, record: TreatmentRecord, vial_id: str, diluent_ml: str, *, now=None
) -> Vial:
    """Reconstitutes a sealed vial for this record from the chart: the vial must be one of the
    record's product at its location, sealed and in date; the volume one of the label's for the
    vial's size. Refused field by field (`vial`, `diluent_ml`), nothing written."""
    if actor.staff is None or not actor.can(Capability.CHART):
        raise Forbidden("Only a clinician charts a treatment.")
    if record.locked or record.injector_id != actor.staff.pk:
        raise Forbidden("Only the injector charting this record reconstitutes a vial for it.")
    now = now or timezone.now()
    label = LABELS[Product(record.product)]
    vial = (
        Vial.objects.select_related("lot__location").filter(public_id=vial_id).first()
        if _is_uuid(vial_id)
        else None
    )
    errors: dict[str, list[str]] = {}
    if vial is None:
        errors["vial"] = ["Choose one of the sealed vials listed."]
    elif vial.lot.product != record.product:
        other = LABELS[Product(vial.lot.product)].name
        errors["vial"] = [f"That vial holds {other}; this record charts {label.name}."]
    elif vial.lot.location_id != record.appointment.location_id:
        errors["vial"] = ["That vial is at another location."]
    elif vial.state != Vial.State.SEALED:
        errors["vial"] = [f"That vial is {vial.get_state_display().lower()}, not sealed."]
    elif vial.lot.expires_on < local_today(vial.lot.location, now):
        errors["vial"] = ["That vial's lot is past its expiry date."]
    if vial is not None and "vial" not in errors:
        listed = [ml for ml, _ in volumes(vial)]
        if str(diluent_ml or "").strip() not in listed:
            size = label.vial(vial.lot.vial_units)
            which = "the label's volume" if len(listed) == 1 else "one of the label's volumes"
            errors["diluent_ml"] = [
                f"Choose {which} for a {size.units} U vial: "
                f"{' or '.join(f'{ml} mL' for ml in listed)}."
            ]
    if errors:
        raise ValidationFailed(errors)
    return stock.reconstitute(actor, vial, str(diluent_ml).strip(), now=now)


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
