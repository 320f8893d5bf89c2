"""The clinic's figures: units by product, area, injector and month; waste; stock value. Each is
one aggregate query over signed records or the stock ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Sum
from django.db.models.functions import TruncMonth

from glabella.inventory.models import Movement, Vial
from glabella.treatments.models import InjectionPoint

ZERO = Decimal(0)


@dataclass(frozen=True)
class Figures:
    units_by: list[dict]  # month, product, area, injector, units, points
    waste: list[dict]  # product, drawn, wasted, percent
    stock_value: list[dict]  # product, sealed vials, value


def figures(location=None, *, since: date | None = None, until: date | None = None) -> Figures:
    points = InjectionPoint.objects.filter(record__status="locked")
    movements = Movement.objects.all()
    vials = Vial.objects.filter(state="sealed")
    if location is not None:
        points = points.filter(record__appointment__location=location)
        movements = movements.filter(vial__lot__location=location)
        vials = vials.filter(lot__location=location)
    if since:
        points = points.filter(record__locked_at__date__gte=since)
        movements = movements.filter(at__date__gte=since)
    if until:
        points = points.filter(record__locked_at__date__lte=until)
        movements = movements.filter(at__date__lte=until)
    units_by = list(
        points.annotate(month=TruncMonth("record__locked_at"))
        .values("month", "record__product", "area", "record__injector__full_name")
        .annotate(units=Sum("units"), points=Count("id"))
        .order_by("-month", "record__product", "area", "record__injector__full_name")
    )
    by_kind = (
        movements.values("vial__lot__product", "kind")
        .annotate(units=Sum("units"))
        .order_by("vial__lot__product")
    )
    table: dict[str, dict[str, Decimal]] = {}
    for row in by_kind:
        product = table.setdefault(row["vial__lot__product"], {})
        product[row["kind"]] = row["units"]
    waste = []
    for product, kinds in sorted(table.items()):
        drawn = kinds.get("draw", ZERO)
        lost = kinds.get("waste", ZERO) + kinds.get("discard", ZERO) + kinds.get("expired", ZERO)
        used = drawn + lost
        waste.append(
            {
                "product": product,
                "drawn": drawn,
                "wasted": lost,
                "percent": (lost * 100 / used).quantize(Decimal("0.1")) if used else ZERO,
            }
        )
    value = ExpressionWrapper(
        F("lot__unit_cost"), output_field=DecimalField(max_digits=12, decimal_places=2)
    )
    stock_value = list(
        vials.values("lot__product")
        .annotate(vials=Count("id"), value=Sum(value))
        .order_by("lot__product")
    )
    return Figures(units_by, waste, stock_value)
