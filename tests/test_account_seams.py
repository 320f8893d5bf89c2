"""Where issue 18's parts meet: an anonymous refusal does not fill the access log, the first
owner is invited from the command line, a second-factor gate that only our tokens pass."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from glabella.core.models import AccessLog, StaffMember
from tests.conftest import STAFF_EMAILS, pass_second_factor


def test_an_anonymous_refusal_is_not_logged_but_a_signed_in_one_is(client_for, clinic):
    before = AccessLog.objects.count()
    strict = Client(enforce_csrf_checks=True)
    refused = strict.post(reverse("core:sign-in"), {"username": "x@example.com", "password": "y"})
    assert refused.status_code == 403  # no CSRF cookie
    assert AccessLog.objects.count() == before
    desk = client_for("front_desk")
    assert desk.get(reverse("treatments:day")).status_code == 403
    row = AccessLog.objects.get(object_type="refusal")
    assert row.user.username == STAFF_EMAILS["front_desk"]


def test_add_owner_invites_the_first_owner_with_a_link_that_works_once(db, settings):
    out = StringIO()
    call_command("add-owner", "maria@clinic.example", "Maria Ortiz", stdout=out)
    staff = StaffMember.objects.get(user__username="maria@clinic.example")
    assert staff.role == "owner" and not staff.user.has_usable_password()
    link = re.search(r"https?://\S+", out.getvalue()).group(0)
    assert link.startswith(settings.SITE_URL) and link in mail.outbox[0].body
    assert AccessLog.objects.filter(object_type="staff-member", action="create").exists()
    client = Client()
    path = link.removeprefix(settings.SITE_URL)
    assert client.get(path).status_code == 200
    new = {"new_password1": "lantern-orchard-71", "new_password2": "lantern-orchard-71"}
    assert client.post(path, new).status_code == 302
    assert Client().get(path).status_code == 410


@pytest.mark.parametrize(
    ("email", "name", "says"),
    [("not-an-email", "Maria Ortiz", "email"), ("maria@clinic.example", "  ", "full_name")],
)
def test_add_owner_refuses_bad_input_and_writes_nothing(db, email, name, says):
    with pytest.raises(CommandError, match=says):
        call_command("add-owner", email, name, stdout=StringIO())
    assert not get_user_model().objects.filter(username=email).exists()
    assert not AccessLog.objects.exists()


def test_only_a_bearer_token_of_ours_passes_the_second_factor_gate(client, users):
    # A password-only session with some other Authorization header is still sent to the step.
    client.force_login(users["injector"])
    url = "/api/v1/scheduling/availability"
    answer = client.get(url, headers={"Authorization": "Basic eDp5"})
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "second_factor_required"
    pass_second_factor(client, users["injector"])
    assert client.get(url, headers={"Authorization": "Basic eDp5"}).status_code != 401
