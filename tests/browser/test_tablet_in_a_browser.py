"""The clinic's tablet handed to a patient, in Chromium: the desk hands it over, the patient's
forms open with no site menu, another address is refused with the way back to the forms, and a
staff member's password typed on the tablet unlocks it (a wrong one is refused first)."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from glabella.core.models import AccessLog
from glabella.demo.clinic import DEMO_PASSWORD
from tests.browser.conftest import pass_the_second_step
from tests.conftest import STAFF_EMAILS

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_tablet_keeps_to_her_forms_until_staff_unlock_it(browser, live_server, patient):
    context = browser.new_context(viewport={"width": 1024, "height": 768}, has_touch=True)
    page = context.new_page()
    url = live_server.url
    page.goto(url + reverse("core:sign-in"))
    page.fill("input[name=username]", STAFF_EMAILS["front_desk"])
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    pass_the_second_step(page, STAFF_EMAILS["front_desk"])  # the code from her app
    page.goto(url + reverse("screening:patient-forms", args=[patient.public_id]))
    with page.expect_navigation():
        page.click("button[value=tablet]")
    forms = page.url
    assert "/forms/tablet" in forms.replace("%3A", ":")
    expect(page.locator("nav")).to_have_count(0)  # no site menu, no staff menu
    assert page.locator("a.brand").count() == 0
    page.goto(url + reverse("patients:search"))
    expect(page.locator("h1")).to_have_text("This tablet is for your forms")
    with page.expect_navigation():
        page.click("text=Back to my forms")
    assert page.url == forms
    with page.expect_navigation():
        page.click("text=Staff: unlock this tablet")
    page.fill("input[name=email]", STAFF_EMAILS["front_desk"])
    page.fill("input[name=secret]", "not my password")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    expect(page.locator(".field.invalid .error")).to_contain_text("not yours")
    page.fill("input[name=secret]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.url.endswith(reverse("core:sign-in"))
    expect(page.locator("h1")).to_have_text("Sign in")
    assert AccessLog.objects.filter(object_type="tablet-release").count() == 1
    context.close()
