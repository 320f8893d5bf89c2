"""Prepaid units at the desk's checkout (issue 20): a package sold on the invoice and usable once
it is paid; units paid from a package and from a membership's credit, the rest by card, and the
receipt naming each; bad input on each form answered at 422 with its field's message and nothing
written."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from glabella.billing import memberships, packages, payments
from glabella.billing.models import (
    Invoice,
    InvoiceLine,
    Membership,
    MembershipEntry,
    PackageEntry,
    PatientPackage,
    Payment,
    ProductPrice,
)
from tests.conftest import make_patient
from tests.support.prepaid import fees_paid

D = Decimal


@pytest.fixture
def priced(clinic):
    return ProductPrice.objects.create(
        organisation=clinic.organisation, product="botox_cosmetic", per_unit=D("14.00")
    )


@pytest.fixture
def plan(clinic, actor_of):
    return packages.create_plan(
        actor_of("owner"),
        clinic.organisation,
        name="BOTOX Cosmetic 50",
        product="botox_cosmetic",
        units="50",
        price="600.00",
        valid_days="365",
    )


@pytest.fixture
def waiting(priced, treated):
    """Grace's invoice, opened by her signed treatment: the units charted at $14.00."""
    return Invoice.objects.get(treatment=treated)


def act(client, invoice, action, data):
    return client.post(reverse("billing:invoice-action", args=[invoice.public_id, action]), data)


def page_of(client, invoice) -> str:
    response = client.get(reverse("billing:invoice", args=[invoice.public_id]))
    assert response.status_code == 200
    return response.content.decode()


def held(actor, patient, clinic, plan) -> PatientPackage:
    """The package sold on its own invoice and paid in cash: usable."""
    from glabella.billing import invoices

    invoice = invoices.open_invoice(actor, patient, clinic)
    package = packages.sell(actor, invoice, plan)
    payments.take_payment(actor, invoice, method="cash", amount=str(plan.price))
    return PatientPackage.objects.get(pk=package.pk)


def redeem_five(client, invoice, package) -> int:
    """Five units of the invoice's line from `package`: the answer's status, after checking
    that a refusal wrote nothing."""
    before = snapshot()
    response = act(
        client,
        invoice,
        "redeem-package",
        {"package": package.pk, "line": invoice.lines.get().pk, "units": "5"},
    )
    if response.status_code != 302:
        assert snapshot() == before
    return response.status_code


def snapshot() -> tuple:
    return (
        sorted(InvoiceLine.objects.values_list("pk", "quantity", "amount")),
        Payment.objects.count(),
        PackageEntry.objects.count(),
        MembershipEntry.objects.count(),
        sorted(PatientPackage.objects.values_list("pk", "balance", "status")),
        sorted(Membership.objects.values_list("pk", "credit_balance")),
    )


def test_the_desk_sells_a_package_on_the_invoice_and_it_is_usable_once_paid(
    client_for, clinic, patient, plan, waiting
):
    desk = client_for("front_desk")
    page = page_of(desk, waiting)
    assert "Sell a prepaid package" in page and "BOTOX Cosmetic 50 ($600.00)" in page
    assert "Pay from prepaid units" not in page  # she holds nothing yet
    response = act(desk, waiting, "sell-package", {"plan": plan.pk})
    assert response.status_code == 302
    package = PatientPackage.objects.get(invoice=waiting)
    assert package.status == "pending" and package.balance == 0
    page = page_of(desk, waiting)
    assert "Prepaid package: BOTOX Cosmetic 50" in page and "$600.00" in page
    owed = Invoice.objects.get(pk=waiting.pk)
    total = D(page.split('id="balance-due"><strong>$')[1].split("<")[0].replace(",", ""))
    response = act(desk, owed, "payment", {"method": "cash", "amount": f"{total:.2f}"})
    assert response.status_code == 302
    package.refresh_from_db()
    assert package.status == "active" and package.balance == 50


def test_units_from_a_package_then_the_rest_by_card_and_the_receipt_names_both(
    client_for, clinic, patient, plan, waiting, actor_of
):
    package = held(actor_of("front_desk"), patient, clinic, plan)
    desk = client_for("front_desk")
    page = page_of(desk, waiting)
    assert "Pay from prepaid units" in page
    assert "BOTOX Cosmetic 50: 50 left, good through" in page
    line = waiting.lines.get()
    response = act(
        desk, waiting, "redeem-package", {"package": package.pk, "line": line.pk, "units": "10"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    package.refresh_from_db()
    assert package.balance == 40
    waiting.refresh_from_db()
    assert waiting.status == "finalized"  # the first payment finalizes, as any payment does
    rest = line.quantity * D("14.00") - D("140.00")
    response = act(
        desk,
        waiting,
        "payment",
        {
            "method": "card",
            "amount": f"{rest:.2f}",
            "card_last4": "4242",
            "authorization": "OK1234",
        },
    )
    assert response.status_code == 302
    page = page_of(desk, waiting)
    assert "Package: BOTOX Cosmetic 50, 10 units" in page
    assert str(package.public_id) not in page  # no internal key in what the desk reads
    assert 'id="balance-due"><strong>$0.00' in page
    pdf = desk.get(reverse("billing:receipt", args=[waiting.public_id]))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Package: BOTOX Cosmetic 50, 10 units" in text and "$140.00" in text
    assert "Card ending 4242" in text


def test_membership_credit_pays_units_at_checkout(client_for, clinic, patient, waiting, actor_of):
    club = memberships.create_plan(
        actor_of("owner"),
        clinic.organisation,
        name="Glow Club",
        monthly_fee="79.00",
        credit_product="botox_cosmetic",
        monthly_credit="5",
    )
    member = memberships.enrol(actor_of("front_desk"), patient, club, clinic)
    desk = client_for("front_desk")
    page = page_of(desk, waiting)
    assert "Glow Club: 5 units of BOTOX Cosmetic (onabotulinumtoxinA) left." in page
    # The month's fee waits at checkout: the credit is spent once it is paid.
    assert "monthly fee is not paid yet" in page and "redeem-membership-button" not in page
    line = waiting.lines.get()
    before = snapshot()
    refused = act(desk, waiting, "redeem-membership", {"line": line.pk, "units": "5"})
    assert refused.status_code == 422 and "monthly fee is not paid yet" in refused.content.decode()
    assert snapshot() == before
    fees_paid(actor_of("front_desk"), member)
    assert "redeem-membership-button" in page_of(desk, waiting)
    response = act(desk, waiting, "redeem-membership", {"line": line.pk, "units": "5"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.credit_balance == 0
    assert "Membership credit: Glow Club, 5 units" in page_of(desk, waiting)
    # Spent: the form is no longer offered.
    assert "From the membership's credit" not in page_of(desk, waiting)


BAD = [
    ("sell-package", lambda p, ln: {"plan": "999999"}, "Select a valid choice"),
    ("sell-package", lambda p, ln: {}, "This field is required"),
    (
        "redeem-package",
        lambda p, ln: {"package": p.pk, "line": ln.pk, "units": "-5"},
        "units",
    ),
    (
        "redeem-package",
        lambda p, ln: {"package": p.pk, "line": ln.pk, "units": "51"},
        "left",
    ),
    ("redeem-package", lambda p, ln: {"package": p.pk, "line": ln.pk, "units": "ten"}, "units"),
    ("redeem-package", lambda p, ln: {"package": p.pk, "line": ln.pk, "units": ""}, "units"),
    ("redeem-package", lambda p, ln: {"package": "0", "line": ln.pk, "units": "5"}, "valid choice"),
    ("redeem-package", lambda p, ln: {"package": p.pk, "line": "0", "units": "5"}, "valid choice"),
    ("redeem-membership", lambda p, ln: {"line": ln.pk, "units": "5"}, "membership"),
]


@pytest.mark.parametrize(("action", "data", "says"), BAD, ids=[f"{a}-{s}" for a, _, s in BAD])
def test_bad_input_is_refused_at_422_and_nothing_is_written(
    client_for, clinic, patient, plan, waiting, actor_of, action, data, says
):
    package = held(actor_of("front_desk"), patient, clinic, plan)
    ProductPrice.objects.filter(product="botox_cosmetic").update(per_unit=D("14.00"))
    line = waiting.lines.get()
    line.quantity = D("60")  # more than the package holds, so "51" is refused by the package
    line.save()
    before = snapshot()
    response = act(client_for("front_desk"), waiting, action, data(package, line))
    assert response.status_code == 422
    page = response.content.decode()
    assert says in page, page[page.find("<main") :][:3000]
    assert 'class="error' in page or 'class="errors"' in page
    assert snapshot() == before


def test_another_patients_package_cannot_pay(client_for, clinic, patient, plan, waiting, actor_of):
    other = make_patient(email="other@example.com")
    package = held(actor_of("front_desk"), other, clinic, plan)
    assert redeem_five(client_for("front_desk"), waiting, package) == 422


def test_a_voided_invoice_takes_no_prepaid_units(
    client_for, clinic, patient, plan, waiting, actor_of
):
    from glabella.billing import invoices

    package = held(actor_of("front_desk"), patient, clinic, plan)
    invoices.void(actor_of("front_desk"), waiting, "Billed elsewhere")
    assert redeem_five(client_for("front_desk"), waiting, package) == 409


@pytest.mark.parametrize("persona", ["injector", "medical_director", "patient"])
def test_clinicians_and_patients_redeem_nothing(
    client_for, clinic, patient, plan, waiting, actor_of, persona
):
    package = held(actor_of("front_desk"), patient, clinic, plan)
    assert redeem_five(client_for(persona), waiting, package) in (302, 403, 404)
