"""Refunding an online card payment gives the money back to the card through Stripe (issue 20).

A deposit paid through Stripe Checkout (or a fee charged off-session) is refunded by asking
Stripe (`POST /v1/refunds` with the PaymentIntent, through the official `stripe` library) with
an idempotency key made of our refund's identity; the Refund row is written only once Stripe
accepted it. Stripe refusing, Stripe out of reach or the keys switched off write nothing and say
why, on the refund page and in the API. Money handed back at the desk never asks Stripe. Every
call goes to the local Stripe-speaking server (`tests/support/stripe_server.py`); no test reaches
the internet.
"""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from glabella.billing import cards, payments
from glabella.billing.invoices import settings_of
from glabella.billing.models import Invoice, OnlineCheckout, Payment, ProductPrice, Refund
from glabella.clinic.models import Service
from glabella.core.models import AccessLog
from tests.conftest import future_appointment
from tests.support.stripe_server import StripeServer
from tests.test_stripe import KEY, SECRET, event_of, post_event, signed, start_checkout

D = Decimal
JSON = "application/json"
REFUNDS = "/v1/refunds"


@pytest.fixture
def keys(settings):
    with StripeServer(KEY) as server:
        settings.STRIPE_SECRET_KEY = KEY
        settings.STRIPE_WEBHOOK_SECRET = SECRET
        settings.STRIPE_API_BASE = server.base
        yield server


@pytest.fixture
def deposit(client, clinic, patient, keys):
    """A $50.00 deposit paid through Stripe Checkout, recorded by the verified webhook."""
    found = settings_of(clinic.organisation)
    found.deposit_amount = D("50.00")
    found.save()
    Service.objects.filter(slug="consultation").update(deposit_required=True)
    appointment = future_appointment(patient, clinic, days=5)
    assert start_checkout(client, appointment).status_code == 303
    completed = keys.complete(OnlineCheckout.objects.get().session_id)
    payload = event_of("checkout.session.completed", completed)
    assert post_event(client, payload, signed(payload)).content == b"deposit recorded"
    payment = Payment.objects.get()
    assert payment.method == Payment.Method.ONLINE_CARD and payment.amount == D("50.00")
    assert payment.reference == completed["payment_intent"]
    return payment


def refund_url(payment) -> str:
    return reverse("billing:refund", args=[payment.public_id])


def refund_calls(keys) -> list:
    return [r for r in keys.requests if (r.method, r.path) == ("POST", REFUNDS)]


def refund_logs():
    return AccessLog.objects.filter(object_type="refund")


def api_refund(client, payment, body, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(
        reverse("api:refund_payment", kwargs={"public_id": payment.public_id}),
        body,
        content_type=JSON,
        **headers,
    )


def field_error(page: str, field: str) -> str:
    """The text of a form field's error on a page ("" when it has none)."""
    marker = f'id="id_{field}_error">'
    if marker not in page:
        return ""
    return page.split(marker, 1)[1].split("</p>", 1)[0]


# ---------------------------------------------------------------- given back to the card


def test_an_online_refund_goes_back_to_the_card_and_only_then_is_recorded(
    client_for, deposit, keys
):
    owner = client_for("owner")
    page = owner.get(refund_url(deposit)).content.decode()
    assert "Refund to the card" in page and "Stripe gives the amount back" in page
    assert refund_calls(keys) == []  # drawing the page asks nothing

    answer = owner.post(refund_url(deposit), {"amount": "20", "reason": "Goodwill"}, follow=True)
    assert answer.status_code == 200
    assert "Refunded to the patient&#x27;s card by Stripe, and recorded." in answer.content.decode()
    given = Refund.objects.get()
    assert given.amount == D("20.00") and given.payment == deposit
    (call,) = refund_calls(keys)
    assert call.params["payment_intent"] == deposit.reference
    assert call.params["amount"] == "2000"  # cents
    assert "currency" not in call.params  # the charge's own
    assert call.params["metadata[glabella_refund]"] == str(given.public_id)
    assert call.headers["Idempotency-Key"] == f"glabella-refund-{given.public_id}"
    assert call.headers["Authorization"] == f"Bearer {KEY}"
    (made,) = keys.refunds
    assert (made["amount"], made["payment_intent"], made["status"]) == (
        2000,
        deposit.reference,
        "succeeded",
    )
    # Stripe's refund id has no column on Refund: the access-log row keeps it.
    (log,) = refund_logs()
    assert log.detail["stripe_refund"] == made["id"] and log.object_id == str(given.public_id)
    assert given.public_id == payments.refund_identity(deposit, D("0"), D("20.00"))

    # Another refund of the same payment is another refund at Stripe (another key) ...
    rest = owner.post(refund_url(deposit), {"amount": "30", "reason": "The rest"})
    assert rest.status_code == 302
    assert Refund.objects.count() == 2 and [r["amount"] for r in keys.refunds] == [2000, 3000]
    keys_used = {c.headers["Idempotency-Key"] for c in refund_calls(keys)}
    assert len(keys_used) == 2
    # ... and nothing is left: refused on our books, Stripe not asked.
    over = owner.post(refund_url(deposit), {"amount": "0.01", "reason": "More"})
    assert over.status_code == 422
    assert "may still be given back" in field_error(over.content.decode(), "amount")
    assert len(refund_calls(keys)) == 2 and Refund.objects.count() == 2


def test_an_answer_lost_on_the_way_back_refunds_the_card_once_when_asked_again(
    client_for, deposit, keys
):
    owner = client_for("owner")
    # Stripe carries the refund out, but neither the first answer nor the library's own retry
    # comes back: the owner is told, and nothing is recorded yet.
    keys.lose_answers(REFUNDS, 2)
    lost = owner.post(refund_url(deposit), {"amount": "50", "reason": "Visit cancelled"})
    assert lost.status_code == 409
    assert "Stripe could not be reached" in lost.content.decode()
    assert Refund.objects.count() == 0 and refund_logs().count() == 0
    assert len(keys.refunds) == 1  # the money did go back

    # Pressed again (with another reason, even): the same refund, answered again by Stripe.
    again = owner.post(refund_url(deposit), {"amount": "50", "reason": "Visit cancelled!"})
    assert again.status_code == 302
    assert len(keys.refunds) == 1
    given = Refund.objects.get()
    assert given.amount == D("50.00")
    calls = refund_calls(keys)
    assert len(calls) == 3
    assert {c.headers["Idempotency-Key"] for c in calls} == {f"glabella-refund-{given.public_id}"}
    assert refund_logs().get().detail["stripe_refund"] == keys.refunds[0]["id"]


def test_the_api_asked_again_with_a_new_key_refunds_once_too(client_for, deposit, keys):
    """The page and the API's refund route are one service: a refund whose answer was lost on
    the page, asked again through the API with its own Idempotency-Key, is Stripe's first."""
    owner = client_for("owner")
    keys.lose_answers(REFUNDS, 2)
    assert owner.post(refund_url(deposit), {"amount": "15", "reason": "x"}).status_code == 409
    answer = api_refund(owner, deposit, {"amount": "15.00", "reason": "Goodwill"}, key="api-1")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["amount"] == "15.00"
    replay = api_refund(owner, deposit, {"amount": "15.00", "reason": "Goodwill"}, key="api-1")
    assert replay.status_code == 201 and replay.json() == answer.json()
    assert len(keys.refunds) == 1 and Refund.objects.count() == 1
    assert len(refund_calls(keys)) == 3  # two lost on the page, one from the API


@pytest.mark.django_db(transaction=True)
def test_the_same_refund_sent_twice_at_once_is_one_refund(deposit, keys, actor_of):
    """Two presses at the same moment, on both databases: both pass the limit before either
    is recorded, so both ask Stripe with the same key; Stripe makes one refund, and the second
    write finds the first one's row under the invoice's lock."""
    owner = actor_of("owner")
    connection.close()
    answers: list = []

    def attempt() -> None:
        try:
            payment = Payment.objects.get(pk=deposit.pk)
            answers.append(payments.refund(owner, payment, amount="50", reason="Pressed twice"))
        except Exception as exc:  # anything else fails the guarantee
            answers.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    with keys.state.lock:  # Stripe answers nobody until both requests have reached it
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while len(refund_calls(keys)) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    for thread in threads:
        thread.join(timeout=60)
    assert len(refund_calls(keys)) == 2
    assert len(answers) == 2 and all(isinstance(a, Refund) for a in answers), answers
    assert {a.public_id for a in answers} == {Refund.objects.get().public_id}
    assert len(keys.refunds) == 1 and keys.refunds[0]["amount"] == 5000
    assert refund_logs().count() == 1


# ---------------------------------------------------------------- Stripe says no


def test_stripe_refusing_writes_nothing_and_says_why_on_the_amount(client_for, deposit, keys):
    owner = client_for("owner")
    keys.refund_outside(deposit.reference, 3000)  # $30 given back in Stripe's own dashboard
    answer = owner.post(refund_url(deposit), {"amount": "50", "reason": "Visit cancelled"})
    assert answer.status_code == 422
    said = field_error(answer.content.decode(), "amount")
    assert "Stripe refused this refund" in said
    assert "greater than unrefunded amount on charge ($20.00)" in said
    assert "Nothing was refunded or recorded." in said
    assert Refund.objects.count() == 0 and refund_logs().count() == 0
    assert len(keys.refunds) == 1  # only the dashboard's

    # The API says the same, on the same field, and writes nothing either.
    api = api_refund(owner, deposit, {"amount": "50.00", "reason": "x"})
    assert api.status_code == 422
    assert "greater than unrefunded amount" in api.json()["error"]["fields"]["amount"][0]
    assert Refund.objects.count() == 0

    # What Stripe still holds can be given back.
    assert owner.post(refund_url(deposit), {"amount": "20", "reason": "Rest"}).status_code == 302
    assert Refund.objects.get().amount == D("20.00")


def test_a_charge_refunded_in_full_at_stripe_is_said_in_the_clinics_words(
    client_for, deposit, keys
):
    keys.refund_outside(deposit.reference, 5000)
    answer = client_for("owner").post(refund_url(deposit), {"amount": "10", "reason": "x"})
    assert answer.status_code == 422
    said = field_error(answer.content.decode(), "amount")
    assert "already refunded in full" in said and "ch_" not in said
    assert Refund.objects.count() == 0


def test_stripe_out_of_reach_writes_nothing(client_for, deposit, keys, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    owner = client_for("owner")
    page = owner.post(refund_url(deposit), {"amount": "10", "reason": "x"})
    assert page.status_code == 409
    assert cards.REFUND_UNREACHABLE.replace("'", "&#x27;") in page.content.decode()
    api = api_refund(owner, deposit, {"amount": "10.00", "reason": "x"})
    assert api.status_code == 409
    assert api.json()["error"]["message"] == cards.REFUND_UNREACHABLE
    assert Refund.objects.count() == 0 and refund_logs().count() == 0


def test_a_key_stripe_refuses_writes_nothing(client_for, deposit, keys, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_wrong"
    answer = client_for("owner").post(refund_url(deposit), {"amount": "10", "reason": "x"})
    assert answer.status_code == 409
    assert "did not accept the clinic&#x27;s Stripe keys" in answer.content.decode()
    assert Refund.objects.count() == 0 and keys.refunds == []


# ---------------------------------------------------------------- keys off


def test_without_keys_an_online_payment_cannot_be_refunded_from_here(
    client_for, deposit, keys, settings
):
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = ""
    owner = client_for("owner")
    page = owner.get(refund_url(deposit)).content.decode()
    assert "card payments online are switched off" in page
    answer = owner.post(refund_url(deposit), {"amount": "10", "reason": "Goodwill"})
    assert answer.status_code == 409
    text = answer.content.decode().replace("&#x27;", "'")
    assert cards.NOT_SET_UP_FOR_REFUNDS in text
    api = api_refund(owner, deposit, {"amount": "10.00", "reason": "Goodwill"})
    assert api.status_code == 409
    assert "cannot be given back from glabella" in api.json()["error"]["message"]
    assert refund_calls(keys) == []
    assert Refund.objects.count() == 0 and refund_logs().count() == 0


# ---------------------------------------------------------------- a fee, by its PaymentIntent


def test_a_fee_charged_off_session_is_refunded_by_its_payment_intent(
    client, client_for, clinic, patient, keys
):
    from glabella.billing.models import FeeCharge
    from tests.test_stripe import _saved_card

    found = settings_of(clinic.organisation)
    found.no_show_fee = D("75.00")
    found.card_on_file = True
    found.save()
    appointment = future_appointment(patient, clinic, days=5)
    _saved_card(client, keys, appointment)
    type(appointment).objects.filter(pk=appointment.pk).update(status="no_show")
    charged = client_for("front_desk").post(
        reverse("cards:fee", args=[appointment.public_id]), {"confirm": "yes"}
    )
    assert charged.status_code == 302
    fee = FeeCharge.objects.get()
    assert fee.status == "paid"
    answer = api_refund(client_for("owner"), fee.payment, {"amount": "75.00", "reason": "Waived"})
    assert answer.status_code == 201, answer.json()
    (made,) = keys.refunds
    assert made["payment_intent"] == fee.payment_intent_id and made["amount"] == 7500
    # Clinicians and the desk may not refund, and asking them asks Stripe nothing.
    for persona in ("front_desk", "injector"):
        refused = api_refund(client_for(persona), fee.payment, {"amount": "1", "reason": "x"})
        assert refused.status_code == 403
    assert len(refund_calls(keys)) == 1


# ---------------------------------------------------------------- money handed back at the desk


@pytest.fixture
def priced(clinic):
    return ProductPrice.objects.create(
        organisation=clinic.organisation, product="botox_cosmetic", per_unit=D("14.00")
    )


@pytest.fixture
def waiting(priced, treated):
    """The invoice of a signed treatment, its units priced."""
    return Invoice.objects.get(treatment=treated)


def test_cash_and_terminal_refunds_are_recorded_as_before_and_never_ask_stripe(
    client_for, waiting, actor_of, keys
):
    desk = actor_of("front_desk")
    cash = payments.take_payment(desk, waiting, method="cash", amount="30")
    card = payments.take_payment(
        desk, waiting, method="card", amount="20", card_last4="4242", authorization="A1B2C3"
    )
    owner = client_for("owner")
    page = owner.get(refund_url(card)).content.decode()
    assert "on the clinic's terminal first" in page and "Record the refund" in page
    for payment, amount in ((cash, "10"), (card, "20")):
        answer = owner.post(refund_url(payment), {"amount": amount, "reason": "Goodwill"})
        assert answer.status_code == 302
    assert sorted(r.amount for r in Refund.objects.all()) == [D("10.00"), D("20.00")]
    assert all("stripe_refund" not in log.detail for log in refund_logs())
    assert keys.requests == []
