"""Stripe's webhook: each delivery verified by its Stripe-Signature with the library's
`stripe.Webhook.construct_event`, each event stored once by its id (a replay changes nothing),
and what it reports applied: a completed deposit is a payment on the visit's invoice, a
completed set-up saves the card, an expired session is marked, and a fee whose answer was lost
is recorded when its PaymentIntent succeeded."""

from __future__ import annotations

import uuid

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from glabella.billing.cards import (
    client,
    from_cents,
    online_payment,
    to_cents,
    visit_invoice,
)
from glabella.billing.models import FeeCharge, OnlineCheckout, Payment, SavedCard, StripeEvent
from glabella.core import audit
from glabella.core.access import Actor, system_actor
from glabella.core.db import write_transaction


class BadSignature(Exception):
    """A webhook whose Stripe-Signature does not verify (or whose body is no event)."""


class Unavailable(Exception):
    """Stripe could not be asked what a verified event needs; Stripe delivers it again."""


# ---------------------------------------------------------------- the webhook


def handle_webhook(payload: bytes, signature: str | None) -> str:
    """Verifies and applies one webhook delivery; returns what it did. A bad signature raises
    BadSignature and writes nothing; an event already stored changes nothing."""
    try:
        event = stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
    except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError):
        raise BadSignature from None
    if StripeEvent.objects.filter(event_id=event.id).exists():
        return "replayed"
    obj = event.data.object.to_dict()  # plain dicts from here on
    details = None
    if event.type in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        try:
            details = _intent_details(obj)  # a call to Stripe, outside any transaction
        except stripe.StripeError:
            raise Unavailable from None
    try:
        with write_transaction():
            StripeEvent.objects.create(event_id=event.id, type=event.type)
            outcome = _apply(event, obj, details)
            StripeEvent.objects.filter(event_id=event.id).update(outcome=outcome[:200])
    except IntegrityError:
        return "replayed"  # another delivery of the same event won the race
    return outcome


def _intent_details(session) -> dict | None:
    """The card behind a completed session: its payment or setup intent, with the payment
    method expanded (brand, last four, expiry)."""
    api = client()
    options = {"expand": ["payment_method"]}
    if session.get("mode") == "payment" and session.get("payment_intent"):
        intent = api.v1.payment_intents.retrieve(session["payment_intent"], params=options)
    elif session.get("mode") == "setup" and session.get("setup_intent"):
        intent = api.v1.setup_intents.retrieve(session["setup_intent"], params=options)
    else:
        return None
    intent = intent.to_dict()
    method = intent.get("payment_method") or {}
    if isinstance(method, str):  # not expanded
        method = {"id": method}
    card = method.get("card") or {}
    return {
        "intent_id": intent["id"],
        "payment_method_id": method.get("id", ""),
        "brand": card.get("brand", ""),
        "last4": card.get("last4", ""),
        "exp_month": card.get("exp_month"),
        "exp_year": card.get("exp_year"),
        "setup_future_usage": intent.get("setup_future_usage"),
    }


def _apply(event, obj, details) -> str:
    if event.type == "checkout.session.expired":
        changed = OnlineCheckout.objects.filter(
            session_id=obj.get("id"), status=OnlineCheckout.Status.OPEN
        ).update(status=OnlineCheckout.Status.EXPIRED)
        return "expired" if changed else "nothing to expire"
    if event.type == "payment_intent.succeeded":
        return _fee_settled(obj)
    if event.type not in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        return "not used"
    checkout = (
        OnlineCheckout.objects.select_for_update()
        .select_related("appointment__location", "patient")
        .filter(session_id=obj.get("id"))
        .first()
    )
    if checkout is None:
        return "unknown session"
    if checkout.status == OnlineCheckout.Status.COMPLETE:
        return "already complete"
    actor = system_actor("card processor")
    if checkout.purpose == OnlineCheckout.Purpose.DEPOSIT:
        if obj.get("payment_status") != "paid":
            return "not paid yet"
        paid = from_cents(obj.get("amount_total") or 0)
        if paid != checkout.amount or str(obj.get("currency", "")).upper() != checkout.currency:
            return f"amount differs: {paid} {obj.get('currency')}"
        payment = _record_deposit(actor, checkout, details or {}, event)
        if details and details.get("setup_future_usage") == "off_session":
            _save_card(actor, checkout.patient, obj.get("customer"), details)
        OnlineCheckout.objects.filter(pk=checkout.pk).update(
            status=OnlineCheckout.Status.COMPLETE, payment=payment, completed_at=timezone.now()
        )
        return "deposit recorded"
    if not details or not details.get("payment_method_id"):
        return "no card in the session"
    _save_card(actor, checkout.patient, obj.get("customer"), details)
    OnlineCheckout.objects.filter(pk=checkout.pk).update(
        status=OnlineCheckout.Status.COMPLETE, completed_at=timezone.now()
    )
    return "card saved"


def _fee_settled(intent: dict) -> str:
    """A fee whose answer never reached the desk (left pending) is recorded when Stripe reports
    its PaymentIntent succeeded; a fee already paid or refused is left as it is."""
    fee_id = (intent.get("metadata") or {}).get("glabella_fee")
    fee = (
        FeeCharge.objects.select_for_update()
        .select_related("appointment__location__organisation", "confirmed_by")
        .filter(public_id=fee_id if _is_uuid(fee_id) else None)
        .first()
    )
    if fee is None:
        return "not used"
    if fee.status != FeeCharge.Status.PENDING:
        return "fee already settled"
    if intent.get("amount") != to_cents(fee.amount):
        return "amount differs"
    actor = system_actor("card processor")
    now = timezone.now()
    card = SavedCard.objects.filter(patient_id=fee.patient_id).first()
    invoice = visit_invoice(actor, fee.appointment, fee.get_reason_display(), fee.amount, now)
    payment = online_payment(
        actor,
        invoice,
        fee.amount,
        card.last4 if card else "",
        intent.get("id"),
        fee.confirmed_by,
        now,
    )
    FeeCharge.objects.filter(pk=fee.pk).update(
        status=FeeCharge.Status.PAID, payment=payment, payment_intent_id=intent.get("id", "")
    )
    return "fee recorded"


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _save_card(actor: Actor, patient, customer_id, details: dict) -> None:
    card = SavedCard.objects.select_for_update().filter(patient=patient).first()
    if card is None:
        card = SavedCard(patient=patient, customer_id=customer_id or "")
    card.customer_id = customer_id or card.customer_id
    card.payment_method_id = details["payment_method_id"]
    card.brand = str(details.get("brand") or "")[:30]
    card.last4 = str(details.get("last4") or "")[:4]
    card.exp_month = details.get("exp_month")
    card.exp_year = details.get("exp_year")
    card.saved_at = timezone.now()
    card.save()
    audit.record_patient(
        actor,
        audit.Action.UPDATE,
        patient,
        object_type=audit.Kind.SAVED_CARD,
        detail={"last4": card.last4},
    )


def _record_deposit(actor, checkout: OnlineCheckout, details: dict, event) -> Payment:
    now = timezone.now()
    with transaction.atomic():
        invoice = visit_invoice(actor, checkout.appointment, "Deposit", checkout.amount, now)
        return online_payment(
            actor,
            invoice,
            checkout.amount,
            details.get("last4"),
            details.get("intent_id") or event.id,
            None,
            now,
        )
