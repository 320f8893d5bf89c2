"""The billing API: each route's answer, bad input that names its field and writes nothing, who
may do what, and one payment posted twice (and by many threads at once) with one
Idempotency-Key recorded once, on both databases."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
from glabella.scheduling.models import IdempotentRequest
from tests.conftest import (
    STAFF_EMAILS,
    clinic_today,
    issue_token,
    pass_second_factor,
)

D = Decimal
JSON = "application/json"


@pytest.fixture
def priced(clinic):
    return ProductPrice.objects.create(
        organisation=clinic.organisation,
        product="botox_cosmetic",
        per_unit=D("14.00"),
        taxable=True,
    )


@pytest.fixture
def desk(client_for):
    return client_for("front_desk")


@pytest.fixture
def owner(client_for):
    return client_for("owner")


def post(client, name, body=None, key=None, method="post", **kwargs):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return getattr(client, method)(
        reverse(f"api:{name}", kwargs=kwargs), body or {}, content_type=JSON, **headers
    )


def opened(client, patient, location="thousand-oaks") -> dict:
    response = post(
        client, "open_invoice", {"patient": str(patient.public_id), "location": location}
    )
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.fixture
def invoice(desk, patient, priced):
    """An open invoice with 20 units of BOTOX Cosmetic (280.00, taxable)."""
    found = opened(desk, patient)
    response = post(
        desk,
        "add_units",
        {"product": "botox_cosmetic", "quantity": "20"},
        public_id=found["id"],
    )
    assert response.status_code == 200, response.json()
    return response.json()


def written() -> tuple:
    """Everything a billing write could change, to prove a refused one changed nothing."""
    return (
        list(Invoice.objects.order_by("pk").values_list("status", "number", "total")),
        list(InvoiceLine.objects.order_by("pk").values_list("pk", "quantity", "amount", "reason")),
        list(Payment.objects.values_list("pk", "amount")),
        list(Refund.objects.values_list("pk", "amount")),
        list(Promotion.objects.values_list("pk", "uses")),
    )


# ---------------------------------------------------------------- each route's answer


def test_the_desk_opens_builds_and_finalizes_an_invoice(desk, patient, priced, clinic):
    SalesTax.objects.create(location=clinic, percent=D("7.25"))
    Promotion.objects.create(
        organisation=clinic.organisation,
        code="SPRING",
        description="Spring, 10% off",
        kind="percent",
        value=D("10"),
        starts_on=clinic_today() - timedelta(days=1),
        ends_on=clinic_today() + timedelta(days=1),
    )
    found = opened(desk, patient)
    assert found["status"] == "open" and found["number"] is None
    assert found["patient"] == str(patient.public_id) and found["location"] == "thousand-oaks"
    assert found["tax_percent"] == "7.250" and found["lines"] == []
    public_id = found["id"]

    units = post(
        desk, "add_units", {"product": "botox_cosmetic", "quantity": "20"}, public_id=public_id
    ).json()
    (line,) = units["lines"]
    assert line["kind"] == "units" and line["quantity"] == "20.00"
    assert line["unit_price"] == "14.00" and line["amount"] == "280.00" and line["taxable"]

    service = post(desk, "add_service", {"service": "consultation"}, public_id=public_id)
    assert service.status_code == 200
    assert service.json()["lines"][1]["service"] == "consultation"
    consultation = D(service.json()["lines"][1]["amount"])

    changed = post(
        desk,
        "set_line_units",
        {"quantity": "18", "reason": ""},
        public_id=public_id,
        line_id=line["id"],
    ).json()
    assert changed["lines"][0]["amount"] == "252.00"

    discount = post(
        desk, "add_discount", {"amount": "12.00", "description": "Loyalty"}, public_id=public_id
    ).json()
    assert discount["lines"][2]["kind"] == "discount" and discount["lines"][2]["amount"] == "-12.00"
    reward = post(
        desk,
        "add_reward",
        {"program": "alle", "code": "ALLE-123", "amount": "20.00"},
        public_id=public_id,
    ).json()
    assert reward["lines"][3]["kind"] == "reward" and reward["lines"][3]["code"] == "ALLE-123"
    promo = post(desk, "apply_promotion", {"code": "spring"}, public_id=public_id).json()
    charges = D("252.00") + consultation
    assert promo["lines"][4]["amount"] == f"{-(charges / 10).quantize(D('0.01')):.2f}"

    removed = post(
        desk,
        "remove_line",
        method="delete",
        public_id=public_id,
        line_id=discount["lines"][2]["id"],
    )
    assert removed.status_code == 200
    kinds = [x["kind"] for x in removed.json()["lines"]]
    assert kinds == ["units", "service", "reward", "promotion"]
    totals = removed.json()["totals"]
    assert totals["charges"] == f"{charges:.2f}"
    assert D(totals["total"]) == D(totals["charges"]) - D(totals["discounts"]) + D(totals["tax"])
    assert D(totals["tax"]) > 0

    done = post(desk, "finalize", public_id=public_id)
    assert done.status_code == 200
    body = done.json()
    assert body["status"] == "finalized" and body["number"]
    assert body["total"] == totals["total"] == body["balance"] and body["paid"] == "0.00"
    assert Promotion.objects.get(code="SPRING").uses == 1
    read = desk.get(reverse("api:read_invoice", args=[public_id]))
    assert read.status_code == 200 and read.json() == body
    assert AccessLog.objects.filter(object_type="invoice", object_id=public_id).exists()


def test_the_desk_takes_split_payments_and_the_owner_refunds(desk, owner, invoice):
    public_id = invoice["id"]
    card = post(
        desk,
        "take_payment",
        {"method": "card", "amount": "100.00", "card_last4": "4242", "authorization": "A1B2"},
        public_id=public_id,
    )
    assert card.status_code == 201, card.json()
    paid = card.json()
    assert paid["amount"] == "100.00" and paid["card_last4"] == "4242"
    assert paid["refundable"] == "100.00" and paid["invoice"] == public_id
    read = desk.get(reverse("api:read_invoice", args=[public_id])).json()
    assert read["status"] == "finalized"
    rest = read["balance"]
    cash = post(desk, "take_payment", {"method": "cash", "amount": rest}, public_id=public_id)
    assert cash.status_code == 201
    gift = post(
        desk,
        "take_payment",
        {"method": "gift_card", "amount": "1.00", "reference": "GC-1234"},
        public_id=public_id,
    )
    assert gift.status_code == 422 and "owed" in gift.json()["error"]["fields"]["amount"][0]

    refund = post(
        owner,
        "refund_payment",
        {"amount": "40.00", "reason": "Bruising, goodwill"},
        public_id=paid["id"],
    )
    assert refund.status_code == 201, refund.json()
    assert refund.json()["amount"] == "40.00" and refund.json()["payment"] == paid["id"]
    after = owner.get(reverse("api:read_invoice", args=[public_id])).json()
    assert after["paid"] == f"{D('100.00') + D(rest):.2f}" and after["refunded"] == "40.00"
    assert after["balance"] == "40.00"
    card_row = after["payments"][0]
    assert card_row["refunded"] == "40.00" and card_row["refundable"] == "60.00"
    assert card_row["refunds"][0]["reason"] == "Bruising, goodwill"
    # The desk takes payments but gives no money back.
    refused = post(desk, "refund_payment", {"amount": "1.00", "reason": "x"}, public_id=paid["id"])
    assert refused.status_code == 403
    assert Refund.objects.count() == 1


def test_an_open_invoice_is_voided_with_a_reason(desk, invoice):
    voided = post(desk, "void", {"reason": "Billed at the other location"}, public_id=invoice["id"])
    assert voided.status_code == 200 and voided.json()["status"] == "void"
    again = post(desk, "take_payment", {"method": "cash", "amount": "5"}, public_id=invoice["id"])
    assert again.status_code == 409 and "invoice" in again.json()["error"]["fields"]
    assert not Payment.objects.exists()


def test_a_charted_line_billed_otherwise_needs_a_reason(desk, priced, treated):
    found = Invoice.objects.get(treatment=treated)
    line = found.lines.get()
    url_kwargs = {"public_id": found.public_id, "line_id": line.pk}
    refused = post(desk, "set_line_units", {"quantity": "1"}, **url_kwargs)
    assert (
        refused.status_code == 422 and "charted" in refused.json()["error"]["fields"]["reason"][0]
    )
    kept = post(desk, "remove_line", method="delete", **url_kwargs)
    assert kept.status_code == 422 and "line" in kept.json()["error"]["fields"]
    ok = post(desk, "set_line_units", {"quantity": "1", "reason": "Touch-up only"}, **url_kwargs)
    assert ok.status_code == 200
    (answer,) = ok.json()["lines"]
    assert answer["charted_units"] == f"{line.charted_units:.2f}" and answer["reason"]
    assert ok.json()["treatment"] == str(treated.public_id)


def test_the_list_filters_by_patient_location_status_and_days(
    desk, invoice, patient, other_patient, clinic
):
    other = opened(desk, other_patient)
    url = reverse("api:list_invoices")
    everyone = desk.get(url).json()
    assert {i["id"] for i in everyone} == {invoice["id"], other["id"]}
    assert everyone[0]["id"] == other["id"]  # newest first
    mine = desk.get(url, {"patient": str(patient.public_id)}).json()
    assert [i["id"] for i in mine] == [invoice["id"]] and mine[0]["total"] == "280.00"
    post(desk, "finalize", public_id=invoice["id"])
    assert [i["id"] for i in desk.get(url, {"status": "finalized"}).json()] == [invoice["id"]]
    assert (
        desk.get(url, {"location": "thousand-oaks", "status": "open"}).json()[0]["id"]
        == (other["id"])
    )
    today = clinic_today()
    last_year = {"from": str(today - timedelta(days=400)), "to": str(today - timedelta(days=40))}
    assert desk.get(url, last_year).json() == []
    assert len(desk.get(url, {"from": str(today), "to": str(today)}).json()) == 2
    assert len(desk.get(url, {"limit": 1}).json()) == 1


# ---------------------------------------------------------------- bad input, nothing written

BAD_WRITES = [
    # (route, body, field)
    ("take_payment", {"method": "cash", "amount": "-5"}, "amount"),
    ("take_payment", {"method": "cash", "amount": "0"}, "amount"),
    ("take_payment", {"method": "cash", "amount": "100000.01"}, "amount"),
    ("take_payment", {"method": "cash", "amount": "1e999999"}, "amount"),
    ("take_payment", {"method": "cash", "amount": "NaN"}, "amount"),
    ("take_payment", {"method": "cash", "amount": "Infinity"}, "amount"),
    ("take_payment", {"method": "cash", "amount": "12.345"}, "amount"),
    ("take_payment", {"method": "cash", "amount": 12.5}, "amount"),  # a JSON number
    ("take_payment", {"method": "cash", "amount": "280.01"}, "amount"),  # more than owed
    ("take_payment", {"method": "bitcoin", "amount": "10"}, "method"),
    ("take_payment", {"method": "online_card", "amount": "10"}, "method"),
    ("take_payment", {"method": "card", "amount": "10", "authorization": "A1"}, "card_last4"),
    ("take_payment", {"method": "card", "amount": "10", "card_last4": "4242"}, "authorization"),
    ("take_payment", {"method": "gift_card", "amount": "10"}, "reference"),
    ("take_payment", {"method": "cash", "amount": "10", "tip": "5"}, "tip"),
    ("add_discount", {"amount": "-1"}, "amount"),
    ("add_discount", {"amount": "NaN"}, "amount"),
    ("add_discount", {"amount": "0.001"}, "amount"),
    ("add_discount", {"amount": "280.01"}, "amount"),  # more than charged
    ("add_discount", {"amount": "5", "description": "x" * 201}, "description"),
    ("add_reward", {"program": "airmiles", "code": "X", "amount": "5"}, "program"),
    ("add_reward", {"program": "alle", "code": "", "amount": "5"}, "code"),
    ("add_reward", {"program": "alle", "code": "A-1", "amount": "-5"}, "amount"),
    ("apply_promotion", {"code": "NOSUCHCODE"}, "code"),
    ("apply_promotion", {"code": ""}, "code"),
    ("add_units", {"product": "snake_oil", "quantity": "5"}, "product"),
    ("add_units", {"product": "dysport", "quantity": "5"}, "product"),  # no price yet
    ("add_units", {"product": "botox_cosmetic", "quantity": "0"}, "quantity"),
    ("add_units", {"product": "botox_cosmetic", "quantity": "-3"}, "quantity"),
    ("add_units", {"product": "botox_cosmetic", "quantity": "1001"}, "quantity"),
    ("add_units", {"product": "botox_cosmetic", "quantity": "2.555"}, "quantity"),
    ("add_units", {"product": "botox_cosmetic", "quantity": "NaN"}, "quantity"),
    ("add_units", {"product": "botox_cosmetic", "quantity": 5}, "quantity"),
    ("add_service", {"service": "no-such-service"}, "service"),
    ("void", {"reason": ""}, "reason"),
    ("void", {"reason": "   "}, "reason"),
    ("void", {"reason": "x" * 301}, "reason"),
]


@pytest.mark.parametrize(("route", "body", "field"), BAD_WRITES)
def test_bad_input_on_a_write_names_its_field_and_writes_nothing(desk, invoice, route, body, field):
    before = written()
    response = post(desk, route, body, public_id=invoice["id"])
    assert response.status_code == 422, response.json()
    error = response.json()["error"]
    assert error["code"] == "validation_error" and field in error["fields"], error
    assert written() == before


def test_bad_line_changes_name_their_field_and_write_nothing(desk, invoice):
    line = invoice["lines"][0]["id"]
    before = written()
    for body, field in [
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "abc"}, "quantity"),
        ({"quantity": "1.999"}, "quantity"),
        ({"quantity": "5", "reason": "x" * 301}, "reason"),
    ]:
        response = post(desk, "set_line_units", body, public_id=invoice["id"], line_id=line)
        assert response.status_code == 422 and field in response.json()["error"]["fields"]
    for other in (line + 10_000, 2**31):
        for method, name, body in [
            ("post", "set_line_units", {"quantity": "5"}),
            ("delete", "remove_line", None),
        ]:
            response = post(desk, name, body, method=method, public_id=invoice["id"], line_id=other)
            assert response.status_code == 422
            assert {"line", "line_id"} & set(response.json()["error"]["fields"])
    assert written() == before


def test_an_empty_invoice_is_not_finalized(desk, patient, priced):
    found = opened(desk, patient)
    before = written()
    response = post(desk, "finalize", public_id=found["id"])
    assert response.status_code == 422 and "invoice" in response.json()["error"]["fields"]
    assert written() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"patient": "6f1c1d2e-0000-4000-8000-000000000000", "location": "thousand-oaks"},
            "patient",
        ),
        ({"patient": "not-a-uuid", "location": "thousand-oaks"}, "patient"),
        ({"patient": "<patient>", "location": "mars"}, "location"),
        (
            {"patient": "<patient>", "location": "thousand-oaks", "appointment": "<other>"},
            "appointment",
        ),
        ({"location": "thousand-oaks"}, "patient"),
    ],
)
def test_opening_an_invoice_with_bad_input_names_its_field(
    desk, patient, other_patient, clinic, body, field
):
    from tests.conftest import future_appointment

    someone_elses = future_appointment(other_patient, clinic)
    values = {"<patient>": str(patient.public_id), "<other>": str(someone_elses.public_id)}
    body = {k: values.get(v, v) for k, v in body.items()}
    response = post(desk, "open_invoice", body)
    assert response.status_code == 422 and field in response.json()["error"]["fields"]
    assert not Invoice.objects.exists()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-12-10", "to": "2026-12-01"}, "to"),
        ({"from": "2025-01-01", "to": "2026-01-02"}, "to"),
        ({"from": "1899-12-31"}, "from"),
        ({"to": "2101-01-01"}, "to"),
        ({"from": "12/01/2026"}, "from"),
        ({"status": "paid"}, "status"),
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"location": "mars"}, "location"),
        ({"patient": "nobody"}, "patient"),
    ],
)
def test_bad_list_questions_name_their_field(desk, params, field):
    response = desk.get(reverse("api:list_invoices"), params)
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]


def test_a_finalized_invoice_refuses_every_change_and_names_the_invoice(desk, invoice, clinic):
    Promotion.objects.create(
        organisation=clinic.organisation,
        code="TEN",
        description="Ten off",
        kind="amount",
        value=D("10"),
        starts_on=clinic_today(),
        ends_on=clinic_today(),
    )
    public_id = invoice["id"]
    line = invoice["lines"][0]["id"]
    assert post(desk, "finalize", public_id=public_id).status_code == 200
    before = written()
    for method, route, body, extra in [
        ("post", "add_units", {"product": "botox_cosmetic", "quantity": "2"}, {}),
        ("post", "add_service", {"service": "consultation"}, {}),
        ("post", "add_discount", {"amount": "5"}, {}),
        ("post", "add_reward", {"program": "evolus", "code": "E1", "amount": "5"}, {}),
        ("post", "apply_promotion", {"code": "TEN"}, {}),
        ("post", "set_line_units", {"quantity": "2", "reason": "less"}, {"line_id": line}),
        ("delete", "remove_line", None, {"line_id": line}),
        ("post", "finalize", None, {}),
        ("post", "void", {"reason": "Changed my mind"}, {}),
    ]:
        response = post(desk, route, body, method=method, public_id=public_id, **extra)
        assert response.status_code == 409, (route, response.json())
        assert "never changes" in response.json()["error"]["fields"]["invoice"][0]
    assert written() == before


def test_refunds_beyond_what_was_paid_are_refused_and_write_nothing(desk, owner, invoice):
    paid = post(
        desk, "take_payment", {"method": "cash", "amount": "50.00"}, public_id=invoice["id"]
    ).json()
    before = written()
    for body, field in [
        ({"amount": "50.01", "reason": "Too much"}, "amount"),
        ({"amount": "-1", "reason": "Negative"}, "amount"),
        ({"amount": "NaN", "reason": "Not a number"}, "amount"),
        ({"amount": "1.001", "reason": "Fractions"}, "amount"),
        ({"amount": 10, "reason": "A JSON number"}, "amount"),
        ({"amount": "10", "reason": ""}, "reason"),
        ({"amount": "10"}, "reason"),
    ]:
        response = post(owner, "refund_payment", body, public_id=paid["id"])
        assert response.status_code == 422, body
        assert field in response.json()["error"]["fields"]
    assert written() == before
    assert post(owner, "refund_payment", {"amount": "50", "reason": "All"}, public_id=paid["id"])
    again = post(
        owner, "refund_payment", {"amount": "0.01", "reason": "More"}, public_id=paid["id"]
    )
    assert again.status_code == 422 and "0.00" in again.json()["error"]["fields"]["amount"][0]
    assert Refund.objects.count() == 1


# ---------------------------------------------------------------- who sees what


@pytest.mark.parametrize("persona", ["injector", "medical_director", "patient"])
def test_clinicians_and_patients_see_no_invoice_nor_card(client_for, desk, invoice, persona):
    post(
        desk,
        "take_payment",
        {"method": "card", "amount": "10.00", "card_last4": "4242", "authorization": "OK1"},
        public_id=invoice["id"],
    )
    client = client_for(persona)
    assert client.get(reverse("api:read_invoice", args=[invoice["id"]])).status_code == 404
    listed = client.get(reverse("api:list_invoices"))
    assert listed.status_code == 403 and b"4242" not in listed.content
    paid = post(client, "take_payment", {"method": "cash", "amount": "1"}, public_id=invoice["id"])
    assert paid.status_code == 403
    assert Payment.objects.count() == 1


def test_a_read_only_token_reads_no_invoice_and_writes_nothing(users, invoice):
    for role in ("front_desk", "owner"):
        token = issue_token(users[role], f"{role} reads", preset="read")
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        assert client.get(reverse("api:list_invoices")).status_code == 403
        assert client.get(reverse("api:read_invoice", args=[invoice["id"]])).status_code == 404
        response = post(
            client, "take_payment", {"method": "cash", "amount": "1"}, public_id=invoice["id"]
        )
        assert response.status_code == 403
    # A token with the desk's whole reach takes a payment, logged as the token's.
    token = issue_token(users["front_desk"], "desk writes")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get(reverse("api:read_invoice", args=[invoice["id"]])).status_code == 200
    response = post(
        client, "take_payment", {"method": "cash", "amount": "1"}, public_id=invoice["id"]
    )
    assert response.status_code == 201
    assert Payment.objects.count() == 1


# ---------------------------------------------------------------- once per Idempotency-Key


def test_a_payment_posted_twice_with_one_key_is_taken_once(desk, invoice):
    body = {"method": "card", "amount": "100.00", "card_last4": "4242", "authorization": "AB12"}
    first = post(desk, "take_payment", body, key="pay-1", public_id=invoice["id"])
    again = post(desk, "take_payment", body, key="pay-1", public_id=invoice["id"])
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Payment.objects.count() == 1
    other = post(
        desk, "take_payment", {**body, "amount": "5.00"}, key="pay-1", public_id=invoice["id"]
    )
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["error"]["fields"]
    # A refusal is an answer too: replayed, not run again.
    too_much = {"method": "cash", "amount": "9999.00"}
    refused = post(desk, "take_payment", too_much, key="pay-2", public_id=invoice["id"])
    replayed = post(desk, "take_payment", too_much, key="pay-2", public_id=invoice["id"])
    assert refused.status_code == replayed.status_code == 422
    assert refused.json() == replayed.json()
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("add_units", {"product": "botox_cosmetic", "quantity": "2"}),
        ("add_discount", {"amount": "5.00"}),
        ("add_service", {"service": "consultation"}),
        ("finalize", None),
    ],
)
def test_every_invoice_write_honours_the_key(desk, invoice, route, body):
    first = post(desk, route, body, key=f"{route}-1", public_id=invoice["id"])
    again = post(desk, route, body, key=f"{route}-1", public_id=invoice["id"])
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    lines = InvoiceLine.objects.filter(invoice__public_id=invoice["id"]).count()
    assert lines == (1 if route == "finalize" else 2)


def test_a_refund_and_an_opening_posted_twice_are_done_once(desk, owner, invoice, patient):
    paid = post(
        desk, "take_payment", {"method": "cash", "amount": "50"}, public_id=invoice["id"]
    ).json()
    body = {"amount": "20.00", "reason": "Goodwill"}
    first = post(owner, "refund_payment", body, key="r-1", public_id=paid["id"])
    again = post(owner, "refund_payment", body, key="r-1", public_id=paid["id"])
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert Refund.objects.count() == 1
    start = {"patient": str(patient.public_id), "location": "thousand-oaks"}
    one = post(desk, "open_invoice", start, key="open-1")
    two = post(desk, "open_invoice", start, key="open-1")
    assert one.status_code == two.status_code == 201 and one.json()["id"] == two.json()["id"]
    assert Invoice.objects.count() == 2


THREADS = 8


@pytest.mark.django_db(transaction=True)
def test_one_payment_posted_by_many_threads_with_one_key_is_recorded_once(clinic, patient):
    """The acceptance race, on both databases: every thread posts the same payment with the
    same key at the same moment; one payment is taken and every answer is that one."""
    from django.contrib.auth import get_user_model

    ProductPrice.objects.create(
        organisation=clinic.organisation, product="botox_cosmetic", per_unit=D("14.00")
    )
    user = get_user_model().objects.get(username=STAFF_EMAILS["front_desk"])

    def signed_in() -> Client:
        client = Client()
        client.force_login(user)
        pass_second_factor(client, user)
        return client

    setup = signed_in()
    found = opened(setup, patient)
    post(setup, "add_units", {"product": "botox_cosmetic", "quantity": "20"}, public_id=found["id"])
    clients = [signed_in() for _ in range(THREADS)]
    connection.close()
    body = {"method": "card", "amount": "120.00", "card_last4": "4242", "authorization": "RACE1"}
    barrier = threading.Barrier(THREADS)
    answers: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        barrier.wait()
        try:
            response = post(clients[i], "take_payment", body, key="race-1", public_id=found["id"])
            result = (response.status_code, response.json())
        except Exception as exc:  # anything else fails the guarantee
            result = (0, {"error": f"{type(exc).__name__}: {exc}"})
        finally:
            connection.close()
        with lock:
            answers.append(result)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert len(answers) == THREADS
    statuses = {status for status, _ in answers}
    assert statuses == {201}, answers
    bodies = {repr(sorted(b.items())) for _, b in answers}
    assert len(bodies) == 1
    assert Payment.objects.count() == 1
    assert Payment.objects.get().amount == D("120.00")
    assert IdempotentRequest.objects.filter(key="race-1").count() == 1
    invoice = Invoice.objects.get(public_id=found["id"])
    assert invoice.status == "finalized"


# ---------------------------------------------------------------- anything typed, never a 500

typed = st.one_of(
    st.text(max_size=20),
    st.from_regex(r"-?[0-9]{0,7}(\.[0-9]{0,4})?(e-?[0-9]{1,7})?", fullmatch=True),
    st.sampled_from(["NaN", "-Infinity", "sNaN", "1e999999", "0.00", "$1,000.00", " 7 "]),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(amount=typed, route=st.sampled_from(["take_payment", "add_discount", "add_units"]))
def test_any_amount_or_quantity_typed_is_answered_on_its_field(desk, invoice, amount, route):
    body = {
        "take_payment": {"method": "cash", "amount": amount},
        "add_discount": {"amount": amount},
        "add_units": {"product": "botox_cosmetic", "quantity": amount},
    }[route]
    before = written()
    response = post(desk, route, body, public_id=invoice["id"])
    assert response.status_code in (200, 201, 409, 422), (body, response.content)
    if response.status_code == 409:  # a payment taken earlier in the run finalized the invoice
        assert Invoice.objects.get(public_id=invoice["id"]).status == "finalized"
    if response.status_code in (409, 422):
        fields = set(response.json()["error"]["fields"])
        assert fields & {"amount", "quantity", "invoice"}, response.json()
        assert written() == before


def test_every_billing_write_declares_the_idempotency_key_and_amounts_as_strings():
    from glabella.urls import api

    spec = api.get_openapi_schema(path_prefix="/api")
    writes = [
        (path, method, operation)
        for path, item in spec["paths"].items()
        if path.startswith("/api/v1/billing/")
        for method, operation in item.items()
        if method in {"post", "delete"}
    ]
    assert len(writes) == 20  # invoices, payments, refunds; packages and memberships
    for path, method, operation in writes:
        (header,) = [p for p in operation["parameters"] if p["in"] == "header"]
        assert header["name"] == "Idempotency-Key" and header["required"] is False, (method, path)
    payment = spec["components"]["schemas"]["PaymentIn"]["properties"]["amount"]
    assert payment["type"] == "string"
    schemas = spec["components"]["schemas"]
    for body in ("PackageRedemptionIn", "MembershipRedemptionIn", "AdjustmentIn"):
        assert schemas[body]["properties"]["units"]["type"] == "string", body
    for answer, fields in [
        ("PackageOut", ("units", "balance")),
        ("MembershipOut", ("credit_balance",)),
        ("PackagePlanOut", ("units", "price")),
        ("MembershipPlanOut", ("monthly_fee", "monthly_credit")),
        ("PackageEntryOut", ("units", "balance_after")),
    ]:
        for name in fields:
            assert schemas[answer]["properties"][name]["type"] == "string", (answer, name)
