"""Two-factor sign-in in Chromium: a passkey set up and then used, through a real WebAuthn
ceremony with Chromium's virtual authenticator (DevTools' WebAuthn domain), and the demo's
authenticator-app code typed at the second step."""

import re

import pytest
from django.urls import reverse

from glabella.core.audit import Kind
from glabella.core.models import AccessLog
from tests.browser.conftest import watched_page
from tests.test_two_factor import new_staff

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, url: str, email: str) -> None:
    page.goto(url + reverse("core:sign-in"))
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", "glabella-demo")
    with page.expect_navigation():
        page.click("main button[type=submit]")


def test_a_passkey_is_set_up_then_signs_in(browser, live_server, clinic, settings):
    from django_otp_webauthn.models import WebAuthnCredential

    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    assert live_server.url.startswith("http://localhost:")  # the relying party is localhost
    staff = new_staff()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = watched_page(context, live_server)
    devtools = context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    # A clinician without a second factor is sent to set one up after the password.
    sign_in(page, live_server.url, staff.user.username)
    assert reverse("core:two-factor-setup") in page.url
    with page.expect_navigation():
        page.click("text=Add a passkey")
    # The ceremony's module script draws the button; the page's own script, which goes on to
    # the backup codes once the passkey is made, runs after it: click once both have run.
    page.wait_for_load_state("load")
    page.click("#passkey-register-button")
    page.wait_for_url(re.compile(r".*/sign-in/two-factor/backup-codes/.*"))
    assert WebAuthnCredential.objects.filter(user=staff.user, confirmed=True).count() == 1
    assert AccessLog.objects.filter(
        object_type=Kind.TWO_FACTOR_ENROLMENT, object_id=staff.user.pk, detail__method="passkey"
    ).exists()
    with page.expect_navigation():
        page.click("main button[type=submit]")  # make backup codes
    assert page.locator("ul.backup-codes li").count() == 10
    with page.expect_navigation():
        page.click("text=I have kept them, continue")
    assert reverse("scheduling:calendar") in page.url  # the staff's home
    # Signed out and in again: the password, then the passkey.
    with page.expect_navigation():
        page.click("header .signout button")
    sign_in(page, live_server.url, staff.user.username)
    assert reverse("core:second-factor") in page.url
    page.wait_for_load_state("load")
    page.click("#passkey-verification-button")
    page.wait_for_url(re.compile(r".*/staff/calendar/.*"))
    assert AccessLog.objects.filter(
        object_type=Kind.SECOND_FACTOR, object_id=staff.user.pk, detail__method="passkey"
    ).exists()
    assert page.is_visible("text=Lena Park")
    assert page.foreign == []
    context.close()
