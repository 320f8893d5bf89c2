"""Safety reports: how often a side effect was reported after a treatment, by product, area,
injector, dose band and lot, over any period; and which lots stand out.

A treatment counts as having a side effect when a report after it went to a clinician (review or
urgent) or an adverse event was recorded for it. A lot is flagged when its rate is above its
product's and so many events would be unlikely by chance (one-sided exact binomial test at 1%,
and at least three events). `rates` and `flagged` are pure; `rows` reads the database once.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Exists, OuterRef, Sum

from glabella.aftercare.models import AdverseEvent, Report
from glabella.catalogue.areas import both_sides
from glabella.treatments.models import InjectionPoint, TreatmentRecord

BANDS = (
    (0, 20, "under 20 U"),
    (20, 40, "20-39 U"),
    (40, 64, "40-63 U"),
    (64, 10**6, "64 U or more"),
)


@dataclass(frozen=True)
class Row:
    """One signed treatment, as the report needs it."""

    product: str
    injector: str
    lot: str
    areas: frozenset[str]
    units: Decimal
    side_effect: bool


@dataclass(frozen=True)
class Rate:
    key: str
    treated: int
    events: int

    @property
    def percent(self) -> Decimal:
        return (
            (Decimal(self.events) * 100 / self.treated).quantize(Decimal("0.1"))
            if self.treated
            else Decimal(0)
        )


def band(units: Decimal) -> str:
    return next(label for low, high, label in BANDS if low <= units < high)


def rates(rows: list[Row], by: str) -> list[Rate]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        keys = (
            sorted(row.areas)
            if by == "area"
            else [band(row.units)]
            if by == "dose"
            else [getattr(row, by)]
        )
        for key in keys:
            counts[key][0] += 1
            counts[key][1] += row.side_effect
    return [Rate(key, n, e) for key, (n, e) in sorted(counts.items())]


def tail(n: int, k: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))


def flagged(rows: list[Row], *, alpha: float = 0.01, minimum: int = 3) -> list[Rate]:
    """Lots whose side-effect rate stands out against their product's."""
    by_product = {r.key: r for r in rates(rows, "product")}
    out = []
    for product, base in by_product.items():
        p = base.events / base.treated if base.treated else 0.0
        lots = rates([r for r in rows if r.product == product], "lot")
        for lot in lots:
            if lot.events < minimum or lot.events / lot.treated <= p:
                continue
            if tail(lot.treated, lot.events, p) < alpha:
                out.append(lot)
    return out


def rows(
    since: date | None = None,
    until: date | None = None,
    location=None,
    *,
    organisation_id: int | None = None,
) -> list[Row]:
    """One row per lot (`organisation_id`: that clinic's treatments only, as its pages ask)."""
    treatments = TreatmentRecord.objects.filter(status="locked", amends__isnull=True)
    if organisation_id is not None:
        treatments = treatments.filter(patient__organisation_id=organisation_id)
    if since:
        treatments = treatments.filter(locked_at__date__gte=since)
    if until:
        treatments = treatments.filter(locked_at__date__lte=until)
    if location is not None:
        treatments = treatments.filter(appointment__location=location)
    flagged_reports = Report.objects.filter(
        treatment=OuterRef("pk"), urgency__in=["review", "urgent"]
    )
    events = AdverseEvent.objects.filter(treatment=OuterRef("pk"))
    records = treatments.annotate(
        reported=Exists(flagged_reports), adverse=Exists(events), units=Sum("points__units")
    ).values_list(
        "pk",
        "product",
        "injector__full_name",
        "vial__lot__lot_number",
        "units",
        "reported",
        "adverse",
    )
    areas: dict[int, set[str]] = defaultdict(set)
    for record_id, area in InjectionPoint.objects.filter(record__in=treatments).values_list(
        "record_id", "area"
    ):
        areas[record_id].add(both_sides(area))
    return [
        Row(
            product,
            injector,
            lot or "-",
            frozenset(areas[pk]),
            units or Decimal(0),
            reported or adverse,
        )
        for pk, product, injector, lot, units, reported, adverse in records
    ]
