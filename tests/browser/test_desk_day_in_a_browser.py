"""The front desk's day in Chromium, with no Django admin page visited: she signs in and lands on
today's schedule (a time grid, the providers as columns), books a new patient by tapping a free
time and confirming who, what and with whom, moves that visit with its Move button and again by
dragging it, checks in the patient who has arrived and sees on her block that her forms are done
(and on the new patient's block that they are not). The page passes axe-core's checks and does
not scroll sideways on a phone (the grid scrolls inside its own box).

The clinic's zone is set so that it is 9 in the morning there (tests/browser/
test_journey_in_a_browser.py's `clinic_at_nine`), open 7:00 to 21:00 today.
"""

from datetime import UTC, datetime, time

import pytest
from django.urls import reverse
from django.utils import timezone

from glabella.core.models import StaffMember
from glabella.scheduling.models import Appointment
from glabella.screening.consents import current_documents, ensure_default_consents
from glabella.screening.models import SignedConsent
from tests.browser.conftest import AXE, audit_page, pass_the_second_step, watched_page
from tests.browser.test_journey_in_a_browser import PASSWORD, shot
from tests.browser.test_journey_in_a_browser import clinic_at_nine as at_nine
from tests.conftest import STAFF_EMAILS, clear_for_treatment, make_patient
from tests.test_calendar_grid import visit

pytestmark = pytest.mark.django_db(transaction=True)
clinic_at_nine = at_nine  # the journey's fixture: it is 9 in the morning at the clinic


def cell(zone, day, hour, minute=0) -> str:
    """The grid cell of this wall-clock time (cells carry their instant in UTC)."""
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC).isoformat()


def test_the_desk_s_day(browser, live_server, clinic_at_nine, patient):
    clinic = clinic_at_nine
    zone = clinic.zone
    today = timezone.now().astimezone(zone).date()
    injector = StaffMember.objects.get(user__username=STAFF_EMAILS["injector"])
    # Grace has answered her health questions and signed the consent; her visit is at 11.
    clear_for_treatment(patient)
    ensure_default_consents()
    SignedConsent.objects.create(
        patient=patient,
        document=current_documents()["neuromodulator"],
        typed_name=patient.full_name,
        method="typed",
        via="staff",
        text_sha256="0" * 64,
        pdf=b"%PDF",
        pdf_sha256="0" * 64,
        actor_label="test",
    )
    grace_visit = visit(
        clinic, patient, datetime.combine(today, time(11), tzinfo=zone), provider=injector
    )
    maya = make_patient(email="maya.desk@example.com")

    context = browser.new_context(viewport={"width": 1280, "height": 900}, has_touch=False)
    if AXE.exists():
        context.add_init_script(path=str(AXE))
    desk = watched_page(context, live_server)
    seen = []
    desk.on("request", lambda r: seen.append(r.url))
    url = live_server.url

    # ------------------------------------------------------------ she lands on today's schedule
    desk.goto(url + reverse("core:sign-in"))
    desk.fill("input[name=username]", STAFF_EMAILS["front_desk"])
    desk.fill("input[name=password]", PASSWORD)
    with desk.expect_navigation():
        desk.click("main button[type=submit]")
    pass_the_second_step(desk, STAFF_EMAILS["front_desk"])
    assert reverse("scheduling:calendar") in desk.url
    assert today.strftime("%B") in desk.locator("h1").inner_text()
    grace = desk.locator(".tg-block", has_text=patient.full_name)
    assert "Forms done" in grace.inner_text() and "Booked" in grace.inner_text()
    if AXE.exists():
        assert audit_page(desk) == [], "calendar"

    # ------------------------------------------------------------ she books by tapping the grid
    two = cell(zone, today, 14)
    tapped = desk.locator(
        f'a.tg-cell.free[data-provider="{injector.public_id}"][data-start="{two}"]'
    )
    with desk.expect_navigation():
        tapped.click()
    assert desk.is_visible("text=2:00 PM")
    assert not Appointment.objects.filter(patient=maya).exists()  # nothing yet: a confirm first
    desk.fill("input[name=q]", "Lindqvist")
    with desk.expect_navigation():
        desk.click("form[role=search] button")
    with desk.expect_navigation():
        desk.click(f"text={maya.full_name}")
    desk.select_option("select[name=service]", "consultation")
    assert desk.locator("select[name=provider]").input_value() == str(injector.public_id)
    if AXE.exists():
        assert audit_page(desk) == [], "confirm booking"
    with desk.expect_navigation():
        desk.click("text=Confirm booking")
    assert desk.is_visible(f"text=Booked {maya.full_name}")
    booked = Appointment.objects.get(patient=maya)
    assert booked.provider == injector
    assert booked.starts_at == datetime.combine(today, time(14), tzinfo=zone)
    block = desk.locator(".tg-block", has_text=maya.full_name)
    assert "Forms: health questions and consent missing" in block.inner_text()

    # ------------------------------------------------------------ she moves it by its Move button
    with desk.expect_navigation():
        block.locator("a", has_text="Move").click()
    desk.fill("input[name=time]", "15:00")
    if AXE.exists():
        assert audit_page(desk) == [], "move"
    with desk.expect_navigation():
        desk.click("text=Confirm the move")
    booked.refresh_from_db()
    assert booked.starts_at == datetime.combine(today, time(15), tzinfo=zone)

    # ------------------------------------------------------------ and again by dragging it
    block = desk.locator(".tg-block", has_text=maya.full_name)
    four = desk.locator(
        f'.tg-cell[data-provider="{injector.public_id}"][data-start="{cell(zone, today, 16)}"]'
    )
    with desk.expect_navigation():
        block.drag_to(four)
    assert desk.locator("input[name=time]").input_value() == "16:00"
    with desk.expect_navigation():
        desk.click("text=Confirm the move")
    booked.refresh_from_db()
    assert booked.starts_at == datetime.combine(today, time(16), tzinfo=zone)
    assert booked.times_rescheduled == 2

    # ------------------------------------------------------------ Grace arrives: check in
    grace = desk.locator(".tg-block", has_text=patient.full_name)
    with desk.expect_navigation():
        grace.locator("button", has_text="Check in").click()
    grace_visit.refresh_from_db()
    assert grace_visit.status == "checked_in"
    grace = desk.locator(".tg-block", has_text=patient.full_name)
    assert "Checked in" in grace.inner_text() and "Forms done" in grace.inner_text()
    desk.locator(".tg-block", has_text=maya.full_name).scroll_into_view_if_needed()
    shot(desk, "staff-calendar")

    # ------------------------------------------------------------ the waitlist is one tap away
    with desk.expect_navigation():
        desk.click("a.button:has-text('Waitlist')")
    assert desk.locator("h1").inner_text().startswith("Waitlist at")
    if AXE.exists():
        assert audit_page(desk) == [], "waitlist"

    # ------------------------------------------------------------ on a phone the page stays put
    desk.set_viewport_size({"width": 375, "height": 740})
    desk.goto(url + reverse("scheduling:calendar"))
    assert desk.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    assert not [u for u in seen if "/admin/" in u]
    assert desk.foreign == []
    context.close()
