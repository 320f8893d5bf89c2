"""A Spanish-speaking patient's check-in in Chromium on a phone (issue 21): the link in her
message opens the Spanish page, which passes axe-core, is answered by keyboard, and gives the
same verdict as the English page; the movement question's page likewise."""

import pytest

from glabella.aftercare import instructions
from glabella.aftercare.models import Alert, CheckIn
from glabella.messaging.models import Message
from glabella.outcomes.models import MovementCheck
from tests.browser.conftest import looks_right, open_audited
from tests.browser.test_forms_in_a_browser import tab_to

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def treated_es(patient, actor_of, request):
    patient.language = "es"
    patient.save(update_fields=["language"])
    instructions.publish(
        actor_of("medical_director"),
        product="",
        area="",
        language="es",
        title="Después de su tratamiento",
        body="Llámenos al {clinic_phone}.",
    )
    return request.getfixturevalue("treated")


def link_in(message, settings) -> str:
    return "/" + message.body.rsplit(settings.SITE_URL + "/", 1)[1].split()[0]


def test_her_check_in_in_spanish_by_keyboard_on_a_phone(audited, live_server, treated_es, settings):
    day_one = CheckIn.objects.get(treatment=treated_es, day=1)
    path = link_in(Message.objects.get(about=f"check-in:{day_one.public_id}"), settings)
    assert path.startswith("/es/check-in/")
    open_audited(audited, live_server.url + path)
    assert audited.locator("html").get_attribute("lang") == "es"
    assert audited.locator("h1").inner_text() == "¿Cómo está, Grace?"
    looks_right(audited, "check-in (es)")
    tab_to(audited, "input[value=drooping_eyelid]")
    audited.keyboard.press("Space")
    tab_to(audited, "input[name=severity][value=mild]")
    audited.keyboard.press("Space")
    tab_to(audited, "button[type=submit]")
    with audited.expect_navigation():
        audited.keyboard.press("Enter")
    assert "un profesional de la clínica debe revisar esto hoy" in audited.content()
    looks_right(audited, "check-in answer (es)")
    assert Alert.objects.get().urgency == "review"  # as the English page's test finds


def test_her_movement_question_in_spanish_on_a_phone(audited, live_server, treated_es, settings):
    check = MovementCheck.objects.get(treatment=treated_es)
    path = link_in(Message.objects.get(about=f"movement-check:{check.public_id}"), settings)
    assert path.startswith("/es/movement/")
    open_audited(audited, live_server.url + path)
    assert audited.locator("html").get_attribute("lang") == "es"
    looks_right(audited, "movement (es)")
    audited.check("input[name=glabellar][value=working]")
    with audited.expect_navigation():
        audited.click("main button[type=submit]")
    assert "Lo anotamos." in audited.content()
    looks_right(audited, "movement thanks (es)")
