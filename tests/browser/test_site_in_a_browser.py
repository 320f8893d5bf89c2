"""Every public page and every portal page in Chromium on a phone: axe-core finds no serious or
critical WCAG 2.1 A/AA violation, no page needs more than 200 KB of scripts, styles and fonts,
nothing comes from another site, and nothing scrolls sideways.

axe-core comes from its npm package (tests/browser/axe, installed by `make test` from the
lockfile) and is put into each page by Playwright, not fetched from anywhere.
"""

import re

import pytest
from django.urls import reverse

from glabella.messaging.models import Message
from glabella.portal.views import MENU
from tests.browser.conftest import looks_right, open_audited

pytestmark = pytest.mark.django_db(transaction=True)

ASSET_BUDGET = 200 * 1024


def check(page, path: str, live_server) -> None:
    open_audited(page, live_server.url + path)
    assert_page_is_good(page, path)


def assert_page_is_good(page, label: str) -> None:
    looks_right(page, label)
    assert page.asset_bytes <= ASSET_BUDGET, f"{label}: {page.asset_bytes} bytes of assets"


def test_every_public_page_passes_axe_on_a_phone(audited, live_server, clinic):
    paths = [reverse("portal:home"), *(reverse(f"portal:{slug}") for slug in MENU)]
    paths += [
        reverse("portal:locations"),
        reverse("portal:service-area") + "?area=Camarillo",
        reverse("portal:service-area") + "?area=Boston",
        reverse("portal:contact"),
        reverse("portal:sign-in"),
        reverse("scheduling:book"),
        reverse("scheduling:book") + "?area=Camarillo",
        reverse("screening:self-check"),
    ]
    for path in paths:
        check(audited, path, live_server)
    # The same pages with their error messages showing.
    check(audited, reverse("portal:service-area") + "?area=%21%21", live_server)
    assert audited.is_visible("#id_area_error")
    open_audited(audited, live_server.url + reverse("portal:contact"))
    audited.click("main button[type=submit]")
    audited.wait_for_selector("#id_email_error")
    assert_page_is_good(audited, "contact with errors")
    open_audited(audited, live_server.url + reverse("portal:sign-in"))
    audited.fill("input[name=email]", "not an email")
    audited.click("main button[type=submit]")
    audited.wait_for_selector("#id_email_error")
    assert_page_is_good(audited, "sign-in with errors")
    open_audited(audited, live_server.url + reverse("screening:self-check"))
    audited.click("main button[type=submit]")
    audited.wait_for_load_state()
    assert_page_is_good(audited, "self-check with errors")


def test_every_portal_page_passes_axe_after_signing_in_by_link(
    audited, live_server, treated, patient
):
    open_audited(audited, live_server.url + reverse("portal:sign-in"))
    audited.fill("input[name=email]", patient.email)
    audited.click("main button[type=submit]")
    audited.wait_for_selector("text=Check your email")
    assert_page_is_good(audited, "link sent")
    body = Message.objects.filter(topic="sign_in_link").latest("id").body
    link = re.search(r"/portal/sign-in/\S+", body).group(0)
    open_audited(audited, live_server.url + link)
    assert_page_is_good(audited, "the link's page")
    audited.click("main button[type=submit]")
    audited.wait_for_selector("h1:has-text('Hello, Grace')")
    for name in (
        "portal:me",
        "aftercare:portal",
        "portal:treatments",
        "portal:photos",
        "portal:receipts",
        "portal:preferences",
        "patients:portal-me",
    ):
        check(audited, reverse(name), live_server)
    open_audited(audited, live_server.url + reverse("screening:portal-forms"))
    assert_page_is_good(audited, "my forms")
    audited.click("main a.button.primary")
    audited.wait_for_url("**/questions/")
    assert_page_is_good(audited, "the questionnaire")
