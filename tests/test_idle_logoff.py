"""Idle logoff on staff pages after IDLE_LOGOFF_MINUTES without a request (issue 18)."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone

from glabella.config import env_int
from glabella.core.models import AccessLog


def later(minutes: float):
    return time_machine.travel(timezone.now() + timedelta(minutes=minutes), tick=False)


def test_a_quiet_staff_member_is_signed_out_and_told_why(client_for, settings, users):
    client = client_for("injector")
    search = reverse("patients:search")
    assert client.get(search).status_code == 200
    with later(settings.IDLE_LOGOFF_MINUTES + 1):
        answer = client.get(search + "?q=Hol")
        assert answer.status_code == 302
        assert answer["Location"].startswith(reverse("core:sign-in") + "?next=")
        assert "_auth_user_id" not in client.session
        page = client.get(answer["Location"])
        assert "signed out after 15 minutes without activity" in page.content.decode()
    row = AccessLog.objects.get(object_type="sign-in", action="delete")
    assert row.user == users["injector"] and row.detail["why"] == "idle"


def test_activity_keeps_the_session_going(client_for, settings):
    client = client_for("front_desk")
    search = reverse("patients:search")
    assert client.get(search).status_code == 200
    step = settings.IDLE_LOGOFF_MINUTES - 1
    for n in range(1, 4):
        with later(step * n):
            assert client.get(search).status_code == 200
    assert "_auth_user_id" in client.session


def test_an_htmx_request_after_the_quiet_time_sends_the_page_to_sign_in(client_for, settings):
    client = client_for("front_desk")
    assert client.get(reverse("patients:search")).status_code == 200
    with later(settings.IDLE_LOGOFF_MINUTES + 1):
        answer = client.get(reverse("patients:search"), {"q": "x"}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 204 and answer["HX-Redirect"] == reverse("core:sign-in")


def test_the_quiet_time_is_a_setting(client_for, settings):
    settings.IDLE_LOGOFF_MINUTES = 3
    client = client_for("owner")
    assert client.get(reverse("clinic:overview")).status_code == 200
    with later(2):
        assert client.get(reverse("clinic:overview")).status_code == 200
    with later(2 + 3.5):
        assert client.get(reverse("clinic:overview")).status_code == 302


def test_patients_in_the_portal_are_not_timed_out(client_for, settings):
    client = client_for("patient")
    assert client.get(reverse("portal:me")).status_code == 200
    with later(settings.IDLE_LOGOFF_MINUTES * 3):
        assert client.get(reverse("portal:me")).status_code == 200


def test_staff_pages_carry_the_warning_script_and_the_still_here_button_works(client_for):
    client = client_for("front_desk")
    html = client.get(reverse("patients:search")).content.decode()
    assert 'data-idle-minutes="15"' in html and "/static/core/idle.js" in html
    assert "<script>" not in html  # no inline script: the CSP allows only our files
    assert client.post(reverse("core:still-here")).status_code == 204
    patient_html = client_for("patient").get(reverse("portal:me")).content.decode()
    assert "idle.js" not in patient_html


@pytest.mark.parametrize("raw", ["1", "481", "soon"])
def test_the_setting_is_bounded(monkeypatch, raw):
    monkeypatch.setenv("IDLE_LOGOFF_MINUTES", raw)
    with pytest.raises(ImproperlyConfigured, match="IDLE_LOGOFF_MINUTES"):
        env_int("IDLE_LOGOFF_MINUTES", 15, minimum=2, maximum=480)
