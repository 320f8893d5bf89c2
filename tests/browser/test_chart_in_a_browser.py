"""The face chart in Chromium on a tablet: points added by tapping the chart, and a whole
treatment charted and signed by keyboard alone."""

import pytest
from django.urls import reverse

from glabella.inventory import services as stock
from glabella.treatments.models import TreatmentRecord
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
    page.click("main button[type=submit]")
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
    assert "12 U of 20 U on the label" in page.locator("#totals").inner_text()
    page.select_option("select[name=vial]", index=1)
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    record = TreatmentRecord.objects.get(appointment=appointment)
    points = list(record.points.all())
    assert len(points) == 3 and all(0.3 < float(p.y) < 0.34 for p in points)
    assert page.foreign == []


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
    tab_to(page, "button[value=sign]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    record = TreatmentRecord.objects.get(appointment=appointment)
    assert record.status == "locked" and record.points.count() == 5
    assert record.vial.units_left == 80
