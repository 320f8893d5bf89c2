"""Units billed = units charted = units drawn from the vials (less recorded waste): the check,
pure.

It takes plain rows (no database, no clock) and returns the totals per product and every
difference, each naming the treatment and the invoice it is about:

- a treatment whose invoice bills other units than its chart (with the desk's reason), or that
  has no invoice at all;
- units billed on an invoice with no treatment behind them;
- a treatment whose draws from the vials differ from its chart (an amendment's points are drawn
  and not charted or billed: the amendment is named);
- a draw for a patient with no charted point behind it.

Waste is recorded against a vial, not a treatment: it is counted out of the drawn units and is
no difference. Units of one product are never set against another's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal("0")


@dataclass(frozen=True)
class Treatment:
    """A signed original record (not an amendment), charted with `units` of `product`."""

    key: str
    product: str
    units: Decimal
    patient: str = ""
    label: str = ""  # how a person names it: "BOTOX Cosmetic, Dec 1, 2026, 10:00 AM"


@dataclass(frozen=True)
class Billed:
    """Units of a product on an invoice's line; `treatment` is the record it bills, if any."""

    invoice: str
    product: str
    units: Decimal
    treatment: str | None = None
    reason: str = ""
    patient: str = ""


@dataclass(frozen=True)
class Drawn:
    """Units out of a vial: drawn for a patient (`kind` "draw", for a point of `treatment` or
    of its `amendment`, or for no point) or wasted (`kind` "waste")."""

    key: str
    product: str
    units: Decimal
    kind: str = "draw"
    treatment: str | None = None
    amendment: str | None = None
    patient: str = ""


@dataclass(frozen=True)
class Difference:
    kind: str  # billed-not-charted, not-billed, billed-without-treatment, drawn-not-charted,
    # drawn-without-chart
    product: str
    billed: Decimal
    charted: Decimal
    drawn: Decimal
    treatment: str | None = None
    invoice: str | None = None
    patient: str = ""
    why: str = ""  # the plain sentence a person reads


@dataclass
class ProductTotals:
    product: str
    billed: Decimal = ZERO
    charted: Decimal = ZERO
    drawn_out: Decimal = ZERO  # every unit out of a vial for a patient or as waste
    waste: Decimal = ZERO

    @property
    def drawn(self) -> Decimal:
        """Drawn from the vials less the recorded waste."""
        return self.drawn_out - self.waste

    @property
    def agrees(self) -> bool:
        return self.billed == self.charted == self.drawn


@dataclass
class Reconciliation:
    totals: list[ProductTotals] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        return not self.differences and all(t.agrees for t in self.totals)


def _units(value: Decimal) -> str:
    return f"{Decimal(value).normalize():f}"


def reconcile(
    treatments: Iterable[Treatment], billed: Iterable[Billed], drawn: Iterable[Drawn]
) -> Reconciliation:
    treatments = list(treatments)
    billed = list(billed)
    drawn = list(drawn)
    totals: dict[str, ProductTotals] = {}

    def total(product: str) -> ProductTotals:
        return totals.setdefault(product, ProductTotals(product))

    for t in treatments:
        total(t.product).charted += t.units
    for b in billed:
        total(b.product).billed += b.units
    for d in drawn:
        total(d.product).drawn_out += d.units
        if d.kind == "waste":
            total(d.product).waste += d.units

    differences: list[Difference] = []
    known = {t.key for t in treatments}
    for t in treatments:
        lines = [b for b in billed if b.treatment == t.key and b.product == t.product]
        other_products = [b for b in billed if b.treatment == t.key and b.product != t.product]
        draws = [d for d in drawn if d.kind == "draw" and d.treatment == t.key]
        on_bill = sum((b.units for b in lines), ZERO)
        out = sum((d.units for d in draws if d.product == t.product), ZERO)
        invoice = ", ".join(dict.fromkeys(b.invoice for b in lines)) or None
        if not lines:
            differences.append(
                Difference(
                    "not-billed",
                    t.product,
                    ZERO,
                    t.units,
                    out,
                    t.key,
                    None,
                    t.patient,
                    f"{_units(t.units)} units charted and on no invoice.",
                )
            )
        elif on_bill != t.units:
            reasons = "; ".join(dict.fromkeys(b.reason for b in lines if b.reason))
            more = "more" if on_bill > t.units else "fewer"
            differences.append(
                Difference(
                    "billed-not-charted",
                    t.product,
                    on_bill,
                    t.units,
                    out,
                    t.key,
                    invoice,
                    t.patient,
                    f"{_units(abs(on_bill - t.units))} units {more} billed than charted"
                    + (f" (the reason given: {reasons})." if reasons else ", with no reason."),
                )
            )
        for b in other_products:
            differences.append(
                Difference(
                    "billed-not-charted",
                    b.product,
                    b.units,
                    ZERO,
                    ZERO,
                    t.key,
                    b.invoice,
                    t.patient,
                    f"{_units(b.units)} units of another product billed on this treatment's "
                    "invoice, none charted.",
                )
            )
        if out != t.units:
            amended = [d for d in draws if d.amendment]
            why = f"{_units(out)} units drawn from the vials for {_units(t.units)} charted"
            why += (
                ": points added by an amendment are drawn, not billed."
                if amended and out > t.units
                else "."
            )
            differences.append(
                Difference(
                    "drawn-not-charted",
                    t.product,
                    on_bill,
                    t.units,
                    out,
                    t.key,
                    invoice,
                    t.patient,
                    why,
                )
            )
    for b in billed:
        if b.treatment is None or b.treatment not in known:
            differences.append(
                Difference(
                    "billed-without-treatment",
                    b.product,
                    b.units,
                    ZERO,
                    ZERO,
                    b.treatment,
                    b.invoice,
                    b.patient,
                    f"{_units(b.units)} units billed with no signed treatment behind them"
                    + (f" (the reason given: {b.reason})." if b.reason else "."),
                )
            )
    for d in drawn:
        if d.kind == "draw" and (d.treatment is None or d.treatment not in known):
            differences.append(
                Difference(
                    "drawn-without-chart",
                    d.product,
                    ZERO,
                    ZERO,
                    d.units,
                    d.treatment,
                    None,
                    d.patient,
                    f"{_units(d.units)} units drawn from a vial with no charted point behind them.",
                )
            )
    return Reconciliation(sorted(totals.values(), key=lambda t: t.product), differences)
