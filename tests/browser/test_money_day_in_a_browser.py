"""A day's money on the demo clinic, in Chromium (issue 20): Lena, the demo's club member, who
bought the 100-unit package when she joined, comes for her first treatment; the injector charts
and signs; the invoice bills her units at the member price; the desk pays ten of them from the
package and the rest by card, and prints the receipt; the day's close shows the takings by
method; the owner's reconciliation shows units billed = charted = drawn for the day and, over
the last month, lists the demo's seeded difference with its reason. Every page passes
axe-core and loads nothing from another site."""

import io
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Q
from playwright.sync_api import expect
from pypdf import PdfReader

from glabella.billing import close
from glabella.billing.models import Invoice, Membership, PatientPackage, Payment
from glabella.core.access import actor_for
from glabella.core.models import StaffMember
from glabella.inventory import services as stock
from glabella.scheduling.models import Appointment, Status
from tests.browser.conftest import audit_page
from tests.browser.test_checkout_in_a_browser import chart_and_sign
from tests.browser.test_injector_day_in_a_browser import staff_page
from tests.browser.test_journey_in_a_browser import clinic_at_nine as at_nine
from tests.conftest import STAFF_EMAILS, clear_for_treatment, future_appointment, receive_lot
from tests.test_treatments import sign_consent

pytestmark = pytest.mark.django_db(transaction=True)
clinic_at_nine = at_nine  # the journey's fixture: it is 9 in the morning at the clinic


@pytest.fixture
def demo_day(clinic_at_nine):
    """The demo clinic with five months of history, and its club member checked in for a
    treatment twenty minutes ago (the injector's and her other bookings then moved out of the
    way), with a vial of BOTOX Cosmetic reconstituted."""
    from django.utils import timezone

    clinic = clinic_at_nine
    call_command(
        "demo-data",
        "--patients",
        "30",
        "--history-days",
        "150",
        "--quiet-logins",
        stdout=StringIO(),
    )
    member = Membership.objects.get().patient
    injector = StaffMember.objects.get(user__username=STAFF_EMAILS["injector"])
    start = timezone.now().replace(microsecond=0) - timedelta(minutes=20)
    Appointment.objects.live().filter(
        Q(provider=injector) | Q(patient=member),
        starts_at__lt=start + timedelta(hours=2),
        ends_at__gt=start - timedelta(hours=2),
    ).update(status=Status.CANCELLED_BY_CLINIC)
    clear_for_treatment(member)
    sign_consent(member)
    visit = future_appointment(
        member, clinic, days=0, service_slug="neuromodulator", checked_in=True
    )
    Appointment.objects.filter(pk=visit.pk).update(
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        blocked_from=start,
        blocked_until=start + timedelta(minutes=35),
        checked_in_at=start,
    )
    lot = receive_lot(clinic, lot_number="M1")
    vial = stock.reconstitute(actor_for(injector.user), lot.vials.get(), "2.5")
    visit.refresh_from_db()
    return visit, vial


def test_a_days_money_on_the_demo_clinic(browser, live_server, demo_day):
    visit, vial = demo_day
    url = live_server.url
    package = PatientPackage.objects.get(patient=visit.patient, status="active")
    left = package.balance
    assert package.plan.name == "BOTOX Cosmetic 100" and left == 100

    # ------------------------------------------------ the injector charts and signs
    injector, record = chart_and_sign(browser, live_server, visit, vial)
    invoice = Invoice.objects.get(treatment=record)
    units = sum(p.units for p in record.points.all())
    line = invoice.lines.get(kind="units")
    assert line.unit_price == Decimal("12.00")  # the demo's member price, not the list's $14
    total = Decimal(units) * line.unit_price
    part = 10 * line.unit_price

    # ------------------------------------------------ ten units from the package
    desk = staff_page(browser, live_server, "front_desk")
    with desk.expect_navigation():
        desk.click("nav a:has-text('Checkout')")
    with desk.expect_navigation():
        desk.locator("#open-today").locator("a", has_text="Check out").click()
    expect(desk.locator("#invoice-total")).to_have_text(f"${total:,.2f}")
    prepaid = desk.locator("#pay-prepaid")
    expect(prepaid.locator("#redeem-package-package")).to_contain_text(
        f"BOTOX Cosmetic 100: {left.normalize():f} left, good through"
    )
    desk.fill("#redeem-package-units", "10")
    with desk.expect_navigation():
        desk.click("#redeem-package-button")
    expect(desk.locator("#balance-due")).to_have_text(f"${total - part:,.2f}")
    assert audit_page(desk) == []

    # ------------------------------------------------ the rest by card
    desk.check("input[name=method][value=card]")
    expect(desk.locator("#payment-amount")).to_have_value(f"{total - part:.2f}")
    desk.fill("#payment-card_last4", "4242")
    desk.fill("#payment-authorization", "M0N3Y1")
    with desk.expect_navigation():
        desk.click("#take-payment-button")
    expect(desk.locator("#balance-due")).to_have_text("$0.00")
    payments = desk.locator("#payments")
    expect(payments).to_contain_text("Package: BOTOX Cosmetic 100, 10 units")
    expect(payments).to_contain_text("Card ending 4242, authorization M0N3Y1")
    package.refresh_from_db()
    assert package.balance == left - 10
    assert sorted(Payment.objects.filter(invoice=invoice).values_list("method", flat=True)) == [
        "card",
        "package",
    ]

    # ------------------------------------------------ the receipt, printed
    href = desk.locator("#receipt-pdf").get_attribute("href")
    answer = desk.request.get(url + href)
    assert answer.ok and answer.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(answer.body())).pages)
    invoice.refresh_from_db()
    assert invoice.number in text and f"${total:,.2f}" in text
    assert "Package: BOTOX Cosmetic 100, 10 units" in text and f"${part:,.2f}" in text
    assert "Card ending 4242" in text

    # ------------------------------------------------ the day's close shows the takings
    with desk.expect_navigation():
        desk.click("nav[aria-label=Main] >> text=Day's close")
    takings = desk.locator("main table").first
    expect(takings.locator("tr", has_text="Card (clinic terminal)")).to_contain_text(
        f"${total - part:,.2f}"
    )
    # Units paid from the package moved no money today: listed apart, in no total.
    found = close.takings(visit.location, visit.local_start.date())
    assert found.of("package") >= part
    expect(takings.locator("tfoot")).to_contain_text(f"${found.total:,.2f}")
    assert found.total == sum(found.of(m) for m in ("card", "cash", "gift_card", "online_card"))
    prepaid = desk.locator("#prepaid-paid")
    expect(prepaid.locator("tr", has_text="Package units")).to_contain_text(f"${part:,.2f}")
    assert audit_page(desk) == []

    # ------------------------------------------------ the owner reconciles the demo day
    owner = staff_page(browser, live_server, "owner")
    with owner.expect_navigation():
        owner.click("nav[aria-label=Main] >> text=Day's close")
    with owner.expect_navigation():
        owner.click("text=Units reconciled")
    day = visit.local_start.date()
    owner.fill("#period-start", f"{day:%Y-%m-%d}")
    owner.fill("#period-end", f"{day:%Y-%m-%d}")
    with owner.expect_navigation():
        owner.click("main button:has-text('Show')")
    main = owner.locator("main")
    expect(main.locator("h2").first).to_have_text("Everything agrees")
    row = main.locator("tbody tr", has_text="BOTOX Cosmetic").first
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    assert cells[1] == cells[2] == cells[5] == f"{Decimal(units).normalize():f}", cells
    assert cells[6] == "Yes"
    assert audit_page(owner) == []

    # Over the last month: the demo's seeded difference, with its reason.
    owner.fill("#period-start", f"{day - timedelta(days=30):%Y-%m-%d}")
    with owner.expect_navigation():
        owner.click("main button:has-text('Show')")
    expect(main.locator("h2").first).to_have_text("1 difference")
    expect(main).to_contain_text(
        "2 units fewer billed than charted (the reason given: Two units on the house after a "
        "touch-up)."
    )
    assert audit_page(owner) == []
    assert desk.foreign == [] and owner.foreign == [] and injector.foreign == []
