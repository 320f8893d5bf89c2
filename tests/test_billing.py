"""Money, issue 20's foundation: the arithmetic, the invoice a signed treatment opens, billing
other than charted, split payments, refunds within what was paid, a finalized invoice that never
changes, and bad input that writes nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glabella.billing import invoices, money, payments
from glabella.billing.models import (
    Invoice,
    InvoiceFinalized,
    InvoiceLine,
    Payment,
    ProductPrice,
    Promotion,
    Refund,
    SalesTax,
)
from glabella.core.errors import Conflict, Forbidden, ValidationFailed
from glabella.core.models import AccessLog
from tests.conftest import clinic_today

D = Decimal

# ---------------------------------------------------------------- the arithmetic (pure)

amounts = st.decimals(min_value=D("0.01"), max_value=D("5000"), places=2)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # two cores, shared
@given(
    charges=st.lists(st.tuples(amounts, st.booleans()), min_size=1, max_size=6),
    discounts=st.lists(amounts, max_size=3),
    percent=st.decimals(min_value=D("0"), max_value=D("20"), places=3),
)
def test_totals_add_up_and_never_go_below_zero(charges, discounts, percent):
    lines = [money.Charge(a, t) for a, t in charges] + [money.Charge(-d) for d in discounts]
    found = money.totals(lines, percent)
    assert found.charges == sum(a for a, _ in charges)
    assert found.discounts == min(sum(discounts, D(0)), found.charges)
    assert found.total == found.charges - found.discounts + found.tax
    assert found.total >= 0 and found.tax >= 0
    taxable = sum((a for a, t in charges if t), D(0))
    assert found.tax <= money.cents(taxable * percent / 100)
    assert found.total == found.total.quantize(money.CENT)


def test_tax_falls_on_the_taxable_line_after_its_share_of_the_discount():
    lines = [money.Charge(D("300.00")), money.Charge(D("100.00"), True), money.Charge(D("-40"))]
    found = money.totals(lines, D("7.25"))
    # The taxable line carries a quarter of the 40 off: 90.00 taxed at 7.25% is 6.525 -> 6.53.
    assert found == money.Totals(D("400.00"), D("40.00"), D("6.53"), D("366.53"))


def test_what_a_payment_may_give_back_is_never_more_than_it_paid():
    assert money.refundable(D("50.00"), [D("20.00"), D("30.00")]) == 0
    assert money.refundable(D("50.00"), [D("20.00")]) == D("30.00")
    assert money.balance(D("100.00"), [D("60.00"), D("40.00")], [D("10.00")]) == D("10.00")


# ---------------------------------------------------------------- the invoice of a treatment


@pytest.fixture
def priced(clinic):
    return ProductPrice.objects.create(
        organisation=clinic.organisation, product="botox_cosmetic", per_unit=D("14.00")
    )


def test_signing_a_treatment_opens_its_invoice_with_the_units_charted(priced, treated):
    invoice = Invoice.objects.get(treatment=treated)
    assert invoice.is_open and invoice.patient == treated.patient
    (line,) = invoice.lines.all()
    charted = sum(p.units for p in treated.points.all())
    assert line.kind == "units" and line.quantity == charted == line.charted_units
    assert line.amount == charted * D("14.00")
    assert invoices.totals_of(invoice).total == charted * D("14.00")


def test_a_treatment_without_a_price_opens_an_invoice_that_cannot_be_paid_until_priced(
    treated, actor_of
):
    invoice = Invoice.objects.get(treatment=treated)
    assert invoice.lines.get().unit_price == 0
    with pytest.raises(ValidationFailed) as refused:
        payments.take_payment(actor_of("front_desk"), invoice, method="cash", amount="10")
    assert "no price yet" in refused.value.fields["invoice"][0]
    assert not Payment.objects.exists() and Invoice.objects.get(pk=invoice.pk).is_open


def test_billing_other_units_than_charted_needs_a_reason(priced, treated, actor_of):
    desk = actor_of("front_desk")
    invoice = Invoice.objects.get(treatment=treated)
    line = invoice.lines.get()
    with pytest.raises(ValidationFailed) as refused:
        invoices.set_units(desk, invoice, line.pk, "18", "")
    assert "were charted" in refused.value.fields["reason"][0]
    assert InvoiceLine.objects.get(pk=line.pk).quantity == line.charted_units
    invoices.set_units(desk, invoice, line.pk, "18", "Two units free after the review")
    line.refresh_from_db()
    assert line.quantity == D("18") and line.amount == D("252.00") and line.reason


def test_split_payment_finalizes_then_settles_and_never_overpays(priced, treated, actor_of):
    desk = actor_of("front_desk")
    invoice = Invoice.objects.get(treatment=treated)
    total = invoices.totals_of(invoice).total
    payments.take_payment(
        desk, invoice, method="card", amount="100.00", card_last4="4242", authorization="A1B2C3"
    )
    invoice.refresh_from_db()
    assert invoice.status == "finalized" and invoice.number and invoice.total == total
    with pytest.raises(ValidationFailed) as refused:
        payments.take_payment(desk, invoice, method="cash", amount=str(total))
    assert "owed" in refused.value.fields["amount"][0]
    payments.take_payment(desk, invoice, method="cash", amount=str(total - D("100.00")))
    assert invoices.balance_of(invoice) == 0
    with pytest.raises(ValidationFailed):
        payments.take_payment(desk, invoice, method="cash", amount="1")
    assert Payment.objects.filter(invoice=invoice).count() == 2
    assert AccessLog.objects.filter(object_type="payment").count() == 2


def test_a_finalized_invoice_never_changes(priced, treated, actor_of):
    desk = actor_of("front_desk")
    invoice = invoices.finalize(desk, Invoice.objects.get(treatment=treated))
    line = invoice.lines.get()
    with pytest.raises(Conflict):
        invoices.set_units(desk, invoice, line.pk, "5", "less")
    with pytest.raises(Conflict):
        invoices.add_discount(desk, invoice, "5")
    with pytest.raises(InvoiceFinalized):
        line.save()
    with pytest.raises(InvoiceFinalized):
        invoice.save()
    with pytest.raises(InvoiceFinalized):
        invoice.delete()


def test_refunds_need_a_reason_the_owner_and_stay_within_what_was_paid(priced, treated, actor_of):
    invoice = Invoice.objects.get(treatment=treated)
    paid = payments.take_payment(actor_of("front_desk"), invoice, method="cash", amount="50")
    owner = actor_of("owner")
    with pytest.raises(Forbidden):
        payments.refund(actor_of("front_desk"), paid, amount="10", reason="x")
    with pytest.raises(ValidationFailed) as no_reason:
        payments.refund(owner, paid, amount="10", reason="  ")
    assert "reason" in no_reason.value.fields
    payments.refund(owner, paid, amount="30", reason="Unhappy with the result")
    with pytest.raises(ValidationFailed) as too_much:
        payments.refund(owner, paid, amount="20.01", reason="again")
    assert "20.00" in too_much.value.fields["amount"][0]
    payments.refund(owner, paid, amount="20", reason="the rest")
    assert Refund.objects.filter(payment=paid).count() == 2
    assert invoices.balance_of(invoice) == invoices.totals_of(invoice).total


def test_tax_discount_reward_and_promotion_come_off_in_order(priced, treated, actor_of, clinic):
    SalesTax.objects.create(location=clinic, percent=D("7.25"))
    desk = actor_of("front_desk")
    invoice = Invoice.objects.get(treatment=treated)  # opened before the tax: none on it
    assert invoice.tax_percent == 0
    invoices.add_discount(desk, invoice, "20", program="alle", code="ALLE-123")
    today = clinic_today()
    Promotion.objects.create(
        organisation=clinic.organisation,
        code="SPRING10",
        description="Spring, 10% off",
        kind="percent",
        value=D("10"),
        starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=1),
        max_uses=1,
    )
    line = invoices.apply_promotion(desk, invoice, " spring10 ", today)
    charges = invoices.totals_of(invoice).charges
    assert line.amount == -money.cents(charges / 10)
    finalized = invoices.finalize(desk, invoice)
    assert finalized.total == charges - D("20") - money.cents(charges / 10)
    assert Promotion.objects.get(code="SPRING10").uses == 1
    other = invoices.open_invoice(desk, treated.patient, clinic)
    invoices.add_units(desk, other, "botox_cosmetic", "4")
    with pytest.raises(ValidationFailed) as used_up:
        invoices.apply_promotion(desk, other, "SPRING10", today)
    assert "used as often" in used_up.value.fields["code"][0]


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda d, i, ln: payments.take_payment(d, i, method="cash", amount="-5"), "amount"),
        (lambda d, i, ln: payments.take_payment(d, i, method="cash", amount="1e9"), "amount"),
        (lambda d, i, ln: payments.take_payment(d, i, method="cash", amount="NaN"), "amount"),
        (lambda d, i, ln: payments.take_payment(d, i, method="cash", amount="1.005"), "amount"),
        (lambda d, i, ln: payments.take_payment(d, i, method="bitcoin", amount="5"), "method"),
        (lambda d, i, ln: payments.take_payment(d, i, method="card", amount="5"), "card_last4"),
        (
            lambda d, i, ln: payments.take_payment(
                d,
                i,
                method="card",
                amount="5",
                card_last4="\u0664\u0662\u0664\u0662",
                authorization="A1",
            ),
            "card_last4",
        ),
        (
            lambda d, i, ln: payments.take_payment(d, i, method="gift_card", amount="5"),
            "reference",
        ),
        (
            lambda d, i, ln: payments.take_payment(d, i, method="online_card", amount="5"),
            "method",
        ),
        (lambda d, i, ln: invoices.set_units(d, i, ln.pk, "0", "x"), "quantity"),
        (lambda d, i, ln: invoices.set_units(d, i, ln.pk, "5000", "x"), "quantity"),
        (lambda d, i, ln: invoices.set_units(d, i, 0, "5", "x"), "line"),
        (lambda d, i, ln: invoices.add_discount(d, i, "99999"), "amount"),
        (lambda d, i, ln: invoices.add_discount(d, i, "5", program="acme"), "program"),
        (lambda d, i, ln: invoices.add_discount(d, i, "5", program="alle"), "code"),
        (lambda d, i, ln: invoices.apply_promotion(d, i, "NOSUCH", clinic_today()), "code"),
        (lambda d, i, ln: invoices.add_units(d, i, "aspirin", "5"), "product"),
        (lambda d, i, ln: invoices.remove_line(d, i, ln.pk), "line"),
    ],
)
def test_bad_input_names_its_field_and_writes_nothing(priced, treated, actor_of, call, field):
    desk = actor_of("front_desk")
    invoice = Invoice.objects.get(treatment=treated)
    line = invoice.lines.get()
    before = (Payment.objects.count(), InvoiceLine.objects.count(), AccessLog.objects.count())
    with pytest.raises(ValidationFailed) as refused:
        call(desk, invoice, line)
    assert field in refused.value.fields
    after = (Payment.objects.count(), InvoiceLine.objects.count(), AccessLog.objects.count())
    assert after == before
    assert Invoice.objects.get(pk=invoice.pk).is_open
    assert InvoiceLine.objects.get(pk=line.pk).quantity == line.quantity


def test_clinicians_take_no_payment_and_see_no_invoice(priced, treated, actor_of):
    invoice = Invoice.objects.get(treatment=treated)
    for persona in ("injector", "medical_director"):
        with pytest.raises(Forbidden):
            payments.take_payment(actor_of(persona), invoice, method="cash", amount="5")
        assert not Invoice.objects.restrict(actor_of(persona)).exists()
    assert Invoice.objects.restrict(actor_of("front_desk")).exists()
