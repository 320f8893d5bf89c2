"""A deposit paid online at booking is applied to the visit's invoice (issue 20, decision 0040).

The deposit is paid through Stripe Checkout and recorded by the verified webhook, exactly as the
Stripe tests do it (the local Stripe-speaking server in `tests/support/stripe_server.py`).
Signing the visit's treatment opens its invoice and leaves it open; the desk applies what is
left of the deposit from the invoice page, once and never beyond what is left; refunding the
deposit is limited to what is not applied. Bad input writes nothing.
"""

import io
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from glabella.billing import close, deposits, invoices, payments, reports
from glabella.billing.invoices import settings_of
from glabella.billing.models import Invoice, OnlineCheckout, Payment, ProductPrice, Refund
from glabella.clinic.models import Service
from glabella.core import styles
from glabella.core.errors import Conflict, ValidationFailed
from glabella.scheduling.models import Appointment
from tests.conftest import clear_for_treatment, future_appointment, proof_for, receive_lot
from tests.support.stripe_server import StripeServer
from tests.test_stripe import KEY, SECRET, event_of, post_event, signed, start_checkout

D = Decimal
REFUNDS = ("POST", "/v1/refunds")


@pytest.fixture
def keys(settings):
    with StripeServer(KEY) as server:
        settings.STRIPE_SECRET_KEY = KEY
        settings.STRIPE_WEBHOOK_SECRET = SECRET
        settings.STRIPE_API_BASE = server.base
        yield server


def price(clinic, per_unit: str) -> ProductPrice:
    return ProductPrice.objects.create(
        organisation=clinic.organisation, product="botox_cosmetic", per_unit=D(per_unit)
    )


@pytest.fixture
def at_noon(clinic):
    """Noon at the clinic today, the clock running on from there: the deposit, the visit, the
    desk's payments and the day's close all fall on one of the clinic's days, whatever the hour
    the suite runs."""
    today = timezone.localtime(timezone.now(), clinic.zone).date()
    with time_machine.travel(datetime.combine(today, time(12), tzinfo=clinic.zone), tick=True):
        yield


@pytest.fixture
def visit(at_noon, client, clinic, patient, keys):
    """Grace's neuromodulator visit today, its $50.00 deposit paid through Stripe Checkout and
    recorded by the verified webhook. Returns the visit and the deposit's payment."""
    found = settings_of(clinic.organisation)
    found.deposit_amount = D("50.00")
    found.save()
    Service.objects.filter(slug="neuromodulator").update(deposit_required=True)
    appointment = future_appointment(patient, clinic, days=0, service_slug="neuromodulator")
    assert start_checkout(client, appointment).status_code == 303
    completed = keys.complete(OnlineCheckout.objects.get().session_id)
    payload = event_of("checkout.session.completed", completed)
    assert post_event(client, payload, signed(payload)).content == b"deposit recorded"
    deposit = Payment.objects.get()
    assert deposit.method == "online_card" and deposit.amount == D("50.00")
    return appointment, deposit


def treat(appointment, clinic, actor_of):
    """The patient checks in and the injector charts 20 units of BOTOX Cosmetic and signs."""
    from glabella.inventory import services as stock
    from glabella.treatments import charting
    from tests.test_treatments import GLABELLAR, sign_consent

    Appointment.objects.filter(pk=appointment.pk).update(
        status="checked_in", checked_in_at=appointment.starts_at
    )
    appointment.refresh_from_db()
    clear_for_treatment(appointment.patient)
    sign_consent(appointment.patient)
    lot = receive_lot(clinic, lot_number="D1")
    injector = actor_of("injector")
    vial = stock.reconstitute(injector, lot.vials.get(), "2.5")
    record = charting.start(injector, appointment, "botox_cosmetic")
    charting.save_draft(injector, record, points=GLABELLAR, vial=vial)
    return charting.lock(injector, record, proof=proof_for(injector))


def treat_and_apply(appointment, clinic, actor_of):
    """`treat`, then the desk applies the visit's deposit to the treatment's invoice."""
    record = treat(appointment, clinic, actor_of)
    deposits.apply_deposit(actor_of("front_desk"), Invoice.objects.get(treatment=record))
    return record


def applied():
    return list(Payment.objects.filter(method="deposit").order_by("id"))


def written() -> tuple:
    return (
        sorted(Payment.objects.values_list("pk", "amount")),
        Refund.objects.count(),
        sorted(Invoice.objects.values_list("pk", "status")),
    )


def act(client, invoice, action, data=None):
    url = reverse("billing:invoice-action", args=[invoice.public_id, action])
    return client.post(url, data or {})


def page_of(client, invoice) -> str:
    response = client.get(reverse("billing:invoice", args=[invoice.public_id]))
    assert response.status_code == 200
    return response.content.decode()


# ---------------------------------------------------------------- the desk applies it


def test_the_desk_applies_the_deposit_to_the_visits_invoice(visit, clinic, actor_of, client_for):
    appointment, deposit = visit
    price(clinic, "14.00")
    record = treat(appointment, clinic, actor_of)
    invoice = Invoice.objects.get(treatment=record)
    # Signing opens the invoice and leaves it open: the desk may still build it.
    assert invoice.is_open and applied() == [] and invoices.balance_of(invoice) == D("280.00")
    desk = client_for("front_desk")
    page = page_of(desk, invoice)
    assert "$50.00 of the deposit paid online" in page and "Apply the deposit" in page
    assert page.index('id="apply-deposit"') < page.index('id="take-payment"')
    assert act(desk, invoice, "apply-deposit").status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == "finalized" and invoice.total == D("280.00")  # 20 units at $14
    (used,) = applied()
    assert used.invoice == invoice and used.amount == D("50.00")
    assert used.reference == str(deposit.public_id)
    assert invoices.balance_of(invoice) == D("230.00")
    assert deposits.unapplied(invoice) == 0 and deposits.left_of(deposit) == 0

    page = page_of(desk, invoice)
    day = styles.day(deposit.taken_at, clinic.zone)
    assert f"Deposit paid online on {day}" in page
    assert "$230.00" in page and "Apply the deposit" not in page  # nothing left to apply
    pdf = desk.get(reverse("billing:receipt", args=[invoice.public_id]))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert f"Deposit paid online on {day}" in text
    # The deposit is spent: its card payment offers no refund any more.
    owner_page = page_of(client_for("owner"), deposit.invoice)
    assert reverse("billing:refund", args=[deposit.public_id]) not in owner_page

    # The rest is paid at the desk; the close counts only money taken.
    payments.take_payment(actor_of("front_desk"), invoice, method="cash", amount="230.00")
    today = timezone.localtime(timezone.now(), clinic.zone).date()
    found = close.takings(clinic, today)
    assert found.of("deposit") == D("50.00") and found.prepaid == {"deposit": D("50.00")}
    assert found.total == D("280.00")  # $50 by card online at booking + $230 cash; not $330
    assert found.other == {"online_card": D("50.00")}
    # Revenue is the treatment billed ($280.00), once; the deposit is prepaid sold.
    period = reports.Period(today, today)
    (month,) = reports.revenue(actor_of("owner"), "month", period)
    assert month.revenue == D("280.00") and month.invoices == 1
    sold = reports.prepaid_sold(actor_of("owner"), period)
    assert (sold.deposits, sold.deposit_invoices, sold.packages) == (D("50.00"), 1, D("0.00"))


def test_applied_once_applying_again_does_nothing_more(visit, clinic, actor_of, client_for):
    appointment, _deposit = visit
    price(clinic, "14.00")
    record = treat_and_apply(appointment, clinic, actor_of)
    invoice = Invoice.objects.get(treatment=record)
    before = written()
    assert invoices.open_for_treatment(record) is None  # the signal again: one invoice a treatment
    answer = act(client_for("front_desk"), invoice, "apply-deposit")
    assert answer.status_code == 422
    assert "This visit has no deposit left to apply." in answer.content.decode()
    assert written() == before and len(applied()) == 1


def test_never_more_than_is_left_after_a_refund_and_never_more_than_owed(
    visit, clinic, actor_of, keys
):
    appointment, deposit = visit
    owner = actor_of("owner")
    payments.refund(owner, deposit, amount="15.00", reason="Part given back")
    assert deposits.left_of(deposit) == D("35.00")
    price(clinic, "1.00")  # 20 units: $20.00, less than the deposit left
    record = treat_and_apply(appointment, clinic, actor_of)
    invoice = Invoice.objects.get(treatment=record)
    (used,) = applied()
    assert used.amount == D("20.00") and invoices.balance_of(invoice) == 0
    assert deposits.left_of(deposit) == D("15.00")

    # The deposit's refund is limited to what is not applied: on its field, nothing written,
    # Stripe never asked.
    calls = len([r for r in keys.requests if (r.method, r.path) == REFUNDS])
    before = written()
    with pytest.raises(ValidationFailed) as refused:
        payments.refund(owner, deposit, amount="15.01", reason="The rest")
    assert (
        "At most 15.00 of this deposit may still be given back"
        in (refused.value.fields["amount"][0])
    )
    assert written() == before
    assert len([r for r in keys.requests if (r.method, r.path) == REFUNDS]) == calls
    payments.refund(owner, deposit, amount="15.00", reason="The rest")
    assert deposits.left_of(deposit) == 0


def test_the_refund_page_refuses_beyond_what_is_unapplied(visit, clinic, actor_of, client_for):
    appointment, deposit = visit
    price(clinic, "1.00")
    treat_and_apply(appointment, clinic, actor_of)  # $20.00 applied, $30.00 left
    owner = client_for("owner")
    url = reverse("billing:refund", args=[deposit.public_id])
    before = written()
    answer = owner.post(url, {"amount": "30.01", "reason": "Visit went well"})
    assert answer.status_code == 422
    page = answer.content.decode()
    error = page.split('id="id_amount_error">', 1)[1].split("</p>", 1)[0]
    assert "At most 30.00 of this deposit may still be given back" in error
    assert written() == before


def test_giving_an_applied_deposit_back_returns_it_to_the_deposit(visit, clinic, actor_of, keys):
    appointment, deposit = visit
    price(clinic, "14.00")
    treat_and_apply(appointment, clinic, actor_of)
    (used,) = applied()
    owner = actor_of("owner")
    payments.refund(owner, used, amount="50.00", reason="Billed twice")  # no money moves
    assert not [r for r in keys.requests if (r.method, r.path) == REFUNDS]
    assert deposits.left_of(deposit) == D("50.00")
    payments.refund(owner, deposit, amount="50.00", reason="Back to the card")
    assert deposits.left_of(deposit) == 0


# ---------------------------------------------------------------- the desk applies it


def test_an_invoice_owing_nothing_when_opened_gets_the_deposit_from_the_desk(
    visit, clinic, patient, actor_of, client_for
):
    appointment, _deposit = visit
    desk_actor = actor_of("front_desk")
    invoice = invoices.open_invoice(desk_actor, patient, clinic, appointment=appointment)
    assert applied() == [] and invoice.is_open  # nothing owed: nothing applied
    desk = client_for("front_desk")
    assert "Apply the deposit" not in page_of(desk, invoice)
    invoices.add_service(desk_actor, invoice, Service.objects.get(slug="dermal-filler"))
    page = page_of(desk, invoice)
    assert "Apply the deposit" in page and "$50.00 of the deposit paid online" in page
    assert act(desk, invoice, "apply-deposit").status_code == 302
    (used,) = applied()
    invoice.refresh_from_db()
    assert used.amount == D("50.00") and invoice.status == "finalized"
    assert invoices.balance_of(invoice) == D("700.00")
    assert "Apply the deposit" not in page_of(desk, invoice)


def test_an_unpriced_treatment_takes_no_deposit_and_signing_still_works(visit, clinic, actor_of):
    appointment, _deposit = visit
    record = treat(appointment, clinic, actor_of)  # no price for the product yet
    invoice = Invoice.objects.get(treatment=record)
    assert invoice.is_open and applied() == []
    assert deposits.unapplied(invoice) == D("50.00")


@pytest.mark.parametrize("case", ["no visit", "no deposit", "owes nothing"])
def test_bad_requests_to_apply_are_refused_on_the_page_and_write_nothing(
    visit, clinic, patient, other_patient, actor_of, client_for, case
):
    appointment, _deposit = visit
    desk_actor = actor_of("front_desk")
    filler = Service.objects.get(slug="dermal-filler")
    if case == "no visit":
        invoice = invoices.open_invoice(desk_actor, patient, clinic)
        invoices.add_service(desk_actor, invoice, filler)
        said = "This invoice is for no visit"
    elif case == "no deposit":
        other = future_appointment(other_patient, clinic, days=1)
        invoice = invoices.open_invoice(desk_actor, other_patient, clinic, appointment=other)
        invoices.add_service(desk_actor, invoice, filler)
        said = "This visit has no deposit left to apply."
    else:
        invoice = invoices.open_invoice(desk_actor, patient, clinic, appointment=appointment)
        said = "Nothing is owed on this invoice."
    before = written()
    answer = act(client_for("front_desk"), invoice, "apply-deposit")
    assert answer.status_code == 422
    assert said in answer.content.decode()
    assert written() == before


def test_a_voided_invoice_takes_no_deposit(visit, clinic, patient, actor_of, client_for):
    appointment, _deposit = visit
    desk_actor = actor_of("front_desk")
    invoice = invoices.open_invoice(desk_actor, patient, clinic, appointment=appointment)
    invoices.add_service(desk_actor, invoice, Service.objects.get(slug="dermal-filler"))
    invoices.void(desk_actor, invoice, "Billed elsewhere")
    before = written()
    answer = act(client_for("front_desk"), invoice, "apply-deposit")
    assert answer.status_code == 409
    assert written() == before
    with pytest.raises(Conflict):
        deposits.apply_deposit(desk_actor, Invoice.objects.get(pk=invoice.pk))


def test_only_the_desk_applies_a_deposit(visit, clinic, patient, actor_of):
    from glabella.core.errors import Forbidden

    appointment, _deposit = visit
    invoice = invoices.open_invoice(
        actor_of("front_desk"), patient, clinic, appointment=appointment
    )
    with pytest.raises(Forbidden):
        deposits.apply_deposit(actor_of("injector"), invoice)


def test_the_deposit_paid_yesterday_is_named_on_its_day(visit, clinic, actor_of):
    appointment, deposit = visit
    Payment.objects.filter(pk=deposit.pk).update(taken_at=deposit.taken_at - timedelta(days=1))
    deposit.refresh_from_db()
    price(clinic, "14.00")
    record = treat_and_apply(appointment, clinic, actor_of)
    from glabella.billing import desk

    view = desk.describe(Invoice.objects.get(treatment=record))
    (row,) = [r for r in view.payments if r.payment.method == "deposit"]
    assert row.how == f"Deposit paid online on {styles.day(deposit.taken_at, clinic.zone)}"
