"""The idle warning on a staff page, in a real browser: it warns, "stay signed in" keeps the
session, and when the quiet time runs out the page goes to sign-in, which says why."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from glabella.demo.clinic import DEMO_PASSWORD
from tests.browser.conftest import watched_page
from tests.conftest import STAFF_EMAILS

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_idle_warning_then_sign_in(browser, live_server, clinic, settings):
    settings.IDLE_LOGOFF_MINUTES = 0.1  # six seconds: the script reads the page's number
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = watched_page(context, live_server)
    page.goto(live_server.url + reverse("core:sign-in"))
    page.fill("input[name=username]", STAFF_EMAILS["front_desk"])
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    warning = page.locator(".idle-warning")
    expect(warning).to_be_visible(timeout=6000)
    page.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_have_count(0, timeout=3000)
    # Nothing more: the page goes to sign-in by itself and the server says why.
    page.wait_for_url("**/sign-in/**", timeout=15000)
    expect(page.locator(".messages")).to_contain_text("without activity")
    expect(page.locator("input[name=password]")).to_be_visible()
    assert page.foreign == []
    context.close()
