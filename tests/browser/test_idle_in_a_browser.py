"""The idle warning on a staff page, in a real browser: it warns, "stay signed in" keeps the
session, and when the quiet time runs out the page goes to sign-in, which says why."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from glabella.demo.clinic import DEMO_PASSWORD
from tests.browser.conftest import pass_the_second_step, watched_page
from tests.conftest import STAFF_EMAILS

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_idle_warning_then_sign_in(browser, live_server, clinic, settings):
    settings.IDLE_LOGOFF_MINUTES = 0.1  # six seconds: the script reads the page's number
    settings.IDLE_NOTED_SECONDS = 3  # the server notes activity at most this often
    # The server never signs out early, so the page leaves that long (and a margin of 5) after
    # the quiet time: 14 seconds here.
    leaves = (6 + 3 + 5) * 1000
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = watched_page(context, live_server)
    page.goto(live_server.url + reverse("core:sign-in"))
    page.fill("input[name=username]", STAFF_EMAILS["front_desk"])
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    # Staff sign in in two steps: the code from the authenticator app, then the page.
    pass_the_second_step(page, STAFF_EMAILS["front_desk"])
    assert reverse("core:second-factor") not in page.url
    warning = page.locator(".idle-warning")
    expect(warning).to_be_visible(timeout=leaves)
    page.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_have_count(0, timeout=3000)
    # Nothing more: the page goes to sign-in by itself and the server says why.
    # The sign-in page itself (the second-factor step's address starts with /sign-in/ too).
    page.wait_for_url(re.compile(r"/sign-in/(\?|$)"), timeout=leaves + 10000)
    expect(page.locator(".messages")).to_contain_text("without activity")
    expect(page.locator("input[name=password]")).to_be_visible()
    assert page.foreign == []
    context.close()
