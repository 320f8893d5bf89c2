"""Invoices: opened by a signed treatment with the units charted, built by the desk (units, a
service, a discount, a promotion code, a manufacturer's reward), then finalized with a number.

Every write checks the actor's capability, validates field by field (`ValidationFailed`,
nothing written), runs under the invoice's row lock and writes its access-log row. A finalized
invoice never changes (`models.InvoiceFinalized`); `payments.py` takes money and gives it back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import F, Max, Sum
from django.utils import timezone

from glabella.billing import money
from glabella.billing.models import (
    BillingSettings,
    Invoice,
    InvoiceLine,
    Membership,
    MembershipPlan,
    ProductPrice,
    Promotion,
    SalesTax,
)
from glabella.billing.signals import invoice_settled, invoice_voided
from glabella.catalogue.products import PRODUCT_NAMES, Product
from glabella.core import audit
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Conflict, ValidationFailed
from glabella.core.roles import Capability
from glabella.patients.services import require_capability

REASON_MAX = 300
Kind = InvoiceLine.Kind


# ---------------------------------------------------------------- reading input


def parse_amount(value: object, field: str, *, maximum: Decimal = money.MAX_AMOUNT) -> Decimal:
    """A positive amount of money from outside, to the cent, at most `maximum`."""
    try:
        amount = Decimal(str(value).strip().replace(",", "").lstrip("$"))
    except (InvalidOperation, ValueError):
        raise ValidationFailed({field: ["Enter an amount, such as 120.00."]}) from None
    if not amount.is_finite():
        raise ValidationFailed({field: ["Enter an amount, such as 120.00."]})
    # The bounds first: quantizing 1e999999 to the cent raises rather than answers.
    if amount <= 0:
        raise ValidationFailed({field: ["Enter an amount above zero."]})
    if amount > maximum:
        raise ValidationFailed({field: [f"Enter at most {maximum:,.2f}."]})
    if amount != amount.quantize(money.CENT):
        raise ValidationFailed({field: ["Use at most two decimal places."]})
    return money.cents(amount)


def parse_units(value: object, field: str = "quantity") -> Decimal:
    try:
        units = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed({field: ["Enter a number of units, such as 20."]}) from None
    if not units.is_finite() or units <= 0:
        raise ValidationFailed({field: ["Enter a number of units above zero."]})
    if units > money.MAX_UNITS:
        raise ValidationFailed({field: [f"Enter at most {money.MAX_UNITS:,} units."]})
    if units != units.quantize(Decimal("0.01")):
        raise ValidationFailed({field: ["Use at most two decimal places."]})
    return units


def _reason(value: object) -> str:
    text = " ".join(str(value or "").split())
    if len(text) > REASON_MAX:
        raise ValidationFailed({"reason": [f"Use at most {REASON_MAX} characters."]})
    return text


# ---------------------------------------------------------------- reading


def settings_of(organisation) -> BillingSettings:
    found, _ = BillingSettings.objects.get_or_create(organisation=organisation)
    return found


def tax_percent(location) -> Decimal:
    found = SalesTax.objects.filter(location=location).values_list("percent", flat=True).first()
    return found if found is not None else Decimal("0")


@dataclass(frozen=True)
class UnitPrice:
    """What a unit of `product` is charged at: the list price, or a member's price."""

    product: str
    per_unit: Decimal
    taxable: bool
    member: bool = False


def member_plan(organisation, patient) -> MembershipPlan | None:
    """The plan of the patient's active membership at the organisation (a paused or cancelled
    one gives no member prices)."""
    found = (
        Membership.objects.filter(
            patient=patient,
            status=Membership.Status.ACTIVE,
            plan__organisation=organisation,
        )
        .select_related("plan")
        .first()
    )
    return found.plan if found else None


def unit_price(
    organisation, product: str, *, member: bool | MembershipPlan | None = False
) -> UnitPrice | None:
    """A unit's price (None: the owner has not priced the product). For a member (`member`
    true, or the member's plan): the product's member price if it has one, else the plan's
    percent off the list price, else the list price."""
    price = ProductPrice.objects.filter(organisation=organisation, product=product).first()
    if price is None:
        return None
    if not member:
        return UnitPrice(product, price.per_unit, price.taxable)
    if price.member_per_unit is not None:
        return UnitPrice(product, price.member_per_unit, price.taxable, member=True)
    if isinstance(member, MembershipPlan) and member.percent_off:
        off = money.cents(price.per_unit * (100 - member.percent_off) / 100)
        return UnitPrice(product, off, price.taxable, member=True)
    return UnitPrice(product, price.per_unit, price.taxable)


def lines_of(invoice: Invoice) -> list[InvoiceLine]:
    return list(invoice.lines.order_by("position"))


def totals_of(invoice: Invoice, lines: Iterable[InvoiceLine] | None = None) -> money.Totals:
    """What the invoice comes to: its stored totals once finalized, else from its lines now."""
    if not invoice.is_open:
        return money.Totals(invoice.charges, invoice.discounts, invoice.tax, invoice.total)
    rows = lines_of(invoice) if lines is None else lines
    charges = [money.Charge(line.amount, line.taxable) for line in rows]
    return money.totals(charges, invoice.tax_percent)


def paid_and_refunded(invoice: Invoice) -> tuple[Decimal, Decimal]:
    from glabella.billing.models import Payment, Refund

    paid = Payment.objects.filter(invoice=invoice).aggregate(s=Sum("amount"))["s"] or money.ZERO
    refunded = (
        Refund.objects.filter(payment__invoice=invoice).aggregate(s=Sum("amount"))["s"]
        or money.ZERO
    )
    return money.cents(paid), money.cents(refunded)


def balance_of(invoice: Invoice) -> Decimal:
    paid, refunded = paid_and_refunded(invoice)
    return money.balance(totals_of(invoice).total, [paid], [refunded])


# ---------------------------------------------------------------- opening


def _units_label(product: str, price: UnitPrice | None) -> str:
    label = f"{Product(product).label}, units"
    return f"{label} (member price)" if price is not None and price.member else label


def open_for_treatment(record, now: datetime | None = None) -> Invoice | None:
    """The invoice of a signed treatment: one line of the units charted, at the product's
    price (none when the product has no price yet: the desk adds it). An amendment opens none;
    the reconciliation lists what it changed. Runs inside the signing's transaction."""
    if record.amends_id or Invoice.objects.filter(treatment=record).exists():
        return None
    appointment = record.appointment
    location = appointment.location
    organisation = location.organisation
    units = record.points.aggregate(s=Sum("units"))["s"] or Decimal("0")
    with transaction.atomic():
        invoice = Invoice.objects.create(
            organisation=organisation,
            location=location,
            patient=record.patient,
            appointment=appointment,
            treatment=record,
            currency=settings_of(organisation).currency,
            tax_percent=tax_percent(location),
            created_at=now or timezone.now(),
        )
        price = unit_price(
            organisation, record.product, member=member_plan(organisation, record.patient)
        )
        if units > 0:
            InvoiceLine.objects.create(
                invoice=invoice,
                position=0,
                kind=Kind.UNITS,
                description=_units_label(record.product, price),
                product=record.product,
                quantity=units,
                unit_price=price.per_unit if price else money.ZERO,
                amount=money.line_amount(units, price.per_unit) if price else money.ZERO,
                taxable=bool(price and price.taxable),
                charted_units=units,
            )
    return invoice


def open_invoice(actor: Actor, patient, location, appointment=None) -> Invoice:
    """An empty invoice the desk fills (a product sold over the counter, a consultation)."""
    require_capability(actor, Capability.TAKE_PAYMENT, "open invoices")
    with write_transaction():
        invoice = Invoice.objects.create(
            organisation=location.organisation,
            location=location,
            patient=patient,
            appointment=appointment,
            currency=settings_of(location.organisation).currency,
            tax_percent=tax_percent(location),
        )
        _log(actor, invoice, audit.Action.CREATE)
    return invoice


# ---------------------------------------------------------------- building


def _locked(invoice: Invoice) -> Invoice:
    current = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if current.status == Invoice.Status.VOID:
        raise Conflict("This invoice was voided and never changes; open a new invoice instead.")
    if not current.is_open:
        raise Conflict(
            "This invoice is finalized and never changes; refund a payment or open a new "
            "invoice instead."
        )
    return current


def _next_position(invoice: Invoice) -> int:
    top = invoice.lines.aggregate(m=Max("position"))["m"]
    return 0 if top is None else top + 1


def _log(actor: Actor, invoice: Invoice, action, **detail) -> None:
    audit.record_patient(
        actor,
        action,
        invoice.patient,
        object_type=audit.Kind.INVOICE,
        object_id=invoice.public_id,
        detail=detail or None,
    )


def set_units(actor: Actor, invoice: Invoice, line_id: int, quantity: object, reason: object):
    """Bills `quantity` units on a product line; other than charted needs a reason."""
    require_capability(actor, Capability.TAKE_PAYMENT, "change invoices")
    units = parse_units(quantity)
    why = _reason(reason)
    with write_transaction():
        current = _locked(invoice)
        line = current.lines.filter(pk=line_id, kind=Kind.UNITS).first()
        if line is None:
            raise ValidationFailed({"line": ["Choose a line of units on this invoice."]})
        if line.charted_units is not None and units != line.charted_units and not why:
            raise ValidationFailed(
                {
                    "reason": [
                        f"Say why {units:g} units are billed when {line.charted_units:g} were "
                        "charted."
                    ]
                }
            )
        line.quantity = units
        line.amount = money.line_amount(units, line.unit_price)
        line.reason = why if line.charted_units != units else ""
        line.save()
        _log(actor, current, audit.Action.UPDATE, line=line.pk, units=str(units))
    return line


def add_service(actor: Actor, invoice: Invoice, service) -> InvoiceLine:
    require_capability(actor, Capability.TAKE_PAYMENT, "change invoices")
    if service is None or service.organisation_id != invoice.organisation_id:
        raise ValidationFailed({"service": ["Choose one of the clinic's services."]})
    with write_transaction():
        current = _locked(invoice)
        line = InvoiceLine.objects.create(
            invoice=current,
            position=_next_position(current),
            kind=Kind.SERVICE,
            description=service.name,
            service=service,
            quantity=Decimal("1"),
            unit_price=service.price,
            amount=money.cents(service.price),
        )
        _log(actor, current, audit.Action.UPDATE, added=line.kind)
    return line


def add_units(actor: Actor, invoice: Invoice, product: object, quantity: object) -> InvoiceLine:
    """Units of a product billed without a chart (a top-up sold at the desk)."""
    require_capability(actor, Capability.TAKE_PAYMENT, "change invoices")
    if str(product) not in {str(p) for p in PRODUCT_NAMES}:
        raise ValidationFailed({"product": ["Choose a product from the list."]})
    units = parse_units(quantity)
    price = unit_price(
        invoice.organisation,
        str(product),
        member=member_plan(invoice.organisation, invoice.patient),
    )
    if price is None:
        raise ValidationFailed({"product": ["This product has no price yet: the owner sets it."]})
    with write_transaction():
        current = _locked(invoice)
        line = InvoiceLine.objects.create(
            invoice=current,
            position=_next_position(current),
            kind=Kind.UNITS,
            description=_units_label(str(product), price),
            product=str(product),
            quantity=units,
            unit_price=price.per_unit,
            amount=money.line_amount(units, price.per_unit),
            taxable=price.taxable,
        )
        _log(actor, current, audit.Action.UPDATE, added=line.kind)
    return line


def add_discount(
    actor: Actor,
    invoice: Invoice,
    amount: object,
    *,
    description: object = "",
    program: object = "",
    code: object = "",
) -> InvoiceLine:
    """An amount off: the clinic's own discount, or a manufacturer's reward (Allē, Evolus
    Rewards, Aspire) with the code the patient shows."""
    require_capability(actor, Capability.TAKE_PAYMENT, "change invoices")
    value = parse_amount(amount, "amount")
    program = str(program or "")
    code = " ".join(str(code or "").split())
    errors: dict[str, list[str]] = {}
    if program and program not in InvoiceLine.Program.values:
        errors["program"] = ["Choose a rewards program from the list."]
    if program and not code:
        errors["code"] = ["Enter the reward's code from the patient's app."]
    if len(code) > 60:
        errors["code"] = ["Use at most 60 characters."]
    words = " ".join(str(description or "").split())
    if len(words) > 200:
        errors["description"] = ["Use at most 200 characters."]
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        current = _locked(invoice)
        if value > totals_of(current).charges - totals_of(current).discounts:
            raise ValidationFailed({"amount": ["The discounts would come to more than charged."]})
        label = InvoiceLine.Program(program).label if program else "Discount"
        line = InvoiceLine.objects.create(
            invoice=current,
            position=_next_position(current),
            kind=Kind.REWARD if program else Kind.DISCOUNT,
            description=words or label,
            quantity=Decimal("1"),
            unit_price=-value,
            amount=-value,
            program=program,
            code=code,
        )
        _log(actor, current, audit.Action.UPDATE, added=line.kind)
    return line


def apply_promotion(actor: Actor, invoice: Invoice, code: object, today) -> InvoiceLine:
    """A promotion code keyed in: it must exist, be active, be in its dates and have uses
    left; it is counted as used when the invoice is finalized."""
    require_capability(actor, Capability.TAKE_PAYMENT, "change invoices")
    key = " ".join(str(code or "").split()).upper()
    if not key:
        raise ValidationFailed({"code": ["Enter the promotion code."]})
    promotion = Promotion.objects.filter(organisation=invoice.organisation, code=key).first()
    problem = None
    if promotion is None or not promotion.active:
        problem = "There is no promotion with this code."
    elif not (promotion.starts_on <= today <= promotion.ends_on):
        problem = "This promotion is not running today."
    elif promotion.max_uses is not None and promotion.uses >= promotion.max_uses:
        problem = "This promotion has been used as often as it may be."
    if problem:
        raise ValidationFailed({"code": [problem]})
    with write_transaction():
        current = _locked(invoice)
        if current.lines.filter(kind=Kind.PROMOTION).exists():
            raise ValidationFailed({"code": ["One promotion code an invoice."]})
        so_far = totals_of(current)
        left = so_far.charges - so_far.discounts
        if promotion.kind == Promotion.Kind.PERCENT:
            value = money.cents(so_far.charges * promotion.value / 100)
        else:
            value = promotion.value
        value = min(value, left)
        if value <= 0:
            raise ValidationFailed({"code": ["There is nothing left on the invoice to take off."]})
        line = InvoiceLine.objects.create(
            invoice=current,
            position=_next_position(current),
            kind=Kind.PROMOTION,
            description=promotion.description,
            quantity=Decimal("1"),
            unit_price=-value,
            amount=-value,
            code=key,
            promotion=promotion,
        )
        _log(actor, current, audit.Action.UPDATE, added=line.kind)
    return line


def remove_line(actor: Actor, invoice: Invoice, line_id: int) -> None:
    """Takes a line off an open invoice; the charted units' line stays (bill it otherwise
    with a reason)."""
    require_capability(actor, Capability.TAKE_PAYMENT, "change invoices")
    with write_transaction():
        current = _locked(invoice)
        line = current.lines.filter(pk=line_id).first()
        if line is None:
            raise ValidationFailed({"line": ["Choose a line on this invoice."]})
        if line.charted_units is not None:
            raise ValidationFailed(
                {"line": ["The units charted stay on the invoice; bill other units with a reason."]}
            )
        line.delete()
        _log(actor, current, audit.Action.UPDATE, removed=line.kind)


# ---------------------------------------------------------------- finalizing


def next_number(organisation, now: datetime) -> str:
    """The organisation's next invoice number ("2026-000123"), taken under its settings' row
    lock so the numbers have no gaps and no repeats; inside a transaction."""
    billing = BillingSettings.objects.select_for_update().get(pk=settings_of(organisation).pk)
    BillingSettings.objects.filter(pk=billing.pk).update(next_number=F("next_number") + 1)
    return f"{now.year}-{billing.next_number:06d}"


def finalize_locked(actor: Actor, current: Invoice, now: datetime) -> Invoice:
    """Gives the (locked, open) invoice its number and stored totals; inside a transaction."""
    lines = lines_of(current)
    if not lines:
        raise ValidationFailed({"invoice": ["Add a line before taking payment."]})
    if any(line.kind == Kind.UNITS and line.unit_price <= 0 for line in lines):
        raise ValidationFailed(
            {"invoice": ["A product on this invoice has no price yet: the owner sets it."]}
        )
    found = totals_of(current, lines)
    number = next_number(current.organisation, now)
    for line in lines:
        if line.promotion_id:
            Promotion.objects.filter(pk=line.promotion_id).update(uses=F("uses") + 1)
    Invoice.objects.filter(pk=current.pk).update(
        status=Invoice.Status.FINALIZED,
        number=number,
        charges=found.charges,
        discounts=found.discounts,
        tax=found.tax,
        total=found.total,
        finalized_at=now,
        finalized_by=actor.staff,
    )
    _log(actor, current, audit.Action.UPDATE, finalized=number, total=str(found.total))
    return Invoice.objects.get(pk=current.pk)


def finalize(actor: Actor, invoice: Invoice, now: datetime | None = None) -> Invoice:
    require_capability(actor, Capability.TAKE_PAYMENT, "finalize invoices")
    now = now or timezone.now()
    with write_transaction():
        current = _locked(invoice)
        done = finalize_locked(actor, current, now)
        if done.total == 0:  # nothing owed: settled as it is finalized
            invoice_settled.send(sender=Invoice, invoice=done, now=now, actor=actor)
        return done


def void(actor: Actor, invoice: Invoice, reason: object, now: datetime | None = None) -> Invoice:
    """An open invoice that should not be paid (a treatment billed elsewhere); never deleted.
    It is closed with the next number, as a finalized one (the numbers have no gaps), and owes
    nothing."""
    require_capability(actor, Capability.TAKE_PAYMENT, "void invoices")
    why = _reason(reason)
    if not why:
        raise ValidationFailed({"reason": ["Say why the invoice is voided."]})
    now = now or timezone.now()
    with write_transaction():
        current = _locked(invoice)
        number = next_number(current.organisation, now)
        Invoice.objects.filter(pk=current.pk).update(
            status=Invoice.Status.VOID, number=number, finalized_at=now, finalized_by=actor.staff
        )
        _log(actor, current, audit.Action.UPDATE, voided=why, number=number)
        # What the invoice sold or granted unpaid goes with it (packages, memberships answer).
        invoice_voided.send(sender=Invoice, invoice=current, number=number, now=now, actor=actor)
    return Invoice.objects.get(pk=current.pk)
