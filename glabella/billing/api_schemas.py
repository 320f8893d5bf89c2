"""The billing API's bodies and answers: what each route reads and how an invoice, a payment
and a refund are written out (amounts as strings of decimals, "120.00", never JSON numbers)."""

from datetime import datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import ConfigDict

from glabella.billing import invoices, money
from glabella.billing.models import Invoice, InvoiceLine, Payment

AMOUNT_TEXT = 'A string of a decimal, to the cent, such as "120.00" (never a JSON number)'


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


def amount_field(description: str = AMOUNT_TEXT):
    return Field(..., min_length=1, max_length=20, description=description)


# ---------------------------------------------------------------- answers


class LineOut(Schema):
    id: int = Field(description="The line's number on this invoice's routes")
    position: int
    kind: str
    description: str
    product: str
    service: str | None = Field(description="The service's slug")
    quantity: str
    unit_price: str
    amount: str = Field(description="Negative for a discount, a reward or a promotion")
    taxable: bool
    charted_units: str | None = Field(description="For charted product units: what was charted")
    reason: str = Field(description="Why other units than charted are billed")
    program: str
    code: str


class RefundOut(Schema):
    id: UUID
    payment: UUID
    amount: str
    reason: str
    refunded_at: datetime
    refunded_by: str | None


class PaymentOut(Schema):
    id: UUID
    invoice: UUID
    method: str
    amount: str
    card_last4: str
    authorization: str
    reference: str
    taken_at: datetime
    taken_by: str | None
    refunded: str
    refundable: str
    refunds: list[RefundOut]


class TotalsOut(Schema):
    charges: str
    discounts: str
    tax: str
    total: str


class InvoiceSummaryOut(Schema):
    id: UUID
    number: str | None = Field(description="Given when the invoice is finalized")
    status: str
    currency: str
    patient: UUID
    patient_name: str
    location: str = Field(description="The location's slug")
    created_at: datetime
    finalized_at: datetime | None
    total: str
    paid: str
    refunded: str
    balance: str = Field(description="What is still owed")


class InvoiceOut(InvoiceSummaryOut):
    appointment: UUID | None
    treatment: UUID | None
    tax_percent: str
    totals: TotalsOut
    lines: list[LineOut]
    payments: list[PaymentOut]


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{money.cents(value):.2f}"


def _quantity(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.quantize(money.CENT):.2f}"


def refund_out(r) -> dict:
    return {
        "id": r.public_id,
        "payment": r.payment.public_id,
        "amount": _text(r.amount),
        "reason": r.reason,
        "refunded_at": r.refunded_at,
        "refunded_by": r.refunded_by.full_name if r.refunded_by else None,
    }


def payment_out(p: Payment) -> dict:
    refunds = list(p.refunds.select_related("refunded_by", "payment").order_by("refunded_at"))
    given = money.cents(sum((r.amount for r in refunds), money.ZERO))
    return {
        "id": p.public_id,
        "invoice": p.invoice.public_id,
        "method": p.method,
        "amount": _text(p.amount),
        "card_last4": p.card_last4,
        "authorization": p.authorization,
        "reference": p.reference,
        "taken_at": p.taken_at,
        "taken_by": p.taken_by.full_name if p.taken_by else None,
        "refunded": _text(given),
        "refundable": _text(money.refundable(p.amount, [given])),
        "refunds": [refund_out(r) for r in refunds],
    }


def summary(invoice: Invoice, found: money.Totals) -> dict:
    paid, refunded = invoices.paid_and_refunded(invoice)
    return listed(invoice, found.total, paid, refunded)


def listed(invoice: Invoice, total: Decimal, paid: Decimal, refunded: Decimal) -> dict:
    """An invoice as the list shows it (the list sums its money for every row at once)."""
    return {
        "id": invoice.public_id,
        "number": invoice.number,
        "status": invoice.status,
        "currency": invoice.currency,
        "patient": invoice.patient.public_id,
        "patient_name": invoice.patient.full_name,
        "location": invoice.location.slug,
        "created_at": invoice.created_at,
        "finalized_at": invoice.finalized_at,
        "total": _text(total),
        "paid": _text(paid),
        "refunded": _text(refunded),
        "balance": _text(money.balance(total, [paid], [refunded])),
    }


def _line_out(line: InvoiceLine) -> dict:
    return {
        "id": line.pk,
        "position": line.position,
        "kind": line.kind,
        "description": line.description,
        "product": line.product,
        "service": line.service.slug if line.service_id else None,
        "quantity": _quantity(line.quantity),
        "unit_price": _text(line.unit_price),
        "amount": _text(line.amount),
        "taxable": line.taxable,
        "charted_units": _quantity(line.charted_units),
        "reason": line.reason,
        "program": line.program,
        "code": line.code,
    }


def invoice_out(invoice: Invoice) -> dict:
    invoice = _fresh(invoice.pk)
    lines = list(invoice.lines.select_related("service").order_by("position"))
    found = invoices.totals_of(invoice, lines)
    taken = invoice.payments.select_related("taken_by", "invoice").order_by("taken_at", "id")
    return {
        **summary(invoice, found),
        "appointment": invoice.appointment.public_id if invoice.appointment_id else None,
        "treatment": invoice.treatment.public_id if invoice.treatment_id else None,
        "tax_percent": f"{invoice.tax_percent:.3f}",
        "totals": {
            "charges": _text(found.charges),
            "discounts": _text(found.discounts),
            "tax": _text(found.tax),
            "total": _text(found.total),
        },
        "lines": [_line_out(line) for line in lines],
        "payments": [payment_out(p) for p in taken],
    }


def _fresh(pk: int) -> Invoice:
    return Invoice.objects.select_related("patient", "location", "appointment", "treatment").get(
        pk=pk
    )


# ---------------------------------------------------------------- bodies


class OpenIn(Strict):
    patient: UUID
    location: str = Field(max_length=50, description="Location slug")
    appointment: UUID | None = Field(None, description="The patient's visit it bills, if any")


class UnitsIn(Strict):
    quantity: str = Field(
        ..., min_length=1, max_length=20, description='Units to bill, such as "18" or "0.5"'
    )
    reason: str = Field(
        "", max_length=300, description="Needed when other units than charted are billed"
    )


class ServiceIn(Strict):
    service: str = Field(max_length=50, description="The service's slug")


class ProductUnitsIn(Strict):
    product: str = Field(max_length=30, description="A product value, e.g. botox_cosmetic")
    quantity: str = Field(..., min_length=1, max_length=20, description='Units, such as "20"')


class DiscountIn(Strict):
    amount: str = amount_field()
    description: str = Field("", max_length=200)


class RewardIn(Strict):
    program: Literal["alle", "evolus", "aspire"]
    code: str = Field(min_length=1, max_length=60, description="The code from the patient's app")
    amount: str = amount_field()


class PromotionIn(Strict):
    code: str = Field(min_length=1, max_length=30)


class VoidIn(Strict):
    reason: str = Field(min_length=1, max_length=300)


class PaymentIn(Strict):
    method: Literal["card", "cash", "gift_card"] = Field(
        description="Card on the clinic's own terminal, cash or a gift card"
    )
    amount: str = amount_field()
    card_last4: str = Field("", max_length=4, description="Card: the slip's last four digits")
    authorization: str = Field("", max_length=40, description="Card: the slip's code")
    reference: str = Field("", max_length=60, description="Gift card: its number")


class RefundIn(Strict):
    amount: str = amount_field()
    reason: str = Field(min_length=1, max_length=300)
