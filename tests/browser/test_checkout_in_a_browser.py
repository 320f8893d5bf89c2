"""Checkout in Chromium (issue 20): the injector charts and signs Grace's treatment and is told
the invoice waits at the desk; the desk opens it from Checkout, takes part by card (the
terminal's last four and authorization code) and the rest in cash, opens the receipt PDF (its
number, total and the card's last four read back with pypdf) and sees the balance at zero."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from glabella.billing.models import Invoice, Payment, ProductPrice
from glabella.core.access import actor_for
from glabella.core.models import StaffMember
from glabella.inventory import services as stock
from glabella.scheduling.models import Appointment
from glabella.treatments.models import TreatmentRecord
from tests.browser.conftest import audit_page
from tests.browser.test_injector_day_in_a_browser import staff_page
from tests.browser.test_journey_in_a_browser import PASSWORD, shot
from tests.browser.test_journey_in_a_browser import clinic_at_nine as at_nine
from tests.conftest import STAFF_EMAILS, clear_for_treatment, future_appointment, receive_lot
from tests.test_treatments import sign_consent

pytestmark = pytest.mark.django_db(transaction=True)
clinic_at_nine = at_nine  # the journey's fixture: it is 9 in the morning at the clinic


@pytest.fixture
def in_the_treatment_room(clinic_at_nine, patient):
    """Grace is cleared and consented, checked in for her treatment twenty minutes ago; a vial
    of BOTOX Cosmetic is reconstituted; the clinic charges $14.00 a unit."""
    clinic = clinic_at_nine
    clear_for_treatment(patient)
    sign_consent(patient)
    visit = future_appointment(
        patient, clinic, days=0, service_slug="neuromodulator", checked_in=True
    )
    start = timezone.now().replace(microsecond=0) - timedelta(minutes=20)
    Appointment.objects.filter(pk=visit.pk).update(
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        blocked_from=start,
        blocked_until=start + timedelta(minutes=35),
        checked_in_at=start,
    )
    injector = StaffMember.objects.get(user__username=STAFF_EMAILS["injector"])
    lot = receive_lot(clinic, lot_number="C9")
    vial = stock.reconstitute(actor_for(injector.user), lot.vials.get(), "2.5")
    ProductPrice.objects.create(
        organisation=clinic.organisation, product="botox_cosmetic", per_unit=Decimal("14.00")
    )
    visit.refresh_from_db()
    return visit, vial


def chart_and_sign(browser, live_server, visit, vial):
    """The injector charts the label's frown-line pattern from `vial` on the day's page and
    signs; she is told the invoice waits at the desk, and sees no amount and no checkout."""
    url = live_server.url
    injector = staff_page(browser, live_server, "injector")
    day = visit.local_start.date()
    injector.goto(url + reverse("treatments:day") + f"?location={visit.location.slug}&day={day}")
    row = injector.locator("form", has=injector.locator(f"#product-{visit.public_id}"))
    row.locator("select[name=product]").select_option("botox_cosmetic")
    with injector.expect_navigation():
        row.locator("button", has_text="Chart").click()
    injector.select_option("#pattern_area", "glabellar")
    with injector.expect_navigation():
        injector.click("button[value=pattern]")
    injector.select_option("select[name=vial]", str(vial.public_id))
    with injector.expect_navigation():
        injector.click("button[value=save]")
    injector.fill("#sign-secret", PASSWORD)
    with injector.expect_navigation():
        injector.click("#sign-button")
    record = TreatmentRecord.objects.get(appointment=visit)
    assert record.locked, injector.locator("main").inner_text()
    notice = injector.locator("#chart-notice-1")
    expect(notice).to_have_text("The invoice for this treatment is waiting at the desk.")
    assert "$" not in injector.locator("main").inner_text()  # no amounts for clinicians
    assert injector.locator("nav a", has_text="Checkout").count() == 0
    return injector, record


def test_the_injector_signs_and_the_desk_checks_out(
    browser, live_server, in_the_treatment_room, patient
):
    visit, vial = in_the_treatment_room
    url = live_server.url

    # ------------------------------------------------ the injector charts and signs
    injector, record = chart_and_sign(browser, live_server, visit, vial)

    invoice = Invoice.objects.get(treatment=record)
    units = sum(p.units for p in record.points.all())
    total = Decimal(units) * Decimal("14.00")
    assert invoice.is_open and total > 100

    # ------------------------------------------------ the desk opens it from Checkout
    desk = staff_page(browser, live_server, "front_desk")
    with desk.expect_navigation():
        desk.click("nav a:has-text('Checkout')")
    today = desk.locator("#open-today")
    expect(today).to_contain_text(patient.full_name)
    with desk.expect_navigation():
        today.locator("a", has_text="Check out").click()
    expect(desk.locator("h1")).to_contain_text(patient.full_name)
    expect(desk.locator("#invoice-total")).to_have_text(f"${total:,.2f}")
    assert audit_page(desk) == []

    # ------------------------------------------------ part by card, the rest in cash
    desk.check("input[name=method][value=card]")
    desk.fill("#payment-amount", "100.00")
    desk.fill("#payment-card_last4", "4242")
    desk.fill("#payment-authorization", "A1B2C3")
    with desk.expect_navigation():
        desk.click("#take-payment-button")
    expect(desk.locator("#invoice-status")).to_contain_text("Finalized")
    expect(desk.locator("#balance-due")).to_have_text(f"${total - 100:,.2f}")
    expect(desk.locator("#payment-amount")).to_have_value(f"{total - 100:.2f}")  # what is left
    desk.check("input[name=method][value=cash]")
    with desk.expect_navigation():
        desk.click("#take-payment-button")
    expect(desk.locator("#balance-due")).to_have_text("$0.00")
    expect(desk.locator("#payments")).to_contain_text("ending 4242, authorization A1B2C3")
    assert sorted(Payment.objects.values_list("method", flat=True)) == ["card", "cash"]
    invoice.refresh_from_db()
    assert invoice.status == "finalized" and invoice.total == total

    # ------------------------------------------------ the receipt, as a PDF
    href = desk.locator("#receipt-pdf").get_attribute("href")
    answer = desk.request.get(url + href)
    assert answer.ok and answer.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(answer.body())).pages)
    assert invoice.number in text and f"${total:,.2f}" in text and "4242" in text
    assert audit_page(desk) == []
    shot(desk, "checkout")
    assert desk.foreign == [] and injector.foreign == []
