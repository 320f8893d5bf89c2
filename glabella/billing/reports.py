"""The owner's money reports: revenue, units sold and the average price per unit by product, by
provider (the treatment's injector) and by month, in the clinic's zone; and the reconciliation of
units billed, charted and drawn (`reconcile.py` decides, this feeds it). Each has its CSV.

Revenue is what finalized invoices charged for units and services, net of their discounts
(shared over the lines in proportion to their amounts, as `money.totals` shares them for tax) and
before tax; a voided or open invoice is no revenue. Prepaid value sold (a package's sale line, a
deposit paid online at booking) is not revenue when sold: the units and services it later pays
for are billed, and counted, then. It is shown apart as "Prepaid sold" (`prepaid_sold`), so
nothing is counted twice. A membership's monthly fee is a fee, not prepaid units: revenue
(decision 0040). An invoice falls in the period and month of the day it was finalized,
in its location's zone. Periods are bounded: `MAX_REPORT_DAYS` for revenue, `MAX_RECONCILE_DAYS`
for the reconciliation.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import models
from django.db.models import Q

from glabella.billing import money, reconcile
from glabella.billing.close import day_bounds
from glabella.billing.models import Invoice, InvoiceLine, OnlineCheckout, PatientPackage, Payment
from glabella.catalogue.products import product_name
from glabella.clinic.models import Location
from glabella.core import audit, styles
from glabella.core.access import Actor
from glabella.core.bounds import day_in_range
from glabella.core.errors import ValidationFailed
from glabella.core.roles import Capability
from glabella.core.text import csv_cell
from glabella.inventory.models import Movement
from glabella.patients.models import Patient
from glabella.patients.services import require_capability
from glabella.treatments.models import InjectionPoint, TreatmentRecord

MAX_REPORT_DAYS = 366
MAX_RECONCILE_DAYS = 31
ZERO = money.ZERO
NO_PROVIDER = "Sold at the desk (no treatment)"


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive


def parse_period(start: object, end: object, *, today: date, longest: int) -> Period:
    """Two days from outside (ISO), in order, within the house's range, at most `longest` days
    apart; a missing one is today (the end) or the start of the end's month (the start)."""
    errors: dict[str, list[str]] = {}

    def day(value, field, default):
        text = str(value or "").strip()
        if not text:
            return default
        try:
            found = date.fromisoformat(text)
        except ValueError:
            errors[field] = ["Enter a date, such as 2026-12-01."]
            return None
        if not day_in_range(found):
            errors[field] = ["Enter a date between 1900 and 2100."]
            return None
        return found

    last = day(end, "end", today)
    first = day(start, "start", (last or today).replace(day=1))
    if first and last:
        if first > last:
            errors["end"] = ["The end comes on or after the start."]
        elif (last - first).days + 1 > longest:
            errors["end"] = [f"Choose at most {longest} days."]
    if errors:
        raise ValidationFailed(errors)
    return Period(first, last)


def _in_period(period: Period, field: str, location_field: str, locations) -> Q:
    found = Q(pk__in=[])
    for location in locations:
        start, _ = day_bounds(location, period.start)
        _, end = day_bounds(location, period.end)
        found |= Q(**{f"{field}__gte": start, f"{field}__lt": end, location_field: location.pk})
    return found


def _locations(location) -> list[Location]:
    return [location] if location is not None else list(Location.objects.order_by("id"))


# ---------------------------------------------------------------- revenue


@dataclass
class Row:
    key: str  # the product, the provider or the month (what the first column says)
    label: str
    invoices: int = 0
    units: Decimal = ZERO
    units_revenue: Decimal = ZERO
    revenue: Decimal = ZERO

    @property
    def per_unit(self) -> Decimal | None:
        return money.cents(self.units_revenue / self.units) if self.units else None


def _share(amount: Decimal, charges: Decimal, discounts: Decimal) -> Decimal:
    """A line's amount less its share of its invoice's discounts."""
    if amount <= 0 or charges <= 0:
        return ZERO
    return money.cents(amount - discounts * amount / charges)


def _net(line: InvoiceLine) -> Decimal:
    """The line's amount less its share of the invoice's discounts."""
    return _share(line.amount, line.invoice.charges, line.invoice.discounts)


def _prepaid() -> tuple[Q, Q]:
    """Lines selling prepaid value: a package's sale line; the line of a deposit's invoice."""
    sold = PatientPackage.objects.filter(invoice_line__isnull=False).values("invoice_line_id")
    deposits = Payment.objects.filter(
        online_checkout__purpose=OnlineCheckout.Purpose.DEPOSIT
    ).values("invoice_id")
    return Q(pk__in=sold), Q(invoice_id__in=deposits)


def _finalized(period: Period, location):
    locations = _locations(location)
    return (
        InvoiceLine.objects.filter(
            invoice__status=Invoice.Status.FINALIZED,
            kind__in=[InvoiceLine.Kind.UNITS, InvoiceLine.Kind.SERVICE],
        )
        .filter(_in_period(period, "invoice__finalized_at", "invoice__location", locations))
        .select_related("invoice__location", "invoice__treatment__injector")
        .order_by("invoice__finalized_at", "invoice_id", "position")
    )


def _lines(period: Period, location):
    """The lines that are revenue: units and services billed, not prepaid value sold."""
    package, deposit = _prepaid()
    return _finalized(period, location).exclude(package).exclude(deposit)


@dataclass
class PrepaidSold:
    """Prepaid value sold in a period, net of discounts, before tax: not revenue until used."""

    packages: Decimal = ZERO
    package_invoices: int = 0
    deposits: Decimal = ZERO
    deposit_invoices: int = 0

    @property
    def total(self) -> Decimal:
        return money.cents(self.packages + self.deposits)


def prepaid_sold(actor: Actor, period: Period, location=None) -> PrepaidSold:
    """Packages and deposits sold on invoices finalized in the period (the revenue report's
    "Prepaid sold", read with it)."""
    require_capability(actor, Capability.VIEW_REVENUE, "see the money reports")
    package, deposit = _prepaid()
    found = PrepaidSold()
    packages: set[int] = set()
    deposits: set[int] = set()
    for line in (
        _finalized(period, location)
        .filter(package | deposit)
        .annotate(
            is_package=models.Exists(
                PatientPackage.objects.filter(invoice_line_id=models.OuterRef("pk"))
            )
        )
    ):
        if line.is_package:
            found.packages += _net(line)
            packages.add(line.invoice_id)
        else:
            found.deposits += _net(line)
            deposits.add(line.invoice_id)
    found.package_invoices, found.deposit_invoices = len(packages), len(deposits)
    return found


def revenue(actor: Actor, by: str, period: Period, location=None) -> list[Row]:
    """Revenue by `by` ("product", "provider" or "month")."""
    require_capability(actor, Capability.VIEW_REVENUE, "see the money reports")
    if by not in {"product", "provider", "month"}:
        raise ValidationFailed({"by": ["Choose product, provider or month."]})
    rows: dict[str, Row] = {}
    seen: dict[str, set[int]] = defaultdict(set)
    zones: dict[str, ZoneInfo] = {}
    lines = _lines(period, location)
    if by == "product":
        lines = lines.filter(kind=InvoiceLine.Kind.UNITS)
    # Plain values, not model instances: a year of a busy clinic is many thousand lines.
    for (
        kind,
        product,
        quantity,
        amount,
        invoice,
        charges,
        discounts,
        at,
        zone,
        who,
        name,
    ) in lines.values_list(
        "kind",
        "product",
        "quantity",
        "amount",
        "invoice_id",
        "invoice__charges",
        "invoice__discounts",
        "invoice__finalized_at",
        "invoice__location__time_zone",
        "invoice__treatment__injector__public_id",
        "invoice__treatment__injector__full_name",
    ):
        if by == "product":
            key, label = product, product_name(product)
        elif by == "provider":
            key, label = (str(who), name) if who is not None else ("", NO_PROVIDER)
        else:
            local = at.astimezone(zones.setdefault(zone, ZoneInfo(zone)))
            month = local.date().replace(day=1)
            key, label = month.isoformat(), f"{month:%B} {month.year}"
        row = rows.setdefault(key, Row(key, label))
        net = _share(amount, charges, discounts)
        row.revenue += net
        if kind == InvoiceLine.Kind.UNITS:
            row.units += quantity
            row.units_revenue += net
        seen[key].add(invoice)
    for key, row in rows.items():
        row.invoices = len(seen[key])
    audit.record(
        actor,
        audit.Action.READ,
        audit.Kind.MONEY_REPORT,
        detail={"by": by, "start": period.start.isoformat(), "end": period.end.isoformat()},
    )
    ordered = sorted(rows.values(), key=lambda r: r.key if by == "month" else r.label)
    return ordered


def revenue_csv(by: str, rows: list[Row], prepaid: PrepaidSold | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    first = {"product": "Product", "provider": "Provider", "month": "Month"}[by]
    writer.writerow([first, "Invoices", "Units sold", "Revenue", "Average price per unit"])
    for row in rows:
        writer.writerow(
            [
                csv_cell(row.label),
                row.invoices,
                f"{row.units.normalize():f}",
                f"{row.revenue:.2f}",
                f"{row.per_unit:.2f}" if row.per_unit is not None else "",
            ]
        )
    if prepaid is not None:
        writer.writerow([])
        writer.writerow(["Prepaid sold (not revenue until used)", "Invoices", "Amount"])
        writer.writerow(["Packages", prepaid.package_invoices, f"{prepaid.packages:.2f}"])
        writer.writerow(
            ["Deposits paid online", prepaid.deposit_invoices, f"{prepaid.deposits:.2f}"]
        )
    return out.getvalue()


# ---------------------------------------------------------------- reconciliation


@dataclass
class Reconciled:
    period: Period
    location: Location
    result: reconcile.Reconciliation
    treatments: dict[str, TreatmentRecord]
    invoices: dict[str, Invoice]
    patients: dict[str, object]  # public id -> Patient, for the rows that name one


def reconciliation(actor: Actor, location, period: Period) -> Reconciled:
    """The plain rows of a location's days, read from the database and handed to the engine.

    A signed treatment (not an amendment) belongs to the day it was signed; its invoice's lines
    and the draws for its points and its amendments' points go with it, whenever they were
    made. Units billed with no treatment, draws with no point and waste belong to their own day.
    """
    require_capability(actor, Capability.VIEW_REVENUE, "see the reconciliation")
    start, _ = day_bounds(location, period.start)
    _, end = day_bounds(location, period.end)
    records = list(
        TreatmentRecord.objects.filter(
            status=TreatmentRecord.Status.LOCKED,
            amends__isnull=True,
            appointment__location=location,
            locked_at__gte=start,
            locked_at__lt=end,
        ).select_related("patient", "injector")
    )
    keys = {r.pk: str(r.public_id) for r in records}
    charted: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for point in InjectionPoint.objects.filter(record__in=records).only("record_id", "units"):
        charted[point.record_id] += point.units
    treatments = [
        reconcile.Treatment(
            keys[r.pk],
            r.product,
            charted[r.pk],
            patient=str(r.patient.public_id),
            label=r.get_product_display(),
        )
        for r in records
    ]
    lines = (
        InvoiceLine.objects.filter(kind=InvoiceLine.Kind.UNITS)
        .exclude(invoice__status=Invoice.Status.VOID)
        .filter(
            Q(invoice__treatment__in=records)
            | Q(
                invoice__treatment__isnull=True,
                invoice__location=location,
                invoice__created_at__gte=start,
                invoice__created_at__lt=end,
            )
        )
        .select_related("invoice__patient")
    )
    invoices: dict[str, Invoice] = {}
    billed = []
    for line in lines:
        invoice = line.invoice
        name = str(invoice.public_id)
        invoices[name] = invoice
        billed.append(
            reconcile.Billed(
                name,
                line.product,
                line.quantity,
                keys.get(invoice.treatment_id) if invoice.treatment_id else None,
                line.reason,
                str(invoice.patient.public_id),
            )
        )
    # The draws for the records' points and their amendments' points, then those for no point
    # at the location that day: two plain reads (one OR over three joins made PostgreSQL
    # scan the movements).
    amendments = dict(
        TreatmentRecord.objects.filter(amends__in=records).values_list("pk", "amends_id")
    )
    columns = (
        "pk",
        "kind",
        "units",
        "vial__lot__product",
        "patient__public_id",
        "point__record_id",
        "point__record__public_id",
    )
    moved = Movement.objects.filter(kind__in=[Movement.Kind.DRAW, Movement.Kind.WASTE])
    rows = list(
        moved.filter(point__record_id__in=[*keys, *amendments]).values_list(*columns)
    ) + list(
        moved.filter(
            point__isnull=True, vial__lot__location=location, at__gte=start, at__lt=end
        ).values_list(*columns)
    )
    drawn = []
    for pk, kind, units, product, patient, record_id, record_key in rows:
        original = amendment = None
        if record_id is not None:
            original = keys.get(amendments.get(record_id, record_id))
            amendment = str(record_key) if record_id in amendments else None
        drawn.append(
            reconcile.Drawn(
                str(pk),
                product,
                units,
                "waste" if kind == Movement.Kind.WASTE else "draw",
                original,
                amendment,
                str(patient) if patient else "",
            )
        )
    named = {str(r.patient.public_id): r.patient for r in records}
    named.update({str(i.patient.public_id): i.patient for i in invoices.values()})
    others = {d.patient for d in drawn if d.patient and d.patient not in named}
    named.update({str(p.public_id): p for p in Patient.objects.filter(public_id__in=others)})
    result = reconcile.reconcile(treatments, billed, drawn)
    patients = [t.patient for t in treatments] + [b.patient for b in billed]
    patients += [d.patient for d in drawn if d.patient]
    audit.record_listing(
        actor,
        audit.Kind.RECONCILIATION,
        patients,
        object_id=location.public_id,
        detail={"start": period.start.isoformat(), "end": period.end.isoformat()},
    )
    return Reconciled(period, location, result, {keys[r.pk]: r for r in records}, invoices, named)


def reconciliation_csv(found: Reconciled) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["Product", "Units billed", "Units charted", "Units drawn less waste", "Waste", "Agrees"]
    )
    for t in found.result.totals:
        writer.writerow(
            [
                csv_cell(product_name(t.product)),
                f"{t.billed.normalize():f}",
                f"{t.charted.normalize():f}",
                f"{t.drawn.normalize():f}",
                f"{t.waste.normalize():f}",
                "Yes" if t.agrees else "No",
            ]
        )
    writer.writerow([])
    writer.writerow(
        ["Difference", "Product", "Billed", "Charted", "Drawn", "Treatment signed", "Invoice"]
    )
    zone = found.location.zone
    for d in found.result.differences:
        record = found.treatments.get(d.treatment or "")
        invoice = found.invoices.get(d.invoice or "")
        signed = styles.short_instant(record.locked_at, zone) if record is not None else ""
        writer.writerow(
            [
                csv_cell(d.why),
                csv_cell(product_name(d.product)),
                f"{d.billed.normalize():f}",
                f"{d.charted.normalize():f}",
                f"{d.drawn.normalize():f}",
                signed,
                csv_cell(invoice.number or "Open") if invoice is not None else "",
            ]
        )
    return out.getvalue()
