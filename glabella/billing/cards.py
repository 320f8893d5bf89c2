"""Cards online with Stripe: the cancellation policy, a deposit or a saved card at online
booking through Stripe Checkout (a redirect: no script of theirs on our pages), the verified
webhook, a no-show or late-cancel fee charged off-session after a staff member confirms it, and
an online card payment given back to the card (`refund_at_stripe`, called by
`payments.refund`, which says in what order).

Off until the clinic sets STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET: `enabled()` is False and
nothing here shows or asks anything about cards. Calls to Stripe go through the official
library's `StripeClient` (STRIPE_API_BASE points it at the tests' local server) and never run
inside a database transaction: a row is written first (with the idempotency key the call
carries), the call made, then its outcome written.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import stripe
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from glabella.billing import invoices, money
from glabella.billing.models import (
    BillingSettings,
    FeeCharge,
    Invoice,
    InvoiceLine,
    OnlineCheckout,
    Payment,
    SavedCard,
)
from glabella.core import audit, language, styles, throttle
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Conflict, ValidationFailed
from glabella.core.roles import Capability
from glabella.patients.services import require_capability
from glabella.scheduling import notices
from glabella.scheduling.models import Appointment, Status

UNREACHABLE = gettext_noop(
    "Card payments could not be reached just now; nothing was charged. Please try again in a "
    "few minutes."
)

NOT_SET_UP_FOR_REFUNDS = (
    "Card payments online are switched off here (the clinic's Stripe keys are not set), so "
    "this online card payment cannot be given back from glabella: nothing was refunded or "
    "recorded. Set the Stripe keys again to refund it to the patient's card."
)
REFUND_UNREACHABLE = (
    "Stripe could not be reached just now: nothing was recorded. Try the same refund again in "
    "a few minutes; the card is never refunded twice for it."
)
KEYS_REFUSED = (
    "Stripe did not accept the clinic's Stripe keys: nothing was refunded or recorded. Check "
    "the keys, then try again."
)
NO_INTENT = (
    "We hold no Stripe reference for this online card payment, so it cannot be given back from "
    "glabella: nothing was refunded or recorded."
)


def enabled() -> bool:
    return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET)


def client() -> stripe.StripeClient:
    base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY, base_addresses=base, max_network_retries=1
    )


def to_cents(amount: Decimal) -> int:
    return int(money.cents(amount) * 100)


def from_cents(value: int) -> Decimal:
    return money.cents(Decimal(int(value)) / 100)


def billing_of(organisation) -> BillingSettings:
    """The organisation's money settings, read only (unsaved defaults when it has none yet)."""
    found = BillingSettings.objects.filter(organisation=organisation).first()
    return found or BillingSettings(organisation=organisation)


# ---------------------------------------------------------------- what patients are told


def policy(service=None, location=None) -> dict | None:
    """The clinic's cancellation policy as patients read it: its text, the fees it names, and
    (only while card payments are on) what is asked by card at booking. None when the clinic
    has written no policy and charges nothing."""
    organisation = (location or service).organisation if (location or service) else None
    if organisation is None:
        return None
    found = billing_of(organisation)
    lines = []
    hours = location.cancellation_window_hours if location is not None else None
    if found.late_cancel_fee > 0:
        fee = _money(found, found.late_cancel_fee)
        lines.append(
            _("Canceling within %(hours)d hours of the time costs %(fee)s.")
            % {"hours": hours, "fee": fee}
            if hours
            else _("Canceling at short notice costs %(fee)s.") % {"fee": fee}
        )
    if found.no_show_fee > 0:
        lines.append(
            _("Missing the visit without telling us costs %(fee)s.")
            % {"fee": _money(found, found.no_show_fee)}
        )
    cards = []
    if enabled():
        if service is not None and asks_deposit(service, found):
            cards.append(
                _(
                    "A deposit of %(amount)s, paid by card after you book, holds your time; it "
                    "counts toward your visit."
                )
                % {"amount": _money(found, found.deposit_amount)}
            )
        if found.card_on_file:
            cards.append(
                _(
                    "We ask for a card after you book; it is kept by our card processor and "
                    "charged only for a fee above, after a staff member confirms it."
                )
            )
    if not found.cancellation_policy.strip() and not lines and not cards:
        return None
    return {"text": found.cancellation_policy.strip(), "fees": lines, "cards": cards}


def _money(found: BillingSettings, amount: Decimal) -> str:
    """An amount as patients read it: $75.00, or the currency's code before it."""
    return f"${amount:,.2f}" if found.currency == "USD" else f"{found.currency} {amount:,.2f}"


def asks_deposit(service, found: BillingSettings) -> bool:
    return bool(service.deposit_required and found.deposit_amount > 0)


def _completed(appointment, purpose) -> bool:
    return OnlineCheckout.objects.filter(
        appointment=appointment, purpose=purpose, status=OnlineCheckout.Status.COMPLETE
    ).exists()


def has_card(patient) -> bool:
    return SavedCard.objects.filter(patient=patient).exclude(payment_method_id="").exists()


def asked_of(appointment) -> str | None:
    """What card step this booking asks (deposit or card), or None."""
    if not enabled() or appointment.status != Status.BOOKED:
        return None
    found = billing_of(appointment.location.organisation)
    if asks_deposit(appointment.service, found):
        return OnlineCheckout.Purpose.DEPOSIT
    if found.card_on_file:
        return OnlineCheckout.Purpose.CARD
    return None


def payment_step(appointment, now: datetime) -> dict | None:
    """The confirmation page's card step: a deposit to pay or a card to save (or done)."""
    purpose = asked_of(appointment)
    if purpose is None:
        return None
    found = billing_of(appointment.location.organisation)
    action = reverse("cards:start", args=[notices.manage_token(appointment)])
    if purpose == OnlineCheckout.Purpose.DEPOSIT:
        done = _completed(appointment, purpose)
        amount = {"amount": _money(found, found.deposit_amount)}
        return {
            "heading": _("Your deposit is paid") if done else _("Pay your deposit"),
            "text": (
                _("We have your deposit of %(amount)s; it counts toward your visit.") % amount
                if done
                else _(
                    "A deposit of %(amount)s holds your time. You pay it on our card "
                    "processor's secure page and come back here."
                )
                % amount
            ),
            "done": done,
            "action": action,
            "button": _("Pay the %(amount)s deposit") % amount,
        }
    done = has_card(appointment.patient)
    return {
        "heading": _("Your card is saved") if done else _("Save a card for your booking"),
        "text": (
            _(
                "We have a card for your booking; it is charged only as our cancellation policy "
                "says, after a staff member confirms it."
            )
            if done
            else _(
                "Please save a card on our card processor's secure page. Nothing is charged "
                "now; it is charged only as our cancellation policy says."
            )
        ),
        "done": done,
        "action": action,
        "button": _("Save a card"),
    }


# ---------------------------------------------------------------- Stripe Checkout


def _customer(actor: Actor, patient, api: stripe.StripeClient) -> SavedCard:
    """The patient's Stripe customer, created once (the idempotency key is the patient's)."""
    found = SavedCard.objects.filter(patient=patient).first()
    if found is not None:
        return found
    customer = api.v1.customers.create(
        params={
            "name": f"{patient.given_name} {patient.family_name}".strip(),
            "email": patient.email or None,
            "metadata": {"glabella_patient": str(patient.public_id)},
        },
        options={"idempotency_key": f"glabella-customer-{patient.public_id}"},
    )
    with write_transaction():
        card, _ = SavedCard.objects.get_or_create(
            patient=patient, defaults={"customer_id": customer.id}
        )
        audit.record_patient(actor, audit.Action.CREATE, patient, object_type=audit.Kind.SAVED_CARD)
    return card


def start_checkout(actor: Actor, appointment: Appointment, now: datetime | None = None) -> str:
    """Starts a Stripe Checkout Session for the booking's card step; returns the address of
    Stripe's page to send the patient to."""
    now = now or timezone.now()
    purpose = asked_of(appointment)
    if purpose is None:
        raise ValidationFailed({"action": [_("This booking asks for no card.")]})
    if purpose == OnlineCheckout.Purpose.DEPOSIT and _completed(appointment, purpose):
        raise ValidationFailed({"action": [_("Your deposit is already paid.")]})
    if purpose == OnlineCheckout.Purpose.CARD and has_card(appointment.patient):
        raise ValidationFailed({"action": [_("We already have a card for your booking.")]})
    # Each press creates a session at Stripe: counted per booking and per address.
    throttle.check_public_form(
        "card-checkout", email=f"{appointment.public_id}@booking", ip=actor.ip, now=now
    )
    found = billing_of(appointment.location.organisation)
    api = client()
    try:
        customer = _customer(actor, appointment.patient, api)
        with write_transaction():
            checkout = OnlineCheckout.objects.create(
                appointment=appointment,
                patient=appointment.patient,
                purpose=purpose,
                amount=found.deposit_amount if purpose == "deposit" else money.ZERO,
                currency=found.currency,
                created_at=now,
            )
            audit.record_patient(
                actor,
                audit.Action.CREATE,
                appointment.patient,
                object_type=audit.Kind.ONLINE_CHECKOUT,
                object_id=checkout.public_id,
                detail={"purpose": purpose},
            )
        session = api.v1.checkout.sessions.create(
            params=_session_params(checkout, customer, found),
            options={"idempotency_key": f"glabella-checkout-{checkout.public_id}"},
        )
    except stripe.StripeError:
        raise Conflict(_(UNREACHABLE)) from None
    OnlineCheckout.objects.filter(pk=checkout.pk).update(session_id=session.id)
    return session.url


def _session_params(checkout: OnlineCheckout, customer: SavedCard, found) -> dict:
    appointment = checkout.appointment
    site = settings.SITE_URL
    metadata = {"glabella_checkout": str(checkout.public_id)}
    params = {
        "customer": customer.customer_id,
        "client_reference_id": str(checkout.public_id),
        "metadata": metadata,
        "success_url": site + reverse("cards:return", args=[checkout.public_id]),
        "cancel_url": notices.manage_url(appointment),
        "locale": language.current(),  # Stripe's page in the language of the page she came from
    }
    day = styles.day(appointment.starts_at, appointment.location.zone)
    if checkout.purpose == OnlineCheckout.Purpose.DEPOSIT:
        payment_data = {"metadata": metadata}
        if found.card_on_file:
            payment_data["setup_future_usage"] = "off_session"
        params.update(
            mode="payment",
            line_items=[
                {
                    "price_data": {
                        "currency": checkout.currency.lower(),
                        "unit_amount": to_cents(checkout.amount),
                        "product_data": {
                            "name": _("Deposit for your visit on %(day)s") % {"day": day}
                        },
                    },
                    "quantity": 1,
                }
            ],
            payment_intent_data=payment_data,
        )
    else:
        params.update(
            mode="setup",
            currency=checkout.currency.lower(),
            setup_intent_data={"metadata": metadata},
        )
    return params


def visit_invoice(actor: Actor, appointment, description: str, amount: Decimal, now) -> Invoice:
    """A finalized invoice for the visit with one line (a deposit or a fee): inside a
    transaction, paid at once by the caller."""
    organisation = appointment.location.organisation
    invoice = Invoice.objects.create(
        organisation=organisation,
        location=appointment.location,
        patient=appointment.patient,
        appointment=appointment,
        currency=billing_of(organisation).currency,
        created_at=now,
    )
    InvoiceLine.objects.create(
        invoice=invoice,
        position=0,
        kind=InvoiceLine.Kind.SERVICE,
        description=description,
        quantity=Decimal("1"),
        unit_price=amount,
        amount=amount,
    )
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    return invoices.finalize_locked(actor, locked, now)


def online_payment(actor, invoice, amount, last4, reference, taken_by, now) -> Payment:
    payment = Payment.objects.create(
        invoice=invoice,
        method=Payment.Method.ONLINE_CARD,
        amount=amount,
        card_last4=str(last4 or "")[:4],
        reference=str(reference or "")[:60],
        taken_by=taken_by,
        taken_at=now,
    )
    audit.record_patient(
        actor,
        audit.Action.CREATE,
        invoice.patient,
        object_type=audit.Kind.PAYMENT,
        object_id=payment.public_id,
        detail={"invoice": invoice.number, "method": payment.method, "amount": str(amount)},
    )
    return payment


def intent_of(payment: Payment) -> str:
    """The Stripe PaymentIntent behind an online card payment: its reference (a deposit's or a
    fee's intent), else its fee's record of it; "" when none is held."""
    if payment.reference.startswith("pi_"):
        return payment.reference
    held = FeeCharge.objects.filter(payment=payment).values_list("payment_intent_id", flat=True)
    found = held.first() or ""
    return found if found.startswith("pi_") else ""


def refund_at_stripe(payment: Payment, intent_id: str, amount: Decimal, identity: uuid.UUID):
    """Asks Stripe to give `amount` of the PaymentIntent back to the card it came from, with an
    idempotency key made of our refund's identity (the same refund asked again gets Stripe's
    first answer, never a second refund). Returns Stripe's Refund. Stripe's refusal is a
    ValidationFailed on the amount; no answer (or keys Stripe refuses) is a Conflict. Called
    outside any database transaction."""
    try:
        found = client().v1.refunds.create(
            params={
                "payment_intent": intent_id,
                "amount": to_cents(amount),
                # Only what the key stands for: Stripe refuses a key reused with other params.
                "metadata": {
                    "glabella_refund": str(identity),
                    "glabella_payment": str(payment.public_id),
                },
            },
            options={"idempotency_key": f"glabella-refund-{identity}"},
        )
    except (stripe.InvalidRequestError, stripe.CardError) as error:
        raise ValidationFailed({"amount": [_refund_refused(error)]}) from None
    except (stripe.AuthenticationError, stripe.PermissionError):
        raise Conflict(KEYS_REFUSED) from None
    except stripe.StripeError:
        raise Conflict(REFUND_UNREACHABLE) from None
    if found.status not in ("succeeded", "pending"):
        raise ValidationFailed(
            {
                "amount": [
                    "Stripe could not give this back to the card: nothing was recorded. "
                    "Give it back another way (cash, or the clinic's terminal) and record that."
                ]
            }
        )
    return found


def _refund_refused(error: stripe.StripeError) -> str:
    """Stripe's refusal of a refund in the owner's words."""
    code = getattr(error, "code", None) or ""
    if code == "charge_already_refunded":
        text = "Stripe says this card payment was already refunded in full (in Stripe itself)."
    elif code == "charge_disputed":
        text = (
            "The patient disputed this card payment with their bank, so Stripe does not "
            "refund it; the dispute settles it."
        )
    elif code == "resource_missing":
        text = "Stripe does not know this card payment (it may be another Stripe account's)."
    else:
        said = str(error.user_message or "no reason given").strip().rstrip(".")
        text = f"Stripe refused this refund: {said}."
    return f"{text} Nothing was refunded or recorded."


def checkout_of(public_id) -> OnlineCheckout | None:
    return (
        OnlineCheckout.objects.select_related("appointment__location")
        .filter(public_id=public_id)
        .first()
    )


# ---------------------------------------------------------------- fees


def fee_due(appointment: Appointment, now: datetime | None = None) -> tuple[str, Decimal] | None:
    """The fee the clinic's policy names for this visit: a missed visit, or a cancellation by
    the patient within the location's cancellation window; None when no fee applies."""
    found = billing_of(appointment.location.organisation)
    if appointment.status == Status.NO_SHOW and found.no_show_fee > 0:
        return FeeCharge.Reason.NO_SHOW, found.no_show_fee
    if (
        appointment.status == Status.CANCELLED_BY_PATIENT
        and appointment.cancelled_at is not None
        and appointment.starts_at - appointment.cancelled_at
        < timedelta(hours=appointment.location.cancellation_window_hours)
        and found.late_cancel_fee > 0
    ):
        return FeeCharge.Reason.LATE_CANCEL, found.late_cancel_fee
    return None


# ---------------------------------------------------------------- the desk's view


FEE_LOOKBACK_DAYS = 90


def record_section(actor: Actor, patient, now: datetime):
    """The patient record's "Card on file" section for the desk (TAKE_PAYMENT), only while
    card payments are on: the saved card (brand, last four, expiry) and the visits of the last
    90 days whose policy fee may be charged, each linking to its confirm page. Two queries."""
    from glabella.patients.sections import Section

    if not enabled() or not actor.can(Capability.TAKE_PAYMENT):
        return None
    card = SavedCard.objects.filter(patient=patient).exclude(payment_method_id="").first()
    visits = (
        Appointment.objects.filter(
            patient=patient,
            status__in=[Status.NO_SHOW, Status.CANCELLED_BY_PATIENT],
            starts_at__gte=now - timedelta(days=FEE_LOOKBACK_DAYS),
            starts_at__lte=now + timedelta(days=FEE_LOOKBACK_DAYS),
        )
        .select_related("location__organisation")
        .order_by("-starts_at")
    )
    owed = [(visit, due) for visit in visits if (due := fee_due(visit, now)) is not None]
    return Section(
        key="card-on-file",
        title="Card on file",
        order=65,
        template="billing/cards/record_section.html",
        context={"card": card, "owed": owed},
    )


# ---------------------------------------------------------------- the owner's policy

POLICY_MAX = 1000
FEE_MAX = Decimal("10000.00")


def _fee_amount(value: object, field: str, errors: dict) -> Decimal:
    text = str(value if value is not None else "").strip()
    if not text:
        errors[field] = ["Enter an amount, or 0 for none."]
        return money.ZERO
    if text in {"0", "0.0", "0.00", "$0", "$0.00"}:
        return money.ZERO
    try:
        return invoices.parse_amount(text, field, maximum=FEE_MAX)
    except ValidationFailed as refused:
        errors.update(refused.fields)
        return money.ZERO


def set_policy(actor: Actor, organisation, data: dict) -> BillingSettings:
    """The owner's cancellation policy: its text, the late-cancel and no-show fees, and (only
    while card payments are on) the deposit amount and whether every booking saves a card."""
    require_capability(actor, Capability.SET_PRICES, "set the cancellation policy")
    errors: dict[str, list[str]] = {}
    text = str(data.get("cancellation_policy") or "").strip().replace("\r\n", "\n")
    if len(text) > POLICY_MAX:
        errors["cancellation_policy"] = [f"Use at most {POLICY_MAX} characters."]
    late = _fee_amount(data.get("late_cancel_fee"), "late_cancel_fee", errors)
    no_show = _fee_amount(data.get("no_show_fee"), "no_show_fee", errors)
    changes = {"cancellation_policy": text, "late_cancel_fee": late, "no_show_fee": no_show}
    if enabled():
        changes["deposit_amount"] = _fee_amount(
            data.get("deposit_amount"), "deposit_amount", errors
        )
        changes["card_on_file"] = str(data.get("card_on_file") or "") in {"on", "true", "1"}
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        found, _ = BillingSettings.objects.select_for_update().get_or_create(
            organisation=organisation
        )
        for name, value in changes.items():
            setattr(found, name, value)
        found.save()
        audit.record(
            actor,
            audit.Action.UPDATE,
            audit.Kind.CANCELLATION_POLICY,
            found.pk,
            detail={k: str(v) for k, v in changes.items() if k != "cancellation_policy"},
        )
    return found
