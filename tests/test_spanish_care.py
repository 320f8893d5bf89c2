"""Spanish for aftercare, check-ins and the invitation back (issue 21): aftercare texts per
language with the English one when the clinic has none, the check-in and outcome pages under /es/
in Spanish, the same verdict whatever the page's language, and every message to a patient (the
aftercare, check-ins, urgent advice, the movement question, the invitation back, a recall notice)
in her language with links to the pages in it. English patients and pages are unchanged."""

from datetime import timedelta

import pytest
from django.urls import reverse

from glabella.aftercare import check_ins, instructions, symptom_words
from glabella.aftercare.models import Alert, CheckIn, Instructions, Report, Sent
from glabella.aftercare.symptoms import SYMPTOMS
from glabella.catalogue import urgent
from glabella.core.errors import ValidationFailed
from glabella.core.language import speaking
from glabella.demo.aftercare import SPANISH_BODY, publish_spanish_texts
from glabella.messaging.models import Message
from glabella.outcomes import durations, invitations
from glabella.outcomes.models import Invitation, MovementCheck
from glabella.treatments import recall
from tests.test_invitations import at_ten, due_patient

SPANISH_GENERAL = {"title": "Después de su tratamiento", "body": "Llámenos al {clinic_phone}."}


@pytest.fixture
def spanish(patient):
    """Grace reads Spanish."""
    patient.language = "es"
    patient.save(update_fields=["language"])
    return patient


@pytest.fixture
def spanish_texts(actor_of):
    """The clinic's general text in Spanish, published before the treatment."""
    return instructions.publish(
        actor_of("medical_director"), product="", area="", language="es", **SPANISH_GENERAL
    )


@pytest.fixture
def treated_es(spanish, spanish_texts, treated):
    return treated


def link(check_in, code: str) -> str:
    with speaking(code):
        return reverse("aftercare:check-in", args=[check_ins.check_in_token(check_in)])


# ---------------------------------------------------------------- aftercare texts per language


def test_existing_and_default_texts_are_english_and_versions_count_per_language(actor_of):
    default = instructions.ensure_default()
    assert default.language == "en"
    first = instructions.publish(
        actor_of("medical_director"), product="", area="", language="es", **SPANISH_GENERAL
    )
    second = instructions.publish(
        actor_of("medical_director"), product="", area="", language="es", **SPANISH_GENERAL
    )
    assert (first.version, second.version) == (1, 2)
    assert instructions.current("", "", "es") == second
    assert instructions.current("", "", "en") == default


def test_she_is_sent_the_newest_text_in_her_language_else_the_english_one(actor_of):
    def publish(**fields):
        values = {"product": "", "area": "", "title": "T", "body": "B"} | fields
        return instructions.publish(actor_of("medical_director"), **values)

    english = instructions.ensure_default()
    eyes_en = publish(area="lateral_canthal", title="Around the eyes")
    # No Spanish text at all: the English ones.
    assert instructions.texts_for("dysport", ["lateral_canthal_left"], "es") == [english, eyes_en]
    general_es = publish(language="es", title="General")
    # A Spanish general text; no Spanish note for the eyes: that one stays English.
    assert instructions.texts_for("dysport", ["lateral_canthal_left"], "es") == [
        general_es,
        eyes_en,
    ]
    dysport_es = publish(product="dysport", language="es", title="Dysport")
    eyes_es = publish(area="lateral_canthal", language="es", title="Ojos")
    assert instructions.texts_for("dysport", ["lateral_canthal_left"], "es") == [
        dysport_es,
        eyes_es,
    ]
    # English patients are not touched by the Spanish texts.
    assert instructions.texts_for("dysport", ["lateral_canthal_left"], "en") == [english, eyes_en]
    # Withdrawing the Spanish general text sends Spanish patients the English one again.
    publish(product="dysport", language="es", active=False)
    publish(language="es", active=False)
    assert instructions.texts_for("dysport", [], "es") == [english]
    # A language the clinic does not speak is English.
    assert instructions.texts_for("dysport", [], "fr") == [english]


def test_a_text_in_a_language_not_offered_is_refused_by_field(actor_of):
    before = Instructions.objects.count()
    with pytest.raises(ValidationFailed) as failed:
        instructions.publish(
            actor_of("medical_director"), product="", area="", language="fr", title="t", body="b"
        )
    assert "language" in failed.value.fields
    assert Instructions.objects.count() == before


def test_the_staff_texts_page_publishes_a_version_in_the_chosen_language(client_for):
    client = client_for("medical_director")
    url = reverse("aftercare:texts")
    done = client.post(url, {"product": "", "area": "", "language": "es", **SPANISH_GENERAL})
    assert done.status_code == 302
    text = Instructions.objects.get(language="es")
    assert (text.title, text.version, text.product, text.area) == (
        SPANISH_GENERAL["title"],
        1,
        "",
        "",
    )
    page = client.get(url)
    assert b"Spanish" in page.content and "Después de su tratamiento".encode() in page.content
    editing = client.get(url, {"language": "es"})
    assert editing.context["current"] == text
    # Beside it, the English text it should say the same as.
    assert editing.context["english"] == instructions.ensure_default()
    assert b"The English text it should say the same as" in editing.content
    bad = client.post(url, {"language": "xx", **SPANISH_GENERAL})
    assert bad.status_code == 422 and b"Choose the language" in bad.content
    assert Instructions.objects.filter(language="es").count() == 1


def test_the_demo_publishes_the_general_text_in_spanish_once(clinic):
    assert publish_spanish_texts() == 1
    assert publish_spanish_texts() == 0
    text = instructions.current("", "", "es")
    assert text.body == SPANISH_BODY.strip() and "{clinic_phone}" in text.body
    assert "911" in text.body and "párpado" in text.body
    # Every sign to call 911 for, as the catalogue says it in Spanish (as the English text does).
    assert all(sign in text.body for sign in urgent.as_a_list("es"))


# ---------------------------------------------------------------- what a Spanish patient is sent


def test_a_spanish_patient_is_sent_her_aftercare_and_check_ins_in_spanish(treated_es, settings):
    sent = Sent.objects.get(treatment=treated_es)
    assert [t.language for t in sent.texts.all()] == ["es"]
    aftercare = Message.objects.get(topic="aftercare")
    assert aftercare.subject == "Después de su tratamiento"
    assert "Llámenos al (805)" in aftercare.body
    for message in Message.objects.filter(topic="check-in"):
        assert message.subject == "Una pregunta rápida de la clínica"
        assert "Hola, Grace:" in message.body and "Cuéntenos" in message.body
        assert "/es/check-in/" in message.body
    day_one = CheckIn.objects.get(treatment=treated_es, day=1)
    body = Message.objects.get(about=f"check-in:{day_one.public_id}").body
    path = body.split(settings.SITE_URL, 1)[1].split()[0]
    assert path.startswith("/es/check-in/")
    assert check_ins.read_check_in_token(path.split("/")[3]) == day_one.public_id


def test_with_no_spanish_text_she_is_sent_the_english_one(spanish, treated):
    (text,) = Sent.objects.get(treatment=treated).texts.all()
    assert text.language == "en"
    assert "Keep your hands off" in Message.objects.get(topic="aftercare").body
    # The check-in message itself is still hers.
    assert "/es/check-in/" in Message.objects.filter(topic="check-in").first().body


def test_an_english_patient_is_written_to_in_english_with_unprefixed_links(spanish_texts, treated):
    assert Sent.objects.get(treatment=treated).texts.get().language == "en"
    message = Message.objects.filter(topic="check-in").first()
    assert message.subject == "A quick question from the clinic"
    assert "/check-in/" in message.body and "/es/" not in message.body


def test_a_reminder_is_in_her_language(treated_es):
    check_in = CheckIn.objects.get(treatment=treated_es, day=1)
    assert check_ins.remind_and_mark_missed(check_in.due_at + timedelta(days=1, minutes=1)) == 1
    reminder = Message.objects.get(topic="check-in-reminder")
    assert reminder.subject == "Un recordatorio de la clínica"
    assert "/es/check-in/" in reminder.body


# ---------------------------------------------------------------- the check-in page in Spanish


def test_her_check_in_link_opens_a_spanish_page(client, treated_es):
    day_one = CheckIn.objects.get(treatment=treated_es, day=1)
    page = client.get(link(day_one, "es"))
    html = page.content.decode()
    assert page.status_code == 200 and 'lang="es"' in html
    assert "¿Cómo está, Grace?" in html and "Un párpado caído" in html
    assert "Dolor de cabeza" in html and "Enviar" in html
    assert "How are you" not in html and "A drooping eyelid" not in html
    # The same check-in in English, unprefixed.
    english = client.get(link(day_one, "en")).content.decode()
    assert "How are you, Grace?" in english and 'lang="en"' in english


def test_the_verdict_is_the_same_whatever_the_pages_language(client, treated_es, settings):
    settings.ON_CALL_EMAILS = ["oncall@example.com"]
    day_one = CheckIn.objects.get(treatment=treated_es, day=1)
    day_14 = CheckIn.objects.get(treatment=treated_es, day=14)
    ticked = {"group_review": ["drooping_eyelid"], "group_self_care": ["headache"]}
    answers = ticked | {"severity": "mild", "getting_better": "no"}
    spanish = client.post(link(day_one, "es"), answers)
    english = client.post(link(day_14, "en"), answers | {"effect_shows": "", "satisfied": ""})
    by_page = {r.check_in_id: r for r in Report.objects.all()}
    es_report, en_report = by_page[day_one.pk], by_page[day_14.pk]
    assert es_report.urgency == en_report.urgency == "review"
    assert es_report.symptoms == en_report.symptoms == ["headache", "drooping_eyelid"]
    assert es_report.reasons == en_report.reasons  # a clinician reads the same why
    said = spanish.content.decode()
    assert spanish.status_code == 200 and 'lang="es"' in said
    assert "Gracias: un profesional de la clínica debe revisar esto hoy" in said
    assert "se comunicará con usted a más tardar a las" in said
    assert "a clinician needs to see this today" in english.content.decode()


def test_a_spanish_page_shows_its_errors_in_spanish_and_keeps_nothing(client, treated_es):
    day_one = CheckIn.objects.get(treatment=treated_es, day=1)
    page = client.post(link(day_one, "es"), {"group_self_care": ["bruising"], "severity": ""})
    html = page.content.decode()
    assert page.status_code == 422 and "Díganos qué tan fuerte es" in html
    assert "Por favor, revise lo que está marcado abajo." in html
    assert not Report.objects.exists()


def test_self_care_advice_in_spanish(client, treated_es):
    day_one = CheckIn.objects.get(treatment=treated_es, day=1)
    page = client.post(
        link(day_one, "es"), {"group_self_care": ["bruising"], "severity": "mild"}
    ).content.decode()
    assert "Lo que describe es normal" in page and "llame a la clínica al (805)" in page


def test_urgent_advice_is_sent_in_her_language_whatever_page_she_used(client, treated_es, settings):
    settings.ON_CALL_EMAILS = ["oncall@example.com"]
    day_one = CheckIn.objects.get(treatment=treated_es, day=1)
    answers = {"group_urgent": ["trouble_breathing"], "severity": "severe"}
    page = client.post(link(day_one, "en"), answers)
    assert b"What you describe can be a serious reaction" in page.content  # the page's language
    alert = Alert.objects.get()
    told = Message.objects.get(topic="urgent-advice")
    assert "Lo que describe puede ser una reacción grave" in told.body
    assert "Le enviamos un aviso a nuestro profesional de turno" in told.body
    # Staff are told in English, with a link to their (unprefixed) board.
    staff = Message.objects.filter(about=f"alert:{alert.public_id}", topic="on-call").first()
    assert staff.body.startswith("URGENT") and "/es/" not in staff.body


def test_the_portal_after_my_treatment_page_in_spanish(client_for, treated_es):
    page = client_for("patient").get("/es" + reverse("aftercare:portal"))
    html = page.content.decode()
    assert page.status_code == 200 and 'lang="es"' in html
    assert "Después de su tratamiento" in html and "Cuéntenos cómo está" in html
    assert "Seguimiento del día 1" in html and "Llámenos al (805)" in html
    assert "Tell us how you are" not in html


def test_every_symptom_has_its_words_and_they_are_the_triages_in_english():
    assert set(symptom_words.WORDS) == {s.code for s in SYMPTOMS}
    with speaking("en"):
        assert all(symptom_words.name(s) == s.label for s in SYMPTOMS)
    with speaking("es"):
        spanish = {s.code: symptom_words.name(s) for s in SYMPTOMS}
    assert spanish["drooping_eyelid"] == "Un párpado caído" and spanish["bruising"] == "Moretón"
    assert sum(spanish[s.code] == s.label for s in SYMPTOMS) == 0


# ---------------------------------------------------------------- outcomes


def test_the_movement_question_and_its_page_in_spanish(client, treated_es, settings):
    check = MovementCheck.objects.get(treatment=treated_es)
    message = Message.objects.get(about=f"movement-check:{check.public_id}")
    assert message.subject == "¿Cómo va su tratamiento?"
    assert "¿Ya puede fruncir el ceño por completo otra vez?" in message.body
    assert "más o menos 2 meses" in message.body
    url = "/" + message.body.rsplit(settings.SITE_URL + "/", 1)[1].strip()
    assert url.startswith("/es/movement/")
    assert durations.read_movement_token(url.split("/")[3]) == check
    page = client.get(url).content.decode()
    assert 'lang="es"' in page and "Sí, ya se mueve por completo" in page
    bad = client.post(url, {"glabellar": "quizás"})
    assert bad.status_code == 422 and "Conteste sí" in bad.content.decode()
    thanks = client.post(url, {"glabellar": "working"}).content.decode()
    assert "Lo anotamos." in thanks


def test_the_invitation_back_to_a_spanish_patient_is_spanish_with_an_es_link(
    client, clinic, settings
):
    due_patient(clinic, language="es")
    assert invitations.send_due(at_ten(clinic)) == 1
    invitation = Invitation.objects.get()
    (message,) = Message.objects.filter(topic="invitation")
    assert message.subject == "¿Es hora de su próxima cita?"
    assert message.body.startswith("Hola, Ivy:") and "elija uno aquí" in message.body
    url = message.body.split(settings.SITE_URL, 1)[1].split()[0]
    assert url.startswith("/es/book/again/")
    assert invitations.read_token(url.split("/")[4]) == invitation
    assert "BOTOX" not in message.body  # still no product in a message
    page = client.get(url).content.decode()
    assert 'lang="es"' in page and "Su próxima cita, Ivy" in page
    assert "a partir del" in page and "Book your next visit" not in page


def test_the_invitation_back_to_an_english_patient_is_unchanged(clinic):
    due_patient(clinic)
    invitations.send_due(at_ten(clinic))
    (message,) = Message.objects.filter(topic="invitation")
    assert message.subject == "Time for your next visit?" and "/es/" not in message.body
    assert "is likely to fade around" in message.body


# ---------------------------------------------------------------- a recall notice


def test_a_recall_notice_is_in_her_language(treated_es, actor_of):
    lot = treated_es.vial.lot
    assert recall.notify_recall(actor_of("injector"), lot) == 1
    notice = Message.objects.get(topic="recall")
    assert notice.subject == "Por favor, llame a la clínica"
    treated_on = treated_es.locked_at.astimezone(lot.location.zone).date()
    months = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto"]
    months += ["septiembre", "octubre", "noviembre", "diciembre"]
    day = f"{treated_on.day} de {months[treated_on.month - 1]} de {treated_on.year}"
    assert f"el {day}." in notice.body and "Hola, Grace:" in notice.body
