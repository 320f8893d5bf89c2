"""Online booking and every booking message in Spanish (issue 21): the booking pages under /es/,
the language asked on the form and kept on the record, confirmations, moves, cancellations,
reminders, waitlist offers and the calendar file in the patient's language with /es/ links,
services' Spanish names, and texts kept within three parts whatever the language."""

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from glabella.billing import cards
from glabella.billing.models import BillingSettings
from glabella.clinic.models import Service
from glabella.core.errors import ValidationFailed
from glabella.core.language import day_and_time, long_date
from glabella.core.models import AccessLog
from glabella.messaging.models import Message
from glabella.messaging.sms import encoding, fitting, segments
from glabella.patients.models import Patient
from glabella.scheduling import bookings, calendars, notices
from glabella.scheduling.models import Appointment, WaitlistEntry
from tests.conftest import future_appointment, make_patient
from tests.test_scheduling_api import details, next_weekday_at

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")
FIND = {"location": "thousand-oaks", "service": "consultation"}
BOOK_ES = "/es/book/"
# A long clinic name with letters outside GSM-7, which force a text into 70-character parts.
LONG_NAME = (
    "Clínica de Medicina Estética y Dermatología Avanzada del Valle de Conejo, "
    "sucursal Thousand Oaks, edificio principal junto al centro comercial"
)


@pytest.fixture(autouse=True)
def english_between_tests():
    """A request under /es/ leaves Spanish active in the test's thread (reverse() would give
    /es/ paths): each test starts and ends in English."""
    translation.activate("en")
    yield
    translation.activate("en")


def text(response) -> str:
    return response.content.decode()


def spanish_patient(**fields) -> Patient:
    return make_patient(language="es", **fields)


def messages_about(appointment) -> dict[str, Message]:
    found = Message.objects.filter(about=f"appointment:{appointment.public_id}")
    return {m.topic: m for m in found.exclude(status=Message.Status.CANCELLED)}


# ---------------------------------------------------------------- text length (pure)


def test_a_gsm7_text_is_one_part_up_to_160_places_then_153_a_part():
    assert segments("") == 0
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2
    assert segments("a" * 306) == 2 and segments("a" * 307) == 3
    # é and ñ are in GSM-7: Spanish without á, í, ó or ú keeps 160-place parts.
    assert encoding("Cita confirmada: mié 2 de dic., año") == "GSM-7"
    assert segments("ñ" * 160) == 1


def test_an_extension_character_takes_two_places_and_is_never_split():
    assert segments("{" * 80) == 1 and segments("{" * 81) == 2
    assert segments("€" + "a" * 158) == 1  # 2 + 158 = 160
    # 152 letters then one extension character: 154 places, two parts of at most 153, and the
    # escape and its character stay together in the second.
    assert segments("a" * 152 + "[" + "a" * 10) == 2
    assert segments("a" * 305 + "]") == 3


def test_one_character_outside_gsm7_makes_the_whole_text_ucs2():
    assert encoding("Su cita es el sábado") == "UCS-2"
    assert segments("á" * 70) == 1 and segments("á" * 71) == 2
    assert segments("a" * 133 + "á") == 2 and segments("a" * 134 + "á") == 3
    # A character beyond the Basic Multilingual Plane is two UTF-16 units.
    assert segments("😀" * 35) == 1 and segments("😀" * 36) == 2


def test_fitting_takes_the_first_text_within_the_parts():
    long, short = "á" * 300, "a" * 100
    assert fitting([long, short]) == short
    assert fitting([short, long]) == short
    assert fitting(["x" * 1000]) == "x" * 1000  # none fits: the last, as it is


# ---------------------------------------------------------------- the booking pages in Spanish


def test_the_spanish_booking_page_is_in_spanish_with_the_service_s_spanish_name(client, clinic):
    page = client.get(BOOK_ES, FIND)
    assert page.status_code == 200
    html = text(page)
    assert '<html lang="es">' in html
    assert "Hacer una cita de consulta" in html and "Book a consultation" not in html
    assert "Consulta en" in html  # the demo's Spanish name, then the clinic
    assert "Cualquier profesional (más horas libres)" in html
    assert "30 minutos" in html and "30 minutes" not in html
    day = page.context["week"][0][0]
    with translation.override("es"):
        assert long_date(day) in html  # the week's days in Spanish
    for english in ("Any provider", "Show their times", "free time", "Earlier", "Later"):
        assert english not in html


def test_the_english_booking_page_is_unchanged(client, clinic):
    html = text(client.get(reverse("scheduling:book"), FIND))
    assert '<html lang="en">' in html
    assert "Book a consultation" in html and "Consultation at" in html
    assert "Any provider (the most free times)" in html and "Consulta en" not in html


def test_the_details_step_asks_the_language_and_offers_the_page_s(client, clinic):
    start = next_weekday_at(10)
    page = client.get(BOOK_ES, {**FIND, "start": start.isoformat()})
    html = text(page)
    assert "Sus datos" in html and "Idioma de sus mensajes y formularios" in html
    assert re.search(r'value="es"[^>]*checked', html)  # the page's language, chosen
    assert "Español" in html and "English" in html  # each named in itself
    assert "Nombre" in html and "Teléfono celular" in html and "Mensaje de texto" in html
    english = text(client.get("/book/", {**FIND, "start": start.isoformat()}))
    assert re.search(r'value="en"[^>]*checked', english)
    assert "Language for your messages and forms" in english


def test_a_new_patient_booking_in_spanish_is_written_to_in_spanish(client, clinic):
    start = next_weekday_at(10)
    response = client.post(BOOK_ES, details(start, language="es"))
    assert response.status_code == 302 and response["Location"].startswith("/es/book/manage/")
    patient = Patient.objects.get(email="rosa@example.com")
    assert patient.language == "es"
    appointment = Appointment.objects.get(patient=patient)
    confirmation = messages_about(appointment)["confirmation"]
    assert confirmation.subject == "Su cita en Thousand Oaks está reservada"
    assert "Su cita está reservada para el" in confirmation.body
    assert "/es/book/manage/" in confirmation.body
    with translation.override("es"):
        assert day_and_time(start, LA) in confirmation.body
    assert "You are booked" not in confirmation.body
    ics = confirmation.attachments[0]["content"]
    assert "SUMMARY:Cita en Thousand Oaks" in ics
    assert "/es/book/manage/" in ics.replace("\r\n ", "")
    reminders = Message.objects.filter(patient=patient, topic="reminder")
    assert reminders and all(m.subject.startswith("Recordatorio: su cita del") for m in reminders)
    page = client.get(response["Location"])
    assert "Su cita está reservada. Le enviamos la hora" in text(page)
    assert "Agregar a mi calendario" in text(page)


def test_a_known_patient_who_books_in_spanish_gets_spanish_on_her_record(client, clinic):
    known = make_patient(
        given_name="Rosa",
        family_name="Delgado",
        birth_date=datetime(1990, 5, 17).date(),
        email="rosa@example.com",
        language="en",
    )
    response = client.post(BOOK_ES, details(next_weekday_at(10), language="es"))
    assert response.status_code == 302
    known.refresh_from_db()
    assert known.language == "es" and Patient.objects.filter(family_name="Delgado").count() == 1
    changed = AccessLog.objects.filter(patient_public_id=known.public_id, action="update")
    assert any(row.detail.get("fields") == ["language"] for row in changed)
    confirmation = Message.objects.get(patient=known, topic="confirmation")
    assert "Su cita está reservada" in confirmation.body


def test_she_may_choose_english_on_the_spanish_page(client, clinic):
    response = client.post(BOOK_ES, details(next_weekday_at(10), language="en"))
    assert response.status_code == 302
    patient = Patient.objects.get(email="rosa@example.com")
    assert patient.language == "en"
    confirmation = Message.objects.get(patient=patient, topic="confirmation")
    assert "You are booked for" in confirmation.body and "/es/" not in confirmation.body


def test_without_an_answer_the_language_is_the_page_s(client, clinic):
    assert client.post(BOOK_ES, details(next_weekday_at(10))).status_code == 302
    assert Patient.objects.get(email="rosa@example.com").language == "es"


def test_the_spanish_form_s_errors_are_in_spanish(client, clinic):
    bad = details(next_weekday_at(10), email="not-an-email", postal_code="12")
    response = client.post(BOOK_ES, bad)
    assert response.status_code == 422
    html = text(response)
    assert "Escriba un correo electrónico como nombre@ejemplo.com." in html
    assert "Escriba un código postal de cinco dígitos" in html
    assert not Patient.objects.filter(family_name="Delgado").exists()
    far = details(next_weekday_at(10), postal_code="10001")
    html = text(client.post(BOOK_ES, far))
    assert "no atiende el código postal 10001" in html
    past = details(timezone.now().astimezone(LA) - timedelta(days=1))
    assert "Esa hora ya pasó" in text(client.post(BOOK_ES, past))


def test_the_manage_page_and_its_calendar_file_in_spanish(client, clinic):
    patient = spanish_patient()
    appointment = future_appointment(patient, clinic, days=6)
    token = notices.manage_token(appointment)
    page = client.get(f"/es/book/manage/{token}/")
    html = text(page)
    assert page.status_code == 200 and '<html lang="es">' in html
    for words in ("Su cita", "Cuándo", "Reservada", "Cambiar a otra hora", "Cancelar mi cita"):
        assert words in html
    for english in ("Your appointment", "Move to another time", "Add to my calendar"):
        assert english not in html
    with translation.override("es"):
        assert long_date(appointment.starts_at.astimezone(LA)) in html
    ics = text(client.get(f"/es/book/manage/{token}/visit.ics")).replace("\r\n ", "")
    assert "SUMMARY:Cita en Thousand Oaks" in ics
    link = f"http://127.0.0.1:8000/es/book/manage/{appointment.public_id}:"
    assert f"DESCRIPTION:Para cambiarla o cancelarla: {link}" in ics


def test_the_calendar_file_follows_her_record_not_the_page(client, clinic):
    appointment = future_appointment(make_patient(language="en"), clinic, days=6)
    token = notices.manage_token(appointment)
    ics = text(client.get(f"/es/book/manage/{token}/visit.ics"))
    assert "SUMMARY:Appointment at Thousand Oaks" in ics and "/es/" not in ics


def test_moving_and_cancelling_from_the_spanish_page(client, clinic):
    patient = spanish_patient()
    appointment = future_appointment(patient, clinic, days=6)
    token = notices.manage_token(appointment)
    url = f"/es/book/manage/{token}/"
    page = client.get(url)
    slots = [s for _, day in page.context["week"] for s, _ in day]
    confirm = client.get(url, {"move_to": slots[0].start.isoformat()})
    assert "¿Cambiar su cita del" in text(confirm) and "Sí, cambiarla" in text(confirm)
    moved = client.post(url, {"action": "move", "start": slots[0].start.isoformat()}, follow=True)
    assert "Su cita cambió de hora." in text(moved)
    sent = messages_about(appointment)
    assert sent["rescheduled"].subject == "Su cita en Thousand Oaks cambió de hora"
    assert "Ahora su cita es el" in sent["rescheduled"].body
    cancelled = client.post(url, {"action": "cancel"}, follow=True)
    assert "Su cita está cancelada." in text(cancelled)
    again = client.post(url, {"action": "cancel"})  # pressed twice
    assert again.status_code == 422
    assert "Esta cita ya no está reservada, así que no se puede cancelar." in text(again)
    notice = messages_about(appointment)["cancellation"]
    assert "está cancelada" in notice.body and "http://127.0.0.1:8000/es/book/" in notice.body


def test_a_change_too_close_is_refused_in_spanish(clinic):
    patient = spanish_patient()
    appointment = future_appointment(patient, clinic, days=0)
    _move(appointment, timezone.now() + timedelta(hours=2))
    client = Client()
    url = f"/es/book/manage/{notices.manage_token(appointment)}/"
    answer = client.post(url, {"action": "cancel"})
    assert answer.status_code == 422
    assert "Las citas se pueden cancelar en línea hasta" in text(answer)


# ---------------------------------------------------------------- messages


def test_messages_to_a_spanish_speaker_are_spanish_and_to_others_english(clinic):
    now = timezone.now()
    es = future_appointment(spanish_patient(email="ana@example.com"), clinic, days=6)
    en = future_appointment(make_patient(email="joe@example.com", phone=""), clinic, days=7)
    for appointment in (es, en):
        notices.booked(appointment, now)
    spanish, english = messages_about(es), messages_about(en)
    assert spanish["confirmation"].body.startswith("Su cita está reservada para el ")
    assert "(PST)" in spanish["confirmation"].body or "(PDT)" in spanish["confirmation"].body
    assert "Le recordamos su cita del" in spanish["reminder"].body
    assert english["confirmation"].body.startswith("You are booked for ")
    assert english["confirmation"].subject == "Your appointment at Thousand Oaks is booked"
    assert "/es/" not in english["confirmation"].body
    assert translation.get_language() == "en"  # the patient's language ends with the message


def test_the_clinic_s_policy_is_introduced_in_spanish_with_its_fees(clinic):
    settings_row, _ = BillingSettings.objects.get_or_create(organisation=clinic.organisation)
    settings_row.cancellation_policy = "Please give us 24 hours' notice."
    settings_row.late_cancel_fee = 50
    settings_row.save()
    appointment = future_appointment(spanish_patient(), clinic, days=6)
    notices.booked(appointment, timezone.now())
    body = messages_about(appointment)["confirmation"].body
    assert "Nuestra política de cancelación: Please give us 24 hours' notice." in body
    assert "Cancelar dentro de las 24 horas antes de la cita cuesta $50.00." in body
    with translation.override("es"):
        policy = cards.policy(appointment.service, clinic)
    assert policy["fees"] == ["Cancelar dentro de las 24 horas antes de la cita cuesta $50.00."]


def test_a_waitlist_offer_is_in_her_language(clinic):
    patient = spanish_patient()
    service = Service.objects.get(slug="consultation")
    today = timezone.now().astimezone(LA).date()
    entry = WaitlistEntry.objects.create(
        patient=patient,
        service=service,
        location=clinic,
        earliest=today,
        latest=today + timedelta(days=20),
    )
    start = next_weekday_at(11)
    notices.slot_offered(entry, start, timezone.now())
    offer = Message.objects.get(about=f"waitlist:{entry.public_id}")
    assert offer.subject == "Hay una hora libre en Thousand Oaks"
    assert "Será para la primera persona que la reserve" in offer.body
    assert "http://127.0.0.1:8000/es/book/?location=thousand-oaks" in offer.body


def _move(appointment, start: datetime) -> None:
    """The visit straight to another time (its blocked time with it)."""
    length = appointment.ends_at - appointment.starts_at
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=start, ends_at=start + length, blocked_from=start, blocked_until=start + length
    )
    appointment.refresh_from_db()


def _next_saturday() -> datetime:
    day = timezone.now().astimezone(LA).date() + timedelta(days=3)
    while day.weekday() != 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(10, 30), tzinfo=LA)


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("name", ["Thousand Oaks", LONG_NAME])
def test_every_booking_text_is_within_three_parts(clinic, settings, language, name):
    settings.SITE_URL = "https://reservas.clinica-estetica-ejemplo.com"
    clinic.name = name
    clinic.save()
    patient = make_patient(
        language=language, preferred_channel="sms", sms_consent=True, email="t@example.com"
    )
    now = timezone.now()
    appointment = future_appointment(patient, clinic, days=8)
    # A Saturday: "sábado" would be outside GSM-7 (a Spanish text says no weekday).
    _move(appointment, _next_saturday() + timedelta(days=7))
    notices.booked(appointment, now)
    appointment.times_rescheduled += 1
    notices.rescheduled(appointment, now)
    entry = WaitlistEntry.objects.create(
        patient=patient,
        service=appointment.service,
        location=clinic,
        earliest=now.date(),
        latest=now.date() + timedelta(days=30),
    )
    notices.slot_offered(entry, appointment.starts_at, now)
    notices.cancelled(appointment, now)
    texts = Message.objects.filter(patient=patient)
    topics = set(texts.values_list("topic", flat=True))
    assert {"confirmation", "reminder", "rescheduled", "cancellation", "waitlist_offer"} <= topics
    for message in texts:
        assert message.channel == "sms"
        assert message.segments == segments(message.body) <= 3, (message.topic, message.body)
        assert settings.SITE_URL in message.body
        if language == "es":
            assert "/es/book/" in message.body
    if name != LONG_NAME:  # the name is given when it fits
        assert all(name in m.body for m in texts)


def test_a_spanish_text_avoids_the_letters_that_shorten_its_parts(clinic):
    patient = spanish_patient(preferred_channel="sms", sms_consent=True)
    appointment = future_appointment(patient, clinic, days=8)
    _move(appointment, next_weekday_at(10, days_ahead=8))  # a weekday: no "sáb"
    notices.booked(appointment, timezone.now())
    confirmation = messages_about(appointment)["confirmation"]
    assert confirmation.channel == "sms" and encoding(confirmation.body) == "GSM-7"
    assert confirmation.body.startswith("Cita confirmada: ")


def test_an_email_has_no_segments_and_the_outbox_shows_a_text_s_parts(client_for, clinic):
    email = Message.objects.create(channel="email", to="a@example.com", topic="x", body="Hola")
    sms = Message.objects.create(channel="sms", to="+18055550100", topic="x", body="á" * 100)
    assert email.segments is None and sms.segments == 2
    page = client_for("front_desk").get(reverse("messaging:outbox"), {"status": "scheduled"})
    assert "(2 parts)" in text(page)


# ---------------------------------------------------------------- services in Spanish


def test_the_owner_gives_a_service_a_spanish_name_shown_on_spanish_pages(
    client_for, client, clinic
):
    from tests.test_setup_pages import GOOD_SERVICE

    data = {
        **GOOD_SERVICE,
        "name": "Lip flip",
        "name_es": "Levantamiento de labio",
        "description": "A few units to the lip.",
        "description_es": "Unas pocas unidades en el labio.",
        "bookable_online": "on",
    }
    owner = client_for("owner")
    assert owner.post(reverse("clinic:setup-service-new"), data).status_code == 302
    service = Service.objects.get(name="Lip flip")
    assert service.name_es == "Levantamiento de labio"
    form = text(owner.get(reverse("clinic:setup-service", args=[service.public_id])))
    assert "Name in Spanish" in form and "Levantamiento de labio" in form
    spanish = text(client.get(BOOK_ES, {"location": "thousand-oaks"}))
    assert "Levantamiento de labio (20 minutos, $180.00)" in spanish
    english = text(client.get("/book/", {"location": "thousand-oaks"}))
    assert "Lip flip (20 minutes, $180.00)" in english and "Levantamiento" not in english


def test_a_service_without_a_spanish_name_shows_its_name(clinic):
    service = Service.objects.get(slug="consultation")
    service.name_es = ""
    service.description_es = " "
    with translation.override("es"):
        assert service.shown_name == "Consultation"
        assert service.shown_description == service.description
    service.name_es = "Consulta"
    with translation.override("es"):
        assert service.shown_name == "Consulta"
    assert service.shown_name == "Consultation"


def test_the_demo_services_have_spanish_names(clinic):
    names = dict(Service.objects.values_list("slug", "name_es"))
    assert names["consultation"] == "Consulta" and all(names.values())
    assert all(Service.objects.values_list("description_es", flat=True))


def test_a_consultation_needed_first_is_said_with_the_spanish_name(clinic, actor_of):
    patient = spanish_patient()
    service = Service.objects.get(slug="neuromodulator")
    with translation.override("es"), pytest.raises(ValidationFailed) as refused:
        bookings.book(
            actor_of("front_desk"),
            service=service,
            location=clinic,
            start=next_weekday_at(10, days_ahead=10),
            patient=patient,
        )
    assert refused.value.fields["service"] == [
        "Para Tratamiento con neuromodulador necesita una consulta en los 365 días anteriores. "
        "Reserve primero una consulta."
    ]


def test_calendars_patient_file_in_spanish_directly(clinic):
    appointment = future_appointment(spanish_patient(), clinic, days=4)
    ics = calendars.patient_ics(appointment, "https://x.example/es/book/manage/t/", timezone.now())
    ics = ics.replace("\r\n ", "")
    assert "SUMMARY:Cita en Thousand Oaks" in ics
    assert "DESCRIPTION:Para cambiarla o cancelarla: https://x.example/es/book/manage/t/" in ics
