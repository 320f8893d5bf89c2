"""The frame of the two languages (issue 21, decision 0041): a page's language is its address,
`lang` and `hreflang` say so, a message follows the patient's language, dates are written in it,
and a language we do not speak is refused field by field."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from glabella.core import language
from tests.conftest import issue_token

pytestmark = pytest.mark.django_db


def _alternates(html: str) -> dict[str, str]:
    return dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html))


def test_a_public_page_names_its_language_and_its_other_language(client, clinic):
    english = client.get(reverse("portal:locations") + "?x=1").content.decode()
    assert '<html lang="en">' in english
    assert _alternates(english) == {
        "en": "/locations/?x=1",
        "x-default": "/locations/?x=1",
        "es": "/es/locations/?x=1",
    }
    assert re.search(r'<a href="/es/locations/\?x=1" hreflang="es" lang="es">Español</a>', english)
    spanish = client.get("/es/locations/").content.decode()
    assert '<html lang="es">' in spanish
    assert re.search(r'<a href="/locations/" hreflang="en" lang="en">English</a>', spanish)


def test_the_language_is_the_address_not_the_browser(client, clinic):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<html lang="en">' in html  # the unprefixed page is English, whatever is asked
    assert client.get("/fr/").status_code == 404


def test_staff_pages_stay_english_without_alternates(client_for):
    html = client_for("front_desk").get(reverse("patients:search")).content.decode()
    assert '<html lang="en">' in html and "hreflang" not in html


def test_speaking_a_patients_language_sets_words_links_and_dates(patient):
    patient.language = "es"
    with language.speaking(patient) as code:
        assert code == "es"
        assert reverse("portal:me").startswith("/es/")
        assert gettext("Sign out") == "Cerrar sesión"
        assert language.long_date(date(2026, 12, 1)) == "martes 1 de diciembre de 2026"
        noon = datetime(2026, 12, 1, 20, 30, tzinfo=ZoneInfo("UTC"))
        assert (
            language.day_and_time(noon, ZoneInfo("America/Los_Angeles"))
            == "martes 1 de diciembre de 2026, a las 12:30 p.m."
        )
    assert reverse("portal:me") == "/portal/"
    patient.language = "fr"  # not one we speak: English
    assert language.language_of(patient) == "en"
    with translation.override("en"):
        assert language.long_date(date(2026, 12, 1)) == "Tuesday, December 1, 2026"


def test_the_desk_sets_her_language_and_an_unknown_one_is_refused(client_for, patient, users):
    token = issue_token(users["front_desk"])
    url = f"/api/v1/patients/{patient.public_id}"
    api = client_for("anonymous")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    refused = api.patch(url, {"language": "fr"}, content_type="application/json", **headers)
    assert refused.status_code == 422
    patient.refresh_from_db()
    assert patient.language == "en"
    done = api.patch(url, {"language": "es"}, content_type="application/json", **headers)
    assert done.status_code == 200 and done.json()["language"] == "es"
    patient.refresh_from_db()
    assert patient.language == "es"
