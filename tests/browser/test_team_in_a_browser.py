"""The owner's team pages in Chromium: an invitation by email, the new colleague choosing a
password from the link and signing in, then the owner switching the account off, which signs
the colleague out at their next click. Every page is checked with axe-core."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from glabella.core.models import StaffMember
from tests.browser.conftest import AXE, audit_page, pass_the_second_step, watched_page
from tests.browser.test_journey_in_a_browser import PASSWORD
from tests.conftest import STAFF_EMAILS

pytestmark = pytest.mark.django_db(transaction=True)


def desk_context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    if AXE.exists():
        context.add_init_script(path=str(AXE))
    return context


def accessible(page, label: str) -> None:
    if AXE.exists():
        problems = audit_page(page)
        assert problems == [], f"{label}: {problems}"
    assert page.foreign == [], f"{label}: {page.foreign}"


def signed_in(context, live_server, email: str, password: str):
    page = watched_page(context, live_server)
    page.goto(live_server.url + reverse("core:sign-in"))
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    # The second step, for whoever is asked: the code the person's authenticator app shows.
    pass_the_second_step(page, email)
    return page


def test_invite_set_a_password_then_switch_the_account_off(browser, live_server, clinic):
    owner = signed_in(desk_context(browser), live_server, STAFF_EMAILS["owner"], PASSWORD)
    with owner.expect_navigation():
        owner.click("nav >> text=Team")
    accessible(owner, "team")
    with owner.expect_navigation():
        owner.click("text=Invite someone")
    owner.fill("input[name=email]", "sam.reyes@example.com")
    owner.fill("input[name=full_name]", "Sam Reyes")
    owner.select_option("select[name=role]", "front_desk")
    with owner.expect_navigation():
        owner.click("main button[type=submit]")
    assert "Invitation sent to sam.reyes@example.com" in owner.content()
    assert "Invited, no password yet" in owner.content()

    found = re.search(r"https?://\S+(/welcome/\S+/)", mail.outbox[-1].body)
    link = live_server.url + found.group(1)  # the email points to SITE_URL
    context = desk_context(browser)
    sam = watched_page(context, live_server)
    sam.goto(link)
    accessible(sam, "welcome")
    assert "Welcome, Sam Reyes" in sam.content()
    sam.fill("input[name=new_password1]", "short")
    sam.fill("input[name=new_password2]", "short")
    with sam.expect_navigation():
        sam.click("main button[type=submit]")
    assert "too short" in sam.content()
    chosen = "copper-lantern-meadow-42"
    sam.fill("input[name=new_password1]", chosen)
    sam.fill("input[name=new_password2]", chosen)
    with sam.expect_navigation():
        sam.click("main button[type=submit]")
    assert sam.url.endswith(reverse("core:sign-in"))
    sam = signed_in(context, live_server, "sam.reyes@example.com", chosen)
    assert "Sam Reyes" in sam.inner_text("header")

    staff = StaffMember.objects.get(user__username="sam.reyes@example.com")
    owner.goto(live_server.url + reverse("clinic:team-member", args=[staff.public_id]))
    accessible(owner, "member")
    with owner.expect_navigation():
        owner.click("text=Switch off the account")
    assert "account is switched off" in owner.content()

    sam.goto(live_server.url + reverse("patients:search"))
    assert sam.url.startswith(live_server.url + reverse("core:sign-in"))
    context.close()
