"""The patient record as the desk's hub, on a phone: the desk reads the visits, forms and
messages, adds a note; the injector sees the allergies first. Both pass axe-core and fit."""

import pytest
from django.urls import reverse

from glabella.patients.models import StaffNote
from tests.browser.conftest import audit_page, pass_the_second_step
from tests.browser.test_forms_in_a_browser import fits_the_screen
from tests.browser.test_journey_in_a_browser import shot
from tests.conftest import future_appointment

pytestmark = pytest.mark.django_db(transaction=True)


def staff_sign_in(page, url: str, email: str) -> None:
    page.goto(url + reverse("core:sign-in"))
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", "glabella-demo")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    pass_the_second_step(page, email)


def test_the_desk_and_the_injector_use_the_record_on_a_phone(audited, live_server, treated):
    patient = treated.patient
    patient.allergies.create(name="Human albumin", severity="severe")
    future_appointment(patient, treated.appointment.location, days=5)
    record = live_server.url + reverse("patients:record", args=[patient.public_id])

    staff_sign_in(audited, live_server.url, "desk@demo.glabella.test")
    audited.goto(record)
    assert audited.is_visible("#visits >> text=Book a visit")
    assert audited.is_visible("#forms >> text=Health questions")
    assert not audited.is_visible("#allergies-banner")
    assert audit_page(audited) == []
    fits_the_screen(audited)
    audited.click("#notes summary")
    audited.fill("textarea[name=text]", "Prefers mornings.")
    with audited.expect_navigation():
        audited.click("#notes button[type=submit]")
    assert audited.is_visible("#notes >> text=Prefers mornings.")
    assert StaffNote.objects.get().author_name == "Frank Desmond"
    audited.context.clear_cookies()

    staff_sign_in(audited, live_server.url, "injector@demo.glabella.test")
    audited.goto(record)
    banner = audited.locator("#allergies-banner")
    assert "Human albumin" in banner.inner_text()
    assert banner.bounding_box()["y"] < audited.locator("#details").bounding_box()["y"]
    shot(audited, "patient-record")
    assert audited.is_visible("#treatments >> text=Signed")
    assert audit_page(audited) == []
    fits_the_screen(audited)
    assert audited.foreign == []
