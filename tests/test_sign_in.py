"""Sign-in lockout on every sign-in form (staff, portal, admin), patients refused on the staff
form, the lock's alert and unlock, and sign-ins in the access log (issue 18)."""

import time
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from glabella.core import lockout
from glabella.core.errors import Forbidden
from glabella.core.models import AccessLog
from glabella.messaging.delivery import deliver_message
from glabella.messaging.models import Message
from tests.conftest import STAFF_EMAILS

DESK = STAFF_EMAILS["front_desk"]
INJECTOR = STAFF_EMAILS["injector"]
OWNER = STAFF_EMAILS["owner"]
RIGHT = "glabella-demo"  # the demo staff's password


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def staff_sign_in(client, username, password):
    return client.post(reverse("core:sign-in"), {"username": username, "password": password})


def at(ip: str) -> Client:
    return Client(REMOTE_ADDR=ip)


def log_rows(kind: str, **filters):
    return AccessLog.objects.filter(object_type=kind, **filters)


@pytest.fixture
def portal_password(patient, other_patient, settings):
    """Both patients have a password; the public forms' own throttle is opened wide, so that
    what is tested here is the lockout."""
    settings.THROTTLE_EMAIL = (10_000, 600)
    settings.THROTTLE_ADDRESS = (10_000, 600)
    from glabella.portal.services import user_for

    for p in (patient, other_patient):
        user = user_for(p)
        user.set_password("tulip-harbour-92")
        user.save()
        p.refresh_from_db()
    return "tulip-harbour-92"


def test_200_wrong_passwords_lock_the_account_and_slow_nobody_else(clinic, settings, users):
    attacker = at("203.0.113.7")
    started = time.monotonic()
    codes = [staff_sign_in(attacker, DESK, f"guess-{n}").status_code for n in range(200)]
    limit = settings.SIGN_IN_ACCOUNT_FAILURES
    assert codes[: limit - 1] == [422] * (limit - 1)
    assert set(codes[limit - 1 :]) == {429}
    locked = staff_sign_in(attacker, DESK, RIGHT)
    assert locked.status_code == 429 and not signed_in(attacker)
    assert "signing in is paused" in locked.content.decode()
    assert 'class="errors"' in locked.content.decode()  # on the form, in the house's page
    # From another address, with the right password, the account stays locked...
    elsewhere = at("198.51.100.20")
    assert staff_sign_in(elsewhere, DESK, RIGHT).status_code == 429
    assert not signed_in(elsewhere)
    # ...and another account from another address signs in at once.
    colleague = at("198.51.100.9")
    before = time.monotonic()
    answer = staff_sign_in(colleague, INJECTOR, RIGHT)
    assert answer.status_code == 302 and signed_in(colleague)
    assert time.monotonic() - before < 2, f"200 failures took {before - started:.1f}s"
    # One lock row, one alert to the account's owner; the failures are logged, no password.
    assert log_rows("account-lock", action="create", object_id=str(users["front_desk"].pk)).count()
    assert Message.objects.filter(topic="account-locked", to=DESK).count() == 1
    failures = log_rows("sign-in-failure", ip="203.0.113.7")
    assert failures.count() == 201
    assert all(row.detail.get("username") == DESK for row in failures[:5])
    assert not any("guess-" in str(row.detail) for row in AccessLog.objects.all())


def test_the_lock_lifts_after_the_cool_off(clinic, settings):
    attacker = at("203.0.113.7")
    for n in range(settings.SIGN_IN_ACCOUNT_FAILURES):
        staff_sign_in(attacker, DESK, f"guess-{n}")
    assert staff_sign_in(at("198.51.100.20"), DESK, RIGHT).status_code == 429
    later = timezone.now() + timedelta(minutes=settings.SIGN_IN_COOLOFF_MINUTES, seconds=5)
    with time_machine.travel(later, tick=False):
        owner_of_account = at("198.51.100.20")
        assert staff_sign_in(owner_of_account, DESK, RIGHT).status_code == 302
        assert signed_in(owner_of_account)


def test_the_owner_unlocks_an_account_and_it_is_logged(clinic, settings, users, actor_of):
    attacker = at("203.0.113.7")
    for n in range(settings.SIGN_IN_ACCOUNT_FAILURES + 3):
        staff_sign_in(attacker, DESK, f"guess-{n}")
    desk = users["front_desk"]
    assert lockout.is_locked(desk)
    with pytest.raises(Forbidden):
        lockout.unlock(actor_of("medical_director"), desk)
    assert lockout.is_locked(desk)
    # Failures while locked are refused without being counted (the lock runs from the last).
    assert lockout.unlock(actor_of("owner"), desk) == settings.SIGN_IN_ACCOUNT_FAILURES
    assert not lockout.is_locked(desk)
    row = log_rows("account-lock", action="delete").get()
    assert row.user == users["owner"] and row.object_id == str(desk.pk)
    client = at("198.51.100.20")
    assert staff_sign_in(client, DESK, RIGHT).status_code == 302 and signed_in(client)
    # Locked again later: a new lock row and a new alert.
    for n in range(settings.SIGN_IN_ACCOUNT_FAILURES):
        staff_sign_in(attacker, DESK, f"again-{n}")
    assert log_rows("account-lock", action="create", object_id=str(desk.pk)).count() == 2
    assert Message.objects.filter(topic="account-locked", to=DESK).count() == 2


def test_the_unlock_command(clinic, settings, users, capsys):
    for n in range(settings.SIGN_IN_ACCOUNT_FAILURES):
        staff_sign_in(at("203.0.113.7"), DESK.upper(), f"guess-{n}")
    assert lockout.is_locked(users["front_desk"])
    call_command("unlock", DESK)
    assert "was locked" in capsys.readouterr().out
    assert not lockout.is_locked(users["front_desk"])
    assert log_rows("account-lock", action="delete", actor_role="system").exists()


def test_the_alert_reaches_the_account_owner_by_email(clinic, settings):
    for n in range(settings.SIGN_IN_ACCOUNT_FAILURES):
        staff_sign_in(at("203.0.113.7"), INJECTOR, f"guess-{n}")
    message = Message.objects.get(topic="account-locked")
    deliver_message(message.pk)
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == [INJECTOR] and "paused" in sent.subject
    assert reverse("core:password-reset") in sent.body and "guess" not in sent.body


def test_one_address_is_locked_across_accounts_and_the_clinic_next_door_is_not(clinic, settings):
    settings.SIGN_IN_ADDRESS_FAILURES = 12
    sprayer = at("203.0.113.50")
    names = [f"nobody{n}@example.com" for n in range(12)]
    codes = [staff_sign_in(sprayer, name, "guess").status_code for name in names]
    assert codes[:11] == [422] * 11 and codes[11] == 429
    # The address is locked even for a real account with its right password...
    assert staff_sign_in(sprayer, INJECTOR, RIGHT).status_code == 429
    # ...and the same account from another address is not.
    other = at("198.51.100.9")
    assert staff_sign_in(other, INJECTOR, RIGHT).status_code == 302 and signed_in(other)
    assert log_rows("account-lock", action="create", object_id="", ip="203.0.113.50").count() == 1
    unknown = log_rows("sign-in-failure").order_by("id").first()
    assert "username_sha256" in unknown.detail and "username" not in unknown.detail


def test_signing_in_to_ones_own_account_does_not_wipe_the_address_count(clinic, settings):
    settings.SIGN_IN_ADDRESS_FAILURES = 8
    client = at("203.0.113.50")
    for n in range(7):
        staff_sign_in(client, f"nobody{n}@example.com", "guess")
    assert staff_sign_in(client, INJECTOR, RIGHT).status_code == 302
    assert staff_sign_in(at("203.0.113.50"), "nobody9@example.com", "guess").status_code == 429


def test_a_patient_is_refused_on_the_staff_form_like_a_wrong_password(
    clinic, patient, portal_password, settings
):
    client = at("203.0.113.7")
    wrong = staff_sign_in(client, patient.user.username, "not-it-at-all")
    right = staff_sign_in(client, patient.user.username, portal_password)
    assert wrong.status_code == right.status_code == 422
    assert wrong.context["form"].errors == right.context["form"].errors
    assert not signed_in(client)
    # Each is counted against the patient's account, which the portal shares: the staff form
    # is no way around the portal's limit.
    for _ in range(settings.SIGN_IN_ACCOUNT_FAILURES - 2):
        staff_sign_in(client, patient.user.username, portal_password)
    portal = at("198.51.100.30")
    answer = portal.post(
        reverse("portal:sign-in"),
        {"email": patient.email, "method": "password", "password": portal_password},
    )
    assert answer.status_code == 429 and not signed_in(portal)
    assert 'id="id_password_error"' in answer.content.decode()


def test_200_wrong_passwords_on_the_portal_lock_it_and_slow_nobody_else(
    clinic, patient, other_patient, portal_password, settings
):
    attacker = at("203.0.113.7")
    data = {"email": patient.email, "method": "password"}
    codes = [
        attacker.post(reverse("portal:sign-in"), {**data, "password": f"guess-{n}"}).status_code
        for n in range(200)
    ]
    limit = settings.SIGN_IN_ACCOUNT_FAILURES
    assert codes[: limit - 1] == [422] * (limit - 1) and set(codes[limit - 1 :]) == {429}
    locked = at("198.51.100.20").post(
        reverse("portal:sign-in"), {**data, "password": portal_password}
    )
    assert locked.status_code == 429 and "signing in is paused" in locked.content.decode()
    neighbour = at("198.51.100.9")
    answer = neighbour.post(
        reverse("portal:sign-in"),
        {"email": other_patient.email, "method": "password", "password": portal_password},
    )
    assert answer.status_code == 302 and signed_in(neighbour)
    assert log_rows("sign-in-failure", channel="portal").count() == 201
    assert log_rows("sign-in", channel="portal", action="create").count() == 1


def test_200_wrong_passwords_on_the_admin_lock_it_and_slow_nobody_else(clinic, settings):
    attacker = at("203.0.113.7")
    url = reverse("admin:login")
    codes = [
        attacker.post(url, {"username": OWNER, "password": f"guess-{n}"}).status_code
        for n in range(200)
    ]
    limit = settings.SIGN_IN_ACCOUNT_FAILURES
    assert codes[: limit - 1] == [200] * (limit - 1)  # the admin's own page, drawn again
    assert set(codes[limit - 1 :]) == {429}
    page = attacker.post(url, {"username": OWNER, "password": RIGHT})
    assert page.status_code == 429 and "Signing in is paused" in page.content.decode()
    assert not signed_in(attacker)
    # Staff other than the owner are refused there and counted, like a wrong password.
    desk = at("198.51.100.9")
    desk.post(url, {"username": DESK, "password": RIGHT})
    assert not signed_in(desk)
    assert AccessAttempt.objects.filter(username=DESK).exists()
    # The owner's account is locked on every form; another account is not.
    assert staff_sign_in(at("198.51.100.20"), OWNER, RIGHT).status_code == 429
    director = at("198.51.100.21")
    assert staff_sign_in(director, STAFF_EMAILS["medical_director"], RIGHT).status_code == 302


def test_sign_in_and_sign_out_are_logged_with_the_address(clinic, users):
    client = at("198.51.100.9")
    staff_sign_in(client, INJECTOR, RIGHT)
    assert signed_in(client)
    row = log_rows("sign-in", action="create").get()
    assert (row.user, row.ip, row.channel, row.actor_role) == (
        users["injector"],
        "198.51.100.9",
        "web",
        "injector",
    )
    client.post(reverse("core:sign-out"))
    out = log_rows("sign-in", action="delete").get()
    assert out.user == users["injector"] and out.detail["why"] == "signed out"


def test_the_sign_in_form_refuses_bad_input_field_by_field(client, clinic):
    before = AccessLog.objects.count(), AccessAttempt.objects.count()
    response = client.post(reverse("core:sign-in"), {"username": "", "password": ""})
    assert response.status_code == 422
    assert set(response.context["form"].errors) == {"username", "password"}
    assert (AccessLog.objects.count(), AccessAttempt.objects.count()) == before


def test_a_switched_off_staff_member_is_refused_like_a_wrong_password(clinic, users):
    staff = users["front_desk"].staff
    staff.active = False
    staff.save()
    client = at("198.51.100.9")
    answer = staff_sign_in(client, DESK, RIGHT)
    assert answer.status_code == 422 and not signed_in(client)
    assert "do not match" in answer.content.decode()
    assert AccessAttempt.objects.filter(username=DESK).exists()


def test_the_access_log_page_shows_sign_ins_and_failures(clinic, client_for, settings):
    for n in range(settings.SIGN_IN_ACCOUNT_FAILURES):
        staff_sign_in(at("203.0.113.7"), DESK, f"guess-{n}")
    staff_sign_in(at("198.51.100.9"), INJECTOR, RIGHT)
    page = client_for("owner").get(reverse("patients:access-log"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "sign in failure" in html and "account lock" in html and "203.0.113.7" in html


def test_what_axes_keeps_has_no_password_and_no_email_in_clear(clinic, patient, portal_password):
    attacker = at("203.0.113.7")
    attacker.post(
        reverse("portal:sign-in"),
        {"email": patient.email, "method": "password", "password": "secret-guess-1"},
    )
    staff_sign_in(attacker, DESK, "secret-guess-2")
    kept = " ".join(AccessAttempt.objects.values_list("post_data", flat=True))
    assert "secret-guess" not in kept and patient.email not in kept and DESK not in kept
