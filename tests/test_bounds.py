"""Extreme dates, instants and numbers sent to every page and API parameter that takes one get a
field-level 4xx (or the page's own fallback), never a server error (decision 0026)."""

from datetime import date, datetime

import pytest
from django.test import Client

from glabella.core import bounds
from glabella.urls import api
from tests.conftest import issue_token

EXTREME_DAYS = ["0001-01-01", "9999-12-31", "1899-12-31", "2101-01-01", "0000-00-00"]
EXTREME_INSTANTS = [
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00-12:00",
    "9999-12-31T23:59:59-12:00",
    "9999-12-31T23:59:59+14:00",
    "9999-12-31T23:59:59",
    "0001-01-01T00:00:00",
]
EXTREME_NUMBERS = ["-1", "-99999999999999999999", "99999999999999999999", "1e308", "NaN", "0"]
EXTREMES = EXTREME_DAYS + EXTREME_INSTANTS + EXTREME_NUMBERS

# Every query-string parameter a page reads a date, an instant or a number from.
PAGE_PARAMS = {
    "anonymous": [
        ("/book/?location=thousand-oaks&service=consultation", ["day", "start"]),
    ],
    "owner": [
        ("/staff/calendar/", ["day"]),
        ("/staff/calendar/?view=week", ["day"]),
        ("/staff/calendar/book/?service=consultation", ["day", "start"]),
        ("/staff/treatments/reports/", ["since", "until"]),
        ("/staff/follow-up/safety/", ["since", "until"]),
        ("/staff/outcomes/", ["since"]),
        ("/staff/due/", ["ahead"]),
        ("/staff/access-log/", ["page"]),
        ("/staff/messages/", ["page"]),
        ("/staff/patients/", ["page", "q"]),
    ],
    "injector": [
        ("/staff/treatments/", ["day"]),
        ("/staff/calendar/", ["day"]),
        ("/staff/calendar/?view=week", ["day"]),
    ],
}


def _cases():
    for persona, pages in PAGE_PARAMS.items():
        for path, names in pages:
            yield persona, path, names


@pytest.mark.django_db
@pytest.mark.parametrize(("persona", "path", "names"), list(_cases()))
def test_pages_answer_extreme_values_without_a_server_error(client_for, persona, path, names):
    client = client_for(persona, raise_request_exception=False)
    joiner = "&" if "?" in path else "?"
    for name in names:
        for value in EXTREMES:
            url = f"{path}{joiner}{name}={value.replace('+', '%2B')}"
            response = client.get(url)
            assert response.status_code < 500, url
            htmx = client.get(url, headers={"HX-Request": "true"})
            assert htmx.status_code < 500, url


def _date_parameters():
    """Every API operation's query parameters that take a date, an instant or a number, read
    from the published spec, so that a new one is fired at too."""
    spec = api.get_openapi_schema(path_prefix="/api")
    for path, item in spec["paths"].items():
        if "{" in path:
            continue
        for method, operation in item.items():
            if method != "get":
                continue
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "query":
                    continue
                schema = parameter.get("schema", {})
                kinds = {schema.get("format"), schema.get("type")}
                kinds |= {s.get("format") for s in schema.get("anyOf", [])}
                kinds |= {s.get("type") for s in schema.get("anyOf", [])}
                if kinds & {"date", "date-time", "integer", "number"}:
                    yield path, parameter["name"]


def test_the_spec_names_date_parameters():
    found = set(_date_parameters())
    assert ("/api/v1/scheduling/availability", "from") in found
    assert ("/api/v1/scheduling/availability", "after") in found


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "name"), sorted(set(_date_parameters())))
def test_api_answers_extreme_values_in_its_error_shape(users, path, name):
    token = issue_token(users["owner"], "bounds test")
    client = Client(raise_request_exception=False)
    base = {"service": "consultation", "location": "thousand-oaks"}
    for value in EXTREMES:
        query = {**base, name: value}
        response = client.get(path, query, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code < 500, (path, name, value)
        if response.status_code >= 400:
            assert "error" in response.json(), (path, name, value)


@pytest.mark.django_db
def test_availability_far_dates_are_refused_on_their_field(client):
    response = client.get(
        "/api/v1/scheduling/availability",
        {"service": "consultation", "location": "thousand-oaks", "from": "9999-12-31"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["from"] == [bounds.DAY_MESSAGE]


def test_the_house_range_reads_an_instant_in_its_own_offset():
    early = datetime.fromisoformat("0001-01-01T00:00:00+14:00")
    assert not bounds.day_in_range(early)
    assert bounds.day_in_range(datetime.fromisoformat("2100-12-31T23:59:59-12:00"))
    assert bounds.day_in_range(date(1900, 1, 1))
    with pytest.raises(ValueError, match="between"):
        bounds.parse_day("9999-12-31")


BOOKING_FORM = {
    "location": "thousand-oaks",
    "service": "consultation",
    "start": "2030-01-07T10:00:00-08:00",
    "given_name": "Ana",
    "family_name": "Ruiz",
    "birth_date": "1990-05-01",
    "email": "ana@example.com",
    "phone": "805 555 0123",
    "postal_code": "91360",
    "preferred_channel": "email",
}


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["start", "birth_date"])
def test_the_booking_form_refuses_extreme_dates_on_their_field(client, clinic, field):
    from glabella.scheduling.models import Appointment

    before = Appointment.objects.count()
    for value in EXTREME_DAYS + EXTREME_INSTANTS:
        response = Client(raise_request_exception=False).post(
            "/book/", {**BOOKING_FORM, field: value}
        )
        assert 400 <= response.status_code < 500, (field, value)
    assert Appointment.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["birth_date"])
def test_the_staff_patient_form_refuses_extreme_dates(client_for, field):
    from glabella.patients.models import Patient

    client = client_for("front_desk", raise_request_exception=False)
    before = Patient.objects.count()
    for value in EXTREME_DAYS:
        response = client.post(
            "/staff/patients/new/",
            {"given_name": "Ana", "family_name": "Ruiz", "sex": "female", field: value},
        )
        assert response.status_code == 422, value
    assert Patient.objects.count() == before


def test_the_range_in_words_is_the_range():
    from glabella.core.bounds import DAY_MESSAGE, EARLIEST_DAY, LATEST_DAY

    for day in (EARLIEST_DAY, LATEST_DAY):
        assert f"{day:%B} {day.day}, {day.year}" in DAY_MESSAGE
