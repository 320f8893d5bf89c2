"""Packages and memberships (issue 20, point 4): a package sold on an invoice and usable once it
is paid, units redeemed at checkout as a payment, a balance that never goes below zero (twenty
desks at once, on both databases), expiry, member prices, the monthly renewal once a month on
any day, pause, resume and cancel, and bad input that writes nothing. Every balance equals the
sum of its ledger."""

import threading
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from glabella.billing import invoices, memberships, packages, payments
from glabella.billing.models import (
    Invoice,
    InvoiceLine,
    Membership,
    MembershipEntry,
    MembershipPlan,
    PackageEntry,
    PackagePlan,
    PatientPackage,
    Payment,
    ProductPrice,
)
from glabella.clinic.models import Service
from glabella.core import periodic
from glabella.core.access import actor_for
from glabella.core.errors import Conflict, Forbidden, ValidationFailed
from glabella.core.models import AccessLog
from tests.conftest import STAFF_EMAILS, clinic_today, make_patient
from tests.support.prepaid import bought, fees_paid, units_invoice

D = Decimal
LA = ZoneInfo("America/Los_Angeles")


# ---------------------------------------------------------------- helpers


@pytest.fixture
def priced(clinic):
    return ProductPrice.objects.create(
        organisation=clinic.organisation, product="botox_cosmetic", per_unit=D("14.00")
    )


@pytest.fixture
def desk(actor_of):
    return actor_of("front_desk")


@pytest.fixture
def owner(actor_of):
    return actor_of("owner")


@pytest.fixture
def plan(clinic, owner):
    return packages.create_plan(
        owner,
        clinic.organisation,
        name="Botox 100",
        product="botox_cosmetic",
        units="100",
        price="1200.00",
        valid_days="365",
    )


def assert_ledger_adds_up(package: PatientPackage) -> None:
    package.refresh_from_db()
    assert package.balance == packages.ledger_sum(package)
    entries = list(package.entries.order_by("id"))  # the order they were written in
    if entries:
        assert entries[-1].balance_after == package.balance


def assert_credit_adds_up(membership: Membership) -> None:
    membership.refresh_from_db()
    assert membership.credit_balance == memberships.ledger_sum(membership)


# ---------------------------------------------------------------- selling


def test_a_package_is_sold_on_an_invoice_and_usable_once_that_invoice_is_paid_in_full(
    priced, plan, desk, patient, clinic
):
    invoice = invoices.open_invoice(desk, patient, clinic)
    package = packages.sell(desk, invoice, plan)
    line = invoice.lines.get()
    assert line.amount == D("1200.00") and "Botox 100" in line.description
    assert package.status == "pending" and package.balance == 0 and not package.entries.exists()

    other = units_invoice(desk, patient, clinic)
    with pytest.raises(ValidationFailed) as unpaid:
        packages.redeem(desk, other, package, other.lines.get().pk, "5")
    assert "not paid yet" in unpaid.value.fields["package"][0]

    payments.take_payment(desk, invoice, method="cash", amount="1000")
    package.refresh_from_db()
    assert package.status == "pending" and package.balance == 0  # part paid: not yet

    payments.take_payment(
        desk, invoice, method="card", amount="200", card_last4="4242", authorization="OK12"
    )
    package.refresh_from_db()
    assert package.status == "active" and package.balance == D("100")
    assert package.activated_on == clinic_today()
    assert package.expires_on == clinic_today() + timedelta(days=365)
    (entry,) = package.entries.all()
    assert entry.kind == "bought" and entry.units == D("100") and entry.balance_after == D("100")
    assert_ledger_adds_up(package)
    assert AccessLog.objects.filter(object_type="package", object_id=package.public_id).count() == 2


def test_removing_the_sale_from_the_open_invoice_takes_the_pending_package_with_it(
    priced, plan, desk, patient, clinic
):
    invoice = invoices.open_invoice(desk, patient, clinic)
    package = packages.sell(desk, invoice, plan)
    invoices.remove_line(desk, invoice, package.invoice_line_id)
    assert not PatientPackage.objects.filter(pk=package.pk).exists()


def test_voiding_the_invoice_takes_the_pending_package_with_it(priced, plan, desk, patient, clinic):
    from glabella.core.models import AccessLog

    invoice = invoices.open_invoice(desk, patient, clinic)
    package = packages.sell(desk, invoice, plan)
    invoices.void(desk, invoice, "She changed her mind")
    assert not PatientPackage.objects.filter(pk=package.pk).exists()
    assert AccessLog.objects.filter(
        object_type="package", action="delete", object_id=str(package.public_id)
    ).exists()


def test_a_voided_invoice_sells_nothing_and_says_it_was_voided(plan, desk, patient, clinic):
    from glabella.core.errors import Conflict

    invoice = invoices.open_invoice(desk, patient, clinic)
    invoices.void(desk, invoice, "Opened by mistake")
    with pytest.raises(Conflict, match="was voided"):
        packages.sell(desk, invoice, plan)
    assert not PatientPackage.objects.exists()


def test_a_package_of_visits_pays_a_line_of_its_service(clinic, owner, desk, patient):
    consultation = Service.objects.get(slug="consultation")
    visits = packages.create_plan(
        owner,
        clinic.organisation,
        name="Three reviews",
        service=consultation,
        units="3",
        price="150",
        valid_days="180",
    )
    package = bought(desk, patient, clinic, visits)
    invoice = invoices.open_invoice(desk, patient, clinic)
    line = invoices.add_service(desk, invoice, consultation)
    packages.redeem(desk, invoice, package, line.pk, "1")
    assert invoices.balance_of(invoice) == 0
    assert Payment.objects.get(invoice=invoice).amount == consultation.price
    assert_ledger_adds_up(package)
    assert PatientPackage.objects.get(pk=package.pk).balance == D("2")


# ---------------------------------------------------------------- redeeming


def test_redeeming_units_pays_the_line_as_a_package_payment_and_writes_the_ledger(
    priced, plan, desk, patient, clinic
):
    package = bought(desk, patient, clinic, plan)
    invoice = units_invoice(desk, patient, clinic, units="30")
    line = invoice.lines.get()
    entry = packages.redeem(desk, invoice, package, line.pk, "20")
    invoice.refresh_from_db()
    assert invoice.status == "finalized"  # the first payment finalizes, as any payment does
    payment = entry.payment
    assert payment.method == "package" and payment.amount == D("280.00")
    assert payment.reference == str(package.public_id)
    assert entry.kind == "redeemed" and entry.units == D("-20") and entry.invoice_line == line
    assert invoices.balance_of(invoice) == D("140.00")  # ten more units to pay otherwise
    # Only what is left on the line may be paid from a package.
    with pytest.raises(ValidationFailed) as too_many:
        packages.redeem(desk, invoice, package, line.pk, "11")
    assert "Only 10 units of this line" in too_many.value.fields["units"][0]
    payments.take_payment(desk, invoice, method="cash", amount="140")
    assert invoices.balance_of(invoice) == 0
    assert_ledger_adds_up(package)
    assert PatientPackage.objects.get(pk=package.pk).balance == D("80")


def test_a_balance_never_goes_below_zero(priced, owner, clinic, desk, patient):
    small = packages.create_plan(
        owner,
        clinic.organisation,
        name="Botox 10",
        product="botox_cosmetic",
        units="10",
        price="120",
        valid_days="90",
    )
    package = bought(desk, patient, clinic, small)
    invoice = units_invoice(desk, patient, clinic, units="20")
    line = invoice.lines.get()
    before = (Payment.objects.count(), PackageEntry.objects.count())
    with pytest.raises(ValidationFailed) as refused:
        packages.redeem(desk, invoice, package, line.pk, "12")
    assert "Only 10 units are left" in refused.value.fields["units"][0]
    assert (Payment.objects.count(), PackageEntry.objects.count()) == before
    assert Invoice.objects.get(pk=invoice.pk).is_open

    packages.redeem(desk, invoice, package, line.pk, "10")
    package.refresh_from_db()
    assert package.balance == 0 and package.status == "used_up"
    with pytest.raises(ValidationFailed):
        packages.redeem(desk, invoice, package, line.pk, "1")
    # The database refuses a negative balance even if a service forgot to look.
    with pytest.raises(IntegrityError), transaction.atomic():
        PatientPackage.objects.filter(pk=package.pk).update(balance=D("-1"))
    with pytest.raises(IntegrityError), transaction.atomic():
        PackageEntry.objects.create(
            package=package, kind="redeemed", units=D("-1"), balance_after=D("-1")
        )
    assert_ledger_adds_up(package)


def test_a_package_or_membership_payment_goes_back_as_an_adjustment_not_money(
    priced, plan, desk, owner, patient, clinic
):
    package = bought(desk, patient, clinic, plan)
    invoice = units_invoice(desk, patient, clinic, units="10")
    entry = packages.redeem(desk, invoice, package, invoice.lines.get().pk, "10")
    with pytest.raises(ValidationFailed) as refused:
        payments.refund(owner, entry.payment, amount="10", reason="unhappy")
    assert "adjustment" in refused.value.fields["payment"][0]
    with pytest.raises(Forbidden):
        packages.adjust(desk, package, "10", "units given back")
    packages.adjust(owner, package, "10", "Treatment refunded: units given back", refund=True)
    package.refresh_from_db()
    assert package.balance == D("100") and package.entries.last().kind == "refunded"
    with pytest.raises(ValidationFailed) as above:
        packages.adjust(owner, package, "1", "one more")
    assert "at most the 100 units" in above.value.fields["units"][0]
    packages.adjust(owner, package, "-5", "Counted twice at the desk")
    assert_ledger_adds_up(package)
    assert [e.kind for e in package.entries.all()] == ["bought", "redeemed", "refunded", "adjusted"]


# ---------------------------------------------------------------- expiry


def test_a_package_expires_after_its_days_and_its_balance_lapses_in_the_ledger(
    priced, owner, desk, patient, clinic
):
    short = packages.create_plan(
        owner,
        clinic.organisation,
        name="Botox 50, a month",
        product="botox_cosmetic",
        units="50",
        price="600",
        valid_days="30",
    )
    package = bought(desk, patient, clinic, short)
    invoice = units_invoice(desk, patient, clinic, units="5")
    assert package.expires_on == clinic_today() + timedelta(days=30)
    assert packages.expire_due() == 0  # not yet
    # Its last day, in the clinic's zone, is still good.
    last_day = datetime.combine(package.expires_on, datetime.min.time(), LA) + timedelta(hours=23)
    with time_machine.travel(last_day, tick=False):
        assert packages.expire_due() == 0
        assert packages.usable(patient, today=package.expires_on, product="botox_cosmetic")
    # The next morning it has lapsed: refused at checkout before the scheduler comes by too.
    next_morning = last_day + timedelta(hours=2)
    with time_machine.travel(next_morning, tick=False):
        with pytest.raises(ValidationFailed) as lapsed:
            packages.redeem(desk, invoice, package, invoice.lines.get().pk, "5")
        assert "expired" in lapsed.value.fields["package"][0]
        assert "packages_expired" in periodic.JOBS
        assert periodic.JOBS["packages_expired"](timezone.now()) == 1
        assert packages.expire_due() == 0  # once
    package.refresh_from_db()
    assert package.status == "expired" and package.balance == 0
    assert [(e.kind, e.units) for e in package.entries.all()] == [
        ("bought", D("50")),
        ("expired", D("-50")),
    ]
    assert_ledger_adds_up(package)


# ---------------------------------------------------------------- memberships


@pytest.fixture
def club(clinic, owner):
    return memberships.create_plan(
        owner,
        clinic.organisation,
        name="Glow Club",
        monthly_fee="99.00",
        percent_off="10",
        credit_product="botox_cosmetic",
        monthly_credit="10",
    )


@pytest.fixture
def member(club, patient, clinic, desk):
    return fees_paid(desk, memberships.enrol(desk, patient, club, clinic))


def test_the_members_price_is_the_products_member_price_else_the_plans_percent_off(
    clinic, priced, member, treated, desk, patient
):
    # Signed while a member, the product has no member price: the plan's 10% off the list.
    line = Invoice.objects.get(treatment=treated).lines.get()
    assert line.unit_price == D("12.60") and "member price" in line.description
    assert line.amount == line.quantity * D("12.60")
    # A product's own member price comes first.
    ProductPrice.objects.filter(pk=priced.pk).update(member_per_unit=D("11.00"))
    desk_sale = units_invoice(desk, patient, clinic, units="4")
    assert desk_sale.lines.get().unit_price == D("11.00")
    # Paused: list price again.
    memberships.pause(desk, member)
    plain = units_invoice(desk, patient, clinic, units="4")
    assert plain.lines.get().unit_price == D("14.00")
    assert "member" not in plain.lines.get().description


def test_a_patient_who_is_no_member_pays_the_list_price(priced, treated):
    line = Invoice.objects.get(treatment=treated).lines.get()
    assert line.unit_price == D("14.00") and "member" not in line.description


def test_enrolling_grants_the_first_month_and_credit_pays_units_at_checkout(
    priced, member, desk, patient, clinic
):
    assert member.status == "active" and member.started_on == clinic_today()
    member.refresh_from_db()
    assert member.credit_balance == D("10")
    fee = MembershipEntry.objects.get(membership=member, kind="fee")
    assert fee.amount == D("99.00") and fee.period == clinic_today().replace(day=1)
    fee_line = fee.invoice.lines.get()
    assert fee_line.amount == D("99.00") and "Glow Club" in fee_line.description
    assert fee.invoice.status == "finalized"  # the desk took the fee like any invoice

    invoice = units_invoice(desk, patient, clinic, units="12")  # at the member price, 12.60
    line = invoice.lines.get()
    entry = memberships.redeem(desk, invoice, member, line.pk, "10")
    assert entry.payment.method == "membership" and entry.payment.amount == D("126.00")
    assert invoices.balance_of(invoice) == D("25.20")
    with pytest.raises(ValidationFailed) as spent:
        memberships.redeem(desk, invoice, member, line.pk, "1")
    assert "Only 0 units of credit" in spent.value.fields["units"][0]
    assert_credit_adds_up(member)
    with pytest.raises(ValidationFailed) as twice:
        memberships.enrol(desk, patient, member.plan, clinic)
    assert "member already" in twice.value.fields["plan"][0]


ENROLMENT_INSTANTS = [
    datetime(2027, 1, 31, 20, 0, tzinfo=LA),  # the last evening of a 31-day month
    datetime(2028, 2, 29, 12, 0, tzinfo=LA),  # a leap day
    datetime(2026, 12, 31, 23, 59, tzinfo=LA),  # the year's last minute (UTC is in January)
    datetime(2027, 3, 14, 3, 30, tzinfo=LA),  # the morning clocks spring forward
    datetime(2027, 6, 1, 0, 0, tzinfo=LA),  # a month's first minute
]


@pytest.mark.parametrize("start", ENROLMENT_INSTANTS, ids=lambda d: d.strftime("%Y-%m-%d_%H%M"))
def test_renewal_grants_each_month_once_whatever_the_day_and_hour(
    start, priced, club, desk, patient, clinic
):
    with time_machine.travel(start, tick=False):
        member = memberships.enrol(desk, patient, club, clinic)
        assert memberships.renew_due() == 0  # enrolling granted this month
    # The rest of this month in the clinic's zone (UTC may be in the next month already).
    first_of_next = (start.replace(day=1) + timedelta(days=32)).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0
    )
    with time_machine.travel(first_of_next - timedelta(minutes=1), tick=False):
        assert memberships.renew_due() == 0
    for run in range(3):  # the scheduler runs every minute: the month is granted once
        with time_machine.travel(first_of_next + timedelta(minutes=run), tick=False):
            assert memberships.renew_due() == (1 if run == 0 else 0)
    with time_machine.travel(first_of_next + timedelta(days=20), tick=False):
        from glabella.messaging import delivery

        assert delivery.tick(timezone.now())["memberships_renewed"] == 0
    months = MembershipEntry.objects.filter(membership=member, kind="credit")
    assert sorted(m.period for m in months) == [start.date().replace(day=1), first_of_next.date()]
    fees = MembershipEntry.objects.filter(membership=member, kind="fee")
    assert fees.count() == 2 and len({f.invoice_id for f in fees}) == 2
    assert_credit_adds_up(member)
    assert Membership.objects.get(pk=member.pk).credit_balance == D("20")  # credit carries over


def test_the_database_grants_a_month_once_even_if_the_service_forgot_to_look(member):
    period = MembershipEntry.objects.get(membership=member, kind="credit").period
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipEntry.objects.create(
            membership=member, kind="credit", units=D("10"), balance_after=D("20"), period=period
        )


def test_pause_resume_and_cancel_with_their_dates_and_ledger_rows(
    priced, club, desk, patient, clinic
):
    january = datetime(2027, 1, 10, 10, 0, tzinfo=LA)
    with time_machine.travel(january, tick=False):
        member = memberships.enrol(desk, patient, club, clinic)
        member = memberships.pause(desk, member)
        assert member.status == "paused" and member.paused_on == january.date()
        with pytest.raises(Conflict):
            memberships.pause(desk, member)
        invoice = units_invoice(desk, patient, clinic, units="5")
        with pytest.raises(ValidationFailed) as paused:
            memberships.redeem(desk, invoice, member, invoice.lines.get().pk, "5")
        assert "paused" in paused.value.fields["membership"][0]
    with time_machine.travel(datetime(2027, 2, 3, 9, 0, tzinfo=LA), tick=False):
        assert memberships.renew_due() == 0  # paused: no fee, no credit
    with time_machine.travel(datetime(2027, 3, 5, 9, 0, tzinfo=LA), tick=False):
        member = memberships.resume(desk, member)  # March is granted as it resumes
        assert member.status == "active" and member.paused_on is None
        assert memberships.renew_due() == 0
    with time_machine.travel(datetime(2027, 3, 20, 9, 0, tzinfo=LA), tick=False):
        member = memberships.cancel(desk, member, "Moving away")
        assert member.status == "cancelled" and member.cancelled_on == datetime(2027, 3, 20).date()
        assert member.credit_balance == 0  # unused credit lapses
        with pytest.raises(Conflict):
            memberships.resume(desk, member)
    with time_machine.travel(datetime(2027, 4, 1, 9, 0, tzinfo=LA), tick=False):
        assert memberships.renew_due() == 0
    kinds = [e.kind for e in member.entries.order_by("at", "id")]
    assert kinds == ["credit", "fee", "paused", "resumed", "credit", "fee", "cancelled"]
    assert [e.period.month for e in member.entries.filter(kind="fee")] == [1, 3]
    assert_credit_adds_up(member)
    # A new membership may begin once the old one is cancelled.
    with time_machine.travel(datetime(2027, 4, 2, 9, 0, tzinfo=LA), tick=False):
        again = memberships.enrol(desk, patient, club, clinic)
    assert again.status == "active"


def test_the_owner_adjusts_a_members_credit_never_below_zero_with_a_reason(
    priced, member, desk, owner, patient, clinic
):
    member.refresh_from_db()
    assert member.credit_balance == D("10")
    with pytest.raises(Forbidden):
        memberships.adjust(desk, member, "5", "given back")
    entry = memberships.adjust(owner, member, "5", "Treatment refunded: credit given back")
    assert entry.kind == "adjusted" and entry.units == D("5") and entry.balance_after == D("15")
    assert entry.by == owner.staff and entry.reason == "Treatment refunded: credit given back"
    before = (MembershipEntry.objects.count(), AccessLog.objects.count())
    with pytest.raises(ValidationFailed) as below:
        memberships.adjust(owner, member, "-16", "too much")
    assert "Only 15 units of credit are left" in below.value.fields["units"][0]
    assert (MembershipEntry.objects.count(), AccessLog.objects.count()) == before
    memberships.adjust(owner, member, "-15", "Counted twice")
    member.refresh_from_db()
    assert member.credit_balance == 0
    assert_credit_adds_up(member)
    # Spent to zero, the desk can redeem nothing more.
    invoice = units_invoice(desk, patient, clinic, units="1")
    with pytest.raises(ValidationFailed):
        memberships.redeem(desk, invoice, member, invoice.lines.get().pk, "1")
    # The database refuses a negative credit and an adjustment of nothing.
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipEntry.objects.create(
            membership=member, kind="adjusted", units=D("-1"), balance_after=D("-1")
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipEntry.objects.create(
            membership=member, kind="adjusted", units=D("0"), balance_after=D("0")
        )
    # Paused, the credit may still be corrected; canceled, it has lapsed.
    memberships.pause(desk, member)
    memberships.adjust(owner, member, "2", "Paused by mistake: the month's visit")
    memberships.cancel(desk, member)
    with pytest.raises(Conflict):
        memberships.adjust(owner, member, "2", "too late")
    assert_credit_adds_up(member)
    kinds = [e.kind for e in member.entries.order_by("id")]
    assert kinds == ["credit", "fee", "adjusted", "adjusted", "paused", "adjusted", "cancelled"]


def test_clinicians_sell_redeem_and_enrol_nothing(priced, plan, club, actor_of, patient, clinic):
    desk = actor_of("front_desk")
    invoice = invoices.open_invoice(desk, patient, clinic)
    for persona in ("injector", "medical_director"):
        clinician = actor_of(persona)
        with pytest.raises(Forbidden):
            packages.sell(clinician, invoice, plan)
        with pytest.raises(Forbidden):
            memberships.enrol(clinician, patient, club, clinic)
        with pytest.raises(Forbidden):
            packages.create_plan(
                clinician, clinic.organisation, name="x", units="1", price="1", valid_days="1"
            )
        assert not PatientPackage.objects.restrict(clinician).exists()
    with pytest.raises(Forbidden):
        packages.create_plan(
            desk, clinic.organisation, name="x", units="1", price="1", valid_days="1"
        )


# ---------------------------------------------------------------- bad input


def _counts():
    return (
        PackagePlan.objects.count(),
        PatientPackage.objects.count(),
        PackageEntry.objects.count(),
        MembershipPlan.objects.count(),
        Membership.objects.count(),
        MembershipEntry.objects.count(),
        Payment.objects.count(),
        Invoice.objects.count(),
        InvoiceLine.objects.count(),
        AccessLog.objects.count(),
    )


def _plan(o, c, **changes):
    data = dict(
        name="Botox 20", product="botox_cosmetic", units="20", price="240", valid_days="365"
    )
    data.update(changes)
    return packages.create_plan(o, c.organisation, **data)


def _club(o, c, **changes):
    data = dict(name="Club", monthly_fee="49", percent_off="", credit_product="", monthly_credit="")
    data.update(changes)
    return memberships.create_plan(o, c.organisation, **data)


BAD = [
    ("plan name empty", lambda s: _plan(s.owner, s.clinic, name="  "), "name"),
    ("plan name taken", lambda s: _plan(s.owner, s.clinic, name="Botox 100"), "name"),
    ("plan name long", lambda s: _plan(s.owner, s.clinic, name="x" * 101), "name"),
    ("no product", lambda s: _plan(s.owner, s.clinic, product=""), "product"),
    ("unknown product", lambda s: _plan(s.owner, s.clinic, product="aspirin"), "product"),
    ("units zero", lambda s: _plan(s.owner, s.clinic, units="0"), "units"),
    ("units huge", lambda s: _plan(s.owner, s.clinic, units="1e9"), "units"),
    ("price negative", lambda s: _plan(s.owner, s.clinic, price="-5"), "price"),
    ("price NaN", lambda s: _plan(s.owner, s.clinic, price="NaN"), "price"),
    ("days zero", lambda s: _plan(s.owner, s.clinic, valid_days="0"), "valid_days"),
    ("days huge", lambda s: _plan(s.owner, s.clinic, valid_days="99999"), "valid_days"),
    ("days words", lambda s: _plan(s.owner, s.clinic, valid_days="a year"), "valid_days"),
    ("club fee zero", lambda s: _club(s.owner, s.clinic, monthly_fee="0"), "monthly_fee"),
    ("club percent", lambda s: _club(s.owner, s.clinic, percent_off="150"), "percent_off"),
    (
        "club credit, no product",
        lambda s: _club(s.owner, s.clinic, monthly_credit="10"),
        "credit_product",
    ),
    (
        "club credit huge",
        lambda s: _club(s.owner, s.clinic, monthly_credit="5000", credit_product="dysport"),
        "monthly_credit",
    ),
    ("redeem zero", lambda s: packages.redeem(s.desk, s.invoice, s.package, s.line, "0"), "units"),
    (
        "redeem minus",
        lambda s: packages.redeem(s.desk, s.invoice, s.package, s.line, "-5"),
        "units",
    ),
    ("redeem NaN", lambda s: packages.redeem(s.desk, s.invoice, s.package, s.line, "NaN"), "units"),
    (
        "redeem huge",
        lambda s: packages.redeem(s.desk, s.invoice, s.package, s.line, "1e6"),
        "units",
    ),
    ("redeem bad line", lambda s: packages.redeem(s.desk, s.invoice, s.package, "x", "5"), "line"),
    (
        "redeem other product",
        lambda s: packages.redeem(s.desk, s.invoice, s.package, s.dysport_line, "5"),
        "line",
    ),
    (
        "redeem another patient's",
        lambda s: packages.redeem(s.desk, s.other_invoice, s.package, s.other_line, "5"),
        "package",
    ),
    ("adjust no reason", lambda s: packages.adjust(s.owner, s.package, "5", " "), "reason"),
    ("adjust zero", lambda s: packages.adjust(s.owner, s.package, "0", "why"), "units"),
    ("adjust words", lambda s: packages.adjust(s.owner, s.package, "ten", "why"), "units"),
    ("adjust below zero", lambda s: packages.adjust(s.owner, s.package, "-101", "x"), "units"),
    ("sell no plan", lambda s: packages.sell(s.desk, s.invoice, None), "plan"),
    ("enrol no plan", lambda s: memberships.enrol(s.desk, s.patient, None, s.clinic), "plan"),
    (
        "credit another patient's",
        lambda s: memberships.redeem(s.desk, s.other_invoice, s.member, s.other_line, "5"),
        "membership",
    ),
    (
        "credit zero",
        lambda s: memberships.redeem(s.desk, s.invoice, s.member, s.line, "0"),
        "units",
    ),
    ("cancel long reason", lambda s: memberships.cancel(s.desk, s.member, "x" * 301), "reason"),
    (
        "adjust credit no reason",
        lambda s: memberships.adjust(s.owner, s.member, "5", " "),
        "reason",
    ),
    (
        "adjust credit long reason",
        lambda s: memberships.adjust(s.owner, s.member, "5", "x" * 301),
        "reason",
    ),
    ("adjust credit zero", lambda s: memberships.adjust(s.owner, s.member, "0", "why"), "units"),
    ("adjust credit words", lambda s: memberships.adjust(s.owner, s.member, "ten", "why"), "units"),
    ("adjust credit NaN", lambda s: memberships.adjust(s.owner, s.member, "NaN", "why"), "units"),
    ("adjust credit huge", lambda s: memberships.adjust(s.owner, s.member, "1e6", "why"), "units"),
    (
        "adjust credit below zero",
        lambda s: memberships.adjust(s.owner, s.member, "-11", "x"),
        "units",
    ),
]


@pytest.mark.parametrize(("label", "call", "field"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_names_its_field_and_writes_nothing(
    label, call, field, priced, plan, club, desk, owner, patient, clinic
):
    ProductPrice.objects.create(
        organisation=clinic.organisation, product="dysport", per_unit=D("5.00")
    )

    class Scene:
        pass

    s = Scene()
    s.desk, s.owner, s.patient, s.clinic = desk, owner, patient, clinic
    s.package = bought(desk, patient, clinic, plan)
    s.member = fees_paid(desk, memberships.enrol(desk, patient, club, clinic))
    s.invoice = units_invoice(desk, patient, clinic, units="20")
    s.line = s.invoice.lines.get().pk
    s.dysport_line = invoices.add_units(desk, s.invoice, "dysport", "10").pk
    s.other_invoice = units_invoice(desk, make_patient(), clinic, units="5")
    s.other_line = s.other_invoice.lines.get().pk
    before = _counts()
    with pytest.raises(ValidationFailed) as refused:
        call(s)
    assert field in refused.value.fields, refused.value.fields
    assert _counts() == before
    assert Invoice.objects.get(pk=s.invoice.pk).is_open
    assert_ledger_adds_up(s.package)
    assert_credit_adds_up(s.member)


# ---------------------------------------------------------------- twenty desks, one package


@pytest.mark.django_db(transaction=True)
def test_twenty_threads_redeeming_from_one_package_never_take_it_below_zero(clinic):
    from glabella.core.models import StaffMember

    ProductPrice.objects.create(
        organisation=clinic.organisation, product="botox_cosmetic", per_unit=D("14.00")
    )
    desk = actor_for(StaffMember.objects.get(user__username=STAFF_EMAILS["front_desk"]).user)
    owner = actor_for(StaffMember.objects.get(user__username=STAFF_EMAILS["owner"]).user)
    patient = make_patient(email="racer@example.com")
    plan = packages.create_plan(
        owner,
        clinic.organisation,
        name="Botox 100",
        product="botox_cosmetic",
        units="100",
        price="1200",
        valid_days="365",
    )
    package = bought(desk, patient, clinic, plan)
    checkouts = [units_invoice(desk, patient, clinic, units="8") for _ in range(20)]
    start = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def one(invoice: Invoice) -> None:
        try:
            start.wait()
            line = InvoiceLine.objects.get(invoice=invoice)
            packages.redeem(desk, invoice, PatientPackage.objects.get(pk=package.pk), line.pk, "8")
            result = "redeemed"
        except ValidationFailed as exc:
            result = exc.fields.get("units", ["?"])[0]
        except Exception as exc:  # anything else breaks the guarantee
            result = f"error {type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=one, args=(invoice,)) for invoice in checkouts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert len(outcomes) == 20
    assert outcomes.count("redeemed") == 12, outcomes  # 12 x 8 = 96 of 100 units
    refused = [o for o in outcomes if o != "redeemed"]
    assert all("Only 4 units are left" in o for o in refused), refused
    package.refresh_from_db()
    assert package.balance == D("4")
    assert_ledger_adds_up(package)
    redeemed = package.entries.filter(kind="redeemed")
    assert sorted(e.balance_after for e in redeemed) == [D(4 + 8 * i) for i in range(12)]
    assert Payment.objects.filter(method="package").count() == 12
    paid = [i for i in checkouts if invoices.balance_of(Invoice.objects.get(pk=i.pk)) == 0]
    assert len(paid) == 12


@pytest.mark.django_db(transaction=True)
def test_eight_desks_enrolling_one_patient_at_once_make_one_membership(clinic):
    from glabella.core.models import StaffMember

    desk = actor_for(StaffMember.objects.get(user__username=STAFF_EMAILS["front_desk"]).user)
    owner = actor_for(StaffMember.objects.get(user__username=STAFF_EMAILS["owner"]).user)
    patient = make_patient(email="joiner@example.com")
    club = memberships.create_plan(
        owner, clinic.organisation, name="Race Club", monthly_fee="50.00"
    )
    start = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def one() -> None:
        try:
            start.wait()
            memberships.enrol(desk, patient, club, clinic)
            result = "enrolled"
        except ValidationFailed as exc:
            result = exc.fields.get("plan", ["?"])[0]
        except Exception as exc:  # a 500 to the desk
            result = f"error {type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(set(outcomes)) == ["This patient is a member already.", "enrolled"], outcomes
    assert outcomes.count("enrolled") == 1
    member = Membership.objects.get(patient=patient)
    assert_credit_adds_up(member)
    assert Invoice.objects.filter(patient=patient).count() == 1  # one month's fee


# ---------------------------------------------------------------- the patient record


def test_the_record_lists_her_packages_and_membership_for_the_desk_only(
    client_for, priced, plan, club, desk, owner, patient, clinic, other_patient
):
    from django.urls import reverse

    package = bought(desk, patient, clinic, plan)
    invoice = units_invoice(desk, patient, clinic, units="30")
    packages.redeem(desk, invoice, package, invoice.lines.get().pk, "30")
    memberships.enrol(desk, patient, club, clinic)
    url = reverse("patients:record", args=[patient.public_id])
    page = client_for("front_desk").get(url).content.decode()
    assert "Packages and membership" in page
    assert "Botox 100" in page and "70 of 100 units" in page
    expires = package.expires_on
    assert f"{expires:%b} {expires.day}, {expires.year}" in page
    assert "Glow Club</a>, a member since" in page and "$99.00 a month" in page
    assert "Credit left: 10 units of BOTOX Cosmetic" in page
    for persona in ("injector", "medical_director"):
        assert "Packages and membership" not in client_for(persona).get(url).content.decode()
    # She holds nothing, and the clinic sells nothing: no section (tests/test_prepaid_pages.py
    # has the section with plans on sale, to enroll her).
    packages.set_plan_active(owner, plan, False)
    memberships.set_plan_active(owner, club, False)
    nothing = reverse("patients:record", args=[other_patient.public_id])
    assert "Packages and membership" not in client_for("front_desk").get(nothing).content.decode()


# ---------------------------------------------------------------- what the review found


def test_voiding_a_months_fee_takes_back_its_unspent_credit(club, patient, clinic, desk):
    member = memberships.enrol(desk, patient, club, clinic)
    member.refresh_from_db()
    assert member.credit_balance == D("10")
    fee = Invoice.objects.get(patient=patient, status="open")
    invoices.void(desk, fee, "The member never paid the month")
    member.refresh_from_db()
    assert member.credit_balance == 0
    assert_credit_adds_up(member)
    row = member.entries.get(kind="adjusted")
    assert row.units == D("-10") and "voided" in row.reason


def test_a_package_sale_is_not_refunded_while_its_units_are_unused(
    priced, plan, desk, owner, patient, clinic
):
    from glabella.billing.models import Refund

    package = bought(desk, patient, clinic, plan)  # $1,200.00 in cash
    cash = Payment.objects.get(invoice=package.invoice)
    with pytest.raises(ValidationFailed) as refused:
        payments.refund(owner, cash, amount="1200.00", reason="Changed her mind")
    assert "unused units are worth 1,200.00" in refused.value.fields["amount"][0]
    assert not Refund.objects.exists()
    # Half the units taken off the package: half the price may go back, no more.
    packages.adjust(owner, package, "-50", "Refunding half")
    with pytest.raises(ValidationFailed):
        payments.refund(owner, cash, amount="600.01", reason="Half")
    payments.refund(owner, cash, amount="600.00", reason="Half")
    assert Refund.objects.get().amount == D("600.00")
