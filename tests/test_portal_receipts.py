"""The patient's receipts in the portal (issue 20): her finalized invoices with their totals, each
as a PDF, and what is left on her packages and membership; nobody else's, an open invoice has no
receipt yet, and every read and download is in the access log."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from glabella.billing import invoices, memberships, packages, payments
from glabella.core.models import AccessLog
from tests.conftest import make_patient

D = Decimal


@pytest.fixture
def paid(clinic, patient, actor_of):
    """A consultation of $150.00 paid in cash at the desk, for Grace."""
    from glabella.clinic.models import Service

    desk = actor_of("front_desk")
    invoice = invoices.open_invoice(desk, patient, clinic)
    service = Service.objects.get(slug="consultation")
    service.price = D("150.00")
    service.save()
    invoices.add_service(desk, invoice, service)
    payments.take_payment(desk, invoice, method="cash", amount="150.00")
    invoice.refresh_from_db()
    return invoice


def anothers_paid(desk, clinic):
    """Another patient's $10.00 paid in cash."""
    other = invoices.open_invoice(desk, make_patient(email="other@example.com"), clinic)
    other.lines.create(
        position=0,
        kind="service",
        description="Consultation",
        quantity=1,
        unit_price=D("10.00"),
        amount=D("10.00"),
    )
    payments.take_payment(desk, other, method="cash", amount="10.00")
    return other


def test_the_patient_lists_her_receipts_and_opens_one_as_a_pdf(client_for, paid, patient):
    client = client_for("patient")
    me = client.get(reverse("portal:me")).content.decode()
    assert reverse("portal:receipts") in me
    page = client.get(reverse("portal:receipts"))
    assert page.status_code == 200
    text = page.content.decode()
    assert f"Invoice {paid.number} (PDF)" in text and "$150.00" in text and "Nothing" in text
    assert AccessLog.objects.filter(
        object_type="invoice", action="read", patient_public_id=patient.public_id
    ).exists()
    pdf = client.get(reverse("portal:receipt", args=[paid.public_id]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf["Cache-Control"] == "private, no-store"
    words = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert paid.number in words and "$150.00" in words and "Cash" in words
    assert AccessLog.objects.filter(
        object_type="invoice", action="export", object_id=str(paid.public_id)
    ).exists()


def test_an_open_invoice_or_another_patients_has_no_receipt_here(
    client_for, clinic, patient, actor_of, paid
):
    desk = actor_of("front_desk")
    still_open = invoices.open_invoice(desk, patient, clinic)
    other = anothers_paid(desk, clinic)
    client = client_for("patient")
    for invoice in (still_open, other):
        assert client.get(reverse("portal:receipt", args=[invoice.public_id])).status_code == 404
    page = client.get(reverse("portal:receipts")).content.decode()
    assert str(other.public_id) not in page and str(still_open.public_id) not in page


def test_an_unknown_receipt_is_not_found(client_for):
    url = reverse("portal:receipt", args=["00000000-0000-0000-0000-000000000000"])
    assert client_for("patient").get(url).status_code == 404


def test_a_patient_with_nothing_paid_is_told_so(client_for):
    page = client_for("patient").get(reverse("portal:receipts")).content.decode()
    assert "No receipts yet." in page and "What you have prepaid" not in page


def test_her_package_and_membership_balances_show(client_for, clinic, patient, actor_of):
    owner, desk = actor_of("owner"), actor_of("front_desk")
    plan = packages.create_plan(
        owner,
        clinic.organisation,
        name="BOTOX Cosmetic 100",
        product="botox_cosmetic",
        units="100",
        price="1200.00",
        valid_days="365",
    )
    invoice = invoices.open_invoice(desk, patient, clinic)
    packages.sell(desk, invoice, plan)
    payments.take_payment(
        desk, invoice, method="card", amount="1200.00", card_last4="4242", authorization="OK1"
    )
    club = memberships.create_plan(
        owner,
        clinic.organisation,
        name="Smooth Club",
        monthly_fee="79.00",
        credit_product="botox_cosmetic",
        monthly_credit="5",
    )
    memberships.enrol(desk, patient, club, clinic)
    page = client_for("patient").get(reverse("portal:receipts")).content.decode()
    assert "BOTOX Cosmetic 100: 100 of 100 units left, good through" in page
    assert "Smooth Club membership, since" in page and "$79.00 a month" in page
    assert "Credit left: 5 units of BOTOX Cosmetic" in page
    assert "4242" not in page  # the card stays at the desk


def test_her_download_carries_her_invoices_and_not_anothers(client_for, clinic, paid, actor_of):
    desk = actor_of("front_desk")
    other = anothers_paid(desk, clinic)
    other.refresh_from_db()
    client = client_for("patient")
    data = client.get(reverse("portal:my-data", args=["json"])).json()
    assert [i["number"] for i in data["invoices"]] == [paid.number]
    assert data["invoices"][0]["total"] == "150.00"
    assert data["invoices"][0]["payments"][0]["method"] == "Cash"
    pdf = client.get(reverse("portal:my-data", args=["pdf"]))
    words = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert f"Invoice {paid.number} (finalized)" in words and other.number not in words


def test_money_given_back_is_not_shown_as_owed(client_for, paid, actor_of):
    from glabella.billing.models import Payment

    payments.refund(
        actor_of("owner"), Payment.objects.get(invoice=paid), amount="50.00", reason="Goodwill"
    )
    page = client_for("patient").get(reverse("portal:receipts")).content.decode()
    row = page.split(f"Invoice {paid.number} (PDF)")[0].rsplit("<tr>", 1)[1]
    assert "$150.00" in row and "$50.00 given back" in row and "Nothing" in row
