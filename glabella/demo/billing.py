"""The demo clinic's money: prices per unit, a promotion code, and a paid invoice for every
treatment of its history that agrees with the chart (the units billed are the units charted),
but one: a recent visit billed two units fewer, with its reason, so the reconciliation has a
difference to list. Laid down once, deterministically from the seed; treatments signed through
the chart (today's visit, the portal patient's) open their invoices as they do in the clinic.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from glabella.billing import money, payments
from glabella.billing.models import (
    BillingSettings,
    Invoice,
    InvoiceLine,
    Payment,
    ProductPrice,
    Promotion,
)
from glabella.catalogue.products import Product
from glabella.clinic.models import Organisation
from glabella.core.access import actor_for
from glabella.core.models import StaffMember
from glabella.demo.clinic import DEMO_DOMAIN
from glabella.treatments.models import InjectionPoint, TreatmentRecord

# Per unit, and for members (California taxes neither: a medical service).
PRICES = {
    Product.BOTOX_COSMETIC: ("14.00", "12.00"),
    Product.DYSPORT: ("5.00", "4.50"),
    Product.XEOMIN: ("12.00", "11.00"),
    Product.JEUVEAU: ("12.00", "10.50"),
    Product.DAXXIFY: ("15.00", "13.50"),
    Product.LETYBO: ("12.00", "11.00"),
}
COURTESY = Decimal("2")  # the seeded difference: units charted but not billed


def ensure_demo_prices(organisation: Organisation, today: date) -> None:
    BillingSettings.objects.get_or_create(organisation=organisation)
    for product, (per_unit, member) in PRICES.items():
        ProductPrice.objects.get_or_create(
            organisation=organisation,
            product=product.value,
            defaults={"per_unit": Decimal(per_unit), "member_per_unit": Decimal(member)},
        )
    Promotion.objects.get_or_create(
        organisation=organisation,
        code="FRIEND20",
        defaults={
            "description": "Referred by a friend: $20 off",
            "kind": Promotion.Kind.AMOUNT,
            "value": Decimal("20.00"),
            "starts_on": today - timedelta(days=30),
            "ends_on": today + timedelta(days=335),
        },
    )


def load_demo_billing(today: date, seed: int = 1) -> int:
    """Invoices for the charted history before today; returns how many were laid down."""
    organisation = Organisation.objects.order_by("id").first()
    desk = StaffMember.objects.filter(user__username=f"desk@{DEMO_DOMAIN}").first()
    if organisation is None or desk is None:
        return 0
    ensure_demo_prices(organisation, today)
    _settle_signed(today, desk)
    records = [
        r
        for r in TreatmentRecord.objects.filter(
            status=TreatmentRecord.Status.LOCKED, amends__isnull=True, invoice__isnull=True
        )
        .select_related("appointment__location")
        .order_by("locked_at", "id")
        if r.appointment.local_start.date() < today
    ]
    if not records:
        return 0
    units = dict(
        InjectionPoint.objects.filter(record__in=records)
        .values_list("record")
        .annotate(s=Sum("units"))
        .values_list("record", "s")
    )
    prices = {p.product: p for p in ProductPrice.objects.filter(organisation=organisation)}
    rng = random.Random(f"demo-billing-{seed}")
    courtesy = records[-1].pk  # the most recent: billed two units fewer, with its reason
    billing = BillingSettings.objects.get(organisation=organisation)
    number = billing.next_number
    with transaction.atomic():
        invoices, lines, takings = [], [], []
        for record in records:
            price = prices[record.product]
            charted = units.get(record.pk, Decimal(0))
            billed = charted - COURTESY if record.pk == courtesy and charted > COURTESY else charted
            charge = money.line_amount(billed, price.per_unit)
            reward = (
                Decimal("20.00")
                if record.product == "botox_cosmetic" and rng.random() < 0.15
                else money.ZERO
            )
            total = charge - reward
            at = record.locked_at
            invoice = Invoice(
                organisation=organisation,
                location=record.appointment.location,
                patient_id=record.patient_id,
                appointment_id=record.appointment_id,
                treatment=record,
                status=Invoice.Status.FINALIZED,
                number=f"{at.year}-{number:06d}",
                currency=billing.currency,
                charges=charge,
                discounts=reward,
                total=total,
                created_at=at,
                finalized_at=at,
                finalized_by=desk,
            )
            number += 1
            invoices.append(invoice)
            lines.append(
                [
                    InvoiceLine(
                        position=0,
                        kind=InvoiceLine.Kind.UNITS,
                        description=f"{Product(record.product).label}, units",
                        product=record.product,
                        quantity=billed,
                        unit_price=price.per_unit,
                        amount=charge,
                        charted_units=charted,
                        reason="Two units on the house after a touch-up"
                        if billed != charted
                        else "",
                    )
                ]
                + (
                    [
                        InvoiceLine(
                            position=1,
                            kind=InvoiceLine.Kind.REWARD,
                            description="Allē (Allergan Aesthetics)",
                            quantity=Decimal("1"),
                            unit_price=-reward,
                            amount=-reward,
                            program=InvoiceLine.Program.ALLE,
                            code=f"ALLE-{rng.randrange(10**7, 10**8)}",
                        )
                    ]
                    if reward
                    else []
                )
            )
            takings.append(_payments(total, at, desk, rng))
        Invoice.objects.bulk_create(invoices, batch_size=500)
        InvoiceLine.objects.bulk_create(
            (
                _on(line, invoice)
                for invoice, rows in zip(invoices, lines, strict=True)
                for line in rows
            ),
            batch_size=1000,
        )
        Payment.objects.bulk_create(
            (
                _on(payment, invoice)
                for invoice, rows in zip(invoices, takings, strict=True)
                for payment in rows
            ),
            batch_size=1000,
        )
        BillingSettings.objects.filter(pk=billing.pk).update(next_number=number)
    return len(invoices)


def _on(row, invoice):
    row.invoice = invoice
    return row


def _settle_signed(today: date, desk: StaffMember) -> None:
    """Treatments signed through the chart before today (the portal patient's) opened their
    invoices then: the desk took a card for each, through the payments service."""
    actor = actor_for(desk.user, channel="command")
    for invoice in Invoice.objects.filter(
        status=Invoice.Status.OPEN, treatment__isnull=False
    ).select_related("treatment__appointment__location"):
        record = invoice.treatment
        if record.appointment.local_start.date() >= today:
            continue  # today's visit waits at the desk, as it would
        owed = sum((line.amount for line in invoice.lines.all()), money.ZERO)
        if owed > 0:
            payments.take_payment(
                actor,
                invoice,
                method=Payment.Method.CARD,
                amount=str(owed),
                card_last4="4242",
                authorization="DEMO01",
                now=record.locked_at,
            )


def _payments(total: Decimal, at, desk: StaffMember, rng: random.Random) -> list[Payment]:
    """Most pay by card on the terminal; some in cash; a few split the two."""

    def card(amount):
        return Payment(
            method=Payment.Method.CARD,
            amount=amount,
            card_last4=f"{rng.randrange(10_000):04d}",
            authorization=f"{rng.randrange(16**6):06X}",
            taken_by=desk,
            taken_at=at,
        )

    if total <= 0:
        return []
    roll = rng.random()
    if roll < 0.7:
        return [card(total)]
    if roll < 0.92:
        return [Payment(method=Payment.Method.CASH, amount=total, taken_by=desk, taken_at=at)]
    cash = money.cents(min(total, Decimal(rng.choice((50, 100, 150)))))
    rest = [card(total - cash)] if total > cash else []
    cash_row = Payment(method=Payment.Method.CASH, amount=cash, taken_by=desk, taken_at=at)
    return [cash_row, *rest]
