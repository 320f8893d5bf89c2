"""The patient's day on a phone (375 x 740), in Chromium, with no /admin/ URL: she books online
choosing her provider, sees the visit's length and price, confirms, adds the visit to her
calendar with the file our own site serves, moves it (confirming first) and follows "fill in
your forms now", which asks only the consents that fit a toxin consultation. Every page passes
axe-core, fits the screen and loads nothing from another site."""

from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from glabella.scheduling.models import Appointment
from tests.browser.conftest import looks_right
from tests.browser.test_journey_in_a_browser import shot

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_patient_books_on_a_phone_with_her_provider_and_adds_it_to_her_calendar(
    audited, live_server, clinic
):
    phone = audited
    url = live_server.url
    visited = []
    phone.on("framenavigated", lambda frame: visited.append(frame.url))

    # ---------------------------------------------------------------- from the site to the times
    phone.goto(url + "/")
    with phone.expect_navigation():
        phone.click("header a.book")
    phone.select_option("#id_location", clinic.slug)
    with phone.expect_navigation():
        phone.click("main form button.primary")
    phone.wait_for_selector("details.week-day[open] ul.slots a.button")
    assert phone.locator("details.week-day").count() == 7  # a week of days at once
    facts = phone.locator("dl.service-facts").inner_text()
    assert "30 minutes" in facts and "$75.00" in facts  # the demo consultation's price
    looks_right(phone, "booking: a week of times")

    # ---------------------------------------------------------------- she chooses her provider
    options = phone.locator("#id_provider option")
    assert options.first.inner_text().startswith("Any provider")
    chosen_name = options.nth(1).inner_text()
    phone.select_option("#id_provider", index=1)
    with phone.expect_navigation():
        phone.click("form.provider-choice button")
    phone.wait_for_selector("details.week-day[open] ul.slots a.button")
    assert phone.locator("#id_provider option:checked").inner_text() == chosen_name
    looks_right(phone, "booking: her provider's times")
    shot(phone, "booking-week")
    # A week later (the page swaps in place), far enough ahead to move it herself.
    week = phone.locator(".week-pager strong")
    this_week = week.inner_text()
    phone.click(".week-pager a:has-text('Later')")
    expect(week).not_to_have_text(this_week)
    phone.wait_for_selector("details.week-day[open] ul.slots a.button")
    with phone.expect_navigation():
        phone.locator("details.week-day[open] ul.slots a.button").first.click()

    # ---------------------------------------------------------------- who is coming
    assert chosen_name in phone.locator("dl.service-facts").inner_text()
    for name, hint in [
        ("given_name", "given-name"),
        ("family_name", "family-name"),
        ("birth_date", "bday"),
        ("email", "email"),
        ("phone", "tel"),
        ("postal_code", "postal-code"),
    ]:
        assert phone.get_attribute(f"input[name={name}]", "autocomplete") == hint
    assert "Reply STOP" in phone.locator("#id_phone_hint").inner_text()
    phone.fill("input[name=given_name]", "Lena")
    phone.fill("input[name=family_name]", "Okafor")
    phone.fill("input[name=birth_date]", "1987-03-09")
    phone.fill("input[name=email]", "lena@example.com")
    phone.fill("input[name=phone]", "(805) 555-0142")
    phone.fill("input[name=postal_code]", "91360")
    phone.check("input[name=preferred_channel][value=sms]")
    looks_right(phone, "booking: her details")
    with phone.expect_navigation():
        phone.click("main form[method=post] button[type=submit]")
    assert phone.is_visible("text=You are booked.")
    appointment = Appointment.objects.select_related("provider", "patient").get()
    assert str(appointment.provider) == chosen_name
    assert appointment.patient.sms_consent
    looks_right(phone, "the confirmation")
    shot(phone, "booking-confirmation")

    # ---------------------------------------------------------------- add to her calendar
    with phone.expect_download() as download:
        phone.click("text=Add to my calendar")
    assert download.value.url.startswith(url)  # served by the clinic's own site
    ics = Path(download.value.path()).read_bytes().decode().replace("\r\n ", "")
    local = appointment.local_start
    tzid = appointment.location.time_zone
    assert f"DTSTART;TZID={tzid}:{local:%Y%m%dT%H%M%S}" in ics
    assert "2100 E Thousand Oaks Blvd" in ics and "Thousand Oaks\\, CA 91362" in ics

    # ---------------------------------------------------------------- a move is confirmed first
    first = appointment.starts_at
    with phone.expect_navigation():
        phone.locator("details.week-day[open] ul.slots a.button").first.click()
    assert phone.is_visible("text=Yes, move it")
    appointment.refresh_from_db()
    assert appointment.starts_at == first  # the tap moved nothing
    looks_right(phone, "the move to confirm")
    with phone.expect_navigation():
        phone.click("text=Yes, move it")
    assert phone.is_visible("text=Your appointment has moved.")
    appointment.refresh_from_db()
    assert appointment.starts_at != first

    # ---------------------------------------------------------------- her forms, now
    with phone.expect_navigation():
        phone.click("main a:has-text('Fill in your forms now')")
    assert phone.locator("h1").inner_text() == "Your forms"
    titles = phone.locator("ul.tasks h2").all_inner_texts()
    assert "Health questions" in titles
    assert not any("filler" in t.lower() for t in titles), titles  # a toxin consultation
    looks_right(phone, "her forms")

    assert visited and not [u for u in visited if "/admin/" in u]
    assert reverse("scheduling:book") in " ".join(visited)


def test_a_patient_treated_before_finds_her_desk_forms_behind_the_folded_portal_menu(
    audited, live_server, patient, actor_of
):
    """Grace's answers were entered at the desk and her consent signed on the clinic's tablet;
    on her phone the portal's menu is one line until she opens it, and her forms say they were
    given at the clinic."""
    from django.conf import settings
    from django.test import Client

    from glabella.screening.intake import submit_intake
    from tests.conftest import intake_answers
    from tests.test_treatments import sign_consent

    submit_intake(actor_of("injector"), patient, intake_answers(), via="staff")
    sign_consent(patient)
    signed_in = Client()
    signed_in.force_login(patient.user)
    phone = audited
    phone.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": signed_in.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    phone.goto(live_server.url + reverse("portal:me"))
    bar = phone.locator("header.topbar").bounding_box()
    assert bar["height"] < 130, bar  # the menu folded beside "Sign out" (open, it takes 230 px)
    assert not phone.is_visible("nav[aria-label='Portal menu'] >> text=My forms")
    looks_right(phone, "the portal on a phone")
    phone.click("details.portal-menu summary")
    with phone.expect_navigation():
        phone.click("nav[aria-label='Portal menu'] >> text=My forms")
    assert phone.locator("h1").inner_text() == "Your forms"
    assert phone.is_visible("text=Answered at the clinic with our staff on")
    assert phone.is_visible("text=Signed at the clinic on our tablet on")
    assert not phone.is_visible("text=Not answered yet")
    looks_right(phone, "her forms given at the desk")
    shot(phone, "portal-forms")
