"""The clinic's protocol: the medical director's house maximums per product and area (the
latest change to each, over the shipped defaults), the table of every ceiling in force beside its
default, and the change of one ceiling, kept with its reason."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from glabella.catalogue.areas import HOUSE_AREA_NAMES, Area
from glabella.catalogue.labels import HOUSE_AREAS, HOUSE_DEFAULTS, HOUSE_MAX_BOUND, LABELS
from glabella.catalogue.products import Product
from glabella.core import audit
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Forbidden, ValidationFailed
from glabella.core.roles import Capability
from glabella.core.text import CONTROL
from glabella.treatments import dosing
from glabella.treatments.models import ProtocolChange

Action = audit.Action


def protocol(product: str) -> dosing.Protocol:
    """The medical director's latest house maximums for a product, by area; an area never set
    (or set back) keeps the shipped default, which the guard reads itself."""
    house: dict[str, Decimal] = {}
    point: dict[str, Decimal] = {}
    seen = set()
    for change in ProtocolChange.objects.filter(product=product).order_by("-at", "-id"):
        if change.area in seen:
            continue
        seen.add(change.area)
        if change.house_max is not None:
            house[change.area] = change.house_max
        if change.point_max is not None:
            point[change.area] = change.point_max
    return dosing.Protocol(house_max=house, point_max=point)


@dataclass(frozen=True)
class HouseRow:
    product: Product
    area: str
    label_max: Decimal | None  # the label's dose, where this area is on the product's label
    area_max: Decimal
    point_max: Decimal
    default_area_max: Decimal
    default_point_max: Decimal

    @property
    def off_label(self) -> bool:
        return self.label_max is None

    @property
    def area_name(self) -> str:
        return HOUSE_AREA_NAMES[self.area]

    @property
    def changed(self) -> bool:
        return (self.area_max, self.point_max) != (self.default_area_max, self.default_point_max)


def house_limits() -> list[HouseRow]:
    """Every product's ceiling in every house area, as in force, beside the shipped default."""
    rows = []
    for product in Product:
        label, current = LABELS[product], protocol(product.value)
        for area in HOUSE_AREAS:
            default = HOUSE_DEFAULTS[product][area]
            on_label = Area(area) if area in set(Area) else None
            rows.append(
                HouseRow(
                    product=product,
                    area=area,
                    label_max=label.area_max(on_label) if on_label else None,
                    area_max=current.area_limit(product, area),
                    point_max=current.point_limit(product, area),
                    default_area_max=default.area_max,
                    default_point_max=default.point_max,
                )
            )
    return rows


def _units_or_none(value, name: str, errors: dict) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        units = Decimal(str(value))
        if isinstance(value, bool) or not units.is_finite() or units <= 0:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors[name] = ["Give a positive number of units, or leave it empty for the default."]
        return None
    if units > HOUSE_MAX_BOUND or units != units.quantize(Decimal("0.01")):
        errors[name] = [f"Give at most {HOUSE_MAX_BOUND} units, to two decimal places."]
        return None
    return units


def set_house_dose(
    actor: Actor, product, area, units, reason: str, *, point_max=None, now=None
) -> ProtocolChange:
    """The medical director sets the clinic's house maximum for a product's area (a label area,
    never above the label, or an off-label one) and the most in one point; None puts back the
    shipped default. The label itself never changes."""
    if not actor.can(Capability.SET_PROTOCOL):
        raise Forbidden("Only the medical director sets the clinic's house maximums.")
    errors: dict[str, list[str]] = {}
    label = (
        LABELS.get(Product(product))
        if isinstance(product, str) and product in set(Product)
        else None
    )
    if label is None:
        errors["product"] = ["Choose one of the neuromodulators."]
    if not isinstance(area, str) or area not in HOUSE_AREAS:
        errors["area"] = ["Choose one of the treatment areas."]
    value = _units_or_none(units, "house_max", errors)
    point = _units_or_none(point_max, "point_max", errors)
    if label is not None and "area" not in errors:
        defaults = HOUSE_DEFAULTS[label.product][area]
        on_label = Area(area) if area in set(Area) else None
        most = label.area_max(on_label) if on_label in label.doses else None
        if value is not None and most is not None and value > most:
            errors["house_max"] = [
                f"The label's {most.normalize():f} U is the ceiling here: a house maximum "
                "can only be lower."
            ]
        if point is not None and "house_max" not in errors and point > (value or defaults.area_max):
            errors["point_max"] = ["The most in one point cannot be above the area's maximum."]
    reason = " ".join((reason or "").split()) if isinstance(reason, str) else ""
    if not 5 <= len(reason) <= 300 or CONTROL.search(reason):
        errors["reason"] = ["Say why, in 5 to 300 characters: the change is kept."]
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        change = ProtocolChange.objects.create(
            product=product,
            area=area,
            house_max=value,
            point_max=point,
            reason=reason,
            changed_by=actor.saved_user,
            actor_label=actor.label[:200],
            at=now or timezone.now(),
        )
        audit.record(
            actor,
            Action.UPDATE,
            audit.Kind.TREATMENT_PROTOCOL,
            f"{product}:{area}",
            detail={
                "house_max": str(value) if value else None,
                "point_max": str(point) if point else None,
                "reason": reason,
            },
        )
    return change
