"""The patient's booking and portal polish (issue 19, Deliver 7): a provider or any, the length
and price, a week of times, autocomplete and the consent to texts; the confirmation's calendar
file and forms step; a move confirmed before it happens; only the consents that fit the visit;
forms given at the desk shown in the portal; the portal's menu folded on a phone."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from glabella.clinic.models import Service
from glabella.core.access import actor_for
from glabella.core.models import AccessLog, StaffMember
from glabella.patients.models import Patient
from glabella.scheduling import search
from glabella.scheduling.models import Appointment
from glabella.scheduling.notices import manage_token, read_manage_token
from glabella.screening.intake import submit_intake
from glabella.screening.links import forms_token
from tests.conftest import STAFF_EMAILS, future_appointment, intake_answers
from tests.test_scheduling_api import LA, details, next_weekday_at
from tests.test_treatments import sign_consent

pytestmark = pytest.mark.django_db

FIND = {"location": "thousand-oaks", "service": "consultation"}


def performers(clinic):
    service = Service.objects.get(slug="consultation")
    return search.eligible_providers(service, clinic, timezone.now().astimezone(LA).date())


def desk_member():
    return StaffMember.objects.get(user__username=STAFF_EMAILS["front_desk"])


# ---------------------------------------------------------------- the booking page


def test_the_booking_page_shows_length_price_providers_and_a_week(client, clinic):
    Service.objects.filter(slug="consultation").update(price="1250.00")
    page = client.get(reverse("scheduling:book"), FIND)
    assert page.status_code == 200
    html = page.content.decode()
    assert "30 minutes" in html and "$1,250.00" in html
    names = re.findall(r'<option value="([0-9a-f-]{36})"', html)
    assert set(names) == {str(p.public_id) for p in performers(clinic)}
    assert str(desk_member().public_id) not in html  # the desk performs nothing
    assert "Any provider" in html
    assert html.count('class="week-day"') == 7  # a week of days at once
    assert "Later &rarr;" in html


def test_choosing_a_provider_shows_only_their_times_and_books_with_them(client, clinic):
    chosen = performers(clinic)[-1]
    page = client.get(reverse("scheduling:book"), {**FIND, "provider": chosen.public_id})
    assert page.status_code == 200
    slots = [s for _, day in page.context["week"] for s, _ in day]
    assert slots and {s.provider_id for s in slots} == {chosen.pk}
    start = slots[0].start
    form = client.get(
        reverse("scheduling:book"),
        {**FIND, "provider": chosen.public_id, "start": start.isoformat()},
    )
    assert f'name="provider" value="{chosen.public_id}"' in form.content.decode()
    booked = client.post(reverse("scheduling:book"), details(start, provider=str(chosen.public_id)))
    assert booked.status_code == 302
    assert Appointment.objects.get().provider == chosen


@pytest.mark.parametrize("value", ["not-a-uuid", "desk", "00000000-0000-0000-0000-000000000000"])
def test_a_provider_who_does_not_offer_the_service_is_refused_on_the_times_page(
    client, clinic, value
):
    value = str(desk_member().public_id) if value == "desk" else value
    page = client.get(reverse("scheduling:book"), {**FIND, "provider": value})
    assert page.status_code == 422
    assert "provider" in page.context["find"].errors
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("value", ["not-a-uuid", "desk", "00000000-0000-0000-0000-000000000000"])
def test_a_booking_with_a_provider_who_does_not_offer_it_is_refused_and_writes_nothing(
    client, clinic, value
):
    value = str(desk_member().public_id) if value == "desk" else value
    response = client.post(reverse("scheduling:book"), details(next_weekday_at(10), provider=value))
    assert response.status_code == 422
    assert "provider" in response.context["details"].errors
    assert b"Provider: " in response.content  # the hidden field's error is shown, named
    assert not Appointment.objects.exists()
    assert not Patient.objects.filter(email="rosa@example.com").exists()


def test_every_field_has_its_autocomplete_and_the_mobile_number_says_what_texts_are(client, clinic):
    start = next_weekday_at(10)
    page = client.get(reverse("scheduling:book"), {**FIND, "start": start.isoformat()})
    html = page.content.decode()
    for name, hint in [
        ("given_name", "given-name"),
        ("family_name", "family-name"),
        ("birth_date", "bday"),
        ("email", "email"),
        ("phone", "tel"),
        ("postal_code", "postal-code"),
    ]:
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
        assert f'autocomplete="{hint}"' in tag, name
    phone = re.search(r'<input[^>]*name="phone"[^>]*>', html).group(0)
    assert 'aria-describedby="id_phone_hint"' in phone
    hint = re.search(r'<p class="hint" id="id_phone_hint">(.*?)</p>', html, re.S).group(1)
    assert (
        "Reply STOP" in hint
        and "reminders" in hint
        and "never anything about your treatment" in hint
    )


def test_choosing_texts_records_the_consent_to_texts(client, clinic):
    client.post(reverse("scheduling:book"), details(next_weekday_at(10), preferred_channel="sms"))
    patient = Patient.objects.get(email="rosa@example.com")
    assert patient.sms_consent


# ---------------------------------------------------------------- the confirmation


def booked(client):
    response = client.post(reverse("scheduling:book"), details(next_weekday_at(10)))
    assert response.status_code == 302
    return Appointment.objects.get(), response["Location"]


def test_the_confirmation_offers_the_calendar_file_of_this_visit(client, clinic):
    appointment, url = booked(client)
    page = client.get(url).content.decode()
    assert "Add to my calendar" in page
    # The link's token is signed with the second the page was drawn: read it from the page.
    ics_url = re.search(r'href="(/book/manage/([^"/]+)/visit\.ics)"', page)
    assert read_manage_token(ics_url.group(2)) == str(appointment.public_id)
    ics_url = ics_url.group(1)
    response = client.get(ics_url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    body = response.content.decode().replace("\r\n ", "")
    local = appointment.starts_at.astimezone(LA)
    assert f"DTSTART;TZID=America/Los_Angeles:{local:%Y%m%dT%H%M%S}" in body
    assert "2100 E Thousand Oaks Blvd" in body and "UID:" in body
    assert "Delgado" not in body and "Consultation" not in body  # nothing clinical, nobody named
    assert AccessLog.objects.filter(
        object_type="appointment", object_id=str(appointment.public_id), action="read"
    ).exists()
    forged = manage_token(appointment)[:-2] + "xx"
    assert client.get(reverse("scheduling:manage-ics", args=[forged])).status_code == 404


def test_the_confirmation_asks_for_the_forms_until_they_are_done(client, clinic):
    appointment, url = booked(client)
    page = client.get(url).content.decode()
    assert "Fill in your forms now" in page
    link = re.search(r'href="(/forms/[^"]+/)"', page).group(1)
    hub = client.get(link)
    assert hub.status_code == 200 and "Health questions" in hub.content.decode()
    patient = appointment.patient
    desk = actor_for(
        StaffMember.objects.get(user__username=STAFF_EMAILS["injector"]).user, ip="127.0.0.1"
    )
    submit_intake(desk, patient, intake_answers(), via="staff")
    assert "Fill in your forms now" in client.get(url).content.decode()  # the consent is left
    sign_consent(patient)
    page = client.get(url).content.decode()
    assert "Your forms are done" in page and "Fill in your forms now" not in page


def test_the_manage_link_alone_does_not_open_the_patients_forms(client, clinic):
    """Whoever holds the manage link (a forwarded email, a shared calendar entry) is told the
    forms link is in the email; only the browser that booked gets the signed forms link."""
    _, url = booked(client)
    assert re.search(r'href="/forms/[^"]+/"', client.get(url).content.decode())
    other = Client()
    page = other.get(url).content.decode()
    assert "Fill in your forms now" in page  # the step is still named
    assert not re.search(r'href="/forms/', page)
    assert "The link to your forms is in the email we sent when you booked." in page


# ---------------------------------------------------------------- moving, confirmed first


def test_a_tapped_time_asks_to_confirm_before_anything_moves(client, clinic):
    appointment, url = booked(client)
    page = client.get(url)
    times = [s for _, day in page.context["week"] for s, _ in day]
    assert times and appointment.starts_at not in {s.start for s in times}
    assert b'name="start"' not in page.content  # the grid's times are links, not a move
    new = times[0].start
    ask = client.get(url, {"move_to": new.isoformat()})
    assert ask.status_code == 200
    assert b"Yes, move it" in ask.content and b"Keep my time" in ask.content
    appointment.refresh_from_db()
    assert appointment.starts_at != new  # asking moved nothing
    confirmed = client.post(url, {"action": "move", "start": new.isoformat()})
    assert confirmed.status_code == 302
    appointment.refresh_from_db()
    assert appointment.starts_at == new


@pytest.mark.parametrize("value", ["soon", "2026-13-45T10:00", "9999-12-31T23:59:59+14:00"])
def test_a_bad_time_to_move_to_is_refused_and_moves_nothing(client, clinic, value):
    appointment, url = booked(client)
    before = appointment.starts_at
    asked = client.get(url, {"move_to": value})
    assert asked.status_code == 422 and b"Choose a new time from the list." in asked.content
    posted = client.post(url, {"action": "move", "start": value})
    assert posted.status_code == 422
    appointment.refresh_from_db()
    assert appointment.starts_at == before


# ---------------------------------------------------------------- the consents that fit


def hub_of(client, patient):
    return client.get(reverse("screening:forms", args=[forms_token(patient)])).content.decode()


@pytest.mark.parametrize(
    ("service", "asked", "not_asked"),
    [
        ("consultation", ["Neuromodulator", "photograph"], ["filler"]),
        ("neuromodulator", ["Neuromodulator", "photograph"], ["filler"]),
        ("dermal-filler", ["filler", "photograph"], ["Neuromodulator"]),
        ("two-week-review", ["photograph"], ["filler", "Neuromodulator"]),
    ],
)
def test_the_forms_ask_only_the_consents_that_fit_the_booked_visit(
    client, clinic, other_patient, service, asked, not_asked
):
    future_appointment(other_patient, clinic, service_slug=service)
    hub = hub_of(client, other_patient)
    consent_links = re.findall(r"/consent/([a-z]+)/", hub)
    titles = re.findall(r"<h2>([^<]+)</h2>", hub)
    for word in asked:
        assert any(word.lower() in t.lower() for t in titles), (word, titles)
    for word in not_asked:
        assert not any(word.lower() in t.lower() for t in titles), (word, titles)
    if service != "dermal-filler":
        assert "filler" not in consent_links


def test_a_toxin_consultation_is_not_asked_for_the_filler_consent(client, clinic):
    """The issue's case: booked online for a consultation, the forms ask no filler consent."""
    appointment, _ = booked(client)
    hub = hub_of(client, appointment.patient)
    assert "/consent/neuromodulator/" in hub and "/consent/filler/" not in hub


# ---------------------------------------------------------------- desk-given forms, in the portal


def test_forms_given_at_the_desk_show_in_the_portal(client_for, patient, actor_of):
    before = client_for("patient").get(reverse("screening:portal-forms"), follow=True)
    assert "Not answered yet" in before.content.decode()
    at = timezone.now() - timedelta(days=20)
    submit_intake(actor_of("injector"), patient, intake_answers(), via="staff", now=at)
    signed = sign_consent(patient)  # on the clinic's tablet
    page = client_for("patient").get(reverse("screening:portal-forms"), follow=True)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Not answered yet" not in html
    assert "Answered at the clinic with our staff on" in html
    assert "Signed at the clinic on our tablet on" in html
    assert f"/signed/{signed.public_id}.pdf" in html  # her copy, at hand


def test_an_old_desk_signature_says_when_it_was_given_and_why_it_is_asked_again(
    client_for, patient, settings
):
    from glabella.screening import consents
    from glabella.screening.links import forms_actor

    document = consents.current_documents()["neuromodulator"]
    then = timezone.now() - timedelta(days=500)
    consents.sign_consent(
        forms_actor(patient, "tablet"),
        patient,
        document,
        typed_name=f"{patient.given_name} {patient.family_name}",
        strokes=[],
        adopt_typed=True,
        shown_sha256=consents.consent_text(document, patient, then.date()).text_sha256,
        via="tablet",
        now=then,
    )
    html = client_for("patient").get(reverse("screening:portal-forms"), follow=True)
    html = html.content.decode()
    assert "You signed an earlier form at the clinic on our tablet on" in html
    assert f"counts for {settings.CONSENT_VALID_MONTHS} months" in html


# ---------------------------------------------------------------- the portal's menu


def test_the_portal_menu_folds_behind_a_menu_button_on_a_phone(client_for, patient):
    html = client_for("patient").get(reverse("portal:me")).content.decode()
    folded = re.search(
        r'<details class="site-menu narrow portal-menu"><summary>Menu</summary>', html
    )
    assert folded
    assert html.count(reverse("portal:preferences")) >= 2  # the wide bar and the fold


# ---------------------------------------------------------------- the demo shows it


def test_the_demo_shows_prices_and_a_patient_with_forms_given_at_the_desk(client_for, db):
    from io import StringIO

    from django.core.management import call_command

    from glabella.demo.clinic import DEMO_DOMAIN
    from glabella.screening.models import IntakeResponse, SignedConsent

    call_command("demo-data", "--patients", "5", "--seed", "1", "--quiet-logins", stdout=StringIO())
    assert Service.objects.get(slug="consultation", bookable_online=True).price > 0
    grace = Patient.objects.get(user__username=f"patient@{DEMO_DOMAIN}")
    assert grace.treatments.count() >= 2
    assert IntakeResponse.objects.filter(patient=grace, via="staff").exists()
    assert SignedConsent.objects.filter(patient=grace, via="tablet").exists()
    html = client_for("patient").get(reverse("screening:portal-forms"), follow=True)
    html = html.content.decode()
    assert "Answered at the clinic with our staff on" in html and "Not answered yet" not in html
