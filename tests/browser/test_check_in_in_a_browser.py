"""The aftercare check-in in Chromium on a phone, answered by keyboard alone."""

import pytest

from glabella.aftercare import services
from glabella.aftercare.models import Alert, CheckIn
from tests.browser.test_forms_in_a_browser import fits_the_screen, tab_to

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_check_in_answered_by_keyboard_on_a_phone(phone, live_server, treated):
    day_one = CheckIn.objects.get(treatment=treated, day=1)
    url = live_server.url + f"/check-in/{services.check_in_token(day_one)}/"
    phone.goto(url)
    fits_the_screen(phone)
    tab_to(phone, "input[value=drooping_eyelid]")
    phone.keyboard.press("Space")
    tab_to(phone, "input[name=severity][value=mild]")
    phone.keyboard.press("Space")
    tab_to(phone, "button[type=submit]")
    with phone.expect_navigation():
        phone.keyboard.press("Enter")
    assert "a clinician will call you" in phone.content()
    assert Alert.objects.get().urgency == "review"
    assert phone.foreign == []


def test_from_the_portal_a_patient_reads_her_aftercare_and_sends_a_photo(
    phone,
    live_server,
    treated,
    tmp_path,
):
    from django.urls import reverse

    from glabella.aftercare.models import Report, ReportPhoto
    from tests.test_aftercare_photos import jpeg_with_gps_rotated

    picture = tmp_path / "bruise.jpg"
    picture.write_bytes(jpeg_with_gps_rotated())
    phone.goto(live_server.url + reverse("core:sign-in"))
    phone.fill("input[name=username]", "patient@demo.glabella.test")
    phone.fill("input[name=password]", "glabella-demo")
    with phone.expect_navigation():
        phone.click("main button[type=submit]")
    phone.click("nav >> text=After my treatment")
    fits_the_screen(phone)
    assert phone.is_visible("text=Keep your hands off the treated area")
    phone.click("text=Tell us how you are")
    fits_the_screen(phone)
    phone.check("input[value=bruising]")
    phone.check("input[name=severity][value=mild]")
    phone.set_input_files("input[name=photo]", str(picture))
    with phone.expect_navigation():
        phone.click("main button[type=submit]")
    assert "expected and usually passes" in phone.content()
    report = Report.objects.get()
    assert report.via == "portal" and ReportPhoto.objects.get(report=report).height == 400
    assert phone.foreign == []
