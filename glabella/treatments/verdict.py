"""One verdict on a plan: the dose guard's findings for the API's check, the chart page's live
panel and `lock` alike; and the verdict a signed record was signed under, read from what was
stored at signing, never worked out again."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from glabella.catalogue.areas import ChartArea
from glabella.catalogue.labels import LABELS
from glabella.catalogue.products import Product
from glabella.core.errors import ValidationFailed
from glabella.inventory.models import Vial
from glabella.treatments import dosing
from glabella.treatments.guard import Context, bands_of, guard, plan_for
from glabella.treatments.models import TreatmentRecord


def verdict(
    product: str,
    points,
    at: datetime,
    *,
    patient=None,
    vial: Vial | None = None,
    vials: list[Vial] | tuple[Vial, ...] = (),
    record: TreatmentRecord | None = None,
    history_given: tuple[dosing.PastSession, ...] = (),
    platysma_bands: tuple[int, int] | None = None,
) -> tuple[Context, dosing.Check]:
    """The dose guard's verdict on a plan: the one function behind the API's check and the
    chart page's live panel, and the same plan `lock` checks. With a draft `record`, the plan is
    that record's: its patient, and the points already signed in its session (an amendment's
    original) counted in the totals rather than as history."""
    if record is not None:
        if record.locked:
            raise ValidationFailed(
                {"record": ["This record is signed: its verdict is the one it was signed under."]}
            )
        patient = record.patient
        if platysma_bands is None:
            platysma_bands = bands_of(record)
    ctx = plan_for(
        product,
        points,
        at,
        patient=patient,
        vial=vial,
        vials=vials,
        session=record.appointment_id if record is not None else None,
        history_given=history_given,
        platysma_bands=platysma_bands,
    )
    return ctx, guard(ctx)


def _given_totals(record: TreatmentRecord) -> tuple[dict[str, Decimal], Decimal]:
    """The units a record gave per area (per label area where the label has it), summed."""
    label = LABELS[Product(record.product)]
    totals: dict[str, Decimal] = {}
    for point in record.points.all():
        area = ChartArea(point.area).label_area
        key = area.value if area is not None and area in label.doses else point.area
        totals[key] = totals.get(key, Decimal(0)) + point.units
    return totals, sum(totals.values(), Decimal(0))


def signed_verdict(record: TreatmentRecord) -> dosing.Check:
    """The verdict a locked record was signed under, as stored at signing: never worked out
    again (today's vial, or its own units counted as history, would change it)."""
    if not record.locked:
        raise ValueError("only a signed record has a signed verdict")
    findings = tuple(
        dosing.Finding(f["code"], dosing.Level(f["level"]), f["message"], f.get("area", ""))
        for f in record.guard
    )
    level = (
        dosing.Level(record.guard_level)
        if record.guard_level
        else max((f.level for f in findings), key=dosing.ORDER.index, default=dosing.Level.OK)
    )
    totals, total = _given_totals(record)
    return dosing.Check(level, findings, totals, total)
