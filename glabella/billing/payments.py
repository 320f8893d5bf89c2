"""Taking money and giving it back.

A payment is taken at the desk by card on the clinic's own terminal (its last four digits and
authorization code recorded, never the card number), in cash or by gift card, split across as
many as the patient likes; never more than is owed. The first payment finalizes an open
invoice. A refund gives back part or all of one payment, with a reason, never more than that
payment less what it already gave back (package units and membership credit go back to their
balance as an adjustment with a reason, not as money). Both run under the invoice's row lock,
so two desks posting at once cannot overpay or over-refund.
"""

from __future__ import annotations

import re
from datetime import datetime

from django.db.models import Sum
from django.utils import timezone

from glabella.billing import invoices, money
from glabella.billing.models import Invoice, Payment, Refund
from glabella.billing.signals import invoice_settled
from glabella.core import audit
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Conflict, ValidationFailed
from glabella.core.roles import Capability
from glabella.patients.services import require_capability

Method = Payment.Method
# What the desk may record by hand; online card payments come from the card provider only.
AT_THE_DESK = (Method.CARD, Method.CASH, Method.GIFT_CARD)
LAST_FOUR = re.compile(r"[0-9]{4}")  # ASCII digits only (\d takes any script's)
AUTHORIZATION = re.compile(r"[A-Za-z0-9-]{2,40}")
GIFT_CARD = re.compile(r"[A-Za-z0-9-]{4,60}")


def _details(method: str, card_last4: object, authorization: object, reference: object) -> dict:
    last4 = str(card_last4 or "").strip()
    auth = str(authorization or "").strip()
    ref = str(reference or "").strip()
    errors: dict[str, list[str]] = {}
    if method == Method.CARD:
        if not LAST_FOUR.fullmatch(last4):
            errors["card_last4"] = ["Enter the card's last four digits from the terminal slip."]
        if not AUTHORIZATION.fullmatch(auth):
            errors["authorization"] = ["Enter the authorization code from the terminal slip."]
        ref = ""
    elif method == Method.GIFT_CARD:
        if not GIFT_CARD.fullmatch(ref):
            errors["reference"] = ["Enter the gift card's number (letters, digits, hyphens)."]
        last4 = auth = ""
    else:
        last4 = auth = ref = ""
    if errors:
        raise ValidationFailed(errors)
    return {"card_last4": last4, "authorization": auth, "reference": ref}


def take_payment(
    actor: Actor,
    invoice: Invoice,
    *,
    method: object,
    amount: object,
    card_last4: object = "",
    authorization: object = "",
    reference: object = "",
    now: datetime | None = None,
) -> Payment:
    require_capability(actor, Capability.TAKE_PAYMENT, "take payments")
    method = str(method or "")
    if method not in AT_THE_DESK:
        raise ValidationFailed({"method": ["Choose card, cash or gift card."]})
    value = invoices.parse_amount(amount, "amount")
    details = _details(method, card_last4, authorization, reference)
    now = now or timezone.now()
    with write_transaction():
        current = locked_for_payment(actor, invoice, now)
        owed = invoices.balance_of(current)
        if owed <= 0:
            raise ValidationFailed({"amount": ["Nothing is owed on this invoice."]})
        if value > owed:
            raise ValidationFailed({"amount": [f"Only {owed:,.2f} is owed; take at most that."]})
        payment = record_locked(actor, current, method, value, now, **details)
    return payment


def locked_for_payment(actor: Actor, invoice: Invoice, now: datetime) -> Invoice:
    """The invoice's row, locked, finalized if it was open (the first payment finalizes);
    inside the caller's write transaction. A voided invoice takes no payment."""
    current = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if current.status == Invoice.Status.VOID:
        raise Conflict("This invoice was voided; it takes no payment.")
    if current.is_open:
        current = invoices.finalize_locked(actor, current, now)
    return current


def record_locked(
    actor: Actor,
    current: Invoice,
    method: str,
    value,
    now: datetime,
    *,
    card_last4: str = "",
    authorization: str = "",
    reference: str = "",
) -> Payment:
    """Records a payment on the locked, finalized invoice (the caller checked `value` against
    what is owed), its access-log row, and announces the invoice settled when nothing is owed
    any more. Package units and membership credit are paid this way too."""
    payment = Payment.objects.create(
        invoice=current,
        method=method,
        amount=value,
        taken_by=actor.staff,
        taken_at=now,
        card_last4=card_last4,
        authorization=authorization,
        reference=reference,
    )
    audit.record_patient(
        actor,
        audit.Action.CREATE,
        current.patient,
        object_type=audit.Kind.PAYMENT,
        object_id=payment.public_id,
        detail={"invoice": current.number, "method": method, "amount": str(value)},
    )
    if invoices.balance_of(current) == 0:
        invoice_settled.send(sender=Invoice, invoice=current, now=now, actor=actor)
    return payment


def refunded_on(payment: Payment):
    return money.cents(
        Refund.objects.filter(payment=payment).aggregate(s=Sum("amount"))["s"] or money.ZERO
    )


def refund(
    actor: Actor,
    payment: Payment,
    *,
    amount: object,
    reason: object,
    now: datetime | None = None,
) -> Refund:
    require_capability(actor, Capability.REFUND, "give refunds")
    value = invoices.parse_amount(amount, "amount")
    why = " ".join(str(reason or "").split())
    if not why:
        raise ValidationFailed({"reason": ["Say why the money is given back."]})
    if len(why) > invoices.REASON_MAX:
        raise ValidationFailed({"reason": [f"Use at most {invoices.REASON_MAX} characters."]})
    if payment.method in (Method.PACKAGE, Method.MEMBERSHIP):
        raise ValidationFailed(
            {
                "payment": [
                    "Units paid from a package or membership go back to it as an adjustment, "
                    "not as money."
                ]
            }
        )
    with write_transaction():
        Invoice.objects.select_for_update().get(pk=payment.invoice_id)
        left = money.refundable(payment.amount, [refunded_on(payment)])
        if value > left:
            raise ValidationFailed(
                {"amount": [f"At most {left:,.2f} of this payment may still be given back."]}
            )
        given = Refund.objects.create(
            payment=payment,
            amount=value,
            reason=why,
            refunded_by=actor.staff,
            refunded_at=now or timezone.now(),
        )
        audit.record_patient(
            actor,
            audit.Action.CREATE,
            payment.invoice.patient,
            object_type=audit.Kind.REFUND,
            object_id=given.public_id,
            detail={"payment": str(payment.public_id), "amount": str(value)},
        )
    return given
