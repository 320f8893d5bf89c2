"""Taking money and giving it back.

A payment is taken at the desk by card on the clinic's own terminal (its last four digits and
authorization code recorded, never the card number), in cash or by gift card, split across as
many as the patient likes; never more than is owed. The first payment finalizes an open
invoice. A refund gives back part or all of one payment, with a reason, never more than that
payment less what it already gave back (package units and membership credit go back to their
balance as an adjustment with a reason, not as money). Both run under the invoice's row lock,
so two desks posting at once cannot overpay or over-refund.

A deposit paid online at booking is applied to the visit's invoice as a payment of method
"deposit" (`deposits.py`), which moves no money: refunding it gives the amount back to the
deposit, and the deposit's own online card payment may be refunded only as far as none of it is
applied (checked under the deposit invoice's row lock, which applying a deposit takes too).

A refund at the desk (cash, gift card, the clinic's terminal) only records what the desk
handed back. A refund of an online card payment (a deposit through Stripe Checkout, an
off-session fee) is money Stripe gives back to the card, so it is recorded only once Stripe
has accepted it, in this order:

1. Lock the invoice's row, check the limit (what is left of the payment on our books), and let
   the lock go. The refund's identity is fixed here: a UUID made of the payment, what our books
   had given back of it before, and the amount (`refund_identity`). It is the Refund row's
   public id and, as `glabella-refund-<identity>`, the idempotency key of the call.
2. Ask Stripe (`cards.refund_at_stripe`), holding no lock and no transaction: a call can take
   seconds, and on SQLite a write transaction stops every other writer of the clinic. Stripe
   refusing (a ValidationFailed on the amount) or not answering (a Conflict) writes nothing.
3. Lock the invoice's row again and write the Refund and its access-log row (with Stripe's
   refund id). A row with the same identity already there (the same refund sent twice at once)
   is answered instead of a second one, and the unique public id backs that up.

The same refund asked again (the answer was lost, the owner presses again, the API is called
again with a new Idempotency-Key) has the same identity while our books are unchanged, so
Stripe answers its first refund again and one row is written: the card is never refunded twice
for it. Between 1 and 3 no lock is held, so two different refunds of one payment may both pass
step 1; Stripe refuses whichever would give back more than is left of the charge, so what goes
back to the card never exceeds the payment, and a refund Stripe accepted is always written in
3 (the money has moved; our books follow it). What stays open: a lost answer followed by a
refund of another amount (another identity) gives back both; Stripe forgets a key after 24
hours. A deposit applied to the visit's invoice while its refund is at Stripe (between 1 and 3)
is not seen by either; the refund is written as Stripe accepted it, and the deposit's invoice
then shows more given back than was left unapplied. Stripe's keys off: an online card payment
cannot be refunded from here, and says so.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError
from django.db.models import Sum
from django.utils import timezone

from glabella.billing import cards, invoices, money
from glabella.billing.models import Invoice, PatientPackage, Payment, Refund
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


def applied_of(deposit: Payment) -> Decimal:
    """What of a deposit paid online (its online card payment) has paid the visit's invoices:
    the payments of method "deposit" drawn from it, less what was given back to it."""
    drawn = Payment.objects.filter(method=Method.DEPOSIT, reference=str(deposit.public_id))
    taken = drawn.aggregate(s=Sum("amount"))["s"] or money.ZERO
    back = Refund.objects.filter(payment__in=drawn).aggregate(s=Sum("amount"))["s"]
    return money.cents(taken - (back or money.ZERO))


def _beyond(left: Decimal, applied: Decimal) -> str:
    if applied <= 0:
        return f"At most {left:,.2f} of this payment may still be given back."
    most = max(money.ZERO, left - applied)
    return (
        f"At most {most:,.2f} of this deposit may still be given back: {applied:,.2f} of it "
        "paid the visit's invoice. Give that back on the visit's invoice first."
    )


def refunded_on(payment: Payment):
    return money.cents(
        Refund.objects.filter(payment=payment).aggregate(s=Sum("amount"))["s"] or money.ZERO
    )


# Online refunds' identities are UUIDs in this namespace (see the module's docstring).
REFUND_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://glabella.invalid/billing/refund")


def refund_identity(payment: Payment, given_before: Decimal, value: Decimal) -> uuid.UUID:
    """An online refund's identity: the payment, what was given back of it before, and the
    amount. As unguessable as the payment's own random public id."""
    name = f"{payment.public_id}:{cards.to_cents(given_before)}:{cards.to_cents(value)}"
    return uuid.uuid5(REFUND_NAMESPACE, name)


def refund(
    actor: Actor,
    payment: Payment,
    *,
    amount: object,
    reason: object,
    now: datetime | None = None,
) -> Refund:
    """Gives back part or all of one payment, with a reason: recorded at once for money handed
    back at the desk; for an online card payment, given back to the card by Stripe first and
    recorded only once Stripe accepted it (the module's docstring says in what order)."""
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
    now = now or timezone.now()
    online = payment.method == Method.ONLINE_CARD
    if online:
        if not cards.enabled():
            raise Conflict(cards.NOT_SET_UP_FOR_REFUNDS)
        intent_id = cards.intent_of(payment)
        if not intent_id:
            raise Conflict(cards.NO_INTENT)
    with write_transaction():
        Invoice.objects.select_for_update().get(pk=payment.invoice_id)
        given_before = refunded_on(payment)
        left = money.refundable(payment.amount, [given_before])
        applied = applied_of(payment) if online else money.ZERO
        if value > left - applied:
            raise ValidationFailed({"amount": [_beyond(left, applied)]})
        _keep_what_packages_hold(payment.invoice_id, value)
        if not online:
            return _record_refund(actor, payment, value, why, now)
    identity = refund_identity(payment, given_before, value)
    stripe_refund = cards.refund_at_stripe(payment, intent_id, value, identity)
    try:
        with write_transaction():
            Invoice.objects.select_for_update().get(pk=payment.invoice_id)
            found = Refund.objects.filter(public_id=identity).first()
            if found is not None:
                return found
            return _record_refund(
                actor, payment, value, why, now, public_id=identity, stripe_id=stripe_refund.id
            )
    except IntegrityError:  # the same refund written at the same moment by another request
        found = Refund.objects.filter(public_id=identity).first()
        if found is None:
            raise
        return found


def _keep_what_packages_hold(invoice_id: int, value: Decimal) -> None:
    """Under the invoice's lock: a package sold on this invoice is worth its unused units (its
    price in proportion); the money given back on the invoice never takes that with it. The
    owner takes the units off the package first (an adjustment with its reason), then refunds."""
    held = money.ZERO
    for price, units, balance in PatientPackage.objects.filter(
        invoice_id=invoice_id, balance__gt=0
    ).values_list("plan__price", "units", "balance"):
        held += money.cents(price * balance / units)
    if held <= 0:
        return
    money_methods = Payment.objects.filter(invoice_id=invoice_id).exclude(
        method__in=(Method.PACKAGE, Method.MEMBERSHIP, Method.DEPOSIT)
    )
    paid = money_methods.aggregate(s=Sum("amount"))["s"] or money.ZERO
    back = Refund.objects.filter(payment__in=money_methods).aggregate(s=Sum("amount"))["s"]
    room = money.cents(paid - (back or money.ZERO) - held)
    if value > room:
        raise ValidationFailed(
            {
                "amount": [
                    f"This invoice sold a package whose unused units are worth {held:,.2f}: at "
                    f"most {max(room, money.ZERO):,.2f} may be given back until the owner takes "
                    "those units off the package."
                ]
            }
        )


def _record_refund(
    actor: Actor,
    payment: Payment,
    value: Decimal,
    why: str,
    now: datetime,
    *,
    public_id: uuid.UUID | None = None,
    stripe_id: str = "",
) -> Refund:
    """The Refund row and its access-log row, inside the caller's write under the invoice's
    lock. Stripe's refund id has no column on Refund: it is kept in the log row's detail."""
    given = Refund.objects.create(
        public_id=public_id or uuid.uuid4(),
        payment=payment,
        amount=value,
        reason=why,
        refunded_by=actor.staff,
        refunded_at=now,
    )
    detail = {"payment": str(payment.public_id), "amount": str(value)}
    if stripe_id:
        detail["stripe_refund"] = stripe_id
    audit.record_patient(
        actor,
        audit.Action.CREATE,
        payment.invoice.patient,
        object_type=audit.Kind.REFUND,
        object_id=given.public_id,
        detail=detail,
    )
    return given
