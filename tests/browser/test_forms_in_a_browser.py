"""The patient's questionnaire and consent in Chromium, on a phone-sized screen: filled in and
signed by keyboard alone, and signed by drawing, with nothing loaded from another site."""

import pytest

from glabella.screening.links import forms_token
from glabella.screening.models import IntakeResponse, SignedConsent

pytestmark = pytest.mark.django_db(transaction=True)

QUESTIONS = [
    "allergy_toxin",
    "allergy_albumin",
    "allergy_milk",
    "neuromuscular_disorder",
    "swallowing_or_breathing",
    "heart_disease",
    "infection_at_site",
    "bleeding_problems",
    "facial_surgery",
    "drooping_lid_or_brow",
    "recent_toxin",
    "earlier_toxin_reaction",
    "pregnant",
    "breastfeeding",
]


def tab_to(page, selector: str, limit: int = 300) -> None:
    """Press Tab until the element matching `selector` has the focus, as a keyboard user would."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def fits_the_screen(page) -> None:
    """No sideways scrolling, and every control within the screen's width (of a page that has
    finished loading: a click that navigates must be awaited by the caller)."""
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    too_wide = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea, button, a.button')]
            .filter(e => e.offsetParent !== null && e.type !== 'hidden')
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
            .map(e => e.name || e.textContent.trim())"""
    )
    assert too_wide == []


def test_the_questionnaire_by_keyboard_on_a_phone(phone, live_server, patient):
    phone.goto(live_server.url + f"/forms/{forms_token(patient)}/")
    fits_the_screen(phone)
    tab_to(phone, "main a.button.primary")
    phone.keyboard.press("Enter")
    phone.wait_for_url("**/questions/")
    fits_the_screen(phone)
    for key in QUESTIONS:
        tab_to(phone, f"input[name=q_{key}]")
        phone.keyboard.press("ArrowDown")  # from the group's first choice, Yes, to No
    tab_to(phone, "textarea[name=medications]")
    phone.keyboard.type("Aspirin 81 mg")
    tab_to(phone, "input[name=moving_between_brows]")
    phone.keyboard.press("Space")
    tab_to(phone, "button[type=submit]")
    phone.keyboard.press("Enter")
    phone.wait_for_url("**/forms/*/")
    assert "your answers are with the clinic" in phone.content()
    response = IntakeResponse.objects.get(patient=patient)
    assert set(response.answers["answers"].values()) == {False}
    assert response.answers["medications"] == ["Aspirin 81 mg"]
    assert response.answers["concerns"][0]["area"] == "between_brows"
    assert phone.foreign == []


def test_a_missing_answer_is_shown_where_it_belongs(phone, live_server, patient):
    phone.goto(live_server.url + f"/forms/{forms_token(patient)}/questions/")
    tab_to(phone, "button[type=submit]")
    with phone.expect_navigation():
        phone.keyboard.press("Enter")
    errors = phone.locator("#id_q_pregnant_error")
    assert errors.inner_text() == "Please answer this question."
    fits_the_screen(phone)
    assert not IntakeResponse.objects.exists()


def test_consent_signed_by_keyboard_with_the_typed_name(phone, live_server, patient):
    token = forms_token(patient, "tablet")
    phone.goto(live_server.url + f"/forms/{token}/consent/neuromodulator/")
    fits_the_screen(phone)
    assert phone.locator("#signature-pad").is_visible()  # the pad's script ran
    tab_to(phone, "input[name=typed_name]")
    phone.keyboard.type("Grace Holloway")
    tab_to(phone, "input[name=medication_guide]")  # the first: BOTOX Cosmetic's guide
    phone.keyboard.press("Space")
    tab_to(phone, "input[name=adopt_typed]")
    phone.keyboard.press("Space")
    tab_to(phone, "#consent-form button[type=submit]")
    phone.keyboard.press("Enter")
    phone.wait_for_url(f"**/forms/{token}/")
    consent = SignedConsent.objects.get(patient=patient)
    assert consent.method == "typed" and consent.via == "tablet"
    assert consent.medication_guide == "botox_cosmetic"
    assert consent.medication_guide_version.endswith("Medication Guide, revised 10/2024")
    assert phone.foreign == []


def test_consent_signed_by_drawing_on_the_pad(phone, live_server, patient):
    token = forms_token(patient)
    phone.goto(live_server.url + f"/forms/{token}/consent/photo/")
    pad = phone.locator("#signature-pad")
    pad.scroll_into_view_if_needed()  # below the text: a finger can only draw on what shows
    box = pad.bounding_box()
    x, y = box["x"], box["y"]
    phone.mouse.move(x + 20, y + 100)
    phone.mouse.down()
    for step in range(1, 12):
        phone.mouse.move(x + 20 + step * 25, y + 100 - (step % 3) * 30)
    phone.mouse.up()
    phone.fill("input[name=typed_name]", "Grace Holloway")
    phone.click("#consent-form button[type=submit]")
    phone.wait_for_url(f"**/forms/{token}/")
    consent = SignedConsent.objects.get(patient=patient)
    assert consent.method == "drawn" and len(consent.strokes[0]) >= 10
    assert all(0 <= v <= 1000 for point in consent.strokes[0] for v in point)
    download = phone.request.get(live_server.url + f"/forms/{token}/signed/{consent.public_id}.pdf")
    assert download.ok and download.body() == bytes(consent.pdf)
