"""The injector's day in Chromium, with no /admin/ page: Grace is in the consultation room; the
injector signs her candidacy decision, turns the consultation into her treatment in the same
visit, reconstitutes a sealed vial from the chart, charts the label's pattern and signs."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from glabella.core.access import actor_for
from glabella.core.models import StaffMember
from glabella.inventory.models import Vial
from glabella.scheduling.models import Appointment
from glabella.screening.intake import submit_intake
from glabella.treatments.models import TreatmentRecord
from tests.browser.conftest import AXE, audit_page, pass_the_second_step, watched_page
from tests.browser.test_forms_in_a_browser import fits_the_screen
from tests.browser.test_journey_in_a_browser import PASSWORD, clinic_at_nine, shot
from tests.conftest import STAFF_EMAILS, future_appointment, intake_answers, receive_lot
from tests.test_treatments import sign_consent

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["clinic_at_nine"]  # the fixture, used by name below


def staff_page(browser, live_server, who: str):
    """A tablet-sized page signed in as `who`, with axe-core in every document."""
    context = browser.new_context(viewport={"width": 1024, "height": 768}, has_touch=True)
    context.add_init_script(path=str(AXE))
    page = watched_page(context, live_server)
    page.goto(live_server.url + reverse("core:sign-in"))
    page.fill("input[name=username]", STAFF_EMAILS[who])
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    pass_the_second_step(page, STAFF_EMAILS[who])
    return page


@pytest.fixture
def in_the_consultation(clinic_at_nine, patient):
    """Grace answered her questions and was checked in for a consultation that began twenty
    minutes ago; a delivery of BOTOX Cosmetic is on the shelf, every vial still sealed."""
    clinic = clinic_at_nine
    director = StaffMember.objects.get(user__username=STAFF_EMAILS["medical_director"])
    submit_intake(actor_for(director.user), patient, intake_answers(), via="staff")
    visit = future_appointment(patient, clinic, days=0, checked_in=True)
    start = timezone.now().replace(microsecond=0) - timedelta(minutes=20)
    Appointment.objects.filter(pk=visit.pk).update(
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        blocked_from=start,
        blocked_until=start + timedelta(minutes=35),
        checked_in_at=start,
    )
    receive_lot(clinic, lot_number="N7", vials_received=30)
    visit.refresh_from_db()
    return visit


def test_the_injector_consults_treats_and_signs_in_one_visit(
    browser, live_server, in_the_consultation, patient
):
    consultation = in_the_consultation
    url = live_server.url
    injector = staff_page(browser, live_server, "injector")
    visited = []
    injector.on("request", lambda r: visited.append(r.url))

    # ------------------------------------------------ before the decision: no way to treat yet
    injector.goto(url + reverse("screening:patient", args=[patient.public_id]))
    expect(injector.locator("#treat-in-visit")).to_contain_text(
        "No candidacy decision was signed during this consultation."
    )
    assert injector.locator("#treat-in-visit a.button").count() == 0

    # ------------------------------------------------ the decision, signed in the consultation
    injector.goto(url + reverse("screening:sign-decision", args=[patient.public_id]))
    injector.check("input[name=d_botox_cosmetic__glabellar][value=allow]")
    injector.fill("#decision-secret", PASSWORD)
    with injector.expect_navigation():
        injector.click("text=Sign the decision")
    sign_consent(patient)  # she signs the treatment consent on the clinic's tablet
    treat = injector.locator("#treat-in-visit a.button", has_text="Treat in this visit")
    expect(treat).to_be_visible()
    assert audit_page(injector) == []

    # ------------------------------------------------ the same visit goes on as the treatment
    with injector.expect_navigation():
        treat.click()
    expect(injector.locator("h1")).to_contain_text("Treat Grace")
    assert audit_page(injector) == []
    with injector.expect_navigation():
        injector.click("button:has-text('Treat in this visit')")
    consultation.refresh_from_db()
    treatment = Appointment.objects.get(patient=patient, service__slug="neuromodulator")
    assert consultation.status == "completed" and treatment.status == "checked_in"
    assert treatment.starts_at == consultation.ends_at
    assert treatment.provider_id == consultation.provider_id
    expect(injector.locator("main")).to_contain_text("the treatment checked in")

    # ------------------------------------------------ charting: no vial open, so the chart says so
    day = treatment.local_start.date()
    injector.goto(
        url + reverse("treatments:day") + f"?location={consultation.location.slug}&day={day}"
    )
    row = injector.locator("form", has=injector.locator(f"#product-{treatment.public_id}"))
    row.locator("select[name=product]").select_option("botox_cosmetic")
    with injector.expect_navigation():
        row.locator("button", has_text="Chart").click()
    expect(injector.locator("#no-open-vial")).to_contain_text(
        "30 sealed vials can be reconstituted below"
    )
    expect(injector.locator("#vial-hint")).to_be_visible()

    # ------------------------------------------------ a sealed vial reconstituted right there
    injector.check("input[name=diluent_ml][value='2.5']")
    injector.click("#reconstitute-button")
    expect(injector.locator("#vial-done")).to_contain_text("4 U per 0.1 mL")
    opened = Vial.objects.get(state="reconstituted")
    assert opened.lot.lot_number == "N7" and opened.diluent_ml == 2.5
    # The chart's vial menu came back with the new vial chosen; nothing else reloaded.
    expect(injector.locator("select[name=vial]")).to_have_value(str(opened.public_id))
    expect(injector.locator("#open-vials")).to_contain_text("100 U left")
    shot(injector, "chart-vial")

    # ------------------------------------------------ the label's pattern, the guard, the signature
    injector.select_option("#pattern_area", "glabellar")
    with injector.expect_navigation():
        injector.click("button[value=pattern]")
    injector.select_option("select[name=vial]", str(opened.public_id))
    with injector.expect_navigation():
        injector.click("button[value=save]")
    expect(injector.locator("#verdict")).to_have_attribute("data-level", "ok")
    expect(injector.locator("#sign-button")).to_be_enabled()
    injector.fill("#sign-secret", PASSWORD)  # signing asks the password (or PIN) again
    with injector.expect_navigation():
        injector.click("#sign-button")
    record = TreatmentRecord.objects.get(appointment=treatment)
    assert record.locked and record.points.count() == 5
    opened.refresh_from_db()
    assert opened.units_left == 80
    expect(injector.locator("#attestation")).to_contain_text("I gave this treatment myself")
    fits_the_screen(injector)
    assert injector.foreign == []
    assert not [u for u in visited if "/admin/" in u]
