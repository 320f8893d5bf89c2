"""A deposit paid online at booking, applied to the visit's invoice (decision 0040).

The deposit itself is its own finalized invoice, paid by card online (`card_events.py`). When
the desk checks the visit out, the invoice page says how much of the visit's deposit is left
and the desk applies it (`apply_deposit`): a payment of method "deposit", at most what is owed,
whose reference is the deposit's online card payment; like any first payment it finalizes the
invoice. It is not applied as the treatment is signed: that would finalize the invoice before
the desk had billed other units, added a service or recorded a manufacturer's reward.

What is left of a deposit: what was paid, less what was refunded of it to the card, less what
is applied and not given back (`payments.applied_of`). Applying takes the invoice's row lock and
then the deposit invoice's, as refunding the deposit does, so a deposit is never applied beyond
what is left nor refunded beyond what is not applied. Reads here write nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from glabella.billing import invoices, money, payments
from glabella.billing.models import Invoice, OnlineCheckout, Payment
from glabella.core import audit
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Conflict, ValidationFailed
from glabella.core.roles import Capability
from glabella.patients.services import require_capability

Method = Payment.Method


@dataclass(frozen=True)
class Left:
    """A deposit's online card payment and what of it may still pay the visit."""

    payment: Payment
    amount: Decimal


def deposit_payments(appointment_id) -> list[Payment]:
    """The online card payments of the visit's paid deposits, oldest first."""
    if appointment_id is None:
        return []
    return list(
        Payment.objects.filter(
            online_checkout__appointment_id=appointment_id,
            online_checkout__purpose=OnlineCheckout.Purpose.DEPOSIT,
            method=Method.ONLINE_CARD,
        ).order_by("taken_at", "id")
    )


def left_of(deposit: Payment) -> Decimal:
    """What of one deposit may still be applied: paid, less refunded, less applied."""
    refunded = payments.refunded_on(deposit)
    return max(money.ZERO, money.cents(deposit.amount - refunded - payments.applied_of(deposit)))


def _left_for(invoice: Invoice) -> list[Left]:
    found = []
    for deposit in deposit_payments(invoice.appointment_id):
        if deposit.invoice_id == invoice.pk:  # the deposit's own invoice pays nothing of itself
            continue
        amount = left_of(deposit)
        if amount > 0:
            found.append(Left(deposit, amount))
    return found


def unapplied(invoice: Invoice) -> Decimal:
    """What of the visit's deposit is left to apply to `invoice` (zero for an invoice of no
    visit, or the deposit's own). A read: it writes nothing."""
    return money.cents(sum((left.amount for left in _left_for(invoice)), money.ZERO))


def _apply_locked(actor: Actor, current: Invoice, now: datetime) -> list[Payment]:
    """With `current` locked and owing something: locks the deposits' invoices, then pays
    `current` from what is left of them, at most what it owes (finalizing it if open)."""
    deposits = deposit_payments(current.appointment_id)
    ids = sorted({d.invoice_id for d in deposits if d.invoice_id != current.pk})
    list(Invoice.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    left = _left_for(current)
    if not left:
        return []
    current = payments.locked_for_payment(actor, current, now)
    made = []
    for found in left:
        owed = invoices.balance_of(current)
        if owed <= 0:
            break
        value = min(found.amount, owed)
        made.append(
            payments.record_locked(
                actor, current, Method.DEPOSIT, value, now, reference=str(found.payment.public_id)
            )
        )
    return made


def apply_deposit(actor: Actor, invoice: Invoice, now: datetime | None = None) -> list[Payment]:
    """The desk applies what is left of the visit's deposit to `invoice`: at most what it
    owes; the first payment finalizes it. A voided invoice takes none (Conflict); an invoice
    of no visit, owing nothing, or whose visit has no deposit left is refused on `deposit`."""
    require_capability(actor, Capability.TAKE_PAYMENT, "take payments")
    if invoice.appointment_id is None:
        raise ValidationFailed({"deposit": ["This invoice is for no visit: no deposit applies."]})
    now = now or timezone.now()
    with write_transaction():
        current = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if current.status == Invoice.Status.VOID:
            raise Conflict("This invoice was voided; it takes no payment.")
        if invoices.balance_of(current) <= 0:
            raise ValidationFailed({"deposit": ["Nothing is owed on this invoice."]})
        made = _apply_locked(actor, current, now)
        if not made:
            raise ValidationFailed({"deposit": ["This visit has no deposit left to apply."]})
        audit.record_patient(
            actor,
            audit.Action.UPDATE,
            current.patient,
            object_type=audit.Kind.INVOICE,
            object_id=current.public_id,
            detail={"deposit_applied": str(sum(p.amount for p in made))},
        )
    return made
