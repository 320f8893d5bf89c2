"""Every change to stock: receiving a delivery, reconstituting a vial, drawing units for a
patient, wasting, discarding, writing off what has expired; and the alerts.

Drawing locks the vial's row (`SELECT ... FOR UPDATE` on PostgreSQL; SQLite serialises writers)
and checks state, time and balance inside the transaction, so two injectors drawing from one
vial at once can never take more than it holds; the database's check constraint is the last
guard. Units are the product's own: a draw names the product it is for, and another product's
vial is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone

from glabella.catalogue.labels import DILUENTS, LABEL_DILUENT, LABELS
from glabella.catalogue.products import Product
from glabella.clinic.clock import local_today
from glabella.core import audit
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Forbidden, ValidationFailed
from glabella.core.roles import Capability
from glabella.core.text import CONTROL
from glabella.inventory.models import Lot, Movement, Vial

Action = audit.Action
DILUENT = LABEL_DILUENT.name
MAX_VIALS_PER_DELIVERY = 500


def _require(actor: Actor) -> None:
    if not actor.can(Capability.MANAGE_STOCK) or actor.staff is None:
        raise Forbidden("Only clinical staff handle stock.")


def _units(value, name: str, errors: dict, step: Decimal) -> Decimal | None:
    try:
        units = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        errors[name] = ["Give the units as a number."]
        return None
    if not units.is_finite() or units <= 0:
        errors[name] = ["Give a positive number of units."]
        return None
    if units % step != 0:
        errors[name] = [f"Give the units in steps of {step.normalize():f}."]
        return None
    return units


# ---------------------------------------------------------------- receiving


def receive(actor: Actor, location, data: dict, *, now: datetime | None = None) -> Lot:
    """A delivery of one lot: its vials go on the shelf sealed."""
    _require(actor)
    now = now or timezone.now()
    today = local_today(location, now)
    errors: dict[str, list[str]] = {}
    product = data.get("product")
    known = isinstance(product, str) and product in set(Product)
    label = LABELS[Product(product)] if known else None
    if label is None:
        errors["product"] = ["Choose one of the neuromodulators."]
    lot_number = " ".join(str(data.get("lot_number") or "").split())
    if not lot_number or len(lot_number) > 40:
        errors["lot_number"] = [
            "Every genuine vial carries a lot number: copy it from the carton (at most 40)."
        ]
    expires_on = data.get("expires_on")
    if not isinstance(expires_on, date):
        errors["expires_on"] = ["Give the expiry date from the carton."]
    elif expires_on < today:
        errors["expires_on"] = ["This lot has expired: do not accept it."]
    received_on = data.get("received_on") or today
    if not isinstance(received_on, date) or received_on > today:
        errors["received_on"] = ["Give the day it arrived (today or earlier)."]
    vial_units = data.get("vial_units")
    if label is not None:
        sizes = [v.units for v in label.vials]
        if vial_units not in sizes:
            listed = " or ".join(f"{u} U" for u in sizes)
            errors["vial_units"] = [f"{label.name} comes in {listed} vials."]
    vials = data.get("vials_received")
    if (
        not isinstance(vials, int)
        or isinstance(vials, bool)
        or not (1 <= vials <= MAX_VIALS_PER_DELIVERY)
    ):
        errors["vials_received"] = [f"Give the number of vials, 1 to {MAX_VIALS_PER_DELIVERY}."]
    supplier = " ".join(str(data.get("supplier") or "").split())
    if not supplier or len(supplier) > 150:
        errors["supplier"] = ["Name the supplier (an authorized distributor)."]
    for check, what in (("seal_checked", "seal"), ("licence_checked", "US license number")):
        if data.get(check) is not True:
            errors[check] = [
                f"Check the {what} on the carton before accepting it: a missing or broken one "
                "is a sign of counterfeit stock."
            ]
    try:
        cost = Decimal(str(data.get("unit_cost", "0")))
        # The column holds 9 digits, 2 after the point: a larger price is refused, not a 500.
        if not cost.is_finite() or cost < 0 or cost >= Decimal("10000000"):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["unit_cost"] = ["Give the price per vial, or 0."]
        cost = Decimal(0)
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        lot = Lot.objects.create(
            location=location,
            product=product,
            ndc=str(data.get("ndc") or "")[:20],
            lot_number=lot_number,
            expires_on=expires_on,
            vial_units=vial_units,
            vials_received=vials,
            supplier=supplier,
            invoice=str(data.get("invoice") or "")[:60],
            unit_cost=cost,
            received_on=received_on,
            received_by=actor.staff,
            seal_checked=True,
            licence_checked=True,
            created_at=now,
        )
        Vial.objects.bulk_create(
            Vial(lot=lot, number=n, units_total=vial_units, units_left=vial_units)
            for n in range(1, vials + 1)
        )
        audit.record(
            actor,
            Action.CREATE,
            audit.Kind.STOCK_LOT,
            lot.public_id,
            detail={"product": product, "lot": lot_number, "vials": vials},
        )
    return lot


# ---------------------------------------------------------------- a vial's life


def lock_vial(vial: Vial) -> Vial:
    """The vial's row, locked until the caller's transaction ends (SQLite: writers are serial)."""
    return Vial.objects.select_for_update().select_related("lot").get(pk=vial.pk)


def reconstitute(
    actor: Actor,
    vial: Vial,
    diluent_ml,
    *,
    diluent: str = LABEL_DILUENT.key,
    reason: str = "",
    now: datetime | None = None,
) -> Vial:
    """Records a vial's reconstitution: the diluent (from `DILUENTS`), its volume and the
    concentration it gives. A diluent or volume off the label is a warning that needs a reason;
    a volume outside `VialSize.volume_range` is refused."""
    _require(actor)
    now = now or timezone.now()
    label = LABELS[Product(vial.lot.product)]
    size = label.vial(vial.lot.vial_units)
    errors: dict[str, list[str]] = {}
    if size is None:
        raise ValidationFailed({"vial": [f"{label.name} has no {vial.lot.vial_units} U vial."]})
    chosen = next((d for d in DILUENTS if d.key == diluent), None)
    if chosen is None:
        names = "; ".join(d.name for d in DILUENTS)
        errors["diluent"] = [f"Choose the diluent from the list: {names}."]
    ml = _volume(diluent_ml, size, label, errors)
    reason = " ".join(str(reason or "").split())
    if len(reason) > 300 or CONTROL.search(reason):
        errors["reason"] = ["Keep the reason to 300 plain characters."]
    warnings = dilution_warnings(label, size, chosen, ml) if not errors else []
    if warnings and not reason:
        errors["reason"] = [f"{' '.join(warnings)} Give a reason to proceed."]
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        current = lock_vial(vial)
        if current.state != Vial.State.SEALED:
            raise ValidationFailed(
                {"vial": [f"This vial is already {current.get_state_display().lower()}."]}
            )
        if current.lot.expires_on < local_today(current.lot.location, now):
            raise ValidationFailed({"vial": ["This vial's lot has expired: discard it."]})
        current.state = Vial.State.RECONSTITUTED
        current.reconstituted_at = now
        current.reconstituted_by = actor.staff
        current.diluent = chosen.name[:100]
        current.diluent_ml = ml
        current.units_per_01ml = size.units_per_01ml(ml)
        current.dilution_note = f"{' '.join(warnings)} Reason: {reason}"[:500] if warnings else ""
        current.discard_by = now + timedelta(hours=label.beyond_use_hours)
        current.save()
        audit.record(
            actor,
            Action.UPDATE,
            audit.Kind.STOCK_VIAL,
            current.public_id,
            detail={"reconstituted_ml": str(ml), "diluent": chosen.key, "reason": reason},
        )
    return current


def _volume(value, size, label, errors: dict) -> Decimal | None:
    low, high = size.volume_range
    try:
        ml = Decimal(str(value))
        if not ml.is_finite() or not low <= ml <= high or ml != ml.quantize(Decimal("0.01")):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["diluent_ml"] = [
            f"Give the diluent volume in mL (to 0.01 mL) for a {size.units} U vial of "
            f"{label.name}: {_ml(low)} to {_ml(high)} mL."
        ]
        return None
    return ml.quantize(Decimal("0.01"))


def _ml(value: Decimal) -> str:
    return f"{value.normalize():f}"


def dilution_warnings(label, size, diluent, ml: Decimal) -> list[str]:
    """What is off the label in a reconstitution: the diluent, or the volume for the vial."""
    out = []
    if not diluent.on_label:
        out.append(f"{label.name}'s label names {LABEL_DILUENT.name}, not {diluent.name}.")
    if ml not in size.diluent_ml:
        listed = " or ".join(f"{_ml(v)} mL" for v in size.diluent_ml)
        out.append(
            f"{_ml(ml)} mL is not on the label for a {size.units} U vial of {label.name}, which "
            f"gives {listed}: it makes {size.units_per_01ml(ml).normalize():f} U per 0.1 mL."
        )
    return out


@dataclass(frozen=True)
class Drawn:
    vial: Vial
    movement: Movement


def draw(
    actor: Actor,
    vial: Vial,
    units,
    *,
    product: str,
    patient=None,
    kind: str = Movement.Kind.DRAW,
    reason: str = "",
    now: datetime | None = None,
) -> Drawn:
    """Takes units out of a reconstituted vial for a patient (or as waste, with a reason)."""
    _require(actor)
    now = now or timezone.now()
    label = LABELS[Product(vial.lot.product)]
    errors: dict[str, list[str]] = {}
    amount = _units(units, "units", errors, vial.unit_step or label.unit_step)
    if product != vial.lot.product:
        errors["vial"] = [
            f"This vial holds {label.name}: units are never converted between products."
        ]
    reason = " ".join((reason or "").split())
    if kind == Movement.Kind.WASTE and not reason:
        errors["reason"] = ["Say why the units were wasted."]
    if len(reason) > 300:
        errors["reason"] = ["Keep the reason to 300 characters."]
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        current = lock_vial(vial)
        movement = take(
            current, amount, kind=kind, by=actor.staff, patient=patient, reason=reason, now=now
        )
        if patient is not None:
            audit.record_patient(
                actor,
                Action.CREATE,
                patient,
                object_type=audit.Kind.STOCK_DRAW,
                object_id=current.public_id,
                detail={"units": str(amount), "lot": current.lot.lot_number},
            )
    return Drawn(current, movement)


def take(
    vial: Vial,
    amount: Decimal,
    *,
    kind: str,
    by,
    patient=None,
    reason: str = "",
    now: datetime,
) -> Movement:
    """Inside the caller's write transaction, with `vial` locked (`lock_vial`): checks that the
    vial can give `amount` now, lowers its balance and records the movement. Charting a treatment
    draws every point this way, in the transaction that locks the record."""
    _usable(vial, now)
    if amount > vial.units_left:
        left = vial.units_left.normalize()
        raise ValidationFailed(
            {
                "units": [
                    f"Only {left:f} U left in vial {vial.number} of lot "
                    f"{vial.lot.lot_number}; draw the rest from another vial."
                ]
            }
        )
    vial.units_left -= amount
    if vial.units_left == 0:
        vial.state = Vial.State.USED_UP
        vial.closed_at = now
    vial.save(update_fields=["units_left", "state", "closed_at"])
    return Movement.objects.create(
        vial=vial,
        kind=kind,
        units=amount,
        balance_after=vial.units_left,
        at=now,
        by=by,
        patient=patient,
        reason=reason,
    )


def _usable(vial: Vial, now: datetime) -> None:
    if vial.state != Vial.State.RECONSTITUTED:
        why = (
            "is sealed: record its reconstitution first"
            if vial.state == Vial.State.SEALED
            else f"is {vial.get_state_display().lower()}"
        )
        raise ValidationFailed({"vial": [f"This vial {why}."]})
    if vial.discard_by is not None and now > vial.discard_by:
        raise ValidationFailed(
            {"vial": ["This vial is past its time after reconstitution: discard it."]}
        )
    if vial.lot.expires_on < local_today(vial.lot.location, now):
        raise ValidationFailed({"vial": ["This vial's lot has expired: discard it."]})


def waste(actor: Actor, vial: Vial, units, reason: str, *, now=None) -> Drawn:
    return draw(
        actor,
        vial,
        units,
        product=vial.lot.product,
        kind=Movement.Kind.WASTE,
        reason=reason,
        now=now,
    )


def discard(actor: Actor, vial: Vial, reason: str, *, now=None) -> Vial:
    """Closes a vial; what is left in it is recorded as discarded."""
    _require(actor)
    now = now or timezone.now()
    reason = " ".join((reason or "").split())
    if not reason or len(reason) > 300:
        raise ValidationFailed({"reason": ["Say why the vial is discarded (at most 300)."]})
    with write_transaction():
        current = lock_vial(vial)
        if current.state not in Vial.OPEN:
            raise ValidationFailed(
                {"vial": [f"This vial is already {current.get_state_display().lower()}."]}
            )
        _close(current, Vial.State.DISCARDED, Movement.Kind.DISCARD, reason, actor.staff, now)
        audit.record(
            actor,
            Action.UPDATE,
            audit.Kind.STOCK_VIAL,
            current.public_id,
            detail={"discarded": reason},
        )
    return current


def _close(vial: Vial, state: str, kind: str, reason: str, by, now) -> None:
    left = vial.units_left
    vial.state = state
    vial.units_left = Decimal(0)
    vial.closed_at = now
    vial.save(update_fields=["state", "units_left", "closed_at"])
    if left > 0:
        Movement.objects.create(
            vial=vial, kind=kind, units=left, balance_after=0, at=now, by=by, reason=reason
        )


def write_off_expired(now: datetime | None = None) -> int:
    """Vials past their time after reconstitution, or of an expired lot, are closed and their
    units written off. Returns how many."""
    now = now or timezone.now()
    due = Vial.objects.filter(state__in=Vial.OPEN).filter(
        Q(discard_by__lt=now) | Q(lot__expires_on__lt=now.date())
    )
    closed = 0
    for vial in due.select_related("lot__location"):
        with write_transaction():
            current = lock_vial(vial)
            if current.state not in Vial.OPEN:
                continue
            past_use = current.discard_by is not None and current.discard_by < now
            expired = current.lot.expires_on < local_today(current.lot.location, now)
            if not (past_use or expired):
                continue
            why = "past its time after reconstitution" if past_use else "lot expired"
            _close(current, Vial.State.EXPIRED, Movement.Kind.EXPIRED, why, None, now)
            closed += 1
    return closed


# ---------------------------------------------------------------- alerts


@dataclass(frozen=True)
class Alert:
    kind: str  # "low-stock" or "expiring"
    message: str


def alerts(location, *, now: datetime | None = None) -> list[Alert]:
    today = local_today(location, now)
    out = []
    sealed = dict(
        Vial.objects.filter(lot__location=location, state=Vial.State.SEALED)
        .values("lot__product")
        .annotate(n=Count("id"))
        .values_list("lot__product", "n")
    )
    stocked = set(
        Lot.objects.filter(location=location).values_list("product", flat=True).distinct()
    )
    for product in sorted(stocked):
        n = sealed.get(product, 0)
        if n < settings.LOW_STOCK_VIALS:
            name = Product(product).label
            out.append(Alert("low-stock", f"{name}: {n} sealed vial{'s' * (n != 1)} left."))
    soon = today + timedelta(days=settings.EXPIRY_ALERT_DAYS)
    expiring = (
        Vial.objects.filter(
            lot__location=location,
            state__in=Vial.OPEN,
            lot__expires_on__gte=today,
            lot__expires_on__lte=soon,
        )
        .values("lot")
        .annotate(units=Sum("units_left"))
    )
    unused = {row["lot"]: row["units"] for row in expiring}
    for lot in Lot.objects.filter(pk__in=unused).order_by("expires_on", "lot_number"):
        out.append(
            Alert(
                "expiring",
                f"{lot} expires on {lot.expires_on:%b %-d, %Y} with "
                f"{unused[lot.pk].normalize():f} U unused.",
            )
        )
    return out
