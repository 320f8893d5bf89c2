"""The clinic's figures: units by product, area, injector and month; waste; stock value. Each is
one aggregate query over signed records or the stock ledger. Months and days are the clinic's
(the location's zone, or the clinic's first location's for all of them), never UTC's: a
treatment on the evening of Nov 30 in California is November's."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Sum
from django.db.models.functions import TruncMonth

from glabella.catalogue.areas import any_area_name
from glabella.catalogue.products import product_name
from glabella.clinic.clock import local_zone
from glabella.core.text import csv_cell
from glabella.inventory.models import Movement, Vial
from glabella.treatments.models import InjectionPoint

ZERO = Decimal(0)


@dataclass(frozen=True)
class Figures:
    units_by: list[dict]  # month, product, area, injector, units, points
    waste: list[dict]  # product, drawn, wasted, percent
    stock_value: list[dict]  # product, sealed vials, value


def figures(
    location=None,
    *,
    organisation_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
) -> Figures:
    """The figures of `location`, or of every location of the clinic `organisation_id`."""
    zone = local_zone(location)
    points = InjectionPoint.objects.filter(record__status="locked")
    movements = Movement.objects.all()
    vials = Vial.objects.filter(state="sealed")
    if organisation_id is not None:
        points = points.filter(record__patient__organisation_id=organisation_id)
        movements = movements.filter(vial__lot__location__organisation_id=organisation_id)
        vials = vials.filter(lot__location__organisation_id=organisation_id)
    if location is not None:
        points = points.filter(record__appointment__location=location)
        movements = movements.filter(vial__lot__location=location)
        vials = vials.filter(lot__location=location)
    if since:
        start = datetime.combine(since, time(), tzinfo=zone)
        points = points.filter(record__locked_at__gte=start)
        movements = movements.filter(at__gte=start)
    if until:
        end = datetime.combine(until + timedelta(days=1), time(), tzinfo=zone)
        points = points.filter(record__locked_at__lt=end)
        movements = movements.filter(at__lt=end)
    units_by = list(
        points.annotate(month=TruncMonth("record__locked_at", tzinfo=zone))
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


def months(units_by: list[dict]) -> list[dict]:
    """The units table's months, newest first, each with its rows and totals (a page each)."""
    found: dict = {}
    for row in units_by:
        month = row["month"].date() if isinstance(row["month"], datetime) else row["month"]
        entry = found.setdefault(month, {"month": month, "rows": [], "units": ZERO, "points": 0})
        entry["rows"].append(row)
        entry["units"] += row["units"] or ZERO
        entry["points"] += row["points"]
    return list(found.values())


def units_csv(units_by: list[dict]) -> str:
    """The units table as CSV, every month, in the words the page uses."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Month", "Product", "Area", "Injector", "Points", "Units"])
    for row in units_by:
        month = row["month"]
        writer.writerow(
            [
                csv_cell(cell)
                for cell in (
                    f"{month:%B} {month.year}",
                    product_name(row["record__product"]),
                    any_area_name(row["area"]),
                    row["record__injector__full_name"],
                    row["points"],
                    f"{row['units'].normalize():f}",
                )
            ]
        )
    return out.getvalue()
