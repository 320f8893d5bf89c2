"""Packages and memberships in Chromium (issue 20): the owner adds a package and a membership on
the price page (a membership without a fee is refused on its field first); the desk opens
Grace's record, enrolls her and is sent to the first month's invoice, then opens her
membership's ledger and pauses it; the owner opens her package's ledger from the record and
takes units off with a reason. Each page passes axe-core and loads nothing from another site."""

from decimal import Decimal

import pytest
from django.urls import reverse

from glabella.billing import invoices, packages, payments
from glabella.billing.models import Membership, PackagePlan, PatientPackage
from tests.browser.conftest import AXE, watched_page
from tests.browser.test_day_close_in_a_browser import checked, sign_in
from tests.conftest import STAFF_EMAILS

pytestmark = pytest.mark.django_db(transaction=True)


def new_page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    if AXE.exists():
        context.add_init_script(path=str(AXE))
    return context, watched_page(context, live_server)


def submit(page, text):
    with page.expect_navigation():
        page.click(f"main button:has-text('{text}')")


def test_the_owner_sets_up_plans_and_the_desk_enrolls_grace(
    browser, live_server, clinic, patient, actor_of
):
    url = live_server.url
    context, owner = new_page(browser, live_server)
    sign_in(owner, url, STAFF_EMAILS["owner"])
    with owner.expect_navigation():
        owner.click("nav[aria-label=Main] >> text=Prices")
    owner.click("text=Add a package")
    owner.fill("#package-name", "Botox 100")
    owner.select_option("#package-product", label="BOTOX Cosmetic (onabotulinumtoxinA)")
    owner.fill("#package-units", "100")
    owner.fill("#package-price", "1200")
    owner.fill("#package-valid_days", "365")
    submit(owner, "Add the package")
    assert "The package Botox 100 is on sale." in owner.inner_text("main")
    owner.click("text=Add a membership")
    owner.fill("#membership-name", "Glow Club")
    owner.fill("#membership-monthly_fee", "0")
    submit(owner, "Add the membership")
    assert owner.inner_text("#membership-monthly_fee_error") == "Enter an amount above zero."
    checked(owner, "a membership refused")
    owner.fill("#membership-monthly_fee", "99")
    owner.select_option("#membership-credit_product", label="BOTOX Cosmetic (onabotulinumtoxinA)")
    owner.fill("#membership-monthly_credit", "10")
    submit(owner, "Add the membership")
    text = owner.inner_text("main")
    assert "Glow Club" in text and "10 units of BOTOX Cosmetic" in text and "$1,200.00" in text
    checked(owner, "prices with packages and memberships")
    context.close()

    # Grace bought the package at the desk and paid it in full.
    desk_actor = actor_of("front_desk")
    invoice = invoices.open_invoice(desk_actor, patient, clinic)
    packages.sell(desk_actor, invoice, PackagePlan.objects.get(name="Botox 100"))
    payments.take_payment(desk_actor, invoice, method="cash", amount="1200.00")

    context, desk = new_page(browser, live_server)
    sign_in(desk, url, STAFF_EMAILS["front_desk"])
    record = url + reverse("patients:record", args=[patient.public_id])
    desk.goto(record)
    assert "100 of 100 units" in desk.inner_text("#prepaid")
    checked(desk, "the record's section")
    desk.select_option("#enrol-plan", label="Glow Club ($99.00 a month)")
    submit(desk, "Enroll")
    text = desk.inner_text("main")
    assert "Grace Holloway is a member of Glow Club" in text and "Membership: Glow Club" in text
    assert "$99.00" in text
    desk.goto(record)
    with desk.expect_navigation():
        desk.click("#prepaid >> text=Glow Club")
    assert "Monthly credit granted" in desk.inner_text("main")
    checked(desk, "the membership's ledger")
    submit(desk, "Pause the membership")
    assert "The membership is paused." in desk.inner_text("main")
    assert Membership.objects.get(patient=patient).status == "paused"
    context.close()

    context, owner = new_page(browser, live_server)
    sign_in(owner, url, STAFF_EMAILS["owner"])
    owner.goto(record)
    with owner.expect_navigation():
        owner.click("#prepaid >> text=Botox 100")
    owner.fill("#adjust-units", "-5")
    owner.fill("#adjust-reason", "Counted twice at the desk")
    submit(owner, "Adjust the balance")
    text = owner.inner_text("main")
    assert "95 of 100 units" in text and "Counted twice at the desk" in text
    assert PatientPackage.objects.get(patient=patient).balance == Decimal("95")
    checked(owner, "the package's ledger")
    context.close()
