"""Screening in Spanish (issue 21): the public self-check, the intake questionnaire and the consent
under /es/ read in Spanish, while the answers keep one shape and the verdicts stay the same in
both languages; consent texts are versioned per language, a patient reads the newest in her
language (else the English one, which the page then says), and her signature keeps the language
and the SHA-256 of the exact text she read; the forms link goes to her in her language."""

import io
import json
import re
from datetime import date, timedelta
from urllib.parse import unquote

import pytest
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from glabella.clinic.clock import clinic_today
from glabella.demo.spanish_consents import SPANISH, publish_spanish_consents
from glabella.messaging.models import Message
from glabella.screening.consents import (
    consent_text,
    current_consent,
    document_for,
    publish_consent,
    sha256,
    text_of,
)
from glabella.screening.decisions import sign_decision
from glabella.screening.evaluation import evaluate_patient
from glabella.screening.intake import latest_intake, submit_intake
from glabella.screening.links import forms_token, send_forms_link
from glabella.screening.models import ConsentDocument, IntakeResponse, SignedConsent
from tests.conftest import intake_answers, make_patient, proof_for

QUESTIONS = list(intake_answers()["answers"])


def spanish(name: str, *args) -> str:
    """The Spanish page's address (English is unprefixed)."""
    with translation.override("es"):
        return reverse(name, args=args)


def in_english(name: str, *args) -> str:
    """The English page's address, whichever language the last page left active here."""
    with translation.override("en"):
        return reverse(name, args=args)


def shown_value(response) -> str:
    return re.search(rb'name="shown" value="([^"]+)"', response.content).group(1).decode()


@pytest.fixture(autouse=True)
def english_after():
    """A Spanish page leaves Spanish active in this thread (the test client runs the request
    here): the next test's reverse() would give /es/ paths. Back to the default after each."""
    yield
    translation.deactivate()


@pytest.fixture
def hablante(clinic):
    """A patient whose record says Spanish."""
    return make_patient(
        given_name="María José",
        family_name="Núñez",
        email="mjnunez@example.com",
        phone="+18055550166",
        language="es",
    )


# ---------------------------------------------------------------- the public self-check

SELF_CHECKS = [
    {"age": "adult", "allergy": "no", "nerves": "no", "infection": "no", "pregnant": "no",
     "recent": "no", "lines": "moving"},
    {"age": "adult", "allergy": "no", "nerves": "no", "infection": "no", "pregnant": "yes",
     "recent": "no", "lines": "moving"},
    {"age": "senior", "allergy": "unsure", "nerves": "no", "infection": "no", "pregnant": "no",
     "recent": "no", "lines": "both"},
    {"age": "minor", "allergy": "no", "nerves": "no", "infection": "no", "pregnant": "no",
     "recent": "no", "lines": "rest"},
    {"age": "adult", "allergy": "no", "nerves": "no", "infection": "no", "pregnant": "no",
     "recent": "yes", "lines": "rest"},
    {"age": "adult", "allergy": "no", "nerves": "unsure", "infection": "yes", "pregnant": "no",
     "recent": "no", "lines": "moving"},
]  # fmt: skip


def verdict(response) -> str:
    return re.search(rb'data-verdict="([a-z-]+)"', response.content).group(1).decode()


def test_the_self_check_reads_in_spanish(client, db):
    page = client.get(spanish("screening:self-check"))
    html = page.content.decode()
    assert page.status_code == 200 and 'lang="es"' in html
    assert "¿Le podría servir un tratamiento que relaja las arrugas?" in html
    assert "¿Está embarazada o dando pecho?" in html and "No sé" in html
    assert "Could a wrinkle-relaxing treatment suit you?" not in html
    assert "Not sure" not in html and "How old are you?" not in html
    english = client.get(in_english("screening:self-check")).content.decode()
    assert "Could a wrinkle-relaxing treatment suit you?" in english and "No sé" not in english


@pytest.mark.parametrize("answers", SELF_CHECKS)
def test_the_self_check_gives_the_same_verdict_in_both_languages(client, db, answers):
    english = client.post(in_english("screening:self-check"), answers)
    espanol = client.post(spanish("screening:self-check"), answers)
    assert english.status_code == espanol.status_code == 200
    assert verdict(english) == verdict(espanol)
    words = {
        "candidate": ("You may be a good candidate.", "buena opción para usted"),
        "talk-first": ("Please talk to us before booking.", "hable con nosotros antes"),
    }[verdict(english)]
    assert words[0] in english.content.decode() and words[1] in espanol.content.decode()
    assert words[0] not in espanol.content.decode()


def test_both_verdicts_occur_among_the_compared_answers(client, db):
    seen = {verdict(client.post(spanish("screening:self-check"), a)) for a in SELF_CHECKS}
    assert seen == {"candidate", "talk-first"}


def test_a_spanish_self_check_left_empty_is_answered_in_spanish(client, db):
    response = client.post(spanish("screening:self-check"), {"age": "adult"})
    html = response.content.decode()
    assert response.status_code == 422
    assert "Por favor, conteste todas las preguntas." in html
    assert "Please answer every question." not in html


# ---------------------------------------------------------------- the intake questionnaire


def all_no_form(**extra) -> dict:
    data = {f"q_{q}": "no" for q in QUESTIONS}
    data.update(extra)
    return data


def test_the_questionnaire_reads_in_spanish(client, hablante):
    page = client.get(spanish("screening:forms-intake", forms_token(hablante)))
    html = page.content.decode()
    assert page.status_code == 200 and 'lang="es"' in html
    for words in (
        "Preguntas de salud",
        "¿Tiene alergia a la albúmina humana?",
        "Una proteína de la sangre que tienen algunas medicinas.",
        "¿Está embarazada, o podría estarlo?",
        "Entre las cejas (líneas del ceño)",
        "Se ve cuando muevo la cara",
        "Enviar mis respuestas",
    ):
        assert words in html, words
    for words in ("Are you allergic", "Between the brows", "Send my answers", "Not sure"):
        assert words not in html, words


def test_a_spanish_intake_is_stored_and_evaluated_exactly_as_the_english_one(
    client, hablante, other_patient
):
    day = (clinic_today(hablante) - timedelta(days=30)).isoformat()
    answers = all_no_form(
        q_recent_toxin="yes",
        q_bleeding_problems="unsure",
        q_pregnant="yes",
        toxin_0_product="Dysport",
        toxin_0_date=day,
        toxin_0_purpose="medical",
        toxin_0_units="50",
        allergies="penicilina (sarpullido)",
        medications="warfarina 5 mg\naceite de pescado",
        moving_between_brows="on",
        rest_forehead="on",
        notes="Nada más.",
    )
    # The same birth date and sex, so that only the language differs.
    other_patient.birth_date, other_patient.sex = hablante.birth_date, hablante.sex
    other_patient.save()
    es = client.post(spanish("screening:forms-intake", forms_token(hablante)), answers)
    en = client.post(in_english("screening:forms-intake", forms_token(other_patient)), answers)
    assert es.status_code == en.status_code == 302
    spanish_answers = latest_intake(hablante).answers
    assert spanish_answers == latest_intake(other_patient).answers
    assert spanish_answers["answers"]["pregnant"] is True
    assert spanish_answers["answers"]["bleeding_problems"] is None
    assert spanish_answers["recent_toxin"][0]["purpose"] == "medical"
    today = clinic_today(hablante)
    spanish_verdicts = evaluate_patient(hablante, today)
    english_verdicts = evaluate_patient(other_patient, today)
    assert {p: v.outcome for p, v in spanish_verdicts.items()} == {
        p: v.outcome for p, v in english_verdicts.items()
    }
    assert {p: [f.rule for f in v.findings] for p, v in spanish_verdicts.items()} == {
        p: [f.rule for f in v.findings] for p, v in english_verdicts.items()
    }
    # The questionnaire stored with the answers keeps its English wording (one definition).
    assert "Are you pregnant" in json.dumps(latest_intake(hablante).questionnaire.definition)


def test_the_questionnaire_s_errors_are_shown_in_spanish(client, hablante):
    url = spanish("screening:forms-intake", forms_token(hablante))
    empty = client.post(url, {})
    html = empty.content.decode()
    assert empty.status_code == 422
    assert html.count("Por favor, conteste esta pregunta.") == len(QUESTIONS)
    assert "Please answer this question." not in html
    told = dict(q_recent_toxin="yes", toxin_0_product="Botox")
    future = client.post(url, all_no_form(**told, toxin_0_date="2199-01-01"))
    assert "Esta fecha todavía no ha llegado." in future.content.decode()
    day = (clinic_today(hablante) - timedelta(days=10)).isoformat()
    units = client.post(url, all_no_form(**told, toxin_0_date=day, toxin_0_units="9000"))
    assert "como un número hasta 1500, o déjelo vacío" in units.content.decode()
    none_told = client.post(url, all_no_form(q_recent_toxin="yes"))
    assert "Díganos qué producto le pusieron y cuándo." in none_told.content.decode()
    assert not IntakeResponse.objects.exists()


def test_the_api_still_answers_the_questionnaire_s_errors_in_english():
    from glabella.screening.questionnaire import clean

    _answers, errors = clean({"answers": {}}, today=date(2026, 12, 1))
    assert errors["answers.pregnant"] == ["Please answer this question."]
    (units,) = clean(
        {**intake_answers(), "recent_toxin": [{"product": "x", "date": "2026-11-01",
                                               "units": "9000"}]},
        today=date(2026, 12, 1),
    )[1]["recent_toxin.0.units"]  # fmt: skip
    assert units == "Give the units as a number up to 1500, or leave it empty."


# ---------------------------------------------------------------- the forms hub and messages


def test_the_forms_hub_reads_in_spanish(client, hablante):
    publish_spanish_consents()
    hub = client.get(spanish("screening:forms", forms_token(hablante)))
    html = hub.content.decode()
    assert hub.status_code == 200 and 'lang="es"' in html
    assert "Hola, María José." in html and "Sus formularios" in html
    assert SPANISH["neuromodulator"][0] in html and "Todavía sin firmar." in html
    assert "Your forms" not in html and "Not signed yet." not in html


def test_the_forms_link_goes_in_the_patient_s_language(actor_of, hablante, patient):
    desk = actor_of("front_desk")
    send_forms_link(desk, hablante)
    send_forms_link(desk, patient)
    mine = Message.objects.get(topic="forms", patient=hablante)
    assert mine.subject == "Sus formularios antes de su cita"
    assert mine.body.startswith("Hola, María José:") and "/es/forms/" in mine.body
    english = Message.objects.get(topic="forms", patient=patient)
    assert english.subject == "Your forms before your visit"
    assert "/es/" not in english.body and "/forms/" in english.body


def test_the_desk_hands_the_tablet_over_in_the_patient_s_language(client_for, hablante):
    desk = client_for("front_desk")
    url = in_english("screening:patient-forms", hablante.public_id)
    response = desk.post(url, {"action": "tablet"})
    assert response.status_code == 302
    assert unquote(response["Location"]).startswith("/es/forms/tablet:")
    page = desk.get(response["Location"])
    assert page.status_code == 200 and "Sus formularios" in page.content.decode()


# ---------------------------------------------------------------- consent texts per language


def sign_post(page, name="María José Núñez") -> dict:
    return {
        "shown": shown_value(page),
        "typed_name": name,
        "strokes": json.dumps([[[10, 10], [400, 150]]]),
        "medication_guide": "botox_cosmetic",
    }


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_signing_the_spanish_consent_keeps_spanish_and_the_hash_of_the_spanish_text(
    client, hablante
):
    publish_spanish_consents()
    token = forms_token(hablante, "tablet")
    url = spanish("screening:forms-consent", token, "neuromodulator")
    page = client.get(url)
    html = page.content.decode()
    title, body = SPANISH["neuromodulator"]
    assert page.status_code == 200 and 'lang="es"' in html
    assert title in html and "Efectos raros pero graves" in html and "Versión 1" in html
    assert "Rare but serious effects" not in html and "todavía no tiene" not in html
    response = client.post(url, sign_post(page))
    assert response.status_code == 302
    consent = SignedConsent.objects.get()
    assert consent.language == "es" and consent.document.language == "es"
    exact = text_of(title, 1, body, "es")  # the title, "Versión 1" and the body she read
    assert exact.startswith(f"{title}\nVersión 1\n\n")
    assert consent.text_sha256 == sha256(exact) == shown_value(page)
    assert consent.text_sha256 != document_for("neuromodulator", "en").text_sha256
    # Its PDF is in the language signed.
    words = pdf_text(bytes(consent.pdf))
    assert "Paciente" in words and "Nombre escrito" in words and "Typed name" not in words
    hub = client.get(spanish("screening:forms", token)).content.decode()
    assert "Firmado en la clínica, en nuestra tableta, el" in hub
    assert current_consent(hablante, "neuromodulator", clinic_today(hablante)) == consent


def test_without_a_spanish_text_she_reads_the_english_one_and_the_page_says_so(client, hablante):
    url = spanish("screening:forms-consent", forms_token(hablante), "photo")
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and 'lang="es"' in html
    assert "La clínica todavía no tiene este formulario en español" in html
    assert (
        "Consent to clinical photographs" in html and '<article class="card consent-text"' in html
    )
    assert re.search(r'<article [^>]*lang="en"', html)
    assert client.post(url, sign_post(page) | {"medication_guide": ""}).status_code == 302
    consent = SignedConsent.objects.get()
    assert consent.language == "en" and consent.document.language == "en"
    # An English page never shows the notice.
    english = client.get(in_english("screening:forms-consent", forms_token(hablante), "photo"))
    assert "todavía no tiene" not in english.content.decode()


def test_the_english_page_still_shows_the_english_text_when_a_spanish_one_exists(client, patient):
    publish_spanish_consents()
    url = in_english("screening:forms-consent", forms_token(patient), "neuromodulator")
    page = client.get(url)
    assert b"Consent to neuromodulator treatment" in page.content
    assert b"Efectos raros" not in page.content
    assert client.post(url, sign_post(page, "Grace Holloway")).status_code == 302
    assert SignedConsent.objects.get().language == "en"


def test_versions_are_counted_per_kind_and_language(actor_of):
    owner = actor_of("owner")
    body = "Lo que acepto\nUn texto lo bastante largo para ser un consentimiento de prueba."
    first = publish_consent(owner, "photo", "Fotos", body, language="es")
    second = publish_consent(owner, "photo", "Fotos clínicas", body, language="es")
    assert (first.version, second.version) == (1, 2)
    assert ConsentDocument.objects.get(kind="photo", language="en").version == 1
    assert document_for("photo", "es") == second
    assert document_for("photo", "en").language == "en"
    assert document_for("filler", "es").language == "en"  # none in Spanish: English
    assert second.text_sha256 == sha256(text_of("Fotos clínicas", 2, body + "\n", "es"))
    from glabella.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as failed:
        publish_consent(owner, "photo", "Fotos", body, language="fr")
    assert set(failed.value.fields) == {"language"}


def test_the_consent_texts_editor_publishes_in_a_chosen_language(client_for):
    url = in_english("screening:consent-documents")
    data = {
        "kind": "filler",
        "language": "es",
        "title": "Consentimiento para relleno",
        "body": "En qué consiste\n" + "Un texto de prueba. " * 6,
    }
    assert client_for("medical_director").post(url, data).status_code == 302
    doc = ConsentDocument.objects.get(kind="filler", language="es")
    assert doc.version == 1 and doc.title == "Consentimiento para relleno"
    page = client_for("medical_director").get(url).content.decode()
    assert "version 1 in Spanish" in page and 'lang="es"' in page


def test_a_newer_spanish_version_asks_her_again_and_leaves_english_signatures_alone(
    client, actor_of, hablante, patient
):
    publish_spanish_consents()
    today = clinic_today(hablante)
    for person, name, address in (
        (hablante, "María José Núñez", spanish),
        (patient, "Grace Holloway", in_english),
    ):
        url = address("screening:forms-consent", forms_token(person), "photo")
        page = client.get(url)
        post = sign_post(page, name) | {"medication_guide": ""}
        assert client.post(url, post).status_code == 302
    hers = SignedConsent.objects.get(patient=hablante)
    theirs = SignedConsent.objects.get(patient=patient)
    assert (hers.language, theirs.language) == ("es", "en")
    body = "Lo que acepto\nUn texto lo bastante largo para ser un consentimiento de prueba."
    publish_consent(actor_of("owner"), "photo", "Fotos clínicas", body, language="es")
    assert current_consent(hablante, "photo", today) is None
    assert current_consent(patient, "photo", today) == theirs
    hub = client.get(spanish("screening:forms", forms_token(hablante))).content.decode()
    assert "Desde entonces actualizamos este formulario" in hub


def test_the_off_label_paragraph_is_added_in_spanish_to_the_spanish_text(
    client, client_for, actor_of, hablante
):
    publish_spanish_consents()
    director = actor_of("medical_director")
    submit_intake(director, hablante, intake_answers(), via="staff")
    off_label = {
        "product": "botox_cosmetic",
        "area": "masseter",
        "allowed": True,
        "off_label": True,
        "rationale": "Jaw clenching, examined",
    }
    glabellar = {"product": "botox_cosmetic", "area": "glabellar", "allowed": True}
    sign_decision(director, hablante, [glabellar, off_label], proof=proof_for(director))
    url = spanish("screening:forms-consent", forms_token(hablante), "neuromodulator")
    page = client.get(url)
    html = page.content.decode()
    assert "Uso fuera de la etiqueta" in html and "Use outside the label" not in html
    assert "uso fuera de la etiqueta: es legal y común" in html
    assert client.post(url, sign_post(page)).status_code == 302
    consent = SignedConsent.objects.get()
    document = document_for("neuromodulator", "es")
    body = consent_text(document, hablante, clinic_today(hablante)).body
    assert "\n\nUso fuera de la etiqueta\nLa FDA ha aprobado" in body
    exact = text_of(document.title, document.version, body, "es")
    assert consent.text_sha256 == sha256(exact) == shown_value(page)
    assert consent.language == "es" and consent.off_label_areas == ["masseter"]
    listed = client_for("injector").get(f"/api/v1/screening/patients/{hablante.public_id}/consents")
    assert listed.json()[0]["language"] == "es"


def test_my_forms_in_the_spanish_portal_open_in_spanish(client_for):
    portal = client_for("patient")
    response = portal.get(spanish("screening:portal-forms"))
    assert response.status_code == 302
    assert unquote(response["Location"]).startswith("/es/forms/portal:")
    assert "Sus formularios" in portal.get(response["Location"]).content.decode()
