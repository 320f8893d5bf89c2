"""The owner's money (issue 20, points 1 and 5): the price pages, revenue by product, provider and
month on the clinic's clock, and the reconciliation of units billed, charted and drawn (less
waste) with every difference listed; their CSVs; bad input that writes nothing."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from glabella.billing import invoices, payments, prices, reconcile, reports
from glabella.billing.models import Invoice, ProductPrice, Promotion, SalesTax
from glabella.core.errors import Forbidden, ValidationFailed
from glabella.core.models import AccessLog
from glabella.inventory import services as stock
from tests.conftest import clinic_today

D = Decimal

# ---------------------------------------------------------------- the engine (pure)


def test_the_engine_agrees_when_billed_charted_and_drawn_are_one():
    found = reconcile.reconcile(
        [reconcile.Treatment("t1", "botox_cosmetic", D("20"))],
        [reconcile.Billed("i1", "botox_cosmetic", D("20"), "t1")],
        [
            reconcile.Drawn("m1", "botox_cosmetic", D("12"), "draw", "t1"),
            reconcile.Drawn("m2", "botox_cosmetic", D("8"), "draw", "t1"),
            reconcile.Drawn("m3", "botox_cosmetic", D("3"), "waste"),
        ],
    )
    assert found.agrees and found.differences == []
    (total,) = found.totals
    assert (total.billed, total.charted, total.drawn_out, total.waste, total.drawn) == (
        D("20"),
        D("20"),
        D("23"),
        D("3"),
        D("20"),
    )


def test_the_engine_lists_every_kind_of_difference_with_its_treatment_and_invoice():
    found = reconcile.reconcile(
        [
            reconcile.Treatment("t1", "botox_cosmetic", D("20")),
            reconcile.Treatment("t2", "dysport", D("50")),  # never billed
            reconcile.Treatment("t3", "xeomin", D("10")),  # amended: 4 more drawn
        ],
        [
            reconcile.Billed("i1", "botox_cosmetic", D("22"), "t1", "Touch-up at the visit"),
            reconcile.Billed("i3", "xeomin", D("10"), "t3"),
            reconcile.Billed("i9", "botox_cosmetic", D("5")),  # no treatment
        ],
        [
            reconcile.Drawn("m1", "botox_cosmetic", D("20"), "draw", "t1"),
            reconcile.Drawn("m2", "dysport", D("50"), "draw", "t2"),
            reconcile.Drawn("m3", "xeomin", D("10"), "draw", "t3"),
            reconcile.Drawn("m4", "xeomin", D("4"), "draw", "t3", amendment="a3"),
            reconcile.Drawn("m5", "botox_cosmetic", D("6"), "draw", patient="p9"),  # no chart
        ],
    )
    kinds = [(d.kind, d.treatment, d.invoice) for d in found.differences]
    assert kinds == [
        ("billed-not-charted", "t1", "i1"),
        ("not-billed", "t2", None),
        ("drawn-not-charted", "t3", "i3"),
        ("billed-without-treatment", None, "i9"),
        ("drawn-without-chart", None, None),
    ]
    billed_more = found.differences[0]
    assert billed_more.billed - billed_more.charted == 2
    assert "Touch-up at the visit" in billed_more.why
    assert "amendment" in found.differences[2].why
    assert found.differences[4].patient == "p9"
    assert not found.agrees


def test_units_of_one_product_never_stand_for_another():
    found = reconcile.reconcile(
        [reconcile.Treatment("t1", "botox_cosmetic", D("20"))],
        [reconcile.Billed("i1", "dysport", D("20"), "t1")],
        [reconcile.Drawn("m1", "botox_cosmetic", D("20"), "draw", "t1")],
    )
    assert {d.kind for d in found.differences} == {"not-billed", "billed-not-charted"}


# ---------------------------------------------------------------- the service, from the database


@pytest.fixture
def priced(clinic):
    return ProductPrice.objects.create(
        organisation=clinic.organisation, product="botox_cosmetic", per_unit=D("14.00")
    )


def _today_period():
    today = clinic_today()
    return reports.Period(today, today)


def test_a_treated_patient_reconciles(priced, treated, clinic, actor_of):
    found = reports.reconciliation(actor_of("owner"), clinic, _today_period())
    assert found.result.differences == []
    (total,) = found.result.totals
    assert total.billed == total.charted == total.drawn == D("20")
    logged = AccessLog.objects.filter(object_type="reconciliation").last()
    assert str(treated.patient.public_id) in logged.detail["patients"]


def test_the_reconciliation_lists_a_seeded_difference(priced, treated, clinic, actor_of):
    desk, owner = actor_of("front_desk"), actor_of("owner")
    invoice = Invoice.objects.get(treatment=treated)
    line = invoice.lines.get()
    invoices.set_units(desk, invoice, line.pk, "22", "Two units for a touch-up at the visit")
    # Units drawn for the patient outside the chart.
    stock.draw(
        actor_of("injector"), treated.vial, "3", product="botox_cosmetic", patient=treated.patient
    )
    found = reports.reconciliation(owner, clinic, _today_period())
    by_kind = {d.kind: d for d in found.result.differences}
    assert set(by_kind) == {"billed-not-charted", "drawn-without-chart"}
    billed = by_kind["billed-not-charted"]
    assert (billed.billed, billed.charted, billed.drawn) == (D("22"), D("20"), D("20"))
    assert billed.treatment == str(treated.public_id) and billed.invoice == str(invoice.public_id)
    assert "touch-up" in billed.why
    assert by_kind["drawn-without-chart"].drawn == D("3")
    (total,) = found.result.totals
    assert (total.billed, total.charted, total.drawn) == (D("22"), D("20"), D("23"))


def test_the_reconciliation_page_and_csv_list_the_difference(
    priced, treated, clinic, actor_of, client_for
):
    invoice = Invoice.objects.get(treatment=treated)
    invoices.set_units(actor_of("front_desk"), invoice, invoice.lines.get().pk, "22", "Touch-up")
    stock.draw(
        actor_of("injector"), treated.vial, "2", product="botox_cosmetic", patient=treated.patient
    )
    owner = client_for("owner")
    url = reverse("close:reconciliation")
    query = {"location": clinic.slug, "start": clinic_today().isoformat()}
    page = owner.get(url, query)
    assert page.status_code == 200
    assert b"2 differences" in page.content and b"Touch-up" in page.content
    assert b"Grace Holloway, signed" in page.content  # the treatment names its patient
    assert b"drawn or billed for Grace Holloway" in page.content  # so does the draw
    exported = owner.get(url, {**query, "format": "csv"})
    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    assert rows[0] == [
        "Product",
        "Units billed",
        "Units charted",
        "Units drawn less waste",
        "Waste",
        "Agrees",
    ]
    assert rows[1][1:4] == ["22", "20", "22"] and rows[1][5] == "No"
    header = rows.index(
        ["Difference", "Product", "Billed", "Charted", "Drawn", "Treatment signed", "Invoice"]
    )
    assert "2 units more billed than charted" in rows[header + 1][0]
    assert rows[header + 1][6] == "Open"
    assert "no charted point" in rows[header + 2][0] and rows[header + 2][4] == "2"
    assert len(rows) == header + 3


def test_revenue_by_product_provider_and_month(priced, treated, clinic, actor_of, client_for):
    desk, owner = actor_of("front_desk"), actor_of("owner")
    invoice = Invoice.objects.get(treatment=treated)
    invoices.add_discount(desk, invoice, "28.00")  # 10% of 280.00
    payments.take_payment(desk, invoice, method="cash", amount="252.00")
    period = _today_period()
    (product,) = reports.revenue(owner, "product", period)
    assert (product.units, product.revenue, product.per_unit) == (D("20"), D("252.00"), D("12.60"))
    (provider,) = reports.revenue(owner, "provider", period, clinic)
    assert provider.label == treated.injector.full_name and provider.invoices == 1
    (month,) = reports.revenue(owner, "month", period)
    assert month.label == f"{period.start:%B} {period.start.year}"
    with pytest.raises(Forbidden):
        reports.revenue(desk, "product", period)

    response = client_for("owner").get(
        reverse("close:revenue"), {"by": "provider", "format": "csv"}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Provider", "Invoices", "Units sold", "Revenue", "Average price per unit"]
    assert rows[1] == [treated.injector.full_name, "1", "20", "252.00", "12.60"]
    shown = client_for("owner").get(reverse("close:revenue"), {"by": "product"})
    assert b"$252.00" in shown.content and b"$12.60" in shown.content


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start": "2026-02-30"}, "start"),
        ({"start": "1700-01-01"}, "start"),
        ({"end": "garbage"}, "end"),
        ({"start": "2026-03-02", "end": "2026-03-01"}, "end"),
        ({"start": "2024-01-01", "end": "2026-01-01"}, "end"),  # more than a year
    ],
)
def test_report_periods_are_bounded_field_by_field(client_for, clinic, query, field):
    for name in ("close:revenue", "close:reconciliation"):
        response = client_for("owner").get(reverse(name), {"location": clinic.slug, **query})
        assert response.status_code == 422, name
    with pytest.raises(ValidationFailed) as refused:
        reports.parse_period(
            query.get("start"), query.get("end"), today=clinic_today(), longest=366
        )
    assert field in refused.value.fields


def test_the_reconciliation_covers_at_most_a_month():
    today = clinic_today()
    with pytest.raises(ValidationFailed):
        reports.parse_period(
            (today - timedelta(days=31)).isoformat(), today.isoformat(), today=today, longest=31
        )


# ---------------------------------------------------------------- prices


def test_the_owner_sets_prices_tax_and_promotions_with_audit_rows(clinic, actor_of):
    owner = actor_of("owner")
    org = clinic.organisation
    price = prices.set_price(
        owner, org, "dysport", per_unit="4.50", member_per_unit="4.00", taxable="on"
    )
    assert (price.per_unit, price.member_per_unit, price.taxable) == (D("4.50"), D("4.00"), True)
    prices.set_price(owner, org, "dysport", per_unit="5.00")
    assert ProductPrice.objects.get(product="dysport").member_per_unit is None
    tax = prices.set_sales_tax(owner, clinic, "7.25")
    assert tax.percent == D("7.25")
    promo = prices.save_promotion(
        owner,
        org,
        None,
        {
            "code": " spring-25 ",
            "description": "Spring: 25% off",
            "kind": "percent",
            "value": "25",
            "starts_on": clinic_today().isoformat(),
            "ends_on": (clinic_today() + timedelta(days=30)).isoformat(),
            "max_uses": "100",
            "active": True,
        },
    )
    assert promo.code == "SPRING-25" and promo.max_uses == 100
    logged = AccessLog.objects.filter(object_type="prices").order_by("id")
    assert logged.count() == 4
    assert logged[1].detail["before"]["per_unit"] == "4.50"
    with pytest.raises(Forbidden):
        prices.set_price(actor_of("front_desk"), org, "dysport", per_unit="1")


PROMO = {
    "code": "WINTER",
    "description": "Winter",
    "kind": "amount",
    "value": "20.00",
    "starts_on": "2026-01-01",
    "ends_on": "2026-01-31",
    "max_uses": "",
    "active": True,
}


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda a, org, loc: prices.set_price(a, org, "aspirin", per_unit="1"), "product"),
        (lambda a, org, loc: prices.set_price(a, org, "dysport", per_unit="-1"), "per_unit"),
        (lambda a, org, loc: prices.set_price(a, org, "dysport", per_unit="99999"), "per_unit"),
        (
            lambda a, org, loc: prices.set_price(
                a, org, "dysport", per_unit="4", member_per_unit="5"
            ),
            "member_per_unit",
        ),
        (lambda a, org, loc: prices.set_sales_tax(a, loc, "21"), "percent"),
        (lambda a, org, loc: prices.set_sales_tax(a, loc, "-1"), "percent"),
        (lambda a, org, loc: prices.set_sales_tax(a, loc, "seven"), "percent"),
        (lambda a, org, loc: prices.set_sales_tax(a, loc, "7.12345"), "percent"),
        (lambda a, org, loc: prices.save_promotion(a, org, None, {**PROMO, "code": "!"}), "code"),
        (
            lambda a, org, loc: prices.save_promotion(a, org, None, {**PROMO, "kind": "x"}),
            "kind",
        ),
        (
            lambda a, org, loc: prices.save_promotion(
                a, org, None, {**PROMO, "kind": "percent", "value": "150"}
            ),
            "value",
        ),
        (
            lambda a, org, loc: prices.save_promotion(
                a, org, None, {**PROMO, "ends_on": "2025-12-31"}
            ),
            "ends_on",
        ),
        (
            lambda a, org, loc: prices.save_promotion(
                a, org, None, {**PROMO, "starts_on": "3000-01-01"}
            ),
            "starts_on",
        ),
        (
            lambda a, org, loc: prices.save_promotion(a, org, None, {**PROMO, "max_uses": "0"}),
            "max_uses",
        ),
        (
            lambda a, org, loc: prices.save_promotion(a, org, None, {**PROMO, "description": ""}),
            "description",
        ),
    ],
)
def test_price_input_is_refused_field_by_field_and_nothing_is_written(
    clinic, actor_of, call, field
):
    before = AccessLog.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        call(actor_of("owner"), clinic.organisation, clinic)
    assert field in refused.value.fields
    assert not ProductPrice.objects.exists() and not SalesTax.objects.exists()
    assert not Promotion.objects.exists()
    assert AccessLog.objects.count() == before


def test_the_price_pages(clinic, client_for):
    owner = client_for("owner")
    home = owner.get(reverse("prices:home"))
    assert home.status_code == 200 and b"No price yet" in home.content
    bad = owner.post(
        reverse("prices:product"),
        {"prefix": "dysport", "dysport-product": "dysport", "dysport-per_unit": "-3"},
    )
    assert bad.status_code == 422 and b"Enter an amount above zero." in bad.content
    assert not ProductPrice.objects.exists()
    good = owner.post(
        reverse("prices:product"),
        {"prefix": "dysport", "dysport-product": "dysport", "dysport-per_unit": "4.75"},
    )
    assert good.status_code == 302
    assert ProductPrice.objects.get(product="dysport").per_unit == D("4.75")

    tax_url = reverse("prices:sales-tax", kwargs={"public_id": clinic.public_id})
    prefix = str(clinic.public_id)
    assert owner.post(tax_url, {f"{prefix}-percent": "25"}).status_code == 422
    assert not SalesTax.objects.exists()
    assert owner.post(tax_url, {f"{prefix}-percent": "9.5"}).status_code == 302
    assert SalesTax.objects.get(location=clinic).percent == D("9.5")

    new = reverse("prices:promotion-new")
    assert owner.get(new).status_code == 200
    refused = owner.post(new, {**PROMO, "ends_on": "2025-01-01"})
    assert refused.status_code == 422 and b"The last day comes on or after the first" in (
        refused.content
    )
    assert not Promotion.objects.exists()
    assert owner.post(new, PROMO).status_code == 302
    edit = reverse("prices:promotion", kwargs={"code": "winter"})
    assert b"Promotion code WINTER" in owner.get(edit).content
    assert owner.post(edit, {**PROMO, "value": "25.00", "active": ""}).status_code == 302
    saved = Promotion.objects.get()
    assert saved.value == D("25.00") and not saved.active
    # The set-up page and the menu link the prices for the owner.
    setup = owner.get(reverse("clinic:setup"))
    assert reverse("prices:home").encode() in setup.content
    assert (
        reverse("prices:home").encode()
        not in client_for("front_desk").get(reverse("close:day")).content
    )


def test_a_package_sold_and_redeemed_is_counted_once(
    priced, treated, clinic, patient, actor_of, client_for
):
    """The package's sale is prepaid sold, not revenue; the units it pays for are revenue when
    billed: $280.00 of revenue, not $480.00."""
    from glabella.billing import packages

    desk, owner = actor_of("front_desk"), actor_of("owner")
    plan = packages.create_plan(
        owner,
        clinic.organisation,
        name="BOTOX Cosmetic 20",
        product="botox_cosmetic",
        units="20",
        price="200.00",
        valid_days="365",
    )
    sale = invoices.open_invoice(desk, patient, clinic)
    packages.sell(desk, sale, plan)
    payments.take_payment(desk, sale, method="cash", amount="200.00")
    (held,) = packages.usable(patient, today=clinic_today())
    invoice = Invoice.objects.get(treatment=treated)
    packages.redeem(desk, invoice, held, invoice.lines.get().pk, "20")  # pays the $280.00
    period = _today_period()
    (month,) = reports.revenue(owner, "month", period)
    assert month.revenue == D("280.00") and month.invoices == 1
    assert [r.revenue for r in reports.revenue(owner, "provider", period)] == [D("280.00")]
    sold = reports.prepaid_sold(owner, period)
    assert (sold.packages, sold.package_invoices, sold.deposits, sold.total) == (
        D("200.00"),
        1,
        D("0.00"),
        D("200.00"),
    )
    with pytest.raises(Forbidden):
        reports.prepaid_sold(desk, period)

    page = client_for("owner").get(reverse("close:revenue"), {"by": "month"}).content.decode()
    shown, prepaid = page.split("<h2>Prepaid sold</h2>")
    assert "$280.00" in shown and "$480.00" not in page and "$200.00" in prepaid
    exported = client_for("owner").get(reverse("close:revenue"), {"by": "month", "format": "csv"})
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    assert rows[1][3] == "280.00"
    start = rows.index(["Prepaid sold (not revenue until used)", "Invoices", "Amount"])
    assert rows[start + 1] == ["Packages", "1", "200.00"]
    assert rows[start + 2] == ["Deposits paid online", "0", "0.00"]
