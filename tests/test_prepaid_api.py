"""The prepaid API (issue 20, point 6): plans on sale, a patient's packages and membership with
their ledgers, selling and redeeming on an invoice, the owner's adjustments, enrolling,
pausing, resuming and cancelling; bad input that names its field and writes nothing, 409 on a
voided invoice or a membership in the wrong state, each write once per Idempotency-Key, and
clinicians and patients kept out. The invoice list's queries do not grow with its rows."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glabella.billing import invoices, memberships, packages, payments
from glabella.billing.models import (
    Invoice,
    InvoiceLine,
    Membership,
    MembershipEntry,
    PackageEntry,
    PackagePlan,
    PatientPackage,
    Payment,
    ProductPrice,
    Refund,
)
from glabella.clinic.models import Service
from glabella.core.models import AccessLog
from glabella.scheduling.models import IdempotentRequest
from tests.conftest import clinic_today, issue_token, make_patient
from tests.support.prepaid import bought, fees_paid, units_invoice

D = Decimal
JSON = "application/json"
NOBODY = "6f1c1d2e-0000-4000-8000-000000000000"


# ---------------------------------------------------------------- helpers


@pytest.fixture
def priced(clinic):
    ProductPrice.objects.create(
        organisation=clinic.organisation, product="dysport", per_unit=D("5.00")
    )
    return ProductPrice.objects.create(
        organisation=clinic.organisation, product="botox_cosmetic", per_unit=D("14.00")
    )


@pytest.fixture
def desk(client_for):
    return client_for("front_desk")


@pytest.fixture
def owner(client_for):
    return client_for("owner")


@pytest.fixture
def cashier(actor_of):
    return actor_of("front_desk")


@pytest.fixture
def plan(clinic, actor_of):
    return packages.create_plan(
        actor_of("owner"),
        clinic.organisation,
        name="Botox 100",
        product="botox_cosmetic",
        units="100",
        price="1200.00",
        valid_days="365",
    )


@pytest.fixture
def club(clinic, actor_of):
    return memberships.create_plan(
        actor_of("owner"),
        clinic.organisation,
        name="Glow Club",
        monthly_fee="99.00",
        percent_off="10",
        credit_product="botox_cosmetic",
        monthly_credit="10",
    )


def post(client, name, body=None, key=None, **kwargs):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(
        reverse(f"api:{name}", kwargs=kwargs), body or {}, content_type=JSON, **headers
    )


def get(client, name, params=None, **kwargs):
    return client.get(reverse(f"api:{name}", kwargs=kwargs), params or {})


def written() -> tuple:
    """Everything a prepaid write could change, to prove a refused one changed nothing."""
    return (
        list(Invoice.objects.order_by("pk").values_list("pk", "status", "number")),
        list(InvoiceLine.objects.order_by("pk").values_list("pk", "quantity", "amount")),
        list(Payment.objects.order_by("pk").values_list("pk", "method", "amount")),
        list(PatientPackage.objects.order_by("pk").values_list("pk", "status", "balance")),
        list(PackageEntry.objects.order_by("pk").values_list("pk", "units")),
        list(Membership.objects.order_by("pk").values_list("pk", "status", "credit_balance")),
        list(MembershipEntry.objects.order_by("pk").values_list("pk", "units")),
        AccessLog.objects.exclude(action="refused").count(),
    )


def ledger_adds_up(body: dict, balance_field: str) -> None:
    """The answer's balance is the sum of its ledger, and the last row's balance after."""
    rows = body["ledger"]
    assert D(body[balance_field]) == sum((D(r["units"]) for r in rows), D("0"))
    if rows:
        assert rows[-1]["balance_after"] == body[balance_field]


# ---------------------------------------------------------------- plans


def test_the_desk_reads_the_packages_and_memberships_on_offer(desk, plan, club, clinic, actor_of):
    visits = packages.create_plan(
        actor_of("owner"),
        clinic.organisation,
        name="Three reviews",
        service=Service.objects.get(slug="consultation"),
        units="3",
        price="150",
        valid_days="180",
    )
    retired = packages.create_plan(
        actor_of("owner"),
        clinic.organisation,
        name="Old offer",
        product="dysport",
        units="50",
        price="200",
        valid_days="90",
    )
    PackagePlan.objects.filter(pk=retired.pk).update(active=False)
    found = get(desk, "list_package_plans")
    assert found.status_code == 200
    by_name = {p["name"]: p for p in found.json()}
    assert "Old offer" not in by_name
    assert by_name["Botox 100"] == {
        "id": plan.pk,
        "name": "Botox 100",
        "product": "botox_cosmetic",
        "service": None,
        "units": "100.00",
        "price": "1200.00",
        "valid_days": 365,
    }
    assert by_name["Three reviews"]["service"] == "consultation"
    assert by_name["Three reviews"]["product"] == "" and visits.pk == by_name["Three reviews"]["id"]
    offers = {p["name"]: p for p in get(desk, "list_membership_plans").json()}
    assert offers["Glow Club"] == {
        "id": club.pk,
        "name": "Glow Club",
        "monthly_fee": "99.00",
        "percent_off": "10.00",
        "credit_product": "botox_cosmetic",
        "monthly_credit": "10.00",
    }


# ---------------------------------------------------------------- packages


def test_a_package_is_sold_on_an_invoice_paid_and_redeemed_at_checkout(
    desk, priced, plan, patient, clinic, cashier
):
    sale = invoices.open_invoice(cashier, patient, clinic)
    sold = post(desk, "sell_package", {"plan": plan.pk}, public_id=sale.public_id)
    assert sold.status_code == 200, sold.json()
    (line,) = sold.json()["lines"]
    assert line["description"] == "Prepaid package: Botox 100" and line["amount"] == "1200.00"
    assert sold.json()["total"] == "1200.00"

    listed = get(desk, "list_packages", {"patient": str(patient.public_id)})
    assert listed.status_code == 200
    (pending,) = listed.json()
    assert pending["status"] == "pending" and pending["balance"] == "0.00"
    assert pending["units"] == "100.00" and pending["invoice"] == str(sale.public_id)
    assert pending["plan"] == plan.pk and pending["expires_on"] is None
    listing = AccessLog.objects.filter(object_type="package", action="read").latest("id")
    assert str(patient.public_id) in listing.detail["patients"]

    paid = post(
        desk,
        "take_payment",
        {"method": "cash", "amount": "1200.00"},
        public_id=sale.public_id,
    )
    assert paid.status_code == 201
    public_id = pending["id"]
    active = get(desk, "read_package", public_id=public_id).json()
    assert active["status"] == "active" and active["balance"] == "100.00"
    assert active["activated_on"] == str(clinic_today())
    assert [(r["kind"], r["units"]) for r in active["ledger"]] == [("bought", "100.00")]
    assert AccessLog.objects.filter(object_type="package", object_id=public_id).exists()

    checkout = units_invoice(cashier, patient, clinic, units="30")
    line_id = checkout.lines.get().pk
    body = {"package": public_id, "line": line_id, "units": "20"}
    redeemed = post(desk, "redeem_package", body, public_id=checkout.public_id)
    assert redeemed.status_code == 200, redeemed.json()
    answer = redeemed.json()
    assert answer["status"] == "finalized"  # the first payment finalizes, as any payment does
    (payment,) = answer["payments"]
    assert payment["method"] == "package" and payment["amount"] == "280.00"
    assert payment["card_last4"] == "" and payment["reference"] == public_id
    assert answer["paid"] == "280.00" and answer["balance"] == "140.00"

    after = get(desk, "read_package", public_id=public_id).json()
    assert after["balance"] == "80.00"
    last = after["ledger"][-1]
    assert last["kind"] == "redeemed" and last["units"] == "-20.00"
    assert last["invoice_line"] == line_id and last["payment"] == payment["id"]
    assert last["by"]
    ledger_adds_up(after, "balance")
    assert get(desk, "list_packages", {"status": "expired"}).json() == []
    assert [p["id"] for p in get(desk, "list_packages", {"status": "active"}).json()] == [public_id]


def test_a_package_of_visits_pays_a_line_of_its_service(desk, clinic, patient, cashier, actor_of):
    consultation = Service.objects.get(slug="consultation")
    visits = packages.create_plan(
        actor_of("owner"),
        clinic.organisation,
        name="Three reviews",
        service=consultation,
        units="3",
        price="150",
        valid_days="180",
    )
    package = bought(cashier, patient, clinic, visits)
    invoice = invoices.open_invoice(cashier, patient, clinic)
    line = invoices.add_service(cashier, invoice, consultation)
    body = {"package": str(package.public_id), "line": line.pk, "units": "1"}
    answer = post(desk, "redeem_package", body, public_id=invoice.public_id)
    assert answer.status_code == 200 and answer.json()["balance"] == "0.00"
    read = get(desk, "read_package", public_id=package.public_id).json()
    assert read["balance"] == "2.00" and read["service"] == "consultation"


def test_the_owner_adjusts_a_balance_with_a_reason_and_the_desk_may_not(
    desk, owner, priced, plan, patient, clinic, cashier
):
    package = bought(cashier, patient, clinic, plan)
    invoice = units_invoice(cashier, patient, clinic, units="10")
    packages.redeem(cashier, invoice, package, invoice.lines.get().pk, "10")
    body = {"units": "10", "reason": "Treatment refunded: units given back", "refund": True}
    refused = post(desk, "adjust_package", body, public_id=package.public_id)
    assert refused.status_code == 403
    given = post(owner, "adjust_package", body, public_id=package.public_id)
    assert given.status_code == 200, given.json()
    assert given.json()["balance"] == "100.00"
    assert given.json()["ledger"][-1]["kind"] == "refunded"
    taken = post(
        owner,
        "adjust_package",
        {"units": "-5", "reason": "Counted twice at the desk"},
        public_id=package.public_id,
    )
    assert taken.status_code == 200
    last = taken.json()["ledger"][-1]
    assert last["kind"] == "adjusted" and last["units"] == "-5.00"
    assert last["reason"] == "Counted twice at the desk" and last["balance_after"] == "95.00"
    assert [r["kind"] for r in taken.json()["ledger"]] == [
        "bought",
        "redeemed",
        "refunded",
        "adjusted",
    ]
    ledger_adds_up(taken.json(), "balance")


# ---------------------------------------------------------------- memberships


def test_enrolling_reading_spending_pausing_resuming_and_cancelling_a_membership(
    desk, priced, club, patient, clinic, cashier
):
    body = {"patient": str(patient.public_id), "plan": club.pk, "location": "thousand-oaks"}
    enrolled = post(desk, "enrol_member", body)
    assert enrolled.status_code == 201, enrolled.json()
    member = enrolled.json()
    assert member["status"] == "active" and member["started_on"] == str(clinic_today())
    assert member["credit_balance"] == "10.00" and member["credit_product"] == "botox_cosmetic"
    assert member["location"] == "thousand-oaks" and member["plan_name"] == "Glow Club"
    credit, fee = member["ledger"]
    assert credit["kind"] == "credit" and credit["units"] == "10.00"
    assert fee["kind"] == "fee" and fee["amount"] == "99.00" and fee["invoice"]
    assert credit["period"] == str(clinic_today().replace(day=1))
    fee_invoice = get(desk, "read_invoice", public_id=fee["invoice"]).json()
    assert fee_invoice["total"] == "99.00" and fee_invoice["status"] == "open"
    public_id = member["id"]

    (listed,) = get(desk, "list_memberships", {"patient": str(patient.public_id)}).json()
    assert listed["id"] == public_id and "ledger" not in listed
    read = get(desk, "read_membership", public_id=public_id)
    assert read.status_code == 200 and read.json() == member
    assert AccessLog.objects.filter(object_type="membership", object_id=public_id).exists()

    checkout = units_invoice(cashier, patient, clinic, units="12")  # member price 12.60
    spend = {"membership": public_id, "line": checkout.lines.get().pk, "units": "10"}
    # The month's fee is not paid yet: its credit waits (422 on the membership, nothing spent).
    early = post(desk, "redeem_membership", spend, public_id=str(checkout.public_id))
    assert early.status_code == 422, early.json()
    assert "fee is not paid yet" in early.json()["error"]["fields"]["membership"][0]
    fees_paid(cashier, Membership.objects.get(public_id=public_id))
    spent = post(desk, "redeem_membership", spend, public_id=checkout.public_id)
    assert spent.status_code == 200, spent.json()
    (payment,) = spent.json()["payments"]
    assert payment["method"] == "membership" and payment["amount"] == "126.00"
    assert spent.json()["balance"] == "25.20"

    paused = post(desk, "pause_membership", public_id=public_id)
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    assert paused.json()["paused_on"] == str(clinic_today())
    again = post(desk, "pause_membership", public_id=public_id)
    assert again.status_code == 409
    assert "paused" in again.json()["error"]["fields"]["membership"][0]
    resumed = post(desk, "resume_membership", public_id=public_id)
    assert resumed.status_code == 200 and resumed.json()["status"] == "active"
    cancelled = post(desk, "cancel_membership", {"reason": "Moving away"}, public_id=public_id)
    assert cancelled.status_code == 200
    done = cancelled.json()
    assert done["status"] == "cancelled" and done["credit_balance"] == "0.00"
    assert done["cancelled_on"] == str(clinic_today())
    assert [r["kind"] for r in done["ledger"]] == [
        "credit",
        "fee",
        "spent",
        "paused",
        "resumed",
        "cancelled",
    ]
    assert done["ledger"][-1]["reason"] == "Moving away"
    ledger_adds_up(done, "credit_balance")
    before = written()
    for route in ("resume_membership", "pause_membership", "cancel_membership"):
        late = post(desk, route, public_id=public_id)
        assert late.status_code == 409, route
        assert "canceled" in late.json()["error"]["fields"]["membership"][0]
    assert written() == before
    assert get(desk, "list_memberships", {"status": "active"}).json() == []


# ---------------------------------------------------------------- bad input, nothing written


class Scene:
    """A paid package of 100 units, a small one of 10, a membership with 10 units of credit,
    an open invoice of 20 BOTOX units and 10 Dysport units, and another patient's invoice."""

    def __init__(self, cashier, patient, clinic, plan, club, actor_of):
        small = packages.create_plan(
            actor_of("owner"),
            clinic.organisation,
            name="Botox 10",
            product="botox_cosmetic",
            units="10",
            price="120",
            valid_days="90",
        )
        self.plan, self.club = plan, club
        self.retired = packages.create_plan(
            actor_of("owner"),
            clinic.organisation,
            name="Retired",
            product="botox_cosmetic",
            units="5",
            price="60",
            valid_days="90",
        )
        PackagePlan.objects.filter(pk=self.retired.pk).update(active=False)
        self.package = bought(cashier, patient, clinic, plan)
        self.small = bought(cashier, patient, clinic, small)
        self.pending = packages.sell(cashier, invoices.open_invoice(cashier, patient, clinic), plan)
        self.member = fees_paid(cashier, memberships.enrol(cashier, patient, club, clinic))
        self.invoice = units_invoice(cashier, patient, clinic, units="20")
        self.line = self.invoice.lines.get().pk
        self.dysport_line = invoices.add_units(cashier, self.invoice, "dysport", "10").pk
        someone = make_patient()
        self.stranger = someone
        self.other_invoice = units_invoice(cashier, someone, clinic, units="5")
        self.other_line = self.other_invoice.lines.get().pk
        self.other_package = bought(cashier, someone, clinic, plan)
        self.patient = patient

    def values(self) -> dict:
        return {
            "<plan>": self.plan.pk,
            "<retired>": self.retired.pk,
            "<club>": self.club.pk,
            "<package>": str(self.package.public_id),
            "<small>": str(self.small.public_id),
            "<pending>": str(self.pending.public_id),
            "<other-package>": str(self.other_package.public_id),
            "<member>": str(self.member.public_id),
            "<line>": self.line,
            "<dysport-line>": self.dysport_line,
            "<patient>": str(self.patient.public_id),
            "<stranger>": str(self.stranger.public_id),
        }


@pytest.fixture
def scene(cashier, patient, clinic, priced, plan, club, actor_of):
    return Scene(cashier, patient, clinic, plan, club, actor_of)


def fill(body: dict, values: dict) -> dict:
    return {k: values.get(v, v) if isinstance(v, str) else v for k, v in body.items()}


REDEEM = {"package": "<package>", "line": "<line>"}
SPEND = {"membership": "<member>", "line": "<line>"}
BAD_INVOICE_WRITES = [
    # (route, body, field)
    ("sell_package", {"plan": 999_999}, "plan"),
    ("sell_package", {"plan": "<retired>"}, "plan"),
    ("sell_package", {"plan": 0}, "plan"),
    ("sell_package", {"plan": 2**31}, "plan"),
    ("sell_package", {"plan": "Botox 100"}, "plan"),
    ("sell_package", {}, "plan"),
    ("sell_package", {"plan": "<plan>", "price": "1.00"}, "price"),
    ("redeem_package", {**REDEEM, "units": "0"}, "units"),
    ("redeem_package", {**REDEEM, "units": "-5"}, "units"),
    ("redeem_package", {**REDEEM, "units": "NaN"}, "units"),
    ("redeem_package", {**REDEEM, "units": "1e6"}, "units"),
    ("redeem_package", {**REDEEM, "units": "2.555"}, "units"),
    ("redeem_package", {**REDEEM, "units": "ten"}, "units"),
    ("redeem_package", {**REDEEM, "units": 5}, "units"),  # a JSON number
    ("redeem_package", {**REDEEM, "units": ""}, "units"),
    ("redeem_package", {**REDEEM, "units": "21"}, "units"),  # more than the line holds
    ("redeem_package", {**REDEEM, "package": "<small>", "units": "12"}, "units"),  # over balance
    ("redeem_package", {**REDEEM, "package": "<pending>", "units": "5"}, "package"),  # unpaid
    ("redeem_package", {**REDEEM, "package": "<other-package>", "units": "5"}, "package"),
    ("redeem_package", {**REDEEM, "package": NOBODY, "units": "5"}, "package"),
    ("redeem_package", {**REDEEM, "package": "not-a-uuid", "units": "5"}, "package"),
    ("redeem_package", {**REDEEM, "line": "<dysport-line>", "units": "5"}, "line"),
    ("redeem_package", {**REDEEM, "line": 999_999, "units": "5"}, "line"),
    ("redeem_package", {**REDEEM, "line": 0, "units": "5"}, "line"),
    ("redeem_package", {"package": "<package>", "units": "5"}, "line"),
    ("redeem_membership", {**SPEND, "units": "0"}, "units"),
    ("redeem_membership", {**SPEND, "units": "-1"}, "units"),
    ("redeem_membership", {**SPEND, "units": "11"}, "units"),  # over the credit left
    ("redeem_membership", {**SPEND, "units": 5}, "units"),
    ("redeem_membership", {**SPEND, "line": "<dysport-line>", "units": "5"}, "line"),
    ("redeem_membership", {**SPEND, "membership": NOBODY, "units": "5"}, "membership"),
    ("redeem_membership", {**SPEND, "membership": "x", "units": "5"}, "membership"),
]


@pytest.mark.parametrize(
    ("route", "body", "field"),
    BAD_INVOICE_WRITES,
    ids=[f"{r}-{i}" for i, (r, *_) in enumerate(BAD_INVOICE_WRITES)],
)
def test_bad_input_on_an_invoice_names_its_field_and_writes_nothing(
    desk, scene, route, body, field
):
    before = written()
    response = post(desk, route, fill(body, scene.values()), public_id=scene.invoice.public_id)
    assert response.status_code == 422, response.json()
    error = response.json()["error"]
    assert error["code"] == "validation_error" and field in error["fields"], error
    assert written() == before
    assert Invoice.objects.get(pk=scene.invoice.pk).is_open


def test_another_patients_package_or_membership_pays_nothing_of_hers(desk, scene, cashier):
    """Her package and membership on someone else's invoice: refused on their field."""
    before = written()
    for route, body, field in [
        ("redeem_package", {"package": "<package>", "line": "<other-line>"}, "package"),
        ("redeem_membership", {"membership": "<member>", "line": "<other-line>"}, "membership"),
    ]:
        values = {**scene.values(), "<other-line>": scene.other_line}
        response = post(
            desk,
            route,
            fill({**body, "units": "5"}, values),
            public_id=scene.other_invoice.public_id,
        )
        assert response.status_code == 422 and field in response.json()["error"]["fields"]
    assert written() == before


BAD_OTHER_WRITES = [
    # (route, URL object, body, field)
    ("adjust_package", "<package>", {"units": "0", "reason": "why"}, "units"),
    ("adjust_package", "<package>", {"units": "ten", "reason": "why"}, "units"),
    ("adjust_package", "<package>", {"units": "NaN", "reason": "why"}, "units"),
    ("adjust_package", "<package>", {"units": "1e30", "reason": "why"}, "units"),
    ("adjust_package", "<package>", {"units": "-1e999999", "reason": "why"}, "units"),
    ("adjust_package", "<package>", {"units": "sNaN", "reason": "why"}, "units"),
    ("adjust_package", "<package>", {"units": "0.001", "reason": "why"}, "units"),
    ("adjust_package", "<package>", {"units": -5, "reason": "why"}, "units"),
    ("adjust_package", "<package>", {"units": "-101", "reason": "below zero"}, "units"),
    ("adjust_package", "<package>", {"units": "1", "reason": "above what was bought"}, "units"),
    ("adjust_package", "<package>", {"units": "5", "reason": ""}, "reason"),
    ("adjust_package", "<package>", {"units": "5", "reason": "   "}, "reason"),
    ("adjust_package", "<package>", {"units": "5", "reason": "x" * 301}, "reason"),
    ("adjust_package", "<package>", {"units": "5"}, "reason"),
    ("adjust_package", "<pending>", {"units": "5", "reason": "unpaid"}, "package"),
    ("cancel_membership", "<member>", {"reason": "x" * 301}, "reason"),
    ("cancel_membership", "<member>", {"reason": 5}, "reason"),
    (
        "enrol_member",
        None,
        {"patient": NOBODY, "plan": "<club>", "location": "thousand-oaks"},
        "patient",
    ),
    (
        "enrol_member",
        None,
        {"patient": "x", "plan": "<club>", "location": "thousand-oaks"},
        "patient",
    ),
    (
        "enrol_member",
        None,
        {"patient": "<stranger>", "plan": 999_999, "location": "thousand-oaks"},
        "plan",
    ),
    (
        "enrol_member",
        None,
        {"patient": "<stranger>", "plan": "<club>", "location": "mars"},
        "location",
    ),
    ("enrol_member", None, {"patient": "<stranger>", "plan": "<club>"}, "location"),
    (
        "enrol_member",
        None,
        {"patient": "<patient>", "plan": "<club>", "location": "thousand-oaks"},
        "plan",
    ),
]


@pytest.mark.parametrize(
    ("route", "target", "body", "field"),
    BAD_OTHER_WRITES,
    ids=[f"{r}-{i}" for i, (r, *_) in enumerate(BAD_OTHER_WRITES)],
)
def test_bad_input_on_a_package_or_membership_names_its_field_and_writes_nothing(
    owner, scene, route, target, body, field
):
    values = scene.values()
    before = written()
    kwargs = {"public_id": values[target]} if target else {}
    response = post(owner, route, fill(body, values), **kwargs)
    assert response.status_code == 422, response.json()
    error = response.json()["error"]
    assert error["code"] == "validation_error" and field in error["fields"], error
    assert written() == before


def test_unknown_packages_and_memberships_are_not_found(desk, owner, scene):
    before = written()
    assert get(desk, "read_package", public_id=NOBODY).status_code == 404
    assert get(desk, "read_membership", public_id=NOBODY).status_code == 404
    assert (
        post(owner, "adjust_package", {"units": "1", "reason": "x"}, public_id=NOBODY).status_code
        == 404
    )
    for route in ("pause_membership", "resume_membership", "cancel_membership"):
        assert post(desk, route, public_id=NOBODY).status_code == 404
    assert written() == before


def test_a_voided_invoice_sells_and_redeems_nothing_and_names_the_invoice(desk, scene, cashier):
    invoices.void(cashier, scene.invoice, "Opened at the wrong location")
    values = scene.values()
    before = written()
    for route, body in [
        ("sell_package", {"plan": "<plan>"}),
        ("redeem_package", {**REDEEM, "units": "5"}),
        ("redeem_membership", {**SPEND, "units": "5"}),
    ]:
        response = post(desk, route, fill(body, values), public_id=scene.invoice.public_id)
        assert response.status_code == 409, (route, response.json())
        assert response.json()["error"]["fields"]["invoice"], route
    assert written() == before


def test_a_finalized_invoice_sells_no_package(desk, scene, cashier):
    payments.take_payment(cashier, scene.invoice, method="cash", amount="10")
    before = written()
    response = post(
        desk, "sell_package", {"plan": scene.plan.pk}, public_id=scene.invoice.public_id
    )
    assert response.status_code == 409
    assert "never changes" in response.json()["error"]["fields"]["invoice"][0]
    assert written() == before


typed = st.one_of(
    st.text(max_size=20),
    st.from_regex(r"-?[0-9]{0,7}(\.[0-9]{0,4})?(e-?[0-9]{1,7})?", fullmatch=True),
    st.sampled_from(["NaN", "-Infinity", "sNaN", "1e999999", "-1e30", "0.00", " 7 ", "1,000"]),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(units=typed, route=st.sampled_from(["redeem_package", "redeem_membership", "adjust"]))
def test_any_units_typed_are_answered_on_their_field(owner, scene, units, route):
    values = scene.values()
    if route == "adjust":
        body, kwargs = {"units": units, "reason": "Typed"}, {"public_id": values["<package>"]}
        route = "adjust_package"
    else:
        body = fill({**(REDEEM if route == "redeem_package" else SPEND), "units": units}, values)
        kwargs = {"public_id": scene.invoice.public_id}
    before = written()
    response = post(owner, route, body, **kwargs)
    assert response.status_code in (200, 422), (body, response.content)
    if response.status_code == 422:
        assert set(response.json()["error"]["fields"]) & {"units", "invoice"}, response.json()
        assert written() == before


# ---------------------------------------------------------------- once per Idempotency-Key


def test_a_sale_and_a_redemption_posted_twice_with_one_key_are_done_once(desk, scene):
    values = scene.values()
    sale = {"plan": scene.plan.pk}
    first = post(desk, "sell_package", sale, key="sell-1", public_id=scene.invoice.public_id)
    again = post(desk, "sell_package", sale, key="sell-1", public_id=scene.invoice.public_id)
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert PatientPackage.objects.filter(invoice=scene.invoice).count() == 1

    body = fill({**REDEEM, "units": "5"}, values)
    one = post(desk, "redeem_package", body, key="redeem-1", public_id=scene.invoice.public_id)
    two = post(desk, "redeem_package", body, key="redeem-1", public_id=scene.invoice.public_id)
    assert one.status_code == two.status_code == 200 and one.json() == two.json()
    assert Payment.objects.filter(invoice=scene.invoice, method="package").count() == 1
    assert scene.package.entries.filter(kind="redeemed").count() == 1
    other = post(
        desk,
        "redeem_package",
        {**body, "units": "6"},
        key="redeem-1",
        public_id=scene.invoice.public_id,
    )
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["error"]["fields"]
    assert PatientPackage.objects.get(pk=scene.package.pk).balance == D("95")

    spend = fill({**SPEND, "units": "3"}, values)
    a = post(desk, "redeem_membership", spend, key="spend-1", public_id=scene.invoice.public_id)
    b = post(desk, "redeem_membership", spend, key="spend-1", public_id=scene.invoice.public_id)
    assert a.status_code == b.status_code == 200 and a.json() == b.json()
    assert Payment.objects.filter(invoice=scene.invoice, method="membership").count() == 1
    assert Membership.objects.get(pk=scene.member.pk).credit_balance == D("7")


def test_an_adjustment_an_enrolment_and_a_change_posted_twice_are_done_once(
    desk, owner, scene, clinic
):
    body = {"units": "-5", "reason": "Counted twice"}
    first = post(owner, "adjust_package", body, key="adj-1", public_id=scene.package.public_id)
    again = post(owner, "adjust_package", body, key="adj-1", public_id=scene.package.public_id)
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert scene.package.entries.filter(kind="adjusted").count() == 1

    enrol = {"patient": str(scene.stranger.public_id), "plan": scene.club.pk}
    enrol["location"] = "thousand-oaks"
    one = post(desk, "enrol_member", enrol, key="enrol-1")
    two = post(desk, "enrol_member", enrol, key="enrol-1")
    assert one.status_code == two.status_code == 201 and one.json()["id"] == two.json()["id"]
    assert Membership.objects.filter(patient=scene.stranger).count() == 1

    member = one.json()["id"]
    paused = post(desk, "pause_membership", key="pause-1", public_id=member)
    replayed = post(desk, "pause_membership", key="pause-1", public_id=member)
    assert paused.status_code == replayed.status_code == 200  # the answer again, not a 409
    assert paused.json() == replayed.json()
    assert MembershipEntry.objects.filter(membership__public_id=member, kind="paused").count() == 1
    stop = {"reason": "Moving"}
    gone = post(desk, "cancel_membership", stop, key="cancel-1", public_id=member)
    other = post(desk, "cancel_membership", {"reason": "Other"}, key="cancel-1", public_id=member)
    assert gone.status_code == 200 and other.status_code == 422
    assert "Idempotency-Key" in other.json()["error"]["fields"]
    assert IdempotentRequest.objects.filter(key__in=["adj-1", "enrol-1", "pause-1"]).count() == 3


# ---------------------------------------------------------------- who sees what


@pytest.mark.parametrize("persona", ["injector", "medical_director", "patient"])
def test_clinicians_and_patients_see_no_package_nor_membership(client_for, scene, persona):
    client = client_for(persona)
    values = scene.values()
    before = written()
    assert get(client, "read_package", public_id=values["<package>"]).status_code == 404
    assert get(client, "read_membership", public_id=values["<member>"]).status_code == 404
    for name in (
        "list_packages",
        "list_memberships",
        "list_package_plans",
        "list_membership_plans",
    ):
        listed = get(client, name)
        assert listed.status_code == 403 and b"Botox" not in listed.content
    invoice = {"public_id": scene.invoice.public_id}
    for route, body, kwargs in [
        ("sell_package", {"plan": scene.plan.pk}, invoice),
        ("redeem_package", fill({**REDEEM, "units": "1"}, values), invoice),
        ("redeem_membership", fill({**SPEND, "units": "1"}, values), invoice),
        ("adjust_package", {"units": "1", "reason": "x"}, {"public_id": values["<small>"]}),
        ("enrol_member", fill({"patient": "<stranger>", "plan": "<club>"}, values), {}),
        ("pause_membership", None, {"public_id": values["<member>"]}),
        ("resume_membership", None, {"public_id": values["<member>"]}),
        ("cancel_membership", None, {"public_id": values["<member>"]}),
    ]:
        assert post(client, route, body, **kwargs).status_code == 403, route
    assert written() == before


def test_a_read_only_token_reads_no_package_and_writes_nothing(users, scene):
    token = issue_token(users["front_desk"], "desk reads", preset="read")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    before = written()
    assert get(client, "list_packages").status_code == 403
    assert get(client, "read_package", public_id=scene.package.public_id).status_code == 404
    response = post(client, "pause_membership", public_id=scene.member.public_id)
    assert response.status_code == 403
    assert written() == before
    writer = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(users['front_desk'], 'desk')}")
    assert get(writer, "read_package", public_id=scene.package.public_id).status_code == 200


# ---------------------------------------------------------------- the invoice list


def test_the_invoice_list_asks_the_same_number_of_queries_however_many_invoices(
    desk, owner, priced, clinic, cashier, actor_of
):
    def add(n: int) -> None:
        for i in range(n):
            someone = make_patient(email=f"p{Invoice.objects.count()}-{i}@example.com")
            invoice = units_invoice(cashier, someone, clinic, units="5")
            if i % 3 == 1:  # a paid one, with part of its money given back
                paid = payments.take_payment(cashier, invoice, method="cash", amount="30")
                payments.refund(actor_of("owner"), paid, amount="10", reason="Goodwill")
            elif i % 3 == 2:
                payments.take_payment(cashier, invoice, method="cash", amount="10")

    url = reverse("api:list_invoices")
    add(2)
    desk.get(url)  # the session and the like, read once
    with CaptureQueriesContext(connection) as few:
        assert len(desk.get(url).json()) == 2
    add(10)
    with CaptureQueriesContext(connection) as many:
        rows = desk.get(url).json()
    assert len(rows) == 12
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    listing = AccessLog.objects.filter(object_type="invoice", action="read").latest("id")
    assert len(listing.detail["patients"]) == 12  # one access-log row naming every patient
    # And the money is right on each row: what the one invoice's page says.
    for row in rows:
        one = desk.get(reverse("api:read_invoice", args=[row["id"]])).json()
        assert {k: one[k] for k in ("total", "paid", "refunded", "balance")} == {
            k: row[k] for k in ("total", "paid", "refunded", "balance")
        }
    assert any(r["refunded"] == "10.00" for r in rows) and any(r["paid"] == "0.00" for r in rows)
    assert Refund.objects.count() == 4
