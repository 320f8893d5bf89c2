"""The face chart in Chromium on a tablet: points added by tapping the chart, the dose guard's
panel following the points on the screen before any save, a whole treatment charted and signed
by keyboard alone, and a signed record showing the verdict it was signed under."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from glabella.core.access import actor_for
from glabella.demo.clinic import DEMO_PASSWORD
from glabella.inventory import services as stock
from glabella.treatments.models import TreatmentRecord
from tests.browser.conftest import pass_the_second_step
from tests.browser.test_forms_in_a_browser import fits_the_screen, tab_to
from tests.conftest import STAFF_EMAILS, clear_for_treatment, future_appointment, receive_lot
from tests.test_treatments import sign_consent

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tablet(browser, live_server, patient, clinic, actor_of, client_for):
    """A tablet-sized page signed in as the NP injector, on Grace's draft record."""
    clear_for_treatment(patient)
    sign_consent(patient)
    appointment = future_appointment(
        patient, clinic, days=0, service_slug="neuromodulator", checked_in=True
    )
    lot = receive_lot(clinic, lot_number="T1")
    stock.reconstitute(actor_of("injector"), lot.vials.get(), "2.5")
    context = browser.new_context(viewport={"width": 1024, "height": 768}, has_touch=True)
    page = context.new_page()
    page.foreign = []
    page.on(
        "request",
        lambda r: None if r.url.startswith(live_server.url) else page.foreign.append(r.url),
    )
    page.goto(live_server.url + reverse("core:sign-in"))
    page.fill("input[name=username]", STAFF_EMAILS["injector"])
    page.fill("input[name=password]", "glabella-demo")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    pass_the_second_step(page, STAFF_EMAILS["injector"])
    page.goto(live_server.url + reverse("treatments:day"))
    page.click("text=Chart")
    page.wait_for_url("**/staff/treatments/*/")
    yield page, appointment
    context.close()


def test_tapping_the_chart_adds_points_and_the_totals_follow(tablet):
    page, appointment = tablet
    fits_the_screen(page)
    page.select_option("#tap-area", "glabellar")
    chart = page.locator("#face-chart").bounding_box()
    for dx in (0.45, 0.5, 0.55):
        page.touchscreen.tap(chart["x"] + chart["width"] * dx, chart["y"] + chart["height"] * 0.32)
    assert page.locator("#chart-points circle.new").count() == 3
    # The totals are the dose guard panel's, asked of the server after each change.
    expect(page.locator("#totals")).to_contain_text("12 U of 20 U on the label")
    page.select_option("select[name=vial]", index=1)
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    record = TreatmentRecord.objects.get(appointment=appointment)
    points = list(record.points.all())
    assert len(points) == 3 and all(0.3 < float(p.y) < 0.34 for p in points)
    assert page.foreign == []


# A tap a few milliseconds after the panel was swapped in (HTMX arms new content only when it
# settles, 20 ms later): the page must still ask again, so the totals count the new point.
TAP_JUST_AFTER_A_SWAP = """([x, y]) => {
  document.body.addEventListener("htmx:afterSwap", () => {
    setTimeout(() => document.getElementById("face-chart").dispatchEvent(
      new MouseEvent("click", {clientX: x, clientY: y, bubbles: true})), 5);
  }, {once: true});
}"""


def test_a_tap_just_after_the_panel_changed_is_counted(tablet):
    page, _ = tablet
    page.select_option("#tap-area", "glabellar")
    chart = page.locator("#face-chart").bounding_box()
    y = chart["y"] + chart["height"] * 0.32
    page.evaluate(TAP_JUST_AFTER_A_SWAP, [chart["x"] + chart["width"] * 0.5, y])
    page.touchscreen.tap(chart["x"] + chart["width"] * 0.45, y)
    expect(page.locator("#chart-points circle.new")).to_have_count(2)
    expect(page.locator("#totals")).to_contain_text("8 U of 20 U on the label")
    # A number typed just after a swap is asked about too.
    page.evaluate(
        """() => document.body.addEventListener("htmx:afterSwap", () => setTimeout(() => {
             const units = document.getElementById("id_p-0-units");
             units.value = "6";
             units.dispatchEvent(new Event("input", {bubbles: true}));
           }, 5), {once: true})"""
    )
    page.fill("#id_p-1-units", "3")
    expect(page.locator("#totals")).to_contain_text("9 U of 20 U on the label")


def test_a_treatment_charted_and_signed_by_keyboard_alone(tablet):
    page, appointment = tablet
    tab_to(page, "#pattern_area")  # the glabellar pattern is the first choice
    tab_to(page, "button[value=pattern]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, "select[name=vial]")
    page.keyboard.press("ArrowDown")  # the first vial
    tab_to(page, "button[value=save]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Dose guard: ok" in page.content()
    tab_to(page, "#sign-secret")  # signing asks the password (or PIN) again
    page.keyboard.type(DEMO_PASSWORD)
    tab_to(page, "button[value=sign]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    record = TreatmentRecord.objects.get(appointment=appointment)
    assert record.status == "locked" and record.points.count() == 5
    assert record.vial.units_left == 80
    expect(page.locator("#attestation")).to_contain_text("I gave this treatment myself")


def test_over_label_points_turn_the_panel_before_any_save(tablet):
    page, appointment = tablet
    panel = page.locator("#verdict")
    expect(panel).to_have_attribute("data-level", "ok")
    page.select_option("#id_p-0-area", "glabellar")
    page.fill("#id_p-0-units", "8")
    # The totals come with the server's answer: only then is the level the verdict on 8 U.
    expect(page.locator("#totals")).to_contain_text("8 U of 20 U on the label")
    expect(panel).to_have_attribute("data-level", "ok")
    page.select_option("#id_p-1-area", "glabellar")
    page.fill("#id_p-1-units", "13")
    # 21 U between the brows: above the label, a ceiling held for the medical director's
    # co-signature, at once and unsaved, with the totals beside it.
    expect(page.locator("#totals")).to_contain_text("21 U of 20 U on the label")
    expect(panel).to_have_attribute("data-level", "block")
    expect(panel.locator("li[data-code=area-above-label]")).to_contain_text(
        "21 U is above the label's 20 U"
    )
    expect(panel.locator("li[data-code=area-above-label]")).to_contain_text("co-signature")
    expect(page.locator("#unsaved-note")).to_be_visible()
    expect(page.locator("#sign-button")).to_be_disabled()
    # A tap in the masseter adds an off-label point: the panel lists that too.
    page.select_option("#tap-area", "masseter")
    chart = page.locator("#face-chart").bounding_box()
    page.touchscreen.tap(chart["x"] + chart["width"] * 0.22, chart["y"] + chart["height"] * 0.58)
    expect(panel.locator("li[data-code=off-label]")).to_have_count(1)
    # Nothing was saved by any of it.
    record = TreatmentRecord.objects.get(appointment=appointment)
    assert record.points.count() == 0
    # Units no vial holds block; a row that cannot be read says so on its point.
    page.fill("#id_p-1-units", "-2")
    expect(panel.locator("li[data-code=units]")).to_have_count(1)
    page.fill("#id_p-1-units", "lots")
    expect(panel).to_contain_text("Point 2: give its units as a number.")
    expect(page.locator("#sign-button")).to_be_disabled()
    assert page.foreign == []


def test_a_signed_on_label_record_shows_ok_and_the_verdict_it_was_signed_under(tablet):
    page, appointment = tablet
    page.select_option("#pattern_area", "glabellar")
    with page.expect_navigation():
        page.click("button[value=pattern]")
    page.select_option("select[name=vial]", index=1)
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    expect(page.locator("#sign-button")).to_be_enabled()
    expect(page.locator("#sign-attestation")).to_contain_text("Signed by ")
    page.fill("#sign-secret", "0000")  # a wrong PIN: refused on its field, nothing signed
    with page.expect_navigation():
        page.get_by_role("button", name="Sign and lock").click()
    expect(page.locator(".sign-secret .error")).to_contain_text("not yours")
    assert not TreatmentRecord.objects.get(appointment=appointment).locked
    page.fill("#sign-secret", DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign and lock").click()
    record = TreatmentRecord.objects.get(appointment=appointment)
    assert record.locked and record.guard_level == "ok"
    panel = page.locator("#verdict")
    expect(panel).to_have_attribute("data-level", "ok")
    expect(panel).to_contain_text("Dose guard: ok")
    expect(panel).to_contain_text("The verdict this record was signed under")
    expect(panel).to_contain_text("No findings")
    expect(page.locator("#totals")).to_contain_text("20 U of 20 U on the label")
    # Today the vial is used up: the record still reads as it was signed.
    stock.discard(actor_for(record.injector.user), record.vial, "Dropped on the floor")
    page.reload()
    expect(panel).to_have_attribute("data-level", "ok")
    assert "vial has" not in page.content()
