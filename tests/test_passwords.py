"""Staff password reset (a one-time emailed link) and change, with Django's views and the site's
password rules; both logged, both end the person's other sessions (issue 18)."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from glabella.core.models import AccessLog
from tests.conftest import STAFF_EMAILS

DESK = STAFF_EMAILS["front_desk"]
NEW = "quiet-harbour-lantern-7"


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def sign_in(client, username, password):
    return client.post(reverse("core:sign-in"), {"username": username, "password": password})


def reset_link() -> str:
    (sent,) = mail.outbox
    return re.search(r"https?://\S+(/password/reset/\S+/)", sent.body).group(1)


def test_a_reset_link_sets_a_new_password_once_and_ends_other_sessions(clinic, client_for, users):
    elsewhere = client_for("front_desk")
    assert elsewhere.get(reverse("patients:search")).status_code == 200
    client = Client()
    asked = client.post(reverse("core:password-reset"), {"email": DESK})
    assert asked.status_code == 302 and asked["Location"] == reverse("core:password-reset-sent")
    assert mail.outbox[0].to == [DESK]
    org = clinic.organisation  # from the clinic's sender, as its other emails
    assert mail.outbox[0].from_email == f"{org.sender_name} <{org.sender_email}>"
    link = reset_link()
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200 and "new_password1" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302 and done["Location"] == reverse("core:sign-in")
    # The new password signs in, the old one no longer does.
    assert sign_in(Client(), DESK, "glabella-demo").status_code == 422
    fresh = Client()
    assert sign_in(fresh, DESK, NEW).status_code == 302 and signed_in(fresh)
    # The link worked once.
    again = Client().get(link, follow=True)
    assert again.status_code == 410 and "no longer works" in again.content.decode()
    # The session signed in before the reset is over.
    assert elsewhere.get(reverse("patients:search")).status_code == 302
    row = AccessLog.objects.get(object_type="password")
    assert row.detail["how"] == "reset" and row.object_id == str(users["front_desk"].pk)
    assert AccessLog.objects.filter(object_type="password-reset-request").count() == 1


@pytest.mark.parametrize("email", ["nobody@example.com", "patient@demo.glabella.test"])
def test_a_reset_for_no_staff_account_reads_the_same_and_sends_nothing(client, clinic, email):
    answer = client.post(reverse("core:password-reset"), {"email": email})
    assert answer.status_code == 302 and answer["Location"] == reverse("core:password-reset-sent")
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("data", "message"),
    [({"email": ""}, "This field is required."), ({"email": "desk@"}, "Enter a valid email")],
)
def test_the_reset_form_refuses_bad_input_on_its_field(client, clinic, data, message):
    before = AccessLog.objects.count()
    answer = client.post(reverse("core:password-reset"), data)
    assert answer.status_code == 422
    assert message in answer.context["form"].errors["email"][0]
    assert 'id="id_email_error"' in answer.content.decode()
    assert mail.outbox == [] and AccessLog.objects.count() == before


def test_the_reset_form_is_throttled_per_email(client, clinic, settings):
    limit = settings.THROTTLE_EMAIL[0]
    codes = [
        client.post(reverse("core:password-reset"), {"email": DESK}).status_code
        for _ in range(limit + 3)
    ]
    assert codes.count(302) == limit and codes[limit:] == [429] * 3
    assert len(mail.outbox) == limit
    throttled = client.post(reverse("core:password-reset"), {"email": DESK})
    assert "Too many tries" in throttled.context["form"].errors["email"][0]


@pytest.mark.parametrize(
    ("new1", "new2", "field"),
    [
        ("short", "short", "new_password2"),
        ("12345678901234", "12345678901234", "new_password2"),
        (NEW, NEW + "x", "new_password2"),
        ("", "", "new_password1"),
    ],
)
def test_a_bad_new_password_is_refused_and_nothing_changes(clinic, users, new1, new2, field):
    client = Client()
    client.post(reverse("core:password-reset"), {"email": DESK})
    set_url = client.get(reset_link(), follow=True).redirect_chain[-1][0]
    before = users["front_desk"].password
    answer = client.post(set_url, {"new_password1": new1, "new_password2": new2})
    assert answer.status_code == 422 and field in answer.context["form"].errors
    users["front_desk"].refresh_from_db()
    assert users["front_desk"].password == before
    assert not AccessLog.objects.filter(object_type="password").exists()


def test_staff_change_their_password_and_stay_signed_in_here_only(client_for, users):
    here, elsewhere = client_for("injector"), client_for("injector")
    assert elsewhere.get(reverse("patients:search")).status_code == 200
    page = here.get(reverse("core:password-change"))
    assert page.status_code == 200 and "old_password" in page.content.decode()
    changed = here.post(
        reverse("core:password-change"),
        {"old_password": "glabella-demo", "new_password1": NEW, "new_password2": NEW},
    )
    assert changed.status_code == 302
    assert here.get(reverse("patients:search")).status_code == 200
    assert elsewhere.get(reverse("patients:search")).status_code == 302
    users["injector"].refresh_from_db()
    assert users["injector"].check_password(NEW)
    row = AccessLog.objects.get(object_type="password")
    assert row.detail["how"] == "change" and row.user == users["injector"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"old_password": "wrong", "new_password1": NEW, "new_password2": NEW}, "old_password"),
        ({"old_password": "glabella-demo", "new_password1": NEW}, "new_password2"),
        (
            {"old_password": "glabella-demo", "new_password1": "abc", "new_password2": "abc"},
            "new_password2",
        ),
    ],
)
def test_a_bad_password_change_is_refused_on_its_field(client_for, users, data, field):
    before = users["owner"].password, AccessLog.objects.count()
    answer = client_for("owner").post(reverse("core:password-change"), data)
    assert answer.status_code == 422 and field in answer.context["form"].errors
    assert f'id="id_{field}_error"' in answer.content.decode()
    user = get_user_model().objects.get(pk=users["owner"].pk)
    assert (user.password, AccessLog.objects.count()) == before
