"""Refusals are logged; "who has looked at this record" answered for staff (per patient, lists
included) and for the patient in the portal, in plain words on the clinic's clock."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import DatabaseError
from django.urls import reverse

from glabella.core.models import AccessLog

LA = ZoneInfo("America/Los_Angeles")
WHO = reverse("patients:portal-who-looked")


def refusals():
    return AccessLog.objects.filter(action="refused")


# ---------------------------------------------------------------- refusals


def test_a_staff_page_refused_for_the_role_is_logged_with_its_path(client_for):
    url = reverse("treatments:day")
    response = client_for("front_desk").get(url, {"day": "2027-01-01"})
    assert response.status_code == 403
    row = refusals().get()
    assert row.actor_role == "front_desk" and row.object_type == "refusal"
    assert row.detail == {"path": f"{url}?day=2027-01-01", "method": "GET"}


def test_a_portal_page_refused_to_staff_is_logged(client_for):
    assert client_for("injector").get(WHO).status_code == 403
    assert refusals().get().detail["path"] == WHO


def test_an_api_refusal_is_logged(client_for, patient):
    url = reverse("api:read_screening", kwargs={"public_id": patient.public_id})
    response = client_for("front_desk").get(url)
    assert response.status_code == 403 and response.json()["error"]["code"]
    row = refusals().get()
    assert row.actor_role == "front_desk" and row.detail["path"] == url
    assert row.channel == "api"


@pytest.mark.urls("tests.support.leaky_urls")
def test_a_forbidden_answered_by_the_middleware_is_logged(client_for):
    response = client_for("front_desk").get("/staff/refuses/")
    assert response.status_code == 403
    assert refusals().get().detail["path"] == "/staff/refuses/"


def test_an_anonymous_or_allowed_request_logs_no_refusal(client_for):
    assert client_for("anonymous").get(reverse("treatments:day")).status_code == 302
    assert client_for("injector").get(reverse("treatments:day")).status_code == 200
    assert not refusals().exists()


def test_a_refusal_still_answers_403_when_its_log_row_cannot_be_written(client_for, monkeypatch):
    def broken(**fields):
        raise DatabaseError("disk full")

    monkeypatch.setattr(AccessLog.objects, "create", broken)
    assert client_for("front_desk").get(reverse("treatments:day")).status_code == 403


# ---------------------------------------------------------------- staff: one patient's log


def test_the_staff_log_of_a_patient_includes_the_lists_that_showed_them(
    client_for, patient, other_patient
):
    client_for("front_desk").get(reverse("patients:search"), {"q": "Holloway"})
    client_for("front_desk").get(reverse("patients:record", args=[other_patient.public_id]))
    response = client_for("owner").get(
        reverse("patients:access-log"), {"patient": str(patient.public_id)}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Searched" in page and "Frank Desmond" in page
    # The other patient's record opening is not on Grace's page.
    shown = [r for r in response.context["page"] if r.patient_public_id == other_patient.public_id]
    assert shown == []
    # Reading the log is itself logged, naming the patients it showed.
    row = AccessLog.objects.filter(object_type="access-log").latest("id")
    assert str(patient.public_id) in row.detail["patients"]


def test_the_patient_record_links_to_its_log_for_auditors(client_for, patient):
    url = reverse("patients:record", args=[patient.public_id])
    link = f"{reverse('patients:access-log')}?patient={patient.public_id}"
    assert link in client_for("owner").get(url).content.decode()
    assert link not in client_for("front_desk").get(url).content.decode()


def test_a_bad_page_number_on_the_staff_log_is_a_field_error(client_for, patient):
    response = client_for("owner").get(reverse("patients:access-log"), {"page": "first"})
    assert response.status_code == 422
    assert "Page: Use a page number" in response.content.decode()
    assert not AccessLog.objects.filter(object_type="access-log").exists()


# ---------------------------------------------------------------- the patient's own page


def test_the_patient_sees_who_looked_in_plain_words_on_the_clinics_clock(client_for, patient):
    instant = datetime(2027, 3, 5, 17, 20, tzinfo=LA)  # 01:20 UTC the next day
    with time_machine.travel(instant, tick=False):
        client_for("front_desk").get(reverse("patients:record", args=[patient.public_id]))
        client_for("injector").get(reverse("patients:record", args=[patient.public_id]))
    response = client_for("patient").get(WHO)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Frank Desmond" in page and "Front desk" in page
    assert "Looked at your details" in page
    assert "Looked at your allergies, conditions and medications" in page
    assert "Mar 5, 2027, 5:20 PM" in page  # the clinic's day and hour, not UTC's Mar 6
    for internal in ("clinical-history", "front_desk", "desk@", "read", "refused"):
        assert internal not in page.split("<main", 1)[-1].split("</main>", 1)[0]
    # The patient's own look is logged, and not listed back to her as a look by the clinic.
    row = AccessLog.objects.get(object_type="who-looked")
    assert row.patient_public_id == patient.public_id and row.channel == "portal"
    # The heading row and three looks: the front desk once, the injector twice.
    assert client_for("patient").get(WHO).content.decode().count("<tr>") == 4


def test_a_search_that_showed_the_patient_is_on_her_page(client_for, patient):
    client_for("front_desk").get(reverse("patients:search"), {"q": "Holloway"})
    assert "Found you in a search of" in client_for("patient").get(WHO).content.decode()


def test_a_patient_never_sees_who_looked_at_another_patient(client_for, patient, other_patient):
    client_for("medical_director").get(reverse("patients:record", args=[other_patient.public_id]))
    client = client_for("patient")
    for query in ({}, {"patient": str(other_patient.public_id)}):
        page = client.get(WHO, query).content.decode()
        assert "Daniel Reyes" not in page  # the medical director looked at Maya only
        assert "No one at the clinic has opened your record yet." in page
    assert other_patient.full_name not in page


def test_a_bad_page_number_on_the_patients_page_is_a_field_error(client_for, patient):
    response = client_for("patient").get(WHO, {"page": "-3"})
    assert response.status_code == 422
    assert "Page: " in response.content.decode()
    assert not AccessLog.objects.filter(object_type="who-looked").exists()


def test_my_details_link_to_who_looked(client_for, patient):
    assert WHO in client_for("patient").get(reverse("patients:portal-me")).content.decode()
