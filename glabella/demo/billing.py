"""The demo clinic's money: prices per unit, a promotion code, a prepaid package and a
membership on sale, and a paid invoice for every treatment of its history that agrees with the
chart (the units billed are the units charted), but one: a recent visit billed two units fewer,
with its reason, so the reconciliation has a difference to list. Laid down once,
deterministically from the seed; treatments signed through the chart (today's visit, the portal
patient's) open their invoices as they do in the clinic.

Grace, the portal patient, bought the 100-unit package with her first treatment and paid her
second from it. Lena, new to toxin, joined the membership after her consultation 75 days before
today and bought the package with her first month: each month since has its fee, paid by card,
and its credit; her first treatment is hers to book.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from glabella.billing import invoices, memberships, money, packages, payments
from glabella.billing.models import (
    BillingSettings,
    Invoice,
    InvoiceLine,
    Membership,
    MembershipEntry,
    MembershipPlan,
    PackagePlan,
    Payment,
    ProductPrice,
    Promotion,
)
from glabella.catalogue.products import Product
from glabella.clinic.models import Organisation
from glabella.core.access import actor_for
from glabella.core.models import StaffMember
from glabella.demo.clinic import DEMO_DOMAIN
from glabella.patients.models import Channel, Patient, Sex
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
PACKAGE = {"name": "BOTOX Cosmetic 100", "units": "100", "price": "1200.00", "valid_days": "365"}
MEMBERSHIP = {
    "name": "Smooth Club",
    "monthly_fee": "79.00",
    "percent_off": "10",
    "credit_product": Product.BOTOX_COSMETIC.value,
    "monthly_credit": "5",
}
MEMBER_SINCE_DAYS = 75
MEMBER = {  # the club's member: a synthetic person, reachable at no real address
    "given_name": "Lena",
    "family_name": "Okafor",
    "birth_date": date(1990, 2, 17),
    "email": "lena.okafor@example.com",
    "phone": "+18055550163",
    "city": "Thousand Oaks",
    "state": "CA",
    "postal_code": "91360",
}


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


def ensure_demo_plans(organisation: Organisation) -> tuple[PackagePlan, MembershipPlan] | None:
    """The package and the membership the demo clinic sells, set by its owner."""
    owner = StaffMember.objects.filter(user__username=f"owner@{DEMO_DOMAIN}").first()
    if owner is None:
        return None
    actor = actor_for(owner.user, channel="command")
    plan = PackagePlan.objects.filter(organisation=organisation, name=PACKAGE["name"]).first()
    if plan is None:
        plan = packages.create_plan(
            actor, organisation, product=Product.BOTOX_COSMETIC.value, **PACKAGE
        )
    club = MembershipPlan.objects.filter(organisation=organisation, name=MEMBERSHIP["name"]).first()
    if club is None:
        club = memberships.create_plan(actor, organisation, **MEMBERSHIP)
    return plan, club


def load_demo_billing(today: date, seed: int = 1) -> int:
    """Invoices for the charted history before today; returns how many were opened."""
    organisation = Organisation.objects.order_by("id").first()
    desk = StaffMember.objects.filter(user__username=f"desk@{DEMO_DOMAIN}").first()
    if organisation is None or desk is None:
        return 0
    ensure_demo_prices(organisation, today)
    plans = ensure_demo_plans(organisation)
    # The portal patient's treatments go through the desk's services, as a visit does today.
    opened = 0
    for record in TreatmentRecord.objects.filter(
        status=TreatmentRecord.Status.LOCKED,
        amends__isnull=True,
        invoice__isnull=True,
        patient__user__isnull=False,
    ).order_by("locked_at", "id"):
        opened += invoices.open_for_treatment(record, now=record.locked_at) is not None
    _settle_signed(today, desk, plans[0] if plans else None)
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
        return opened
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
        made, lines, takings = [], [], []
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
            made.append(invoice)
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
        Invoice.objects.bulk_create(made, batch_size=500)
        InvoiceLine.objects.bulk_create(
            (
                _on(line, invoice)
                for invoice, rows in zip(made, lines, strict=True)
                for line in rows
            ),
            batch_size=1000,
        )
        Payment.objects.bulk_create(
            (
                _on(payment, invoice)
                for invoice, rows in zip(made, takings, strict=True)
                for payment in rows
            ),
            batch_size=1000,
        )
        BillingSettings.objects.filter(pk=billing.pk).update(next_number=number)
    if plans:
        _member(today, desk, *plans)
    return opened + len(made)


def _on(row, invoice):
    row.invoice = invoice
    return row


def _settle_signed(today: date, desk: StaffMember, plan: PackagePlan | None) -> None:
    """Treatments signed through the chart before today (the portal patient's) opened their
    invoices then; the desk settles them oldest first. With the first, the patient bought the
    package (on the same invoice, so it is hers once that invoice is paid); later ones pay their
    units from it as far as it goes. The desk took a card for the rest, through the payments
    and packages services."""
    actor = actor_for(desk.user, channel="command")
    waiting = [
        invoice
        for invoice in Invoice.objects.filter(status=Invoice.Status.OPEN, treatment__isnull=False)
        .select_related("treatment__appointment__location", "patient", "location")
        .order_by("treatment__locked_at", "id")
        if invoice.treatment.appointment.local_start.date() < today  # today's waits at the desk
    ]
    for n, invoice in enumerate(waiting):
        at = invoice.treatment.locked_at
        if n == 0 and plan is not None:
            packages.sell(actor, invoice, plan, now=at)
        else:
            _from_packages(actor, invoice, at)
        owed = invoices.balance_of(Invoice.objects.get(pk=invoice.pk))
        if owed > 0:
            payments.take_payment(
                actor,
                invoice,
                method=Payment.Method.CARD,
                amount=str(owed),
                card_last4="4242",
                authorization="DEMO01",
                now=at,
            )


def _from_packages(actor, invoice: Invoice, at: datetime) -> None:
    """The invoice's units paid from the patient's packages, as far as they go."""
    day = at.astimezone(invoice.location.zone).date()
    for line in invoice.lines.filter(kind=InvoiceLine.Kind.UNITS):
        for held in packages.usable(invoice.patient, today=day, product=line.product):
            units = min(held.balance, line.quantity - packages.redeemed_on(line))
            if units > 0:
                packages.redeem(actor, invoice, held, line.pk, str(units), now=at)


def _member(today: date, desk: StaffMember, plan: PackagePlan, club: MembershipPlan) -> None:
    """Lena, new to toxin, joined the club after her consultation MEMBER_SINCE_DAYS ago and
    bought the package with her first month; each month since had its fee, paid by card, and
    its credit. She comes to the desk with both to spend at her first treatment."""
    if Membership.objects.exists():
        return
    location = desk.locations.order_by("id").first()
    if location is None:
        return
    zone = location.zone
    joined = today - timedelta(days=MEMBER_SINCE_DAYS)
    since = datetime.combine(joined, time(11), tzinfo=zone)
    patient = Patient.objects.filter(email=MEMBER["email"], user__isnull=True).first()
    if patient is None:
        patient = Patient(
            **MEMBER,
            organisation_id=location.organisation_id,
            sex=Sex.FEMALE,
            preferred_location=location,
            preferred_channel=Channel.EMAIL,
            email_consent=True,
            email_consent_at=since,
            created_at=since,
            updated_at=since,
        )
        patient.refresh_search_text()
        patient.save()
    actor = actor_for(desk.user, channel="command")
    member = memberships.enrol(actor, patient, club, location, now=since)
    month = memberships.month_of(joined)
    while True:  # the first of each month since, at ten in the morning on the clinic's clock
        month = (month + timedelta(days=32)).replace(day=1)
        if month > today:
            break
        memberships.renew_due(now=datetime.combine(month, time(10), tzinfo=zone))
    fees = MembershipEntry.objects.filter(membership=member, kind=MembershipEntry.Kind.FEE_CHARGED)
    for n, invoice in enumerate(
        Invoice.objects.filter(pk__in=fees.values("invoice"), status=Invoice.Status.OPEN).order_by(
            "created_at"
        )
    ):
        if n == 0:
            packages.sell(actor, invoice, plan, now=since)
        payments.take_payment(
            actor,
            invoice,
            method=Payment.Method.CARD,
            amount=str(invoices.balance_of(Invoice.objects.get(pk=invoice.pk))),
            card_last4="1881",
            authorization=f"CLUB{invoice.created_at:%m}",
            now=invoice.created_at,
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
