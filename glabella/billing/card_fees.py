"""A no-show or late-cancel fee, charged off-session to the saved card only after a staff
member confirms it (TAKE_PAYMENT): a pending row first (its id is the idempotency key), then
the PaymentIntent (off_session, confirm), then a payment on the visit's fee invoice or the
bank's refusal kept."""

from __future__ import annotations

from datetime import datetime

import stripe
from django.db import IntegrityError
from django.utils import timezone

from glabella.billing.cards import (
    UNREACHABLE,
    billing_of,
    client,
    enabled,
    fee_due,
    online_payment,
    to_cents,
    visit_invoice,
)
from glabella.billing.models import FeeCharge, SavedCard
from glabella.core import audit
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Conflict, ValidationFailed
from glabella.core.roles import Capability
from glabella.patients.services import require_capability
from glabella.scheduling.models import Appointment


def fees_of(appointment) -> list[FeeCharge]:
    return list(FeeCharge.objects.filter(appointment=appointment).order_by("-confirmed_at", "-id"))


def charge_fee(
    actor: Actor, appointment: Appointment, *, confirmed: bool, now: datetime | None = None
) -> FeeCharge:
    """Charges the visit's fee to the patient's saved card, off-session, once a staff member
    has confirmed it. Returns the FeeCharge: paid (with its payment) or refused (with the
    bank's reason). A charge whose answer never came stays pending and is asked again with the
    same idempotency key, so it is never taken twice."""
    require_capability(actor, Capability.TAKE_PAYMENT, "charge fees")
    if not enabled():
        raise Conflict("Card payments are not set up.")
    now = now or timezone.now()
    due = fee_due(appointment, now)
    if due is None:
        raise ValidationFailed({"confirm": ["No fee applies to this visit."]})
    if not confirmed:
        raise ValidationFailed({"confirm": ["Tick the box to confirm the fee."]})
    card = SavedCard.objects.filter(patient=appointment.patient).exclude(payment_method_id="")
    card = card.first()
    if card is None:
        raise ValidationFailed({"confirm": ["The patient has no saved card."]})
    reason, amount = due
    try:
        with write_transaction():
            fee = (
                FeeCharge.objects.select_for_update()
                .filter(appointment=appointment, status__in=["pending", "paid"])
                .first()
            )
            if fee is not None and fee.status == FeeCharge.Status.PAID:
                raise ValidationFailed({"confirm": ["This visit's fee is already paid."]})
            if fee is None:
                fee = FeeCharge.objects.create(
                    appointment=appointment,
                    patient=appointment.patient,
                    reason=reason,
                    amount=amount,
                    confirmed_by=actor.staff,
                    confirmed_at=now,
                )
            audit.record_patient(
                actor,
                audit.Action.CREATE,
                appointment.patient,
                object_type=audit.Kind.FEE,
                object_id=fee.public_id,
                detail={"reason": reason, "amount": str(amount)},
            )
    except IntegrityError:
        raise Conflict("Another staff member is charging this fee now.") from None
    currency = billing_of(appointment.location.organisation).currency
    try:
        intent = client().v1.payment_intents.create(
            params={
                "amount": to_cents(fee.amount),
                "currency": currency.lower(),
                "customer": card.customer_id,
                "payment_method": card.payment_method_id,
                "off_session": True,
                "confirm": True,
                "description": fee.get_reason_display(),
                "metadata": {"glabella_fee": str(fee.public_id)},
            },
            options={"idempotency_key": f"glabella-fee-{fee.public_id}"},
        )
    except stripe.CardError as error:
        message = error.user_message or "The card was declined."
        with write_transaction():
            FeeCharge.objects.filter(pk=fee.pk).update(
                status=FeeCharge.Status.REFUSED,
                message=str(message)[:300],
                payment_intent_id=_intent_of(error),
            )
            audit.record_patient(
                actor,
                audit.Action.UPDATE,
                appointment.patient,
                object_type=audit.Kind.FEE,
                object_id=fee.public_id,
                detail={"refused": str(getattr(error, "code", "") or "declined")},
            )
        return FeeCharge.objects.get(pk=fee.pk)
    except stripe.StripeError:
        raise Conflict(UNREACHABLE.replace("nothing was charged", "ask again")) from None
    if intent.status != "succeeded":
        with write_transaction():
            FeeCharge.objects.filter(pk=fee.pk).update(
                status=FeeCharge.Status.REFUSED,
                payment_intent_id=intent.id,
                message="The bank asks the patient to confirm this charge; ask them to pay "
                "at the desk.",
            )
        return FeeCharge.objects.get(pk=fee.pk)
    with write_transaction():
        invoice = visit_invoice(actor, appointment, fee.get_reason_display(), fee.amount, now)
        payment = online_payment(
            actor, invoice, fee.amount, card.last4, intent.id, actor.staff, now
        )
        FeeCharge.objects.filter(pk=fee.pk).update(
            status=FeeCharge.Status.PAID, payment=payment, payment_intent_id=intent.id
        )
    return FeeCharge.objects.get(pk=fee.pk)


def _intent_of(error: stripe.StripeError) -> str:
    body = error.json_body or {}
    intent = (body.get("error") or {}).get("payment_intent") or {}
    return str(intent.get("id", ""))[:255] if isinstance(intent, dict) else ""
