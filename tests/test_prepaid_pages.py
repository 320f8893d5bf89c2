"""The prepaid pages (issue 20, packages and memberships outside the invoice page): the owner's
packages and memberships on the price page (added, taken off sale, sold again), the record's
section with enrolling (then the first fee at checkout), pausing, resuming and canceling, each
package's and membership's ledger on its own page (every row, in the location's zone, each read
logged), the owner's adjustment of a package's balance; bad input on every form answered at 422
(409 for a membership that cannot change so) with its field's message and nothing written; who
may open what."""

import html
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

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
from glabella.core.errors import Forbidden, ValidationFailed
from glabella.core.models import AccessLog
from tests.support.crawl import offences, visible_text

D = Decimal
LA = ZoneInfo("America/Los_Angeles")


@pytest.fixture
def priced(clinic):
    return ProductPrice.objects.create(
        organisation=clinic.organisation, product="botox_cosmetic", per_unit=D("14.00")
    )


@pytest.fixture
def owner(actor_of):
    return actor_of("owner")


@pytest.fixture
def desk(actor_of):
    return actor_of("front_desk")


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


def bought(desk, patient, clinic, plan) -> PatientPackage:
    invoice = invoices.open_invoice(desk, patient, clinic)
    package = packages.sell(desk, invoice, plan)
    payments.take_payment(desk, invoice, method="cash", amount=str(plan.price))
    return PatientPackage.objects.get(pk=package.pk)


def counts() -> tuple:
    """Everything a prepaid form could write."""
    return (
        PackagePlan.objects.count(),
        list(PackagePlan.objects.values_list("active", flat=True).order_by("id")),
        MembershipPlan.objects.count(),
        list(MembershipPlan.objects.values_list("active", flat=True).order_by("id")),
        PatientPackage.objects.count(),
        list(PatientPackage.objects.values_list("balance", flat=True).order_by("id")),
        PackageEntry.objects.count(),
        list(Membership.objects.values_list("status", "credit_balance").order_by("id")),
        MembershipEntry.objects.count(),
        Invoice.objects.count(),
        InvoiceLine.objects.count(),
        Payment.objects.count(),
        AccessLog.objects.filter(action__in=["create", "update", "delete"]).count(),
    )


def main_of(response) -> str:
    page = html.unescape(response.content.decode())
    return page[page.find("<main") :]


def reads_well(response) -> None:
    """No internal key, ISO or UTC time, British spelling in what a person reads."""
    assert offences(visible_text(response.content.decode())) == []


# ---------------------------------------------------------------- the owner's plans


def test_the_owner_adds_a_package_of_units_one_of_visits_and_a_membership(client_for, clinic):
    owner = client_for("owner")
    consultation = Service.objects.get(slug="consultation")
    response = owner.post(
        reverse("prices:package-plan"),
        {
            "name": "  Botox   100 ",
            "product": "botox_cosmetic",
            "units": "100",
            "price": "1,200.00",
            "valid_days": "365",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("prices:home")
    owner.post(
        reverse("prices:package-plan"),
        {
            "name": "Three reviews",
            "service": str(consultation.pk),
            "units": "3",
            "price": "150",
            "valid_days": "180",
        },
    )
    owner.post(
        reverse("prices:membership-plan"),
        {
            "name": "Glow Club",
            "monthly_fee": "99",
            "percent_off": "10",
            "credit_product": "botox_cosmetic",
            "monthly_credit": "10",
        },
    )
    owner.post(reverse("prices:membership-plan"), {"name": "Basic", "monthly_fee": "29"})
    botox = PackagePlan.objects.get(name="Botox 100")
    assert (botox.product, botox.units, botox.price, botox.valid_days) == (
        "botox_cosmetic",
        D("100"),
        D("1200.00"),
        365,
    )
    assert PackagePlan.objects.get(name="Three reviews").service == consultation
    glow = MembershipPlan.objects.get(name="Glow Club")
    assert (glow.monthly_fee, glow.percent_off, glow.monthly_credit) == (D("99"), D("10"), D("10"))
    basic = MembershipPlan.objects.get(name="Basic")
    assert basic.percent_off is None and basic.monthly_credit == 0 and basic.credit_product == ""
    assert AccessLog.objects.filter(object_type="package", action="create").count() == 2
    assert AccessLog.objects.filter(object_type="membership", action="create").count() == 2

    response = owner.get(reverse("prices:home"))
    reads_well(response)
    page = main_of(response)
    assert "Botox 100" in page and "100 units of BOTOX Cosmetic" in page and "$1,200.00" in page
    assert "365 days" in page and "3 visits: Consultation" in page
    assert "Glow Club" in page and "$99.00" in page and "10 units of BOTOX Cosmetic" in page
    assert "10% off" in page


PLAN_BAD = [
    ("package-plan", {"name": "", "product": "botox_cosmetic", "units": "5"}, "Name the package"),
    ("package-plan", {"name": "Taken", "units": "5", "price": "5", "valid_days": "5"}, "product"),
    (
        "package-plan",
        {"name": "Both", "product": "dysport", "service": "<service>", "units": "5"},
        "one of the two",
    ),
    ("package-plan", {"name": "X", "product": "dysport", "units": "0"}, "units"),
    ("package-plan", {"name": "X", "product": "dysport", "units": "5", "price": "-1"}, "price"),
    (
        "package-plan",
        {"name": "X", "product": "dysport", "units": "5", "price": "5", "valid_days": "a year"},
        "whole number of days",
    ),
    ("package-plan", {"name": "X", "product": "aspirin"}, "Select a valid choice"),
    ("package-plan", {"name": "X", "service": "999999"}, "Select a valid choice"),
    ("package-plan", {"name": "Botox 100", "product": "dysport"}, "package of this name"),
    ("membership-plan", {"name": "", "monthly_fee": "10"}, "Name the membership"),
    ("membership-plan", {"name": "Club", "monthly_fee": "0"}, "monthly_fee"),
    ("membership-plan", {"name": "Club", "monthly_fee": "9", "percent_off": "150"}, "percent_off"),
    (
        "membership-plan",
        {"name": "Club", "monthly_fee": "9", "monthly_credit": "10"},
        "product the monthly credit is in",
    ),
    ("membership-plan", {"name": "Glow Club", "monthly_fee": "9"}, "membership of this name"),
]


@pytest.mark.parametrize(
    ("route", "data", "says"), PLAN_BAD, ids=[f"{r}-{s}" for r, _, s in PLAN_BAD]
)
def test_a_bad_plan_is_refused_on_its_field_at_422_and_nothing_is_written(
    client_for, plan, club, route, data, says
):
    service = Service.objects.get(slug="consultation")
    data = {k: (str(service.pk) if v == "<service>" else v) for k, v in data.items()}
    before = counts()
    response = client_for("owner").post(reverse(f"prices:{route}"), data)
    assert response.status_code == 422
    page = main_of(response)
    form_id = "package" if route == "package-plan" else "membership"
    # The message is on the form that was sent, opened, next to its field.
    assert f'id="{form_id}-name"' in page
    assert 'class="error' in page
    if says in {"product", "units", "price", "monthly_fee", "percent_off"}:
        assert f'id="{form_id}-{says}_error"' in page, page[:4000]
    else:
        assert says in page, page[:4000]
    assert counts() == before


def test_the_owner_stops_selling_a_package_and_enrolling_in_a_membership(
    client_for, clinic, plan, club, desk, patient
):
    owner = client_for("owner")
    url = reverse("prices:plan-on-sale")
    response = owner.post(url, {"kind": "package", "plan": plan.pk, "on_sale": "no"})
    assert response.status_code == 302
    owner.post(url, {"kind": "membership", "plan": club.pk, "on_sale": "no"})
    plan.refresh_from_db()
    club.refresh_from_db()
    assert not plan.active and not club.active
    assert AccessLog.objects.filter(
        object_type="package", action="update", object_id=str(plan.pk)
    ).exists()
    page = main_of(owner.get(reverse("prices:home")))
    assert "Not sold" in page and "Sell again" in page and "Open to new members" in page
    # The desk can sell neither now.
    invoice = invoices.open_invoice(desk, patient, clinic)
    with pytest.raises(ValidationFailed):
        packages.sell(desk, invoice, plan)
    with pytest.raises(ValidationFailed):
        memberships.enrol(desk, patient, club, clinic)
    # And on sale again.
    owner.post(url, {"kind": "package", "plan": plan.pk, "on_sale": "yes"})
    plan.refresh_from_db()
    assert plan.active
    packages.sell(desk, invoice, plan)


def test_a_plan_on_sale_form_that_names_no_plan_writes_nothing(client_for, plan):
    owner = client_for("owner")
    url = reverse("prices:plan-on-sale")
    before = counts()
    assert owner.post(url, {}).status_code == 422
    assert owner.post(url, {"kind": "package", "plan": "x", "on_sale": "no"}).status_code == 422
    assert (
        owner.post(url, {"kind": "package", "plan": "999999", "on_sale": "no"}).status_code == 404
    )
    assert (
        owner.post(url, {"kind": "membership", "plan": plan.pk, "on_sale": "no"}).status_code == 404
    )  # a package's id is not a membership's
    assert counts() == before


def test_only_the_owner_sets_plans(actor_of, plan, club):
    for persona in ("front_desk", "injector", "medical_director"):
        with pytest.raises(Forbidden):
            packages.set_plan_active(actor_of(persona), plan, False)
        with pytest.raises(Forbidden):
            memberships.set_plan_active(actor_of(persona), club, False)
    plan.refresh_from_db()
    club.refresh_from_db()
    assert plan.active and club.active


# ---------------------------------------------------------------- the record's section


def test_the_record_offers_enrolling_when_the_clinic_sells_a_membership(
    client_for, owner, club, plan, patient
):
    url = reverse("patients:record", args=[patient.public_id])
    desk = client_for("front_desk")
    page = main_of(desk.get(url))
    assert "Packages and membership" in page
    assert "Enroll in a membership" in page and "Glow Club ($99.00 a month)" in page
    assert reverse("prepaid:enrol", args=[patient.public_id]) in page
    assert "The desk sells a package on an invoice at checkout" in page
    # Neither sold any more: no section for a patient who holds nothing.
    memberships.set_plan_active(owner, club, False)
    assert "Enroll in a membership" not in main_of(desk.get(url))
    packages.set_plan_active(owner, plan, False)
    assert "Packages and membership" not in main_of(desk.get(url))


def test_enrolling_sends_the_desk_to_the_first_fees_invoice(client_for, club, patient, clinic):
    desk = client_for("front_desk")
    response = desk.post(
        reverse("prepaid:enrol", args=[patient.public_id]),
        {"plan": club.pk, "location": clinic.pk},
    )
    membership = Membership.objects.get(patient=patient)
    fee = MembershipEntry.objects.get(membership=membership, kind="fee")
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:invoice", args=[fee.invoice.public_id])
    assert fee.invoice.is_open and fee.invoice.lines.get().amount == D("99.00")
    page = main_of(desk.get(response["Location"]))
    assert "is a member of Glow Club" in page and "Membership: Glow Club" in page
    # The record now shows the membership, linked to its page, with pause and cancel.
    record = main_of(desk.get(reverse("patients:record", args=[patient.public_id])))
    assert reverse("prepaid:membership", args=[membership.public_id]) in record
    assert "Pause the membership" in record and "Yes, cancel the membership" in record
    assert "Enroll in a membership" not in record


def test_the_enrol_page_shows_the_form_and_logs_the_read(client_for, club, patient):
    response = client_for("front_desk").get(reverse("prepaid:enrol", args=[patient.public_id]))
    assert response.status_code == 200
    assert "Enroll Grace Holloway in a membership" in main_of(response)
    assert AccessLog.objects.filter(
        action="read", patient_public_id=patient.public_id, object_type="patient"
    ).exists()


def _enrol_bad(s):
    return [
        ({"plan": "", "location": s.clinic.pk}, "Choose one of the clinic's memberships"),
        ({"plan": "x", "location": s.clinic.pk}, "Select a valid choice"),
        ({"plan": s.closed.pk, "location": s.clinic.pk}, "Select a valid choice"),
        ({"plan": s.club.pk, "location": "999999"}, "Select a valid choice"),
        ({"plan": s.club.pk, "location": ""}, "Choose one of the clinic's locations"),
    ]


def test_bad_enrolling_is_refused_on_its_field_at_422_and_nothing_is_written(
    client_for, owner, club, patient, clinic, other_patient, actor_of
):
    closed = memberships.create_plan(owner, clinic.organisation, name="Old", monthly_fee="5")
    memberships.set_plan_active(owner, closed, False)

    class S:
        pass

    s = S()
    s.clinic, s.club, s.closed = clinic, club, closed
    desk = client_for("front_desk")
    url = reverse("prepaid:enrol", args=[patient.public_id])
    for data, says in _enrol_bad(s):
        before = counts()
        response = desk.post(url, data)
        assert response.status_code == 422, data
        assert says in main_of(response), data
        assert 'class="error' in main_of(response)
        assert counts() == before, data
    # A member already: refused on the plan.
    memberships.enrol(actor_of("front_desk"), patient, club, clinic)
    before = counts()
    response = desk.post(url, {"plan": club.pk, "location": clinic.pk})
    assert response.status_code == 422
    assert "member already" in main_of(response)
    assert counts() == before


def test_pause_resume_and_cancel_from_the_record(client_for, club, patient, clinic, desk):
    membership = memberships.enrol(desk, patient, club, clinic)
    client = client_for("front_desk")
    record = reverse("patients:record", args=[patient.public_id])

    def act(action, **data):
        url = reverse("prepaid:membership-action", args=[membership.public_id, action])
        return client.post(url, {"back": "record", **data})

    response = act("pause")
    assert response.status_code == 302 and response["Location"] == record + "#prepaid"
    membership.refresh_from_db()
    assert membership.status == "paused"
    assert "Resume the membership" in main_of(client.get(record))
    assert act("resume").status_code == 302
    membership.refresh_from_db()
    assert membership.status == "active"
    response = act("cancel", reason="Moving away")
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.status == "cancelled" and membership.credit_balance == 0
    assert membership.entries.get(kind="cancelled").reason == "Moving away"
    page = main_of(client.get(record))
    assert "canceled on" in page and "Pause the membership" not in page
    assert "Enroll in a membership" in page  # she may join again


CONFLICTS = [
    ("cancelled", "pause", "canceled"),
    ("cancelled", "resume", "canceled"),
    ("cancelled", "cancel", "canceled"),
    ("active", "resume", "active"),
    ("paused", "pause", "paused"),
]


@pytest.mark.parametrize(("state", "action", "says"), CONFLICTS)
def test_a_membership_that_cannot_change_so_answers_409_and_nothing_is_written(
    client_for, club, patient, clinic, desk, state, action, says
):
    membership = memberships.enrol(desk, patient, club, clinic)
    if state == "cancelled":
        memberships.cancel(desk, membership)
    elif state == "paused":
        memberships.pause(desk, membership)
    before = counts()
    url = reverse("prepaid:membership-action", args=[membership.public_id, action])
    response = client_for("front_desk").post(url, {})
    assert response.status_code == 409
    assert f"This membership is {says}." in main_of(response)
    assert 'role="alert"' in main_of(response)
    assert counts() == before


def test_a_cancel_reason_too_long_is_refused_on_its_field(client_for, club, patient, clinic, desk):
    membership = memberships.enrol(desk, patient, club, clinic)
    before = counts()
    url = reverse("prepaid:membership-action", args=[membership.public_id, "cancel"])
    response = client_for("front_desk").post(url, {"reason": "x" * 301})
    assert response.status_code == 422
    assert 'id="cancel-reason_error"' in main_of(response)
    assert "at most 300" in main_of(response)
    assert counts() == before
    unknown = reverse("prepaid:membership-action", args=[membership.public_id, "freeze"])
    assert client_for("front_desk").post(unknown, {}).status_code == 404


# ---------------------------------------------------------------- the ledgers


def test_the_membership_page_shows_every_ledger_row_in_the_locations_zone(
    client_for, club, patient, clinic, actor_of
):
    desk = actor_of("front_desk")
    # 6:30 PM in Los Angeles on January 31st is February 1st in UTC.
    with time_machine.travel(datetime(2027, 1, 31, 18, 30, tzinfo=LA), tick=False):
        membership = memberships.enrol(desk, patient, club, clinic)
    with time_machine.travel(datetime(2027, 2, 3, 9, 15, tzinfo=LA), tick=False):
        memberships.pause(desk, membership)
    with time_machine.travel(datetime(2027, 2, 4, 10, 0, tzinfo=LA), tick=False):
        memberships.cancel(desk, membership, "Moving away")
    fee = MembershipEntry.objects.get(membership=membership, kind="fee")
    client = client_for("front_desk")
    before = AccessLog.objects.filter(object_type="membership", action="read").count()
    response = client.get(reverse("prepaid:membership", args=[membership.public_id]))
    assert response.status_code == 200
    page = main_of(response)
    assert "Glow Club: Grace Holloway" in page
    assert "Jan 31, 2027, 6:30 PM" in page and "Feb 1, 2027" not in page
    assert "Monthly credit granted, January 2027" in page and "+10" in page
    assert "Monthly fee charged, January 2027: $99.00" in page
    assert "Paused" in page and "Feb 3, 2027, 9:15 AM" in page
    assert "Canceled" in page and "Moving away" in page and "-10" in page
    assert f"<td>{desk.staff.full_name}</td>" in page
    assert reverse("billing:invoice", args=[fee.invoice.public_id]) in page
    assert "Open invoice" in page
    assert "Pause the membership" not in page  # canceled: nothing more to change
    logged = AccessLog.objects.filter(object_type="membership", action="read")
    assert logged.count() == before + 1
    assert logged.last().patient_public_id == patient.public_id
    assert logged.last().object_id == str(membership.public_id)


def test_the_package_page_shows_its_ledger_and_the_owner_adjusts_the_balance(
    client_for, priced, plan, patient, clinic, desk
):
    package = bought(desk, patient, clinic, plan)
    checkout = invoices.open_invoice(desk, patient, clinic)
    line = invoices.add_units(desk, checkout, "botox_cosmetic", "30")
    packages.redeem(desk, checkout, package, line.pk, "30")
    checkout.refresh_from_db()
    url = reverse("prepaid:package", args=[package.public_id])

    page = main_of(client_for("front_desk").get(url))
    assert "Botox 100: Grace Holloway" in page and "70 of 100 units" in page
    assert "Bought" in page and "+100" in page and "Redeemed" in page and "-30" in page
    assert f"Invoice {checkout.number}" in page
    assert reverse("billing:invoice", args=[checkout.public_id]) in page
    assert reverse("billing:invoice", args=[package.invoice.public_id]) in page
    assert "Adjust the balance" not in page  # the owner's
    assert AccessLog.objects.filter(
        object_type="package", action="read", object_id=str(package.public_id)
    ).exists()

    owner = client_for("owner")
    assert "Adjust the balance" in main_of(owner.get(url))
    adjust = reverse("prepaid:package-adjust", args=[package.public_id])
    response = owner.post(adjust, {"units": "5", "reason": "Treatment refunded", "refund": "on"})
    assert response.status_code == 302 and response["Location"] == url
    response = owner.post(adjust, {"units": "-2", "reason": "Counted twice"})
    package.refresh_from_db()
    assert package.balance == D("73") == packages.ledger_sum(package)
    assert [e.kind for e in package.entries.all()] == ["bought", "redeemed", "refunded", "adjusted"]
    page = main_of(owner.get(url))
    assert "Counted twice" in page and "Refunded" in page and "+5" in page and "-2" in page
    assert "The balance is 73 units now." in page or "73 of 100 units" in page


ADJUST_BAD = [
    ({"units": "5", "reason": " "}, "reason", "Say why"),
    ({"units": "0", "reason": "why"}, "units", "other than zero"),
    ({"units": "ten", "reason": "why"}, "units", "Enter a number of units"),
    ({"units": "-71", "reason": "why"}, "units", "Only 70 units are left"),
    ({"units": "31", "reason": "why"}, "units", "at most the 100 units"),
    ({"units": "1.005", "reason": "why"}, "units", "two decimal places"),
    ({"units": "5", "reason": "x" * 301}, "reason", "at most 300"),
]


@pytest.mark.parametrize(("data", "field", "says"), ADJUST_BAD, ids=[b[2] for b in ADJUST_BAD])
def test_a_bad_adjustment_is_refused_on_its_field_at_422_and_nothing_is_written(
    client_for, priced, plan, patient, clinic, desk, data, field, says
):
    package = bought(desk, patient, clinic, plan)
    checkout = invoices.open_invoice(desk, patient, clinic)
    line = invoices.add_units(desk, checkout, "botox_cosmetic", "30")
    packages.redeem(desk, checkout, package, line.pk, "30")
    before = counts()
    response = client_for("owner").post(
        reverse("prepaid:package-adjust", args=[package.public_id]), data
    )
    assert response.status_code == 422
    page = main_of(response)
    assert f'id="adjust-{field}_error"' in page and says in page
    assert counts() == before


def test_a_pending_package_is_not_adjusted(client_for, plan, patient, clinic, desk):
    invoice = invoices.open_invoice(desk, patient, clinic)
    package = packages.sell(desk, invoice, plan)
    url = reverse("prepaid:package", args=[package.public_id])
    page = main_of(client_for("owner").get(url))
    assert "Awaiting payment" in page and "Adjust the balance" not in page
    assert "365 days from when its invoice is paid" in page
    before = counts()
    response = client_for("owner").post(
        reverse("prepaid:package-adjust", args=[package.public_id]),
        {"units": "5", "reason": "why"},
    )
    assert response.status_code == 422
    assert "Only a paid package" in main_of(response)
    assert counts() == before


def test_the_owner_adjusts_a_members_credit_on_the_membership_page(
    client_for, club, patient, clinic, desk
):
    membership = memberships.enrol(desk, patient, club, clinic)
    url = reverse("prepaid:membership", args=[membership.public_id])
    assert "Adjust the credit" not in main_of(client_for("front_desk").get(url))
    owner = client_for("owner")
    assert "Adjust the credit" in main_of(owner.get(url))
    adjust = reverse("prepaid:membership-adjust", args=[membership.public_id])
    response = owner.post(adjust, {"units": "-4", "reason": "Counted twice"})
    assert response.status_code == 302 and response["Location"] == url
    page = main_of(owner.get(url))
    assert "The credit is 6 units now." in page
    assert "Credit adjusted" in page and "Counted twice" in page and "-4" in page
    membership.refresh_from_db()
    assert membership.credit_balance == D("6") == memberships.ledger_sum(membership)
    assert client_for("front_desk").post(adjust, {"units": "1", "reason": "x"}).status_code == 403


CREDIT_BAD = [
    ({"units": "5", "reason": ""}, "reason", "Say why the credit changes"),
    ({"units": "0", "reason": "why"}, "units", "other than zero"),
    ({"units": "-11", "reason": "why"}, "units", "Only 10 units of credit are left"),
    ({"units": "x", "reason": "why"}, "units", "Enter a number of units"),
]


@pytest.mark.parametrize(("data", "field", "says"), CREDIT_BAD, ids=[b[2] for b in CREDIT_BAD])
def test_a_bad_credit_adjustment_is_refused_on_its_field_at_422_and_nothing_is_written(
    client_for, club, patient, clinic, desk, data, field, says
):
    membership = memberships.enrol(desk, patient, club, clinic)
    before = counts()
    response = client_for("owner").post(
        reverse("prepaid:membership-adjust", args=[membership.public_id]), data
    )
    assert response.status_code == 422
    page = main_of(response)
    assert f'id="adjust-{field}_error"' in page and says in page
    assert counts() == before


def test_a_canceled_memberships_credit_is_not_adjusted(client_for, club, patient, clinic, desk):
    membership = memberships.cancel(desk, memberships.enrol(desk, patient, club, clinic))
    before = counts()
    response = client_for("owner").post(
        reverse("prepaid:membership-adjust", args=[membership.public_id]),
        {"units": "5", "reason": "why"},
    )
    assert response.status_code == 409
    assert "credit has lapsed" in main_of(response)
    assert counts() == before


# ---------------------------------------------------------------- who may


@pytest.mark.parametrize("persona", ["injector", "medical_director", "patient"])
def test_clinicians_and_patients_see_no_prepaid_page(
    client_for, plan, club, patient, clinic, desk, persona
):
    package = bought(desk, patient, clinic, plan)
    membership = memberships.enrol(desk, patient, club, clinic)
    client = client_for(persona)
    before = counts()
    for url in (
        reverse("prepaid:package", args=[package.public_id]),
        reverse("prepaid:membership", args=[membership.public_id]),
        reverse("prepaid:enrol", args=[patient.public_id]),
        reverse("prices:home"),
    ):
        assert client.get(url).status_code == 403, url
    for url, data in (
        (
            reverse("prepaid:package-adjust", args=[package.public_id]),
            {"units": "1", "reason": "x"},
        ),
        (reverse("prepaid:membership-action", args=[membership.public_id, "pause"]), {}),
        (reverse("prepaid:enrol", args=[patient.public_id]), {"plan": club.pk}),
        (reverse("prices:plan-on-sale"), {"kind": "package", "plan": plan.pk, "on_sale": "no"}),
    ):
        assert client.post(url, data).status_code == 403, url
    assert counts() == before


def test_the_desk_may_not_adjust_or_set_plans_and_unknown_ids_are_not_found(
    client_for, plan, patient, clinic, desk
):
    package = bought(desk, patient, clinic, plan)
    client = client_for("front_desk")
    before = counts()
    adjust = reverse("prepaid:package-adjust", args=[package.public_id])
    assert client.post(adjust, {"units": "1", "reason": "x"}).status_code == 403
    assert client.post(reverse("prices:package-plan"), {"name": "x"}).status_code == 403
    assert counts() == before
    nobody = "6f1c1d2e-0000-4000-8000-000000000000"
    for name in ("prepaid:package", "prepaid:membership", "prepaid:enrol"):
        assert client.get(reverse(name, args=[nobody])).status_code == 404
