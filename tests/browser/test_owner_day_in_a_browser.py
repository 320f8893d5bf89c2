"""The owner's day in Chromium (issue 19), with no /admin/ URL visited: the clinic's name,
phone, sender and colors; a new location with its opening hours and the towns and ZIP codes
it serves; a service with a price; a clinician invited, who chooses a password from the
email's link, passes the second step and is in; and the public site then shows the clinic's
own name. Every set-up page is checked with axe-core."""

import re
from base64 import b32decode
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp

from glabella.clinic.models import Location, Service
from tests.browser.conftest import watched_page
from tests.browser.test_journey_in_a_browser import PASSWORD, shot
from tests.browser.test_team_in_a_browser import accessible, desk_context, signed_in
from tests.conftest import STAFF_EMAILS

pytestmark = pytest.mark.django_db(transaction=True)


def watch_for_admin(page, seen: list) -> None:
    page.on("request", lambda r: seen.append(r.url))


def click(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_the_owner_sets_up_the_clinic_and_invites_a_colleague(browser, live_server, clinic):
    visited: list[str] = []
    owner = signed_in(desk_context(browser), live_server, STAFF_EMAILS["owner"], PASSWORD)
    watch_for_admin(owner, visited)

    click(owner, "nav >> text=Clinic")
    click(owner, "text=Set up the clinic")
    accessible(owner, "set-up")

    # The clinic's identity: on every page, message and PDF.
    click(owner, "text=Name, logo, phone, email sender and colors")
    owner.fill("input[name=name]", "Seaside Skin Studio")
    owner.fill("input[name=phone]", "(805) 555-0199")
    owner.fill("input[name=sender_name]", "Seaside Skin")
    owner.fill("input[name=sender_email]", "care@seaside.example")
    owner.fill("input[name=main_color]", "#eeeeee")  # too light to read: refused
    click(owner, "main button[type=submit]")
    assert "Too light" in owner.inner_text("main")
    owner.fill("input[name=main_color]", "#1d4e89")
    click(owner, "main button[type=submit]")
    assert "The clinic's details are saved." in owner.content()
    assert owner.inner_text("header .brand").strip() == "Seaside Skin Studio"
    assert owner.title().endswith("Seaside Skin Studio")
    accent = owner.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()"
    )
    assert accent == "#1d4e89"
    accessible(owner, "identity")

    # A new location, its hours and the towns and ZIP codes it serves.
    click(owner, "text=← Set up")
    click(owner, "text=Add a location")
    accessible(owner, "new location")
    for name, value in {
        "name": "Oxnard Harbor",
        "address_line1": "3600 Harbor Blvd",
        "city": "Oxnard",
        "state": "CA",
        "postal_code": "93035",
        "phone": "(805) 555-0177",
    }.items():
        owner.fill(f"input[name={name}]", value)
    owner.select_option("select[name=time_zone]", "America/Los_Angeles")  # "Pacific time"
    click(owner, "main button[type=submit]")
    assert "Oxnard Harbor is added" in owner.content()
    for day in range(5):
        owner.fill(f"input[name='{day}_opens_1']", "09:00")
        owner.fill(f"input[name='{day}_closes_1']", "17:00")
    owner.fill("input[name='5_opens_1']", "10:00")
    owner.fill("input[name='5_closes_1']", "09:00")  # closes before it opens: refused
    click(owner, "text=Save the opening hours")
    assert "The closing time must be after the opening time." in owner.inner_text("main")
    owner.fill("input[name='5_closes_1']", "14:00")
    click(owner, "text=Save the opening hours")
    assert "opening hours are saved" in owner.content()
    owner.fill("textarea[name=areas]", "Port Hueneme\n93041\n93033, 93030\nVentura")
    click(owner, "text=Save the areas")
    assert "towns and ZIP codes Oxnard Harbor serves are saved" in owner.content()
    owner.fill("#rooms input[name=name]", "Harbor room")
    click(owner, "text=Add the room")
    accessible(owner, "location")
    shot(owner, "owner-set-up")
    harbor = Location.objects.get(name="Oxnard Harbor")
    assert harbor.opening_hours.count() == 6 and harbor.rooms.count() == 1
    assert harbor.serves("93033") and harbor.serves("Port Hueneme")

    # A service with a price.
    click(owner, "text=← Set up")
    click(owner, "text=Add a service")
    owner.fill("input[name=name]", "Lip flip")
    owner.select_option("select[name=kind]", "neuromodulator")
    owner.fill("input[name=duration_minutes]", "20")
    owner.fill("input[name=price]", "180")
    owner.check("input[name=performer_credentials][value=NP]")
    owner.check("input[name=performer_credentials][value=MD]")
    click(owner, "main button[type=submit]")
    assert "Lip flip is added" in owner.content()
    assert "$180.00" in owner.inner_text("main")
    assert Service.objects.get(name="Lip flip").price == 180
    accessible(owner, "services")

    # A clinician invited; the email comes from the clinic.
    click(owner, "nav >> text=Team")
    click(owner, "text=Invite someone")
    owner.fill("input[name=email]", "ava.nguyen@example.com")
    owner.fill("input[name=full_name]", "Ava Nguyen")
    owner.select_option("select[name=role]", "injector")
    owner.select_option("select[name=credential]", "NP")
    owner.fill("input[name=licence_number]", "NP 95105")
    owner.fill("input[name=licence_state]", "CA")
    expires = (timezone.now() + timedelta(days=700)).date().isoformat()
    owner.fill("input[name=licence_expires]", expires)
    click(owner, "main button[type=submit]")
    assert "Invitation sent to ava.nguyen@example.com" in owner.content()
    invitation = mail.outbox[-1]
    assert invitation.from_email == "Seaside Skin <care@seaside.example>"
    assert "Seaside Skin Studio" in invitation.subject and "(805) 555-0199" in invitation.body

    # The colleague chooses a password from the link, signs in and passes the second step.
    found = re.search(r"https?://\S+(/welcome/\S+/)", invitation.body)
    context = desk_context(browser)
    ava = watched_page(context, live_server)
    watch_for_admin(ava, visited)
    ava.goto(live_server.url + found.group(1))
    chosen = "harbor-lantern-meadow-42"
    ava.fill("input[name=new_password1]", chosen)
    ava.fill("input[name=new_password2]", chosen)
    click(ava, "main button[type=submit]")
    ava = signed_in(context, live_server, "ava.nguyen@example.com", chosen)
    watch_for_admin(ava, visited)
    assert reverse("core:two-factor-setup") in ava.url  # a clinician sets up a second factor
    click(ava, "text=Use an authenticator app")
    secret = ava.inner_text("#app-secret").replace(" ", "")
    key = b32decode(secret + "=" * (-len(secret) % 8))
    ava.fill("input[name=code]", f"{totp(key):06d}")
    click(ava, "main button[type=submit]")
    if "backup" in ava.url or ava.is_visible("text=I have kept them, continue"):
        click(ava, "text=I have kept them, continue")
    assert "Ava Nguyen" in ava.inner_text("header")
    assert ava.inner_text("header .brand").strip() == "Seaside Skin Studio"
    context.close()

    # The public site says the clinic's own name.
    public = watched_page(desk_context(browser), live_server)
    watch_for_admin(public, visited)
    public.goto(live_server.url + reverse("portal:home"))
    assert public.inner_text("header .brand").strip() == "Seaside Skin Studio"
    assert "Seaside Skin Studio" in public.title() and "glabella" not in public.title()
    accessible(public, "public home")

    assert visited and not [u for u in visited if "/admin/" in u], "an admin page was visited"
