"""Card on file, deposits and fees with Stripe (issue 20, point 3).

The webhook is tested with events signed by the library's own scheme
(`stripe.WebhookSignature`: `t=<timestamp>,v1=<HMAC-SHA256 of "t.payload">`), and every call
glabella makes goes through the official `stripe` library to a local server
(`tests/support/stripe_server.py`) that checks and answers Stripe's documented requests and
responses. No test reaches the internet.
"""

import json
import re
import secrets
import time
from datetime import timedelta
from decimal import Decimal

import pytest
import stripe
from django.urls import reverse
from django.utils import timezone

from glabella.billing import cards
from glabella.billing.invoices import settings_of
from glabella.billing.models import (
    FeeCharge,
    Invoice,
    OnlineCheckout,
    Payment,
    SavedCard,
    StripeEvent,
)
from glabella.clinic.models import Service
from glabella.core.models import AccessLog
from glabella.scheduling.notices import manage_token
from tests.conftest import future_appointment
from tests.support.stripe_server import DECLINED, StripeServer

KEY = "sk_test_glabella_local"
SECRET = "whsec_glabella_local"
POLICY = "Please give us a day's notice if you cannot come."


@pytest.fixture
def stripe_server():
    with StripeServer(KEY) as server:
        yield server


@pytest.fixture
def keys(settings, stripe_server):
    settings.STRIPE_SECRET_KEY = KEY
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    settings.STRIPE_API_BASE = stripe_server.base
    return stripe_server


@pytest.fixture
def policy(clinic):
    found = settings_of(clinic.organisation)
    found.cancellation_policy = POLICY
    found.late_cancel_fee = Decimal("40.00")
    found.no_show_fee = Decimal("75.00")
    found.deposit_amount = Decimal("50.00")
    found.save()
    Service.objects.filter(slug="consultation").update(deposit_required=True)
    return found


def signed(payload: str, secret: str = SECRET, timestamp=None) -> str:
    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)


def event_of(kind: str, obj: dict, event_id: str | None = None) -> str:
    return json.dumps(
        {
            "id": event_id or f"evt_test_{secrets.token_hex(8)}",
            "object": "event",
            "type": kind,
            "created": int(time.time()),
            "livemode": False,
            "api_version": stripe.api_version,
            "data": {"object": obj},
        }
    )


def post_event(client, payload: str, header: str | None = None):
    headers = {} if header is None else {"HTTP_STRIPE_SIGNATURE": header}
    return client.post(
        reverse("cards:webhook"), data=payload, content_type="application/json", **headers
    )


def start_checkout(client, appointment):
    return client.post(reverse("cards:start", args=[manage_token(appointment)]))


def counts():
    return (
        StripeEvent.objects.count(),
        Payment.objects.count(),
        Invoice.objects.count(),
        OnlineCheckout.objects.filter(status="complete").count(),
        SavedCard.objects.exclude(payment_method_id="").count(),
    )


CARD_WORDS = ("card", "deposit", "stripe")


# ---------------------------------------------------------------- off until the keys are set


def test_without_keys_nothing_about_cards_shows(client, clinic, patient, policy):
    policy.card_on_file = True
    policy.save()
    appointment = future_appointment(patient, clinic, days=5)
    start = (timezone.now() + timedelta(days=3)).isoformat()
    page = client.get(
        reverse("scheduling:book"),
        {"location": clinic.slug, "service": "consultation", "start": start},
    )
    assert page.status_code == 200
    text = page.content.decode().lower()
    assert POLICY.lower() in text.replace("&#x27;", "'")  # the policy itself shows
    assert "$75.00" in text
    manage = client.get(reverse("scheduling:manage", args=[manage_token(appointment)]))
    for body in (text, manage.content.decode().lower()):
        main = body.split("<main", 1)[-1].split("</main>", 1)[0]
        words = re.sub(r"<[^>]+>", " ", main)  # what a person reads, not the markup
        assert not [w for w in CARD_WORDS if w in words], words
    # and every card route answers as if it did not exist
    assert start_checkout(client, appointment).status_code == 404
    assert post_event(client, event_of("ping", {}), "t=1,v1=x").status_code == 404
    assert OnlineCheckout.objects.count() == 0


def test_bad_settings_are_refused_by_name(monkeypatch):
    import importlib

    from django.core.exceptions import ImproperlyConfigured

    import glabella.settings as house

    monkeypatch.setenv("STRIPE_SECRET_KEY", KEY)
    monkeypatch.delenv("STRIPE_WEBHOOK_SECRET", raising=False)
    with pytest.raises(ImproperlyConfigured, match="STRIPE_WEBHOOK_SECRET"):
        importlib.reload(house)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("STRIPE_API_BASE", "ftp://nowhere")
    with pytest.raises(ImproperlyConfigured, match="STRIPE_API_BASE"):
        importlib.reload(house)
    monkeypatch.delenv("STRIPE_SECRET_KEY")
    monkeypatch.delenv("STRIPE_WEBHOOK_SECRET")
    monkeypatch.delenv("STRIPE_API_BASE")
    importlib.reload(house)


# ---------------------------------------------------------------- the policy and the deposit


def test_policy_and_deposit_at_booking_and_confirmation(client, clinic, patient, policy, keys):
    start = (timezone.now() + timedelta(days=3)).isoformat()
    page = client.get(
        reverse("scheduling:book"),
        {"location": clinic.slug, "service": "consultation", "start": start},
    )
    text = page.content.decode()
    assert "Our cancellation policy" in text
    assert "A deposit of $50.00" in text
    assert f"within {clinic.cancellation_window_hours} hours" in text
    appointment = future_appointment(patient, clinic, days=5)
    manage = client.get(reverse("scheduling:manage", args=[manage_token(appointment)]))
    assert "Pay the $50.00 deposit" in manage.content.decode()
    assert "Our cancellation policy" in manage.content.decode()


def test_deposit_through_checkout_and_the_webhook(client, clinic, patient, policy, keys):
    appointment = future_appointment(patient, clinic, days=5)
    answer = start_checkout(client, appointment)
    assert answer.status_code == 303
    assert answer["Location"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    customer, session = keys.requests
    assert (customer.method, customer.path) == ("POST", "/v1/customers")
    assert customer.headers["Authorization"] == f"Bearer {KEY}"
    assert customer.params["email"] == patient.email
    assert (session.method, session.path) == ("POST", "/v1/checkout/sessions")
    assert session.params["mode"] == "payment"
    assert session.params["line_items[0][price_data][unit_amount]"] == "5000"
    assert session.params["line_items[0][price_data][currency]"] == "usd"
    assert session.params["customer"].startswith("cus_test_")
    assert "Idempotency-Key" in session.headers
    checkout = OnlineCheckout.objects.get()
    assert session.params["client_reference_id"] == str(checkout.public_id)
    assert session.params["cancel_url"].endswith(manage_token(appointment) + "/")

    # The patient pays on Stripe's page; Stripe posts the completed session.
    completed = keys.complete(checkout.session_id)
    payload = event_of("checkout.session.completed", completed, "evt_test_deposit")
    assert post_event(client, payload, signed(payload)).status_code == 200
    payment = Payment.objects.get()
    assert payment.method == Payment.Method.ONLINE_CARD
    assert payment.amount == Decimal("50.00")
    assert payment.card_last4 == "4242"
    assert payment.reference == completed["payment_intent"]
    assert payment.invoice.appointment == appointment
    assert payment.invoice.status == Invoice.Status.FINALIZED
    assert payment.invoice.total == Decimal("50.00")
    retrieve = keys.requests[-1]
    assert retrieve.method == "GET"
    assert retrieve.path == f"/v1/payment_intents/{completed['payment_intent']}"
    checkout.refresh_from_db()
    assert checkout.status == "complete" and checkout.payment == payment

    # The same event again, and another event about the same session: nothing changes.
    before = counts()
    assert post_event(client, payload, signed(payload)).content == b"replayed"
    again = event_of("checkout.session.completed", completed)
    assert post_event(client, again, signed(again)).content == b"already complete"
    assert counts()[1:] == before[1:]
    assert Payment.objects.count() == 1

    back = client.get(reverse("cards:return", args=[checkout.public_id]))
    assert "we have your deposit of $50.00" in back.content.decode()
    manage = client.get(reverse("scheduling:manage", args=[manage_token(appointment)]))
    assert "Your deposit is paid" in manage.content.decode()
    assert start_checkout(client, appointment).status_code == 302  # refused: already paid


def test_a_bad_signature_is_refused_and_changes_nothing(client, clinic, patient, policy, keys):
    appointment = future_appointment(patient, clinic, days=5)
    start_checkout(client, appointment)
    completed = keys.complete(OnlineCheckout.objects.get().session_id)
    payload = event_of("checkout.session.completed", completed)
    before = counts()
    tampered = payload.replace('"amount_total": 5000', '"amount_total": 1')
    assert tampered != payload
    for body, header in [
        (tampered, signed(payload)),  # the body changed after signing
        (payload, signed(payload, secret="whsec_someone_else")),
        (payload, None),  # no header
        (payload, "t=abc,v1=def"),
        (payload, signed(payload, timestamp=int(time.time()) - 3600)),  # too old
        ("not json", signed("not json")),
    ]:
        assert post_event(client, body, header).status_code == 400
    assert counts() == before
    assert OnlineCheckout.objects.get().status == "open"


def test_an_expired_session_and_unused_events(client, clinic, patient, policy, keys):
    appointment = future_appointment(patient, clinic, days=5)
    start_checkout(client, appointment)
    checkout = OnlineCheckout.objects.get()
    payload = event_of("checkout.session.expired", {"id": checkout.session_id})
    assert post_event(client, payload, signed(payload)).content == b"expired"
    other = event_of("customer.created", {"id": "cus_test_x"})
    assert post_event(client, other, signed(other)).content == b"not used"
    assert StripeEvent.objects.count() == 2
    checkout.refresh_from_db()
    assert checkout.status == "expired"


def test_stripe_unreachable_is_a_message_not_a_500(client, clinic, patient, policy, settings):
    settings.STRIPE_SECRET_KEY = KEY
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    appointment = future_appointment(patient, clinic, days=5)
    answer = start_checkout(client, appointment)
    assert answer.status_code == 302
    page = client.get(answer["Location"])
    assert "could not be reached" in page.content.decode()


def test_a_wrong_key_is_refused_by_the_server(client, clinic, patient, policy, keys, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_wrong"
    appointment = future_appointment(patient, clinic, days=5)
    assert start_checkout(client, appointment).status_code == 302
    assert keys.requests[0].headers["Authorization"] == "Bearer sk_test_wrong"
    assert SavedCard.objects.count() == 0 and OnlineCheckout.objects.count() == 0


# ---------------------------------------------------------------- a card on file, then a fee


def _saved_card(client, keys, appointment, payment_method="pm_card_visa"):
    assert start_checkout(client, appointment).status_code == 303
    session = keys.requests[-1]
    assert session.params["mode"] == "setup" and session.params["currency"] == "usd"
    completed = keys.complete(OnlineCheckout.objects.get().session_id, payment_method)
    payload = event_of("checkout.session.completed", completed)
    assert post_event(client, payload, signed(payload)).content == b"card saved"
    assert keys.requests[-1].path == f"/v1/setup_intents/{completed['setup_intent']}"
    return SavedCard.objects.get(patient=appointment.patient)


@pytest.fixture
def card_on_file(policy):
    policy.card_on_file = True
    policy.save()
    Service.objects.filter(slug="consultation").update(deposit_required=False)
    return policy


def test_card_on_file_then_a_confirmed_no_show_fee(
    client, client_for, clinic, patient, card_on_file, keys
):
    appointment = future_appointment(patient, clinic, days=5)
    manage = client.get(reverse("scheduling:manage", args=[manage_token(appointment)]))
    assert "Save a card" in manage.content.decode()
    card = _saved_card(client, keys, appointment)
    assert (card.brand, card.last4, card.payment_method_id) == ("visa", "4242", "pm_card_visa")
    assert Payment.objects.count() == 0  # nothing charged for saving a card

    type(appointment).objects.filter(pk=appointment.pk).update(status="no_show")
    desk = client_for("front_desk")
    url = reverse("cards:fee", args=[appointment.public_id])
    page = desk.get(url)
    assert page.status_code == 200
    assert "Charge $75.00" in page.content.decode()
    assert "ending 4242" in page.content.decode()
    calls = len(keys.requests)

    refused = desk.post(url, {})  # not confirmed
    assert refused.status_code == 422
    assert "confirm" in refused.content.decode()
    assert len(keys.requests) == calls and FeeCharge.objects.count() == 0

    assert desk.post(url, {"confirm": "yes"}).status_code == 302
    charge = keys.requests[-1]
    assert (charge.method, charge.path) == ("POST", "/v1/payment_intents")
    assert charge.params["off_session"] == "true" and charge.params["confirm"] == "true"
    assert charge.params["amount"] == "7500" and charge.params["currency"] == "usd"
    assert charge.params["payment_method"] == "pm_card_visa"
    assert charge.params["customer"] == card.customer_id
    assert charge.headers["Idempotency-Key"].startswith("glabella-fee-")
    fee = FeeCharge.objects.get()
    assert fee.status == "paid" and fee.reason == "no_show"
    assert fee.payment.method == "online_card" and fee.payment.amount == Decimal("75.00")
    assert fee.payment.invoice.appointment == appointment
    assert fee.payment.taken_by.user.username.startswith("desk@")
    assert AccessLog.objects.filter(object_type="fee").exists()

    calls = len(keys.requests)
    again = desk.post(url, {"confirm": "yes"})
    assert again.status_code == 422 and "already paid" in again.content.decode()
    assert len(keys.requests) == calls and Payment.objects.count() == 1


def test_a_declined_fee_is_shown_and_records_no_payment(
    client, client_for, clinic, patient, card_on_file, keys
):
    appointment = future_appointment(patient, clinic, days=5)
    _saved_card(client, keys, appointment, payment_method=DECLINED)
    type(appointment).objects.filter(pk=appointment.pk).update(status="no_show")
    desk = client_for("front_desk")
    url = reverse("cards:fee", args=[appointment.public_id])
    shown = desk.post(url, {"confirm": "yes"}, follow=True)
    assert "The card was refused: Your card was declined." in shown.content.decode()
    fee = FeeCharge.objects.get()
    assert fee.status == "refused" and fee.payment is None
    assert Payment.objects.count() == 0


def test_which_visits_owe_a_fee(clinic, patient, policy):
    appointment = future_appointment(patient, clinic, days=1)
    assert cards.fee_due(appointment) is None  # booked
    late = appointment.starts_at - timedelta(hours=clinic.cancellation_window_hours - 1)
    type(appointment).objects.filter(pk=appointment.pk).update(
        status="cancelled_by_patient", cancelled_at=late
    )
    appointment.refresh_from_db()
    assert cards.fee_due(appointment) == ("late_cancel", Decimal("40.00"))
    early = appointment.starts_at - timedelta(hours=clinic.cancellation_window_hours + 1)
    type(appointment).objects.filter(pk=appointment.pk).update(cancelled_at=early)
    appointment.refresh_from_db()
    assert cards.fee_due(appointment) is None
    type(appointment).objects.filter(pk=appointment.pk).update(status="cancelled_by_clinic")
    appointment.refresh_from_db()
    assert cards.fee_due(appointment) is None


def test_clinicians_may_not_charge_fees(client_for, clinic, patient, card_on_file, keys):
    appointment = future_appointment(patient, clinic, days=5)
    url = reverse("cards:fee", args=[appointment.public_id])
    for persona in ("injector", "medical_director"):
        assert client_for(persona).get(url).status_code == 403
        assert client_for(persona).post(url, {"confirm": "yes"}).status_code == 403
    assert FeeCharge.objects.count() == 0 and keys.requests == []


def test_the_policy_is_in_the_confirmation_and_the_reminders(clinic, patient, policy):
    from glabella.messaging.models import Message
    from glabella.scheduling import notices

    appointment = future_appointment(patient, clinic, days=5)
    notices.booked(appointment, timezone.now())
    sent = {m.topic: m.body for m in Message.objects.filter(patient=patient)}
    for topic in ("confirmation", "reminder"):
        assert "Our cancellation policy: " + POLICY in sent[topic]
        assert "costs $75.00" in sent[topic]
        assert "card" not in sent[topic].lower()


def test_the_record_shows_the_card_and_the_fee_to_review(
    client, client_for, clinic, patient, card_on_file, keys, settings
):
    appointment = future_appointment(patient, clinic, days=1)
    _saved_card(client, keys, appointment)
    type(appointment).objects.filter(pk=appointment.pk).update(status="no_show")
    record = reverse("patients:record", args=[patient.public_id])
    page = client_for("front_desk").get(record).content.decode()
    assert "Visa card ending 4242" in page
    assert reverse("cards:fee", args=[appointment.public_id]) in page
    assert "ending 4242" not in client_for("injector").get(record).content.decode()
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = ""
    assert "Card on file" not in client_for("front_desk").get(record).content.decode()


def test_a_fee_whose_answer_was_lost_is_settled_by_the_webhook(
    client, client_for, clinic, patient, card_on_file, keys, settings
):
    appointment = future_appointment(patient, clinic, days=5)
    _saved_card(client, keys, appointment)
    type(appointment).objects.filter(pk=appointment.pk).update(status="no_show")
    desk = client_for("front_desk")
    url = reverse("cards:fee", args=[appointment.public_id])
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # the answer never comes
    lost = desk.post(url, {"confirm": "yes"})
    assert lost.status_code == 409
    fee = FeeCharge.objects.get()
    assert fee.status == "pending" and Payment.objects.count() == 0
    # Stripe tells us later that the charge went through.
    intent = {
        "id": "pi_test_late",
        "object": "payment_intent",
        "amount": 7500,
        "currency": "usd",
        "status": "succeeded",
        "metadata": {"glabella_fee": str(fee.public_id)},
    }
    payload = event_of("payment_intent.succeeded", intent)
    assert post_event(client, payload, signed(payload)).content == b"fee recorded"
    fee.refresh_from_db()
    assert fee.status == "paid" and fee.payment.reference == "pi_test_late"
    again = event_of("payment_intent.succeeded", intent)
    assert post_event(client, again, signed(again)).content == b"fee already settled"
    assert Payment.objects.count() == 1
    # and the desk is told it is paid, not charged again
    settings.STRIPE_API_BASE = keys.base
    calls = len(keys.requests)
    assert desk.post(url, {"confirm": "yes"}).status_code == 422
    assert len(keys.requests) == calls


def test_stripe_out_of_reach_at_the_webhook_is_503_and_stores_nothing(
    client, clinic, patient, policy, keys, settings
):
    appointment = future_appointment(patient, clinic, days=5)
    start_checkout(client, appointment)
    completed = keys.complete(OnlineCheckout.objects.get().session_id)
    payload = event_of("checkout.session.completed", completed)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    assert post_event(client, payload, signed(payload)).status_code == 503
    assert counts() == (0, 0, 0, 0, 0)
    settings.STRIPE_API_BASE = keys.base  # Stripe delivers it again: now it is applied
    assert post_event(client, payload, signed(payload)).content == b"deposit recorded"


def test_the_checkout_button_is_throttled(client, clinic, patient, policy, keys, settings):
    settings.THROTTLE_EMAIL = (2, 600)
    appointment = future_appointment(patient, clinic, days=5)
    assert start_checkout(client, appointment).status_code == 303
    assert start_checkout(client, appointment).status_code == 303
    refused = start_checkout(client, appointment)
    assert refused.status_code == 302
    assert "Too many tries" in client.get(refused["Location"]).content.decode()
    assert OnlineCheckout.objects.count() == 2


# ---------------------------------------------------------------- the owner's policy page


def test_the_owner_sets_the_policy(client_for, clinic):
    owner = client_for("owner")
    url = reverse("cards:policy")
    page = owner.get(url).content.decode()
    assert "Cancellation policy" in page
    words = re.sub(r"<[^>]+>", " ", page.split("<main", 1)[-1]).lower()
    assert "card" not in words and "deposit" not in words  # off without keys
    saved = owner.post(
        url,
        {"cancellation_policy": POLICY, "late_cancel_fee": "40", "no_show_fee": "$75.00"},
    )
    assert saved.status_code == 302
    found = settings_of(clinic.organisation)
    assert (found.cancellation_policy, found.late_cancel_fee, found.no_show_fee) == (
        POLICY,
        Decimal("40.00"),
        Decimal("75.00"),
    )
    assert AccessLog.objects.filter(object_type="cancellation-policy").count() == 1
    assert client_for("front_desk").get(url).status_code == 403
    assert client_for("injector").post(url, {}).status_code == 403


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("late_cancel_fee", "-5", "above zero"),
        ("no_show_fee", "abc", "Enter an amount"),
        ("no_show_fee", "10000.01", "at most"),
        ("late_cancel_fee", "", "0 for none"),
        ("late_cancel_fee", "1.005", "two decimal places"),
        ("cancellation_policy", "x" * 1001, "at most 1000"),
    ],
)
def test_a_bad_policy_is_refused_on_its_field_and_writes_nothing(
    client_for, clinic, field, value, message
):
    data = {"cancellation_policy": "", "late_cancel_fee": "0", "no_show_fee": "0"}
    data[field] = value
    answer = client_for("owner").post(reverse("cards:policy"), data)
    assert answer.status_code == 422
    assert message in answer.content.decode()
    assert not settings_of(clinic.organisation).cancellation_policy
    assert AccessLog.objects.filter(object_type="cancellation-policy").count() == 0


def test_with_keys_the_owner_sets_the_deposit_and_card_on_file(client_for, clinic, keys):
    answer = client_for("owner").post(
        reverse("cards:policy"),
        {
            "cancellation_policy": "",
            "late_cancel_fee": "0",
            "no_show_fee": "0",
            "deposit_amount": "50",
            "card_on_file": "on",
        },
    )
    assert answer.status_code == 302
    found = settings_of(clinic.organisation)
    assert found.deposit_amount == Decimal("50.00") and found.card_on_file
