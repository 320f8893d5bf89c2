"""The aftercare check-in in Chromium on a phone, answered by keyboard alone."""

import pytest

from glabella.aftercare import services
from glabella.aftercare.models import Alert, CheckIn
from tests.browser.test_forms_in_a_browser import fits_the_screen, tab_to
from tests.test_aftercare import treated  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_check_in_answered_by_keyboard_on_a_phone(phone, live_server, treated):  # noqa: F811
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
