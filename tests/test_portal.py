"""The public site and the patient portal: pages from the clinic's data, the service-area check,
the contact inbox, signing in by link or password, preferences, download my data, throttling of
the public forms, and that a patient reaches nothing of another patient's by changing a URL."""

import io
import json
import re
import time

import pytest
from django.core import signing
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from glabella.core.models import AccessLog
from glabella.messaging.models import Message
from glabella.outcomes.models import Forecast, Invitation
from glabella.portal import services
from glabella.portal.models import ContactMessage, SiteText
from glabella.portal.views import MENU

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = ["portal:home", *(f"portal:{slug}" for slug in MENU), "portal:locations"]


def _structured(html: str) -> list:
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert found, "no JSON-LD on the page"
    return json.loads(found.group(1))


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_every_public_page_has_a_title_a_description_and_the_clinic_as_structured_data(
    client, clinic, name
):
    response = client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert title.strip() and title.strip() != "glabella · glabella"
    description = re.search(r'<meta name="description" content="([^"]*)"', html).group(1)
    assert 50 <= len(description) <= 300
    clinics = _structured(html)
    assert clinics[0]["@type"] == "MedicalClinic"
    assert clinics[0]["address"]["postalCode"] == clinic.postal_code
    assert clinics[0]["telephone"] == clinic.phone
    assert {d["dayOfWeek"].rsplit("/", 1)[1] for d in clinics[0]["openingHoursSpecification"]} >= {
        "Monday",
        "Saturday",
    }
    # Nothing from another site: every src and href is our own (schema.org names types only).
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert url.startswith(("/", "#", "tel:", "mailto:")), url


def test_the_areas_page_lists_the_label_doses(client, clinic):
    html = client.get(reverse("portal:areas")).content.decode()
    assert "BOTOX Cosmetic (onabotulinumtoxinA)" in html
    assert "20 U (5 sites x 4 U)" in html
    assert "Dysport (abobotulinumtoxinA)" in html


def test_locations_show_hours_phone_directions_and_towns(client, clinic):
    clinic.directions = "Park behind the building; the entrance faces the fountain."
    clinic.save()
    html = client.get(reverse("portal:locations")).content.decode()
    assert "Park behind the building" in html
    assert clinic.phone in html
    assert "Camarillo" in html
    assert "Saturday" in html


@pytest.mark.parametrize(
    ("typed", "served"), [("Camarillo", True), ("camarillo, ca", True), ("Boston", False)]
)
def test_the_service_area_check_names_the_location_or_says_no(client, clinic, typed, served):
    response = client.get(reverse("portal:service-area"), {"area": typed})
    assert response.status_code == 200
    html = response.content.decode()
    if served:
        assert "Yes, we serve" in html and f"From <strong>{clinic.name}</strong>" in html
    else:
        assert "outside the area we serve" in html


@pytest.mark.parametrize("typed", ["", "   ", "!!!", "x" * 101, "Ventura\x07"])
def test_the_service_area_check_refuses_what_it_cannot_read_on_its_field(client, clinic, typed):
    response = client.get(reverse("portal:service-area"), {"area": typed})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'class="field invalid"' in html and 'id="id_area_error"' in html


# ---------------------------------------------------------------- the clinic's own words


def test_the_owner_rewrites_a_page_and_every_version_is_kept(client_for, client, clinic):
    owner = client_for("owner")
    url = reverse("portal:site-page", args=["faq"])
    body = "## Is parking free?\nYes, behind the building."
    data = {
        "title": "Your questions",
        "description": "Answers to what patients ask us.",
        "body": body,
    }
    assert owner.post(url, data).status_code == 302
    page = client.get(reverse("portal:faq")).content.decode()
    assert "<h2>Is parking free?</h2>" in page and "<title>Your questions" in page
    owner.post(url, {**data, "restore": "1"})
    assert "Is parking free?" not in client.get(reverse("portal:faq")).content.decode()
    assert SiteText.objects.filter(slug="faq").count() == 2
    assert AccessLog.objects.filter(object_type="site-text", object_id="faq").count() == 2


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "This field is required."),
        ("title", "x" * 121, "Use at most 120 characters"),
        ("description", "", "This field is required."),
        ("body", "", "This field is required."),
        ("body", "Hello \x07", "control characters"),
    ],
)
def test_bad_page_text_is_refused_on_its_field_and_nothing_saved(
    client_for, clinic, field, value, message
):
    data = {"title": "A title", "description": "A summary.", "body": "Some words.", field: value}
    response = client_for("owner").post(reverse("portal:site-page", args=["faq"]), data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not SiteText.objects.exists()


def test_page_text_is_escaped(client_for, client, clinic):
    data = {"title": "T <b>", "description": "A summary.", "body": "<script>alert(1)</script>"}
    client_for("owner").post(reverse("portal:site-page", args=["faq"]), data)
    html = client.get(reverse("portal:faq")).content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


# ---------------------------------------------------------------- the contact form


def test_a_message_lands_in_the_staff_inbox_and_is_marked_answered(client, client_for, clinic):
    data = {
        "name": "Ann Rivera",
        "email": "ann@example.com",
        "phone": "(805) 555-0134",
        "location": clinic.slug,
        "message": "Do you open on Saturdays?",
    }
    assert client.post(reverse("portal:contact"), data).status_code == 302
    message = ContactMessage.objects.get()
    assert message.phone == "+18055550134" and message.location == clinic
    desk = client_for("front_desk")
    assert "Do you open on Saturdays?" in desk.get(reverse("portal:inbox")).content.decode()
    desk.post(reverse("portal:handled", args=[message.public_id]))
    message.refresh_from_db()
    assert message.handled_at is not None
    assert "No messages waiting" in desk.get(reverse("portal:inbox")).content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Tell us your name."),
        ("name", "x" * 151, "Use at most 150 characters."),
        ("email", "", "Enter your email address."),
        ("email", "ann@", "Enter an email address like"),
        ("phone", "123", "phone number"),
        ("message", "", "Write your message."),
        ("message", "x" * 3001, "Use at most 3,000 characters"),
        ("message", "hi\x07", "control characters"),
        ("location", "nowhere", "Choose one of our locations."),
    ],
)
def test_bad_contact_input_is_named_on_its_field_and_nothing_saved(
    client, clinic, field, value, message
):
    data = {"name": "Ann", "email": "ann@example.com", "message": "Hello", field: value}
    response = client.post(reverse("portal:contact"), data)
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html
    assert f'id="id_{field}_error"' in html
    assert not ContactMessage.objects.exists()


def test_the_same_email_a_hundred_times_a_minute_is_throttled(client, clinic, settings):
    limit = settings.THROTTLE_EMAIL[0]
    answers = []
    for n in range(100):
        data = {"name": "Ann", "email": "Spam@Example.com ", "message": f"Hello {n}"}
        # A new address each time: the email alone is enough to stop it.
        answers.append(
            client.post(reverse("portal:contact"), data, REMOTE_ADDR=f"10.0.0.{n}").status_code
        )
    assert answers[:limit] == [302] * limit
    assert set(answers[limit:]) == {429}
    assert ContactMessage.objects.count() == limit
    last = client.post(
        reverse("portal:contact"), {"name": "A", "email": "spam@example.com", "message": "x"}
    )
    assert "Too many tries" in last.content.decode()
    assert 'id="id_email_error"' in last.content.decode()
    # Someone else is not held up.
    ok = {"name": "Bo", "email": "bo@example.com", "message": "Hi"}
    assert client.post(reverse("portal:contact"), ok).status_code == 302


@override_settings(THROTTLE_ADDRESS=(5, 600))
def test_one_address_is_throttled_across_emails(client, clinic):
    codes = [
        client.post(
            reverse("portal:contact"), {"name": "A", "email": f"a{n}@example.com", "message": "x"}
        ).status_code
        for n in range(8)
    ]
    assert codes == [302] * 5 + [429] * 3


def test_the_booking_form_and_the_self_check_are_throttled_too(client, clinic, settings):
    limit = settings.THROTTLE_EMAIL[0]
    codes = [
        client.post(reverse("scheduling:book"), {"email": "spam@example.com"}).status_code
        for _ in range(limit + 2)
    ]
    assert codes == [422] * limit + [429, 429]
    settings.THROTTLE_ADDRESS = (3, 600)
    codes = [client.post(reverse("screening:self-check"), {}).status_code for _ in range(5)]
    assert codes == [422, 422, 422, 429, 429]


# ---------------------------------------------------------------- signing in


def _link_from_outbox(patient) -> str:
    body = Message.objects.filter(topic="sign_in_link", patient=patient).latest("id").body
    return re.search(r"https?://\S+", body).group(0).split("/portal/", 1)[1]


def test_a_sign_in_link_is_emailed_and_works_once(client, patient):
    response = client.post(reverse("portal:sign-in"), {"email": patient.email.upper()})
    assert response.status_code == 200
    assert "a sign-in link is on its way" in response.content.decode()
    path = "/portal/" + _link_from_outbox(patient)
    assert client.get(path).status_code == 200  # a mail scanner opening it signs nobody in
    assert client.get(reverse("portal:me")).status_code == 302
    assert client.post(path).status_code == 302
    assert "Hello, Grace" in client.get(reverse("portal:me")).content.decode()
    other = Client()
    assert other.get(path).status_code == 410  # used
    assert other.post(path).status_code == 410
    assert other.get(reverse("portal:me")).status_code == 302


def test_a_link_for_an_email_we_do_not_know_sends_nothing_and_reads_the_same(client, patient):
    response = client.post(reverse("portal:sign-in"), {"email": "nobody@example.com"})
    assert response.status_code == 200
    assert "a sign-in link is on its way" in response.content.decode()
    assert not Message.objects.filter(topic="sign_in_link").exists()


def test_an_old_link_no_longer_works(client, patient, monkeypatch, settings):
    path = reverse("portal:link", args=[services.sign_in_token(patient)])
    later = time.time() + settings.SIGN_IN_LINK_MINUTES * 60 + 5
    monkeypatch.setattr(signing.time, "time", lambda: later)
    assert client.get(path).status_code == 410
    assert client.post(path).status_code == 410
    assert client.get(reverse("portal:me")).status_code == 302


def test_a_forged_or_replaced_link_does_not_work(client, patient, other_patient):
    token = services.sign_in_token(patient)
    forged = token.replace(str(patient.public_id), str(other_patient.public_id))
    assert client.get(reverse("portal:link", args=[forged])).status_code == 410
    patient.user.set_password("changed-since-9")
    patient.user.save()
    assert client.get(reverse("portal:link", args=[token])).status_code == 410


def test_a_first_link_makes_the_patients_account(client, clinic, other_patient):
    assert other_patient.user is None
    client.post(reverse("portal:sign-in"), {"email": other_patient.email})
    client.post("/portal/" + _link_from_outbox(other_patient))
    other_patient.refresh_from_db()
    assert other_patient.user is not None
    assert "Hello, Maya" in client.get(reverse("portal:me")).content.decode()


def test_a_patient_chooses_a_password_and_signs_in_with_it(client_for, patient):
    me = client_for("patient")
    bad = me.post(reverse("portal:password"), {"password": "short", "repeat": "short"})
    assert bad.status_code == 422 and "too short" in bad.content.decode()
    differ = me.post(reverse("portal:password"), {"password": "a-long-pass-9", "repeat": "other"})
    assert differ.status_code == 422 and "The two passwords differ." in differ.content.decode()
    ok = me.post(
        reverse("portal:password"), {"password": "tulip-harbour-92", "repeat": "tulip-harbour-92"}
    )
    assert ok.status_code == 302
    fresh = Client()
    wrong = fresh.post(
        reverse("portal:sign-in"),
        {"email": patient.email, "method": "password", "password": "nope-nope-1"},
    )
    assert wrong.status_code == 422 and 'id="id_password_error"' in wrong.content.decode()
    right = fresh.post(
        reverse("portal:sign-in"),
        {"email": patient.email, "method": "password", "password": "tulip-harbour-92"},
    )
    assert right.status_code == 302 and right["Location"] == reverse("portal:me")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": ""}, "email", "Enter your email address."),
        ({"email": "not-an-email"}, "email", "Enter an email address like"),
        ({"email": "a@example.com", "method": "password"}, "password", "Enter your password"),
        ({"email": "a@example.com", "method": "carrier-pigeon"}, "method", "Select a valid"),
    ],
)
def test_bad_sign_in_input_is_named_on_its_field(client, clinic, data, field, message):
    response = client.post(reverse("portal:sign-in"), data)
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html and f'id="id_{field}_error"' in html
    assert not Message.objects.filter(topic="sign_in_link").exists()


def test_sign_in_requests_for_one_email_are_throttled(client, patient, settings):
    limit = settings.THROTTLE_EMAIL[0]
    codes = [
        client.post(reverse("portal:sign-in"), {"email": patient.email}).status_code
        for _ in range(100)
    ]
    assert codes.count(200) == limit and codes.count(429) == 100 - limit
    assert Message.objects.filter(topic="sign_in_link").count() == limit


# ---------------------------------------------------------------- the portal


def test_preferences_keep_marketing_apart_from_care_messages(client_for, patient):
    me = client_for("patient")
    url = reverse("portal:preferences")
    response = me.post(url, {"preferred_channel": "sms", "email_consent": "on"})
    assert response.status_code == 422
    assert "allow text messages" in response.content.decode()
    assert 'id="id_preferred_channel_error"' in response.content.decode()
    data = {"preferred_channel": "sms", "sms_consent": "on", "email_consent": "on"}
    assert me.post(url, data).status_code == 302
    patient.refresh_from_db()
    assert patient.preferred_channel == "sms" and patient.sms_consent and patient.sms_consent_at
    assert not patient.marketing_consent
    me.post(url, {**data, "marketing_consent": "on"})
    patient.refresh_from_db()
    assert patient.marketing_consent and patient.sms_consent
    assert AccessLog.objects.filter(
        patient_public_id=patient.public_id, action="update", channel="portal"
    ).exists()


def test_the_portal_shows_history_and_the_next_treatment(client_for, treated):
    me = client_for("patient")
    html = me.get(reverse("portal:treatments")).content.decode()
    assert "BOTOX Cosmetic (onabotulinumtoxinA), lot A1" in html
    assert "Frown lines between the brows" in html and "<td>20</td>" in html
    home = me.get(reverse("portal:me")).content.decode()
    forecast = Forecast.objects.get(treatment=treated)
    assert f"{forecast.wear_off_on:%b %-d, %Y}" in home
    assert "We will send you a link to book from" in home
    # Once the invitation would go out, the portal opens it: the usual injector's free times.
    Forecast.objects.filter(pk=forecast.pk).update(invite_from=timezone.now().date())
    home = me.get(reverse("portal:me")).content.decode()
    assert "Book your next treatment" in home
    opened = me.post(reverse("portal:book-next"))
    assert opened.status_code == 302 and "/book/again/" in opened["Location"]
    invitation = Invitation.objects.get(treatment=treated)
    assert invitation.status == Invitation.Status.PORTAL
    assert not Message.objects.filter(topic="invitation").exists()
    assert me.get(opened["Location"]).status_code == 200


def test_download_my_data_holds_mine_and_nobody_elses(client_for, patient, other_patient):
    other_patient.allergies.create(name="Peanut")
    patient.allergies.create(name="Latex")
    me = client_for("patient")
    response = me.get(reverse("portal:my-data", args=["json"]))
    assert response["Cache-Control"] == "private, no-store"
    data = json.loads(response.content)
    assert data["patient"]["id"] == str(patient.public_id)
    assert [a["name"] for a in data["allergies"]] == ["Latex"]
    assert "Peanut" not in response.content.decode()
    pdf = me.get(reverse("portal:my-data", args=["pdf"]))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Your records: Grace Holloway" in text and "Latex" in text and "Peanut" not in text
    assert (
        AccessLog.objects.filter(
            patient_public_id=patient.public_id, action="export", object_type="my-data"
        ).count()
        == 2
    )
    assert me.get(reverse("portal:my-data", args=["xml"])).status_code == 404


def test_the_hourly_sweep_drops_old_counts_of_keys_never_seen_again(clinic):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from glabella.core import throttle
    from glabella.core.models import Attempt
    from glabella.messaging.delivery import tick

    hour = datetime(2026, 11, 22, 15, 0, tzinfo=ZoneInfo("UTC"))
    for minutes in (5, 9, 11, 30):
        throttle.allow(
            "contact:email",
            f"k{minutes}@example.com",
            limit=10,
            seconds=600,
            now=hour - timedelta(minutes=minutes),
        )
    assert throttle.sweep(hour + timedelta(minutes=1)) == 0  # only at the top of the hour
    assert tick(hour)["throttle_counts_swept"] == 2  # the two older than ten minutes
    assert sorted(Attempt.objects.values_list("at", flat=True)) == [
        hour - timedelta(minutes=9),
        hour - timedelta(minutes=5),
    ]
