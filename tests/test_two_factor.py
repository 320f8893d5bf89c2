"""Two-factor sign-in for staff: no staff URL before the second factor, a wrong code refused and
logged, throttled, a backup code good once, an authenticator app set up with a real code, the
passkey ceremonies only after the password, and patients never asked."""

import re
import uuid
from base64 import b32decode
from binascii import unhexlify
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from glabella.core import two_factor
from glabella.core.access import actor_for
from glabella.core.audit import Kind
from glabella.core.models import AccessLog, BackupCode, BackupCodes, StaffMember
from glabella.core.roles import Credential, Role
from glabella.core.two_factor_middleware import OPEN_NAMESPACES, OPEN_ROUTES
from glabella.demo.clinic import DEMO_PASSWORD
from tests.conftest import STAFF_EMAILS, issue_token, pass_second_factor, totp_code_now
from tests.test_permissions import routes

STEP = reverse("core:second-factor")
SETUP = reverse("core:two-factor-setup")


def password_only(user) -> Client:
    """A client past the password step only (as the sign-in form leaves it)."""
    client = Client()
    client.force_login(user)
    return client


def signed_in_with_password(email: str) -> Client:
    client = Client()
    response = client.post(reverse("core:sign-in"), {"username": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.content
    return client


def new_staff(role=Role.INJECTOR, email="lena@example.com") -> StaffMember:
    user = get_user_model().objects.create_user(username=email, email=email, password=DEMO_PASSWORD)
    clinical = role in (Role.INJECTOR, Role.MEDICAL_DIRECTOR)
    return StaffMember.objects.create(
        user=user,
        full_name="Lena Park",
        role=role,
        credential=Credential.NP if clinical else "",
        licence_number="NP1" if clinical else "",
        licence_state="CA" if clinical else "",
    )


def failures(user) -> list[AccessLog]:
    return list(AccessLog.objects.filter(object_type=Kind.SECOND_FACTOR_FAILURE, object_id=user.pk))


def wrong_code_for(user) -> str:
    right = totp_code_now(user)
    return "123456" if right != "123456" else "654321"


def sample_kwargs(pattern: URLPattern) -> dict:
    """Values that fit each of a route's converters (the check runs before any view)."""
    made = {}
    for name, converter in pattern.pattern.converters.items():
        kind = type(converter).__name__
        made[name] = {"UUIDConverter": uuid.uuid4(), "IntConverter": 1}.get(kind, "x")
    # A regular-expression route (the FHIR API's) has named groups, not converters.
    for name in pattern.pattern.regex.groupindex:
        made.setdefault(name, "Patient" if name == "resource_type" else str(uuid.uuid4()))
    return made


def staff_routes():
    for name, pattern in routes():
        if name in OPEN_ROUTES or name.split(":")[0] in OPEN_NAMESPACES:
            continue
        if name.startswith("unnamed:"):
            continue
        yield name, pattern


# --- no staff URL before the second factor ---------------------------------------------------


def test_every_route_before_the_second_factor_sends_to_it(users, clinic):
    """Walks the URL conf: every page (GET and POST) sends a staff member who has given only the
    password to the second-factor step, and the JSON API answers 401 in its error shape."""
    client = password_only(users["injector"])
    checked = 0
    for name, pattern in staff_routes():
        url = reverse(name, kwargs=sample_kwargs(pattern))
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if name.startswith("api:"):
                assert response.status_code == 401, f"{method} {url}: {response.status_code}"
                assert response.json()["error"]["code"] == "second_factor_required"
            else:
                assert response.status_code == 302, f"{method} {url}: {response.status_code}"
                assert response["Location"].startswith(STEP), f"{method} {url}"
            checked += 1
    assert checked > 150
    # Django admin is behind the same rule.
    admin = password_only(users["owner"]).get("/admin/")
    assert admin.status_code == 302 and admin["Location"].startswith(STEP)


def test_the_step_keeps_the_page_asked_for_and_goes_there_after(users, clinic):
    client = password_only(users["medical_director"])
    wanted = reverse("treatments:day")
    response = client.get(wanted)
    assert response["Location"] == f"{STEP}?next=%2Fstaff%2Ftreatments%2F"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "authenticator app" in page.content.decode()
    done = client.post(STEP, {"code": totp_code_now(users["medical_director"]), "next": wanted})
    assert done.status_code == 302 and done["Location"] == wanted
    assert client.get(wanted).status_code == 200


def test_an_htmx_request_is_sent_to_the_step_by_its_header(users, clinic):
    response = password_only(users["injector"]).get(
        reverse("patients:search"), headers={"HX-Request": "true"}
    )
    assert response.status_code == 302 and response["HX-Redirect"].startswith(STEP)


def test_the_api_with_a_session_answers_401_until_verified_but_a_token_works(users, patient):
    url = f"/api/v1/patients/{patient.public_id}"
    client = password_only(users["injector"])
    refused = client.get(url)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "second_factor_required"
    raw = issue_token(users["injector"], "lab")
    assert client.get(url, headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    # A bad token with that session behind it is not let in by the session either.
    bad = client.get(url, headers={"Authorization": "Bearer glb_nonsense"})
    assert bad.status_code == 401
    pass_second_factor(client, users["injector"])
    assert client.get(url).status_code == 200


def test_patients_in_the_portal_are_never_asked(users, clinic):
    client = password_only(users["patient"])
    assert client.get(reverse("portal:me")).status_code == 200
    assert client.get(STEP).status_code == 403


def test_who_is_asked_follows_the_clinics_setting(clinic, settings):
    desk = new_staff(Role.FRONT_DESK, "frank2@example.com")
    search = reverse("patients:search")
    settings.TWO_FACTOR_FOR = "clinical"
    assert password_only(desk.user).get(search).status_code == 200
    clinician = new_staff(Role.INJECTOR)
    to_setup = password_only(clinician.user).get(search)
    assert to_setup.status_code == 302 and to_setup["Location"].startswith(SETUP)
    settings.TWO_FACTOR_FOR = "all"
    to_setup = password_only(desk.user).get(search)
    assert to_setup.status_code == 302 and to_setup["Location"].startswith(SETUP)


# --- the second-factor step ------------------------------------------------------------------


def test_a_wrong_code_is_refused_logged_and_throttled_then_the_right_one_works(users, clinic):
    user = users["injector"]
    client = password_only(user)
    wrong = client.post(STEP, {"code": wrong_code_for(user)})
    assert wrong.status_code == 422
    assert "That code is not right" in wrong.content.decode()
    assert [row.detail for row in failures(user)] == [{"method": "app", "reason": "wrong code"}]
    assert client.get(reverse("patients:search")).status_code == 302  # still not through
    # django-otp's throttle: the next try within the wait is refused, with how long to wait.
    throttled = client.post(STEP, {"code": totp_code_now(user)})
    assert throttled.status_code == 429
    assert "Wait 1 second" in throttled.content.decode()
    assert failures(user)[0].detail["reason"] == "throttled"
    with time_machine.travel(timezone.now() + timedelta(seconds=3), tick=True):
        passed = client.post(STEP, {"code": totp_code_now(user)})
        assert passed.status_code == 302
        assert client.get(reverse("patients:search")).status_code == 200
    row = AccessLog.objects.get(object_type="second-factor", object_id=str(user.pk))
    assert row.detail == {"method": "app"} and row.user == user


def test_a_code_works_once(users, clinic):
    user = users["injector"]
    code = totp_code_now(user)
    assert password_only(user).post(STEP, {"code": code}).status_code == 302
    again = password_only(user).post(STEP, {"code": code})
    assert again.status_code == 422


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Enter the code."),
        ({"code": "hello"}, "Enter the six-digit code"),
        ({"code": "12345"}, "Enter the six-digit code"),
        ({"code": "x" * 41}, "at most 40 characters"),
    ],
)
def test_bad_input_on_the_step_is_named_on_its_field_and_writes_nothing(
    users, clinic, data, message
):
    user = users["injector"]
    client = password_only(user)
    before = AccessLog.objects.count()
    response = client.post(STEP, data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert AccessLog.objects.count() == before
    assert TOTPDevice.objects.get(user=user).throttling_failure_count == 0


def test_a_backup_code_works_once_and_only_its_digest_is_kept(users, clinic):
    user = users["front_desk"]
    made = Client()
    made.force_login(user)
    pass_second_factor(made, user)
    page = made.post(reverse("core:two-factor-backup-codes"))
    assert page.status_code == 200
    codes = re.findall(r"<code>([a-z2-7]{4}(?:-[a-z2-7]{4}){3})</code>", page.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    assert not BackupCode.objects.filter(digest__in=codes).exists()
    assert BackupCode.objects.filter(device__user=user).count() == 10
    code = codes[3]
    first = password_only(user)
    response = first.post(STEP, {"code": code.upper().replace("-", " ")}, follow=True)
    assert response.status_code == 200 and "9 left" in response.content.decode()
    used = AccessLog.objects.filter(object_type=Kind.BACKUP_CODE_USE, object_id=user.pk).get()
    assert used.detail == {"codes_left": 9}
    again = password_only(user).post(STEP, {"code": code})
    assert again.status_code == 422
    assert failures(user)[0].detail == {"method": "backup", "reason": "wrong code"}
    # Making a new set stops the old one.
    made.post(reverse("core:two-factor-backup-codes"))
    with time_machine.travel(timezone.now() + timedelta(seconds=3), tick=True):
        assert password_only(user).post(STEP, {"code": codes[4]}).status_code == 422


# --- setting up an authenticator app ---------------------------------------------------------


def code_for_secret(text: str, *, ahead: int = 0) -> str:
    key = b32decode(text.replace(" ", "") + "=" * (-len(text.replace(" ", "")) % 8))
    totp = TOTP(key)
    totp.time = totp.time + 30 * ahead
    return f"{totp.token():06d}"


def test_setting_up_an_app_round_trip_with_a_real_code(clinic):
    staff = new_staff()
    client = signed_in_with_password(staff.user.username)
    first = client.get(reverse("patients:search"))
    assert first.status_code == 302 and first["Location"].startswith(SETUP)
    assert "Use an authenticator app" in client.get(first["Location"]).content.decode()
    page = client.get(reverse("core:two-factor-app")).content.decode()
    secret = re.search(r'<code id="app-secret">([A-Z2-7 ]+)</code>', page).group(1)
    assert 'src="data:image/svg+xml' in page  # the QR code is drawn here, not fetched
    setup = two_factor.app_setup(staff.user, b32decode(secret.replace(" ", "")).hex())
    assert f"secret={secret.replace(' ', '')}" in setup.link
    assert "issuer=Conejo%20Aesthetic%20Medicine" in setup.link  # the clinic's own name
    assert 'alt="QR code that adds your Conejo Aesthetic Medicine account' in page
    # The same secret until it is confirmed, however often the page is opened.
    assert secret in client.get(reverse("core:two-factor-app")).content.decode()
    before = AccessLog.objects.count()
    wrong = client.post(reverse("core:two-factor-app"), {"code": code_for_secret(secret, ahead=5)})
    assert wrong.status_code == 422 and "That code is not right" in wrong.content.decode()
    malformed = client.post(reverse("core:two-factor-app"), {"code": "abc"})
    assert malformed.status_code == 422 and "six-digit code" in malformed.content.decode()
    assert not TOTPDevice.objects.filter(user=staff.user).exists()
    assert AccessLog.objects.count() == before
    done = client.post(reverse("core:two-factor-app"), {"code": code_for_secret(secret)})
    assert done.status_code == 200
    shown = re.findall(r"<code>([a-z2-7-]{19})</code>", done.content.decode())
    assert len(shown) == 10
    assert TOTPDevice.objects.get(user=staff.user).confirmed
    kinds = set(
        AccessLog.objects.filter(object_id=staff.user.pk).values_list("object_type", flat=True)
    )
    assert {Kind.TWO_FACTOR_ENROLMENT, Kind.BACKUP_CODES} <= kinds
    assert client.get(reverse("patients:search")).status_code == 200
    # Next time: password, then the app's code.
    again = signed_in_with_password(staff.user.username)
    step = again.get(reverse("patients:search"))
    assert step["Location"].startswith(STEP)
    assert again.post(STEP, {"code": totp_code_now(staff.user)}).status_code == 302
    assert again.get(reverse("patients:search")).status_code == 200


def test_a_password_alone_cannot_add_a_second_factor_beside_one(users, clinic):
    client = password_only(users["injector"])
    for name in ("core:two-factor-setup", "core:two-factor-app", "core:two-factor-passkey"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(STEP), name
    assert client.post(reverse("core:two-factor-backup-codes"))["Location"].startswith(STEP)
    begin = client.post(reverse("otp_webauthn:credential-registration-begin"))
    assert begin.status_code == 403 and begin.json()["code"] == "user_not_verified"


# --- passkeys --------------------------------------------------------------------------------


def test_the_passkey_ceremonies_open_only_after_the_password(users, clinic):
    urls = [
        reverse(f"otp_webauthn:credential-{name}")
        for name in (
            "registration-begin",
            "registration-complete",
            "authentication-begin",
            "authentication-complete",
        )
    ]
    for url in urls:
        assert Client().post(url).status_code == 401  # no passkey sign-in without a password
        assert password_only(users["patient"]).post(url).status_code == 403
    newcomer = password_only(new_staff().user)
    options = newcomer.post(urls[0], content_type="application/json")
    assert options.status_code == 200
    assert options.json()["rp"]["id"] == "localhost"
    assert options.json()["user"]["name"] == "lena@example.com"
    # Someone who has an app and gave the password: asked which passkeys may answer.
    begin = password_only(users["injector"]).post(urls[2], content_type="application/json")
    assert begin.status_code == 200 and "challenge" in begin.json()
    # A completion without a ceremony begun is refused, logged, and signs nobody in.
    client = password_only(users["injector"])
    refused = client.post(urls[3], {}, content_type="application/json")
    assert refused.status_code == 400
    assert failures(users["injector"])[0].detail == {"method": "passkey", "reason": "refused"}
    assert client.get(reverse("patients:search")).status_code == 302
    assert not WebAuthnCredential.objects.exists()


# --- reset -----------------------------------------------------------------------------------


def test_the_owner_resets_someones_second_factor_and_it_is_logged(users, clinic):
    from glabella.core.errors import Forbidden

    injector = users["injector"]
    made = Client()
    made.force_login(injector)
    pass_second_factor(made, injector)
    made.post(reverse("core:two-factor-backup-codes"))
    with pytest.raises(Forbidden):
        two_factor.reset(actor_for(users["medical_director"]), injector)
    assert two_factor.reset(actor_for(users["owner"]), injector) == 2
    assert not TOTPDevice.objects.filter(user=injector).exists()
    assert not BackupCodes.objects.filter(user=injector).exists()
    assert AccessLog.objects.filter(object_type=Kind.TWO_FACTOR_RESET, object_id=injector.pk)
    # At the next sign-in they set one up again.
    response = password_only(injector).get(reverse("patients:search"))
    assert response["Location"].startswith(SETUP)


def test_every_demo_staff_member_has_the_demo_authenticator(users):
    from glabella.demo.clinic import demo_totp_hex

    for persona in STAFF_EMAILS:
        device = TOTPDevice.objects.get(user=users[persona])
        assert device.key == demo_totp_hex()
        assert unhexlify(device.key)


def test_django_admin_shows_no_account_nor_second_factor(client_for, users):
    # They change only on the audited pages: the Team pages and the two-step set-up.
    device = TOTPDevice.objects.get(user=users["injector"])
    owner = client_for("owner")
    assert owner.get("/admin/").status_code == 200
    for url in (
        f"/admin/otp_totp/totpdevice/{device.pk}/change/",
        f"/admin/otp_totp/totpdevice/{device.pk}/qrcode/",
        "/admin/auth/user/",
        f"/admin/auth/user/{users['injector'].pk}/change/",
        "/admin/auth/group/",
        "/admin/django_otp_webauthn/webauthncredential/",
    ):
        answer = owner.get(url)
        assert answer.status_code == 404, url
        assert device.key not in answer.content.decode()


def test_a_superuser_without_a_staff_record_owes_the_second_factor_for_admin(client, db):
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root@example.com", "root@example.com", "x")
    client.force_login(root)
    answer = client.get("/admin/")
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("core:two-factor-setup"))


def test_demo_code_prints_the_code_the_demo_staff_accounts_accept(users, clinic):
    from io import StringIO

    from django.core.management import call_command

    with time_machine.travel(timezone.now(), tick=False):
        out = StringIO()
        call_command("demo-code", stdout=out, stderr=StringIO())
        code = out.getvalue().strip()
        assert re.fullmatch(r"\d{6}", code)
        assert code == totp_code_now(users["owner"])
        assert password_only(users["owner"]).post(STEP, {"code": code}).status_code == 302


def test_sign_out_and_the_step_itself_stay_open_before_the_second_factor(users, clinic):
    client = password_only(users["injector"])
    assert client.get(STEP).status_code == 200
    assert client.post(reverse("core:sign-out")).status_code == 302
    assert client.get(reverse("patients:search"))["Location"].startswith(reverse("core:sign-in"))
    newcomer = password_only(new_staff().user)
    assert newcomer.get(STEP)["Location"].startswith(SETUP)
