"""The aftercare check-in in Chromium on a phone, answered by keyboard alone; the urgent answer's
words are the ones the clinic sent, with and without anyone to alert."""

import pytest

from glabella.aftercare import check_ins
from glabella.aftercare.models import Alert, CheckIn
from tests.browser.test_forms_in_a_browser import fits_the_screen, tab_to

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_check_in_answered_by_keyboard_on_a_phone(phone, live_server, treated):
    day_one = CheckIn.objects.get(treatment=treated, day=1)
    url = live_server.url + f"/check-in/{check_ins.check_in_token(day_one)}/"
    phone.goto(url)
    fits_the_screen(phone)
    tab_to(phone, "input[value=drooping_eyelid]")
    phone.keyboard.press("Space")
    tab_to(phone, "input[name=severity][value=mild]")
    phone.keyboard.press("Space")
    tab_to(phone, "button[type=submit]")
    with phone.expect_navigation():
        phone.keyboard.press("Enter")
    assert "a clinician needs to see this today" in phone.content()
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
    # Patients sign in on the portal's form (the staff form refuses them).
    phone.goto(live_server.url + reverse("portal:sign-in"))
    phone.fill("input[name=email]", "patient@demo.glabella.test")
    phone.check("input[name=method][value=password]")
    phone.fill("input[name=password]", "glabella-demo")
    with phone.expect_navigation():
        phone.click("main button[type=submit]")
    phone.click("details.portal-menu summary")  # the portal's menu folds on a phone
    with phone.expect_navigation():
        phone.click("details.portal-menu nav >> text=After my treatment")
    fits_the_screen(phone)
    assert phone.is_visible("text=Keep your hands off the treated area")
    with phone.expect_navigation():
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


@pytest.mark.parametrize("reachable", [True, False])
def test_the_urgent_page_says_only_what_was_sent(phone, live_server, treated, reachable):
    from glabella.aftercare.models import Notice
    from glabella.core.models import StaffMember
    from glabella.messaging.models import Message

    if not reachable:
        treated.appointment.location.on_call.clear()
        StaffMember.objects.filter(role__in=["medical_director", "owner"]).update(active=False)
    day_one = CheckIn.objects.get(treatment=treated, day=1)
    phone.goto(live_server.url + f"/check-in/{check_ins.check_in_token(day_one)}/")
    phone.check("input[value=trouble_swallowing]")
    phone.check("input[name=severity][value=moderate]")
    with phone.expect_navigation():
        phone.click("main button[type=submit]")
    fits_the_screen(phone)
    assert phone.locator("h1").inner_text() == "Call 911 now"
    shown = phone.locator("#advice").inner_text()
    sent = Message.objects.get(topic="urgent-advice")
    assert shown == sent.body
    alert = Alert.objects.get()
    notices = list(Notice.objects.filter(alert=alert))
    if reachable:
        nina = treated.appointment.location.on_call.get()
        assert {(n.name, n.channel) for n in notices} == {
            (nina.full_name, "sms"),
            (nina.full_name, "email"),
        }
        assert "We have sent an alert to our clinician on call by text message and email" in shown
    else:
        assert notices == []
        assert "alert" not in shown.replace("not been able to alert", "")
        assert "has not been able to alert a clinician" in shown
    assert phone.foreign == []
