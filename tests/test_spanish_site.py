"""Spanish on the public site and in the portal (issue 21): the public pages under /es/ in Spanish
(the clinic's own words per language, falling back to ours in that language), a contact message
from a Spanish page marked for the desk, the sign-in link and the portal in the patient's
language, her choice of language kept from the preferences and from the switch, and her receipts
and records written in it. English stays as it was."""

import io
import re

import pytest
from django.test import Client
from django.urls import reverse as django_reverse
from django.utils import translation
from pypdf import PdfReader

from glabella.billing import receipts
from glabella.messaging.models import Message
from glabella.portal import content, services
from glabella.portal.models import ContactMessage, SiteText
from glabella.portal.views import MENU
from tests.conftest import make_patient
from tests.test_portal_receipts import paid  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

PUBLIC = [
    "portal:home",
    *(f"portal:{slug}" for slug in MENU),
    "portal:locations",
    "portal:service-area",
    "portal:contact",
    "portal:sign-in",
]
PORTAL = ["portal:me", "portal:treatments", "portal:photos", "portal:receipts"]
PORTAL += ["portal:preferences", "patients:portal-me", "patients:portal-who-looked"]


@pytest.fixture(autouse=True)
def english_outside_requests():
    """A request under /es/ leaves Spanish active in the thread: each test starts, and leaves,
    in English, so that reverse() in a test (and in the tests after it) is the English path."""
    translation.activate("en")
    yield
    translation.activate("en")


def reverse(name: str, args=None) -> str:
    """The English path (a request under /es/ leaves Spanish active in the test's thread)."""
    with translation.override("en"):
        return django_reverse(name, args=args)


def es(name: str, *args) -> str:
    with translation.override("es"):
        return django_reverse(name, args=args)


def _title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()


def _description(html: str) -> str:
    return re.search(r'<meta name="description" content="([^"]*)"', html).group(1)


def _h1(html: str) -> str:
    return re.sub(r"<[^>]+>", "", re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1)).strip()


def _pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# ---------------------------------------------------------------- the public site


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_page_answers_in_spanish_under_es(client, clinic, name):
    english = client.get(reverse(name)).content.decode()
    response = client.get(es(name))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="es">' in html and '<html lang="en">' in english
    # Title, description and heading are not the English ones.
    assert _title(html) != _title(english)
    assert _description(html) != _description(english)
    assert _h1(html) != _h1(english)
    # Every page a visitor is sent on to stays in Spanish, apart from the switch to English.
    english_links = re.findall(r'<a href="([^"]+)" hreflang="en"', html)
    for url in re.findall(r'<a [^>]*href="(/[^"]*)"', html):
        if url not in english_links and not url.startswith(("/sign-in/", "/staff/")):
            assert url.startswith("/es/"), url


def test_the_spanish_pages_show_our_spanish_text_and_its_summary(client, clinic):
    spanish = content.defaults("es")
    home = client.get(es("portal:home")).content.decode()
    assert spanish["home"].title in home
    assert "Por qué nos eligen nuestros pacientes" in home
    assert "Hacer una cita de consulta" in home and "¿Atendemos su ciudad?" in home
    faq = client.get(es("portal:faq")).content.decode()
    assert "¿Duele?" in faq and _description(faq) == spanish["faq"].description
    areas = client.get(es("portal:areas")).content.decode()
    assert "Dosis de la etiqueta por producto" in areas
    structured = re.search(r'<script type="application/ld\+json">(.*?)</script>', home, re.S)
    assert "Inyecciones de toxina botulínica" in structured.group(1)
    assert "/es/locations/" in structured.group(1)
    english = client.get(reverse("portal:home")).content.decode()
    assert content.BY_SLUG["home"].title in english and "Book a consultation" in english


def test_the_spanish_defaults_fit_the_limits_and_cover_every_page():
    spanish = content.defaults("es")
    assert set(spanish) == set(content.BY_SLUG)
    for slug, page in spanish.items():
        assert page.slug == slug
        assert len(page.title) <= content.TITLE_MAX
        assert 50 <= len(page.description) <= content.DESCRIPTION_MAX
        assert len(page.body) <= content.BODY_MAX
        assert page.body != content.BY_SLUG[slug].body
        assert page.nav != content.BY_SLUG[slug].nav or page.nav == "FAQ"


def test_the_owner_edits_each_language_apart(client_for, clinic):
    owner = client_for("owner")
    editor = owner.get(reverse("portal:site-page", args=["faq"]) + "?language=es")
    assert editor.status_code == 200
    assert "Preguntas de los pacientes" in editor.content.decode()  # the Spanish default
    saved = owner.post(
        reverse("portal:site-page", args=["faq"]) + "?language=es",
        {"title": "Preguntas frecuentes", "description": "Lo que nos preguntan.", "body": "Hola."},
    )
    assert saved.status_code == 302 and saved["Location"].endswith("?language=es")
    row = SiteText.objects.get()
    assert (row.slug, row.language, row.title) == ("faq", "es", "Preguntas frecuentes")
    visitor = Client()
    assert "Preguntas frecuentes" in visitor.get(es("portal:faq")).content.decode()
    english = visitor.get(reverse("portal:faq")).content.decode()
    assert "Questions patients ask" in english and "Preguntas frecuentes" not in english
    # The English editor, by default, still shows English; its list names the pages' titles.
    assert (
        "Questions patients ask"
        in owner.get(reverse("portal:site-page", args=["faq"])).content.decode()
    )
    listing = owner.get(reverse("portal:site-pages") + "?language=es").content.decode()
    assert "Preguntas frecuentes" in listing
    # Putting back our text puts back the text of that language.
    owner.post(
        reverse("portal:site-page", args=["faq"]) + "?language=es",
        {"title": "x", "description": "x", "body": "x", "restore": "1"},
    )
    assert services.page("faq", "es").title == content.defaults("es")["faq"].title
    assert services.page("faq", "en").title == content.BY_SLUG["faq"].title


def test_existing_versions_stay_english(clinic, actor_of):
    services.save_page(
        actor_of("owner"), "home", {"title": "Ours", "description": "D", "body": "B"}
    )
    assert SiteText.objects.get().language == "en"
    assert services.page("home", "en").title == "Ours"
    assert services.page("home", "es").title == content.defaults("es")["home"].title


def test_an_unknown_language_is_refused_on_save(clinic, actor_of):
    from glabella.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        services.save_page(
            actor_of("owner"), "home", {"title": "T", "description": "D", "body": "B"}, "fr"
        )
    assert "language" in refused.value.fields
    assert not SiteText.objects.exists()


def test_the_service_area_check_answers_in_spanish(client, clinic):
    bad = client.get(es("portal:service-area"), {"area": "!!"}).content.decode()
    assert "Escriba el nombre de una ciudad" in bad
    served = client.get(es("portal:service-area"), {"area": clinic.city}).content.decode()
    assert f"Sí, atendemos a pacientes de {clinic.city}." in served


# ---------------------------------------------------------------- the contact form


def test_a_message_from_the_spanish_page_is_marked_spanish_for_the_desk(client, client_for, clinic):
    empty = client.post(es("portal:contact"), {"email": "rosa@example.com"})
    assert empty.status_code == 422
    assert "Díganos su nombre." in empty.content.decode()
    sent = client.post(
        es("portal:contact"),
        {"name": "Rosa Méndez", "email": "rosa@example.com", "message": "¿Abren el sábado?"},
    )
    assert sent.status_code == 302 and sent["Location"] == es("portal:contact")
    thanks = client.get(sent["Location"]).content.decode()
    assert "Gracias. Su mensaje ya está con nuestra recepción." in thanks
    english = client.post(
        reverse("portal:contact"),
        {"name": "Ann Lee", "email": "ann@example.com", "message": "Open Saturday?"},
    )
    assert english.status_code == 302
    languages = dict(ContactMessage.objects.values_list("name", "language"))
    assert languages == {"Rosa Méndez": "es", "Ann Lee": "en"}
    inbox = client_for("front_desk").get(reverse("portal:inbox")).content.decode()
    assert inbox.count("Written in Spanish") == 1


def test_the_answer_to_a_spanish_message_has_a_spanish_subject(client_for, clinic):
    message = ContactMessage.objects.create(
        name="Rosa", email="rosa@example.com", message="¿Abren el sábado?", language="es"
    )
    desk = client_for("front_desk")
    prefix = f"r{message.pk}-"
    desk.post(
        reverse("portal:reply", args=[message.public_id]),
        {prefix + "channel": "email", prefix + "body": "Sí, de 9 a 1."},
    )
    assert Message.objects.get(topic="reply").subject == "Nuestra respuesta a su mensaje"


# ---------------------------------------------------------------- signing in


def _link(patient) -> str:
    body = Message.objects.filter(topic="sign_in_link", patient=patient).latest("id").body
    return re.search(r"https?://\S+", body).group(0)


def test_the_sign_in_link_is_written_in_her_language(client, clinic, patient):
    rosa = make_patient(given_name="Rosa", email="rosa@example.com", language="es")
    client.post(reverse("portal:sign-in"), {"email": "rosa@example.com"})
    mail = Message.objects.get(topic="sign_in_link", patient=rosa)
    assert mail.subject == "Su enlace para entrar"
    assert mail.body.startswith("Hola, Rosa:") and "nadie puede entrar sin el enlace" in mail.body
    assert "/es/portal/sign-in/" in _link(rosa)
    # Asked for from a Spanish page, an English speaker's link is still in English.
    client.post(es("portal:sign-in"), {"email": patient.email})
    grace = Message.objects.get(topic="sign_in_link", patient=patient)
    assert grace.subject == "Your sign-in link" and grace.body.startswith("Hello Grace,")
    assert "/es/" not in _link(patient)


def test_she_lands_on_the_portal_in_her_language(client, clinic, patient):
    patient.language = "es"
    patient.save()
    client.post(reverse("portal:sign-in"), {"email": patient.email})
    link = _link(patient).split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + link).content.decode()
    assert "Qué gusto verle de nuevo, Grace" in page
    signed_in = client.post("/" + link)
    assert signed_in["Location"] == es("portal:me")
    home = client.get(signed_in["Location"]).content.decode()
    assert '<html lang="es">' in home and "Hola, Grace" in home and "Su expediente" in home


def test_a_password_sign_in_from_an_english_page_lands_in_her_language(client, clinic, patient):
    patient.user.set_password("tulip-harbour-92")
    patient.user.save()
    patient.language = "es"
    patient.save()
    right = client.post(
        reverse("portal:sign-in"),
        {"email": patient.email, "method": "password", "password": "tulip-harbour-92"},
    )
    assert right.status_code == 302 and right["Location"] == es("portal:me")


def test_sign_in_errors_read_in_spanish(client, clinic):
    response = client.post(es("portal:sign-in"), {"email": "no-es-correo"})
    assert response.status_code == 422
    assert "Escriba un correo electrónico como nombre@ejemplo.com." in response.content.decode()


# ---------------------------------------------------------------- the portal


@pytest.mark.parametrize("name", PORTAL)
def test_every_portal_page_answers_in_spanish(client_for, name):
    me = client_for("patient")
    english = me.get(reverse(name)).content.decode()
    response = me.get(es(name))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="es">' in html
    assert _title(html) != _title(english) and _h1(html) != _h1(english)


def test_the_portal_home_reads_in_spanish(client_for, patient):
    html = client_for("patient").get(es("portal:me")).content.decode()
    for words in ("Próximas citas", "Su próximo tratamiento", "Historial de tratamientos"):
        assert words in html
    for words in ("Coming up", "Your next treatment", "Treatment history"):
        assert words not in html


def test_her_details_and_choices_read_in_spanish(client_for, patient):
    html = client_for("patient").get(es("patients:portal-me")).content.decode()
    assert "Fecha de nacimiento" in html and "Femenino" in html
    assert "por correo electrónico, en inglés" in html


def test_she_chooses_spanish_in_her_preferences(client_for, patient):
    me = client_for("patient")
    form = me.get(reverse("portal:preferences")).content.decode()
    assert 'value="es"' in form and "Español" in form
    saved = me.post(
        reverse("portal:preferences"),
        {"preferred_channel": "email", "email_consent": "on", "language": "es"},
    )
    assert saved.status_code == 302 and saved["Location"] == es("portal:preferences")
    patient.refresh_from_db()
    assert patient.language == "es"
    page = me.get(saved["Location"]).content.decode()
    assert "Guardado. Nos comunicaremos con usted como lo eligió." in page
    # Left out, the language on her record stays.
    me.post(reverse("portal:preferences"), {"preferred_channel": "email", "email_consent": "on"})
    patient.refresh_from_db()
    assert patient.language == "es"
    refused = me.post(es("portal:preferences"), {"preferred_channel": "sms", "email_consent": "on"})
    assert refused.status_code == 422
    assert "acepte los mensajes de texto" in refused.content.decode()


def test_the_switch_on_a_portal_page_keeps_her_choice(client_for, patient):
    me = client_for("patient")
    page = me.get(reverse("portal:treatments")).content.decode()
    switch = re.search(r'<form method="post" class="language-switch"(.*?)</form>', page, re.S)
    action = re.search(r'formaction="([^"]+)"', switch.group(1)).group(1)
    assert action == reverse("portal:language", args=["es"])
    assert me.get(action, {"next": reverse("portal:treatments")}).status_code == 405
    moved = me.post(action, {"next": reverse("portal:treatments")})
    assert moved.status_code == 302 and moved["Location"] == es("portal:treatments")
    patient.refresh_from_db()
    assert patient.language == "es"
    # And back, by the form as well as by the link.
    back = me.post(reverse("portal:language", args=["en"]), {"next": es("portal:photos")})
    assert back["Location"] == reverse("portal:photos")
    patient.refresh_from_db()
    assert patient.language == "en"


def test_the_switch_goes_nowhere_else_and_knows_only_our_languages(client_for, patient):
    me = client_for("patient")
    away = me.post(reverse("portal:language", args=["es"]), {"next": "https://example.com/"})
    assert away["Location"] == es("portal:me")
    assert me.post(reverse("portal:language", args=["fr"])).status_code == 404
    patient.refresh_from_db()
    assert patient.language == "es"
    assert Client().post(reverse("portal:language", args=["en"])).status_code in (302, 403)


def test_public_pages_keep_the_plain_switch(client, clinic):
    page = client.get(reverse("portal:faq")).content.decode()
    switch = re.search(r'<nav class="language-switch"[^>]*>(.*?)</nav>', page, re.S).group(1)
    assert f'href="{es("portal:faq")}"' in switch


# ---------------------------------------------------------------- what she receives


def test_her_receipt_is_in_her_language_whoever_asks(client_for, paid, patient, actor_of):  # noqa: F811
    patient.language = "es"
    patient.save()
    pdf = client_for("patient").get(reverse("portal:receipt", args=[paid.public_id]))
    words = _pdf_text(pdf.content)
    assert f"Recibo de la factura {paid.number}" in words and "Saldo pendiente" in words
    assert "$150.00" in words and "Balance due" not in words
    paid.patient.refresh_from_db()
    desk_pdf = _pdf_text(receipts.receipt_for(actor_of("front_desk"), paid))
    assert "Paciente: Grace" in desk_pdf
    message = receipts.email_receipt(actor_of("front_desk"), paid)
    assert message.subject.startswith("Su recibo de ")
    assert message.body.startswith("Hola, Grace:") and "Total: $150.00" in message.body


def test_an_english_receipt_is_unchanged(paid, actor_of):  # noqa: F811
    words = _pdf_text(receipts.receipt_for(actor_of("front_desk"), paid))
    assert f"Receipt for invoice {paid.number}" in words and "Balance due" in words
    message = receipts.email_receipt(actor_of("front_desk"), paid)
    assert message.subject.startswith("Your receipt from ") and message.body.startswith("Hello")


def test_her_records_pdf_is_in_her_language(client_for, patient):
    patient.language = "es"
    patient.save()
    pdf = client_for("patient").get(reverse("portal:my-data", args=["pdf"]))
    words = _pdf_text(pdf.content)
    assert "Su expediente: Grace" in words and "Cómo nos comunicamos con usted" in words
    assert "Your records" not in words


def test_the_portal_switch_as_a_form_posts_her_choice_with_the_page(client_for, patient):
    """The form offered to the base template for a patient's pages (portal/_language_switch)."""
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from glabella.core.context_processors import languages

    request = RequestFactory().get(reverse("portal:photos"))
    request.user = patient.user
    html = render_to_string("portal/_language_switch.html", languages(request), request=request)
    action = re.search(r'formaction="([^"]+)"', html).group(1)
    assert action == reverse("portal:language", args=["es"]) and "Español" in html
    assert 'name="next" value="/portal/photos/"' in html
    moved = client_for("patient").post(action, {"next": "/portal/photos/"})
    assert moved["Location"] == es("portal:photos")
    patient.refresh_from_db()
    assert patient.language == "es"
