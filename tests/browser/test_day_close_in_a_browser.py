"""The day's close and the reconciliation in Chromium (issue 20): Grace is treated and pays; the
front desk opens the day's close from the menu, sees the takings, enters the terminal's batch
and the drawer (a difference without a note is refused, with one it is recorded); the owner
opens the reconciliation, which lists the two units billed more than charted with the desk's
reason, then the revenue by product. Each page passes axe-core and loads nothing from another
site."""

from decimal import Decimal

import pytest
from django.urls import reverse

from glabella.billing import invoices, payments
from glabella.billing.models import DayClose, Invoice, ProductPrice
from tests.browser.conftest import AXE, audit_page, pass_the_second_step, watched_page
from tests.browser.test_journey_in_a_browser import PASSWORD
from tests.conftest import STAFF_EMAILS

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, url, email):
    page.goto(url + reverse("core:sign-in"))
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    pass_the_second_step(page, email)


def checked(page, label):
    if AXE.exists():
        assert audit_page(page) == [], label
    assert page.foreign == [], label


@pytest.fixture
def priced(clinic):
    """BOTOX Cosmetic at $14.00 a unit, priced before Grace is treated."""
    return ProductPrice.objects.create(
        organisation=clinic.organisation, product="botox_cosmetic", per_unit=Decimal("14.00")
    )


def test_the_desk_closes_the_day_and_the_owner_reconciles(
    browser, live_server, clinic, priced, treated, actor_of
):
    invoice = Invoice.objects.get(treatment=treated)
    # The desk bills 22 units for the 20 charted: 2 for a touch-up, with the reason.
    invoices.set_units(
        actor_of("front_desk"), invoice, invoice.lines.get().pk, "22", "Touch-up at the visit"
    )
    payments.take_payment(
        actor_of("front_desk"),
        invoice,
        method="card",
        amount="300.00",
        card_last4="4242",
        authorization="AUTH42",
    )
    payments.take_payment(actor_of("front_desk"), invoice, method="cash", amount="8.00")

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    if AXE.exists():
        context.add_init_script(path=str(AXE))
    desk = watched_page(context, live_server)
    url = live_server.url
    sign_in(desk, url, STAFF_EMAILS["front_desk"])
    with desk.expect_navigation():
        desk.click("nav[aria-label=Main] >> text=Day's close")
    assert "$300.00" in desk.inner_text("main") and "$308.00" in desk.inner_text("main")
    checked(desk, "the close")
    desk.fill("input[name=card]", "300.00")
    desk.fill("input[name=cash]", "5.00")
    desk.fill("input[name=gift_card]", "0")
    with desk.expect_navigation():
        desk.click("text=Record the close")
    assert "say what is known of it" in desk.inner_text("main")
    assert not DayClose.objects.exists()
    desk.fill("textarea[name=note]", "Three dollars short in the drawer")
    with desk.expect_navigation():
        desk.click("text=Record the close")
    assert "The day is closed" in desk.inner_text("main")
    assert "-$3.00" in desk.inner_text("main")
    assert DayClose.objects.get().difference_cash == Decimal("-3.00")
    checked(desk, "the closed day")
    context.close()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    if AXE.exists():
        context.add_init_script(path=str(AXE))
    owner = watched_page(context, live_server)
    sign_in(owner, url, STAFF_EMAILS["owner"])
    with owner.expect_navigation():
        owner.click("nav[aria-label=Main] >> text=Day's close")
    with owner.expect_navigation():
        owner.click("text=Units reconciled")
    text = owner.inner_text("main")
    assert "1 difference" in text
    assert "2 units more billed than charted (the reason given: Touch-up at the visit)" in text
    assert f"Invoice {Invoice.objects.get(pk=invoice.pk).number}" in text
    checked(owner, "the reconciliation")
    with owner.expect_navigation():
        owner.click("text=Revenue")
    assert "$308.00" in owner.inner_text("main") and "$14.00" in owner.inner_text("main")
    checked(owner, "revenue")
    with owner.expect_navigation():
        owner.click("nav[aria-label=Main] >> text=Prices")
    assert "Promotion codes" in owner.inner_text("main")
    checked(owner, "prices")
    context.close()
