"""The desk's checkout pages (issue 20): the day's open invoices, an invoice built and paid by
card and cash, billing other than charted with a reason, rewards and promotion codes, refunds
(the owner's), voiding, the receipt as a PDF and by email; bad input on every form answered at
422 with its field's message and nothing written; who may open what; what the clinician sees."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from glabella.billing import invoices, payments
from glabella.billing.models import (
    Invoice,
    InvoiceLine,
    Payment,
    ProductPrice,
    Promotion,
    Refund,
    SalesTax,
)
from glabella.core.models import AccessLog
from glabella.messaging.models import Message
from tests.conftest import clinic_today

D = Decimal


@pytest.fixture
def priced(clinic):
    return ProductPrice.objects.create(
        organisation=clinic.organisation, product="botox_cosmetic", per_unit=D("14.00")
    )


@pytest.fixture
def waiting(priced, treated):
    """Grace's invoice, opened by her signed treatment: the units charted at $14.00."""
    return Invoice.objects.get(treatment=treated)


def act(client, invoice, action, data):
    return client.post(reverse("billing:invoice-action", args=[invoice.public_id, action]), data)


def snapshot(invoice) -> tuple:
    """Everything a form could write."""
    invoice = Invoice.objects.get(pk=invoice.pk)
    return (
        invoice.status,
        invoice.number,
        sorted(InvoiceLine.objects.filter(invoice=invoice).values_list("pk", "quantity", "amount")),
        Payment.objects.count(),
        Refund.objects.count(),
        Message.objects.filter(topic="receipt").count(),
    )


# ---------------------------------------------------------------- the pages


def test_the_checkout_lists_todays_open_invoices_at_the_location(client_for, waiting):
    response = client_for("front_desk").get(reverse("billing:checkout"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Grace" in page and reverse("billing:invoice", args=[waiting.public_id]) in page
    charted = waiting.lines.get().quantity
    assert f"${charted * 14:,.2f}" in page
    assert AccessLog.objects.filter(object_type="invoice", action="read").exists()


def test_the_menu_shows_checkout_to_those_who_take_payments(client_for):
    link = f'href="{reverse("billing:checkout")}"'
    assert link in client_for("front_desk").get(reverse("patients:search")).content.decode()
    assert link in client_for("owner").get(reverse("patients:search")).content.decode()
    assert link not in client_for("injector").get(reverse("patients:search")).content.decode()


@pytest.fixture
def taxed(clinic):
    """A taxable price and the location's sales tax, set before the treatment is signed."""
    SalesTax.objects.create(location=clinic, percent=D("7.25"))
    return ProductPrice.objects.create(
        organisation=clinic.organisation,
        product="botox_cosmetic",
        per_unit=D("14.00"),
        taxable=True,
    )


def test_the_invoice_shows_units_billed_against_charted_and_the_totals_with_tax(
    client_for, taxed, treated
):
    invoice = Invoice.objects.get(treatment=treated)
    line = invoice.lines.get()
    charges = line.quantity * D("14.00")
    tax = (charges * D("0.0725")).quantize(D("0.01"))
    response = client_for("front_desk").get(reverse("billing:invoice", args=[invoice.public_id]))
    page = response.content.decode()
    assert response.status_code == 200
    units = f"{line.quantity.normalize():f}"
    assert f"{units} billed, {units} charted" in page
    assert "Sales tax (7.25%)" in page and f"${tax:,.2f}" in page
    assert f'id="invoice-total"><strong>${charges + tax:,.2f}' in page
    assert "Balance due" in page and "Take payment" in page
    assert "Void this invoice" in page and "Manufacturer reward" in page


def test_billing_other_units_than_charted_with_a_reason(client_for, waiting):
    desk = client_for("front_desk")
    line = waiting.lines.get()
    response = act(desk, waiting, "bill-units", {"line": line.pk, "quantity": "18", "reason": ""})
    assert response.status_code == 422
    assert "were charted" in response.content.decode()
    response = act(
        desk,
        waiting,
        "bill-units",
        {"line": line.pk, "quantity": "18", "reason": "Two units free after the review"},
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.quantity == 18 and line.amount == D("252.00")
    page = desk.get(reverse("billing:invoice", args=[waiting.public_id])).content.decode()
    assert "Reason: Two units free after the review" in page and "(differs)" in page


def test_the_desk_builds_the_invoice_with_a_service_units_a_reward_and_a_code(
    client_for, waiting, clinic
):
    from glabella.clinic.models import Service

    desk = client_for("front_desk")
    service = Service.objects.get(slug="consultation")
    Promotion.objects.create(
        organisation=clinic.organisation,
        code="SPRING10",
        description="Spring, 10% off",
        kind="percent",
        value=D("10"),
        starts_on=clinic_today() - timedelta(days=1),
        ends_on=clinic_today() + timedelta(days=1),
    )
    assert act(desk, waiting, "add-service", {"service": service.pk}).status_code == 302
    assert (
        act(desk, waiting, "add-units", {"product": "botox_cosmetic", "quantity": "4"}).status_code
        == 302
    )
    reward = {"program": "alle", "code": "ALLE-123", "amount": "20"}
    assert act(desk, waiting, "reward", reward).status_code == 302
    assert act(desk, waiting, "discount", {"amount": "5", "description": "Loyalty"}).status_code
    assert act(desk, waiting, "promotion", {"code": " spring10 "}).status_code == 302
    kinds = list(waiting.lines.order_by("position").values_list("kind", flat=True))
    assert kinds == ["units", "service", "units", "reward", "discount", "promotion"]
    reward_line = waiting.lines.get(kind="reward")
    assert reward_line.program == "alle" and reward_line.code == "ALLE-123"
    added = waiting.lines.get(kind="units", charted_units=None)
    assert act(desk, waiting, "remove-line", {"line": added.pk}).status_code == 302
    assert not InvoiceLine.objects.filter(pk=added.pk).exists()
    page = desk.get(reverse("billing:invoice", args=[waiting.public_id])).content.decode()
    assert "code ALLE-123" in page and "Spring, 10% off" in page


def test_split_payment_by_card_and_cash_then_the_receipt(client_for, waiting):
    desk = client_for("front_desk")
    total = invoices.totals_of(waiting).total
    card = {
        "method": "card",
        "amount": "100.00",
        "card_last4": "4242",
        "authorization": "A1B2C3",
    }
    assert act(desk, waiting, "payment", card).status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == "finalized" and waiting.number
    rest = {"method": "cash", "amount": f"{total - 100:.2f}"}
    assert act(desk, waiting, "payment", rest).status_code == 302
    page = desk.get(reverse("billing:invoice", args=[waiting.public_id])).content.decode()
    assert 'id="balance-due"><strong>$0.00' in page
    assert "ending 4242, authorization A1B2C3" in page
    assert "Take payment" not in page  # nothing is owed

    response = desk.get(reverse("billing:receipt", args=[waiting.public_id]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert waiting.number in text and f"${total:,.2f}" in text
    assert "Card ending 4242" in text and "Balance due" in text
    assert AccessLog.objects.filter(object_type="invoice", action="export").exists()

    assert act(desk, waiting, "email-receipt", {}).status_code == 302
    sent = Message.objects.get(topic="receipt")
    assert sent.to == waiting.patient.email and sent.channel == "email"
    assert waiting.number in sent.body and "ending 4242" in sent.body
    assert "PDF is available from the clinic" in sent.body


def test_an_open_invoice_has_no_receipt_yet(client_for, waiting):
    response = client_for("front_desk").get(reverse("billing:receipt", args=[waiting.public_id]))
    assert response.status_code == 409


def test_a_receipt_needs_the_patients_email(client_for, waiting, actor_of):
    payments.take_payment(actor_of("front_desk"), waiting, method="cash", amount="10")
    type(waiting.patient).objects.filter(pk=waiting.patient_id).update(email="")
    before = snapshot(waiting)
    response = act(client_for("front_desk"), waiting, "email-receipt", {})
    assert response.status_code == 422
    assert "no email address" in response.content.decode()
    assert snapshot(waiting) == before


def test_the_owner_refunds_within_what_was_paid(client_for, waiting, actor_of):
    paid = payments.take_payment(actor_of("front_desk"), waiting, method="cash", amount="50")
    url = reverse("billing:refund", args=[paid.public_id])
    assert client_for("front_desk").get(url).status_code == 403
    owner = client_for("owner")
    assert owner.get(url).status_code == 200
    before = snapshot(waiting)
    for data, field_text in (
        ({"amount": "50.01", "reason": "Too much"}, "may still be given back"),
        ({"amount": "10", "reason": ""}, "Say why"),
        ({"amount": "abc", "reason": "x"}, "Enter an amount"),
        ({"amount": "-1", "reason": "x"}, "above zero"),
    ):
        response = owner.post(url, data)
        assert response.status_code == 422, data
        assert field_text in response.content.decode()
        assert snapshot(waiting) == before
    response = owner.post(url, {"amount": "20", "reason": "Bruising, goodwill"})
    assert response.status_code == 302
    assert Refund.objects.get().amount == D("20.00")
    page = owner.get(reverse("billing:invoice", args=[waiting.public_id])).content.decode()
    assert "Bruising, goodwill" in page and "$20.00" in page
    pdf = owner.get(reverse("billing:receipt", args=[waiting.public_id])).content
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Refunded" in text and "Bruising, goodwill" in text and "-$20.00" in text
    owed = invoices.totals_of(Invoice.objects.get(pk=waiting.pk)).total - D("30.00")
    assert f"${owed:,.2f}" in text.split("Balance due")[1]


def test_the_receipt_prints_a_reward_s_name_with_its_accent(client_for, waiting):
    desk = client_for("front_desk")
    reward = {"program": "alle", "code": "ALLE-123", "amount": "20"}
    assert act(desk, waiting, "reward", reward).status_code == 302
    total = invoices.totals_of(Invoice.objects.get(pk=waiting.pk)).total
    paid = act(desk, waiting, "payment", {"method": "cash", "amount": f"{total:.2f}"})
    assert paid.status_code == 302
    pdf = desk.get(reverse("billing:receipt", args=[waiting.public_id])).content
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Allē (Allergan Aesthetics) (code ALLE-123)" in text and "-$20.00" in text


def test_voiding_an_open_invoice_with_a_reason(client_for, waiting):
    desk = client_for("front_desk")
    response = act(desk, waiting, "void", {"reason": "Billed at the other location"})
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == "void"
    before = snapshot(waiting)
    response = act(desk, waiting, "payment", {"method": "cash", "amount": "10"})
    assert response.status_code == 409
    assert snapshot(waiting) == before


def test_a_finalized_invoice_refuses_changes_at_409(client_for, waiting, actor_of):
    payments.take_payment(actor_of("front_desk"), waiting, method="cash", amount="10")
    before = snapshot(waiting)
    response = act(client_for("front_desk"), waiting, "discount", {"amount": "5"})
    assert response.status_code == 409
    assert "never changes" in response.content.decode()
    assert snapshot(waiting) == before


# ---------------------------------------------------------------- bad input on every form

BAD = [
    ("bill-units", lambda ln: {"line": ln.pk, "quantity": "18", "reason": ""}, "were charted"),
    ("bill-units", lambda ln: {"line": ln.pk, "quantity": "-3", "reason": "x"}, "above zero"),
    ("bill-units", lambda ln: {"line": ln.pk, "quantity": "5000", "reason": "x"}, "at most"),
    ("bill-units", lambda ln: {"line": "999999", "quantity": "5"}, "Select a valid choice"),
    ("add-service", lambda ln: {"service": "abc"}, "Select a valid choice"),
    ("add-units", lambda ln: {"product": "botox_cosmetic", "quantity": "1e9"}, "at most"),
    ("add-units", lambda ln: {"product": "snake_oil", "quantity": "5"}, "Select a valid choice"),
    ("add-units", lambda ln: {"product": "dysport", "quantity": "5"}, "no price yet"),
    ("discount", lambda ln: {"amount": "-5"}, "above zero"),
    ("discount", lambda ln: {"amount": "1.005"}, "two decimal places"),
    ("discount", lambda ln: {"amount": "99999"}, "more than charged"),
    ("discount", lambda ln: {"amount": "5", "description": "x" * 201}, "at most 200"),
    ("reward", lambda ln: {"program": "alle", "code": "", "amount": "20"}, "reward&#x27;s code"),
    ("reward", lambda ln: {"program": "nope", "code": "A", "amount": "20"}, "valid choice"),
    ("reward", lambda ln: {"program": "evolus", "code": "E1", "amount": "NaN"}, "Enter an amount"),
    ("promotion", lambda ln: {"code": "NOSUCH"}, "no promotion with this code"),
    ("promotion", lambda ln: {"code": ""}, "Enter the promotion code"),
    ("remove-line", lambda ln: {"line": ln.pk}, "units charted stay"),
    ("remove-line", lambda ln: {"line": "x"}, "Select a valid choice"),
    (
        "payment",
        lambda ln: {"method": "card", "amount": "50", "card_last4": "42", "authorization": ""},
        "last four digits",
    ),
    (
        "payment",
        lambda ln: {"method": "card", "amount": "50", "card_last4": "4242", "authorization": "!"},
        "authorization code",
    ),
    ("payment", lambda ln: {"method": "gift_card", "amount": "50", "reference": "#"}, "gift card"),
    ("payment", lambda ln: {"method": "cash", "amount": "100000.01"}, "Enter at most"),
    ("payment", lambda ln: {"method": "cash", "amount": "99999"}, "owed"),
    ("payment", lambda ln: {"method": "cash", "amount": ""}, "Enter an amount"),
    ("payment", lambda ln: {"method": "cheque", "amount": "5"}, "Select a valid choice"),
    ("void", lambda ln: {"reason": ""}, "Say why"),
    ("void", lambda ln: {"reason": "x" * 301}, "at most 300"),
    ("email-receipt", lambda ln: {}, "Only a finalized invoice"),
]


@pytest.mark.parametrize(("action", "data", "says"), BAD, ids=[f"{a}-{s}" for a, _, s in BAD])
def test_bad_input_is_refused_at_422_and_nothing_is_written(
    client_for, waiting, action, data, says
):
    before = snapshot(waiting)
    response = act(client_for("front_desk"), waiting, action, data(waiting.lines.get()))
    assert response.status_code == 422
    page = response.content.decode()
    assert says in page, page[page.find("<main") :][:3000]
    assert 'class="error' in page or 'class="errors"' in page
    assert snapshot(waiting) == before


def test_an_unknown_action_or_invoice_is_not_found(client_for, waiting):
    desk = client_for("front_desk")
    assert act(desk, waiting, "give-it-away", {}).status_code == 404
    url = reverse(
        "billing:invoice-action", args=["00000000-0000-0000-0000-000000000000", "payment"]
    )
    assert desk.post(url, {"method": "cash", "amount": "5"}).status_code == 404


# ---------------------------------------------------------------- who sees what


@pytest.mark.parametrize("persona", ["injector", "medical_director", "patient"])
def test_clinicians_and_patients_see_no_invoice(client_for, waiting, persona):
    client = client_for(persona)
    for url in (
        reverse("billing:checkout"),
        reverse("billing:invoice", args=[waiting.public_id]),
        reverse("billing:receipt", args=[waiting.public_id]),
    ):
        assert client.get(url).status_code == 403
    assert act(client, waiting, "payment", {"method": "cash", "amount": "5"}).status_code == 403
    assert Payment.objects.count() == 0


def test_the_record_shows_invoices_to_the_desk_only(client_for, waiting):
    url = reverse("patients:record", args=[waiting.patient.public_id])
    link = reverse("billing:invoice", args=[waiting.public_id])
    page = client_for("front_desk").get(url).content.decode()
    assert link in page and "Open: check out" in page
    assert link not in client_for("injector").get(url).content.decode()


def test_the_signed_chart_tells_the_injector_the_invoice_waits_at_the_desk(
    client_for, waiting, actor_of
):
    url = reverse("treatments:record", args=[waiting.treatment.public_id])
    page = client_for("injector").get(url).content.decode()
    assert "The invoice for this treatment is waiting at the desk." in page
    assert "$" not in page[page.find("chart-notice") :][:200]
    payments.take_payment(actor_of("front_desk"), waiting, method="cash", amount="10")
    page = client_for("injector").get(url).content.decode()
    assert "The desk has checked this treatment out." in page


def test_the_record_and_the_checkout_list_run_a_fixed_number_of_queries(
    client_for, waiting, actor_of, clinic
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from glabella.clinic.models import Service

    desk = client_for("front_desk")
    urls = [
        reverse("patients:record", args=[waiting.patient.public_id]),
        reverse("billing:checkout"),
    ]

    def count(url):
        with CaptureQueriesContext(connection) as seen:
            assert desk.get(url).status_code == 200
        return len(seen)

    [count(url) for url in urls]  # warm: the first request fills the caches
    few = [count(url) for url in urls]
    service = Service.objects.get(slug="consultation")
    for i in range(4):
        more = invoices.open_invoice(actor_of("front_desk"), waiting.patient, clinic)
        invoices.add_service(actor_of("front_desk"), more, service)
        if i % 2:
            payments.take_payment(actor_of("front_desk"), more, method="cash", amount="1")
    assert [count(url) for url in urls] == few
