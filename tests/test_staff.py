"""Staff management: the owner's team pages, invitations, changes, switching accounts off,
second-factor resets and the medical director's grant of clinical access to the owner."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from glabella.core import lockout, tokens, two_factor
from glabella.core import staff as staff_service
from glabella.core.access import actor_for, system_actor
from glabella.core.errors import ValidationFailed
from glabella.core.models import AccessLog, BackupCodes, StaffMember
from tests.conftest import STAFF_EMAILS, clinic_today

INVITE = {
    "email": "new.nurse@example.com",
    "full_name": "Rosa Delgado",
    "role": "injector",
    "credential": "RN",
    "licence_number": "RN778812",
    "licence_state": "ca",
    "licence_expires": "",
    "supervising_prescriber": "",
    "mobile_phone": "",
}


def staff_of(persona: str) -> StaffMember:
    return StaffMember.objects.select_related("user").get(user__username=STAFF_EMAILS[persona])


def rows(kind: str):
    return AccessLog.objects.filter(object_type=kind)


def invite_data(**changes) -> dict:
    data = dict(INVITE)
    data["licence_expires"] = (clinic_today() + timedelta(days=400)).isoformat()
    data["supervising_prescriber"] = str(staff_of("medical_director").public_id)
    data.update(changes)
    return data


def test_the_team_page_lists_everyone_with_licence_warnings(client_for, clinic):
    injector = staff_of("injector")
    injector.licence_expires = clinic_today() + timedelta(days=5)
    injector.save()
    director = staff_of("medical_director")
    director.licence_expires = clinic_today() - timedelta(days=1)
    director.save()
    TOTPDevice.objects.create(user=injector.user, name="phone", confirmed=True)
    two_factor.reset(system_actor("test"), staff_of("front_desk").user)
    page = client_for("owner").get(reverse("clinic:team"))
    assert page.status_code == 200
    text = page.content.decode()
    for persona in STAFF_EMAILS:
        assert staff_of(persona).full_name in text
    assert "in 5 days" in text
    assert "Expired" in text
    assert "Set up" in text and "Not set up" in text
    assert "medical_director" not in text  # no internal keys


def _link(message) -> str:
    found = re.search(r"https?://[^/]+(/welcome/\S+/)", message.body)
    assert found, message.body
    return found.group(1)


def test_an_invited_person_sets_a_password_once_and_signs_in(client_for, client, clinic):
    owner = client_for("owner")
    response = owner.post(reverse("clinic:team-invite"), invite_data())
    assert response.status_code == 302
    user = get_user_model().objects.get(username=INVITE["email"])
    assert not user.has_usable_password() and user.staff.licence_state == "CA"
    assert rows("staff-member").filter(action="create").count() == 1
    assert rows("staff-invitation").get().detail == {"sent": True}
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [INVITE["email"]]
    link = _link(mail.outbox[0])
    assert client.get(link).status_code == 200
    # The clinic's password rules hold: too short, too common, all digits.
    weak = client.post(link, {"new_password1": "12345", "new_password2": "12345"})
    assert weak.status_code == 422 and b"too short" in weak.content
    user.refresh_from_db()
    assert not user.has_usable_password()
    good = "violet-harbour-ledger-91"
    done = client.post(link, {"new_password1": good, "new_password2": good})
    assert done.status_code == 302 and done["Location"] == reverse("core:sign-in")
    client.post(reverse("core:sign-in"), {"username": INVITE["email"], "password": good})
    assert client.session.get("_auth_user_id") == str(user.pk)
    client.logout()
    # Once only.
    assert client.get(link).status_code == 410
    again = client.post(
        link, {"new_password1": "other-Pass-123x", "new_password2": "other-Pass-123x"}
    )
    assert again.status_code == 410
    assert rows("staff-invitation").filter(action="update").count() == 1


def test_an_invitation_link_expires(client_for, client, clinic, settings):
    client_for("owner").post(reverse("clinic:team-invite"), invite_data())
    link = _link(mail.outbox[0])
    with time_machine.travel(
        timezone.now() + timedelta(hours=settings.STAFF_INVITE_HOURS, minutes=5)
    ):
        assert client.get(link).status_code == 410
    assert client.get(link[:-3] + "xx/").status_code == 410  # an altered link


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": STAFF_EMAILS["injector"].upper()}, "email"),
        ({"email": "patient@demo.glabella.test"}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({"role": "surgeon"}, "role"),
        ({"supervising_prescriber": ""}, "supervising_prescriber"),
        ({"licence_expires": "9999-12-31"}, "licence_expires"),
        ({"licence_expires": "0001-01-01"}, "licence_expires"),
        ({"licence_expires": "2020-02-30"}, "licence_expires"),
        ({"licence_state": "C1"}, "licence_state"),
        ({"credential": "", "role": "medical_director"}, "credential"),
        ({"mobile_phone": "12"}, "mobile_phone"),
        ({"full_name": "  "}, "full_name"),
        ({"full_name": "Dana \u202eziuR"}, "full_name"),  # a right-to-left override
    ],
)
def test_a_bad_invitation_is_refused_field_by_field(client_for, clinic, changes, field):
    users, logged = get_user_model().objects.count(), AccessLog.objects.count()
    response = client_for("owner").post(reverse("clinic:team-invite"), invite_data(**changes))
    assert response.status_code == 422
    assert response.context["form"].errors.get(field), response.context["form"].errors
    assert get_user_model().objects.count() == users
    assert AccessLog.objects.count() == logged
    assert mail.outbox == []


def test_the_owner_changes_a_persons_details_with_the_models_rules(client_for, clinic):
    injector = staff_of("injector")
    url = reverse("clinic:team-member", args=[injector.public_id])
    owner = client_for("owner")
    page = owner.get(url)
    assert page.status_code == 200 and injector.licence_number.encode() in page.content
    data = dict(page.context["form"].initial)
    data["licence_expires"] = data["licence_expires"].isoformat()
    data["credential"] = "RN"
    data["supervising_prescriber"] = ""
    refused = owner.post(url, data)
    assert refused.status_code == 422
    assert refused.context["form"].errors["supervising_prescriber"]
    injector.refresh_from_db()
    assert injector.credential == "NP"
    data.update(credential="NP", mobile_phone="(805) 555-0199")
    assert owner.post(url, data).status_code == 302
    injector.refresh_from_db()
    assert injector.mobile_phone == "+18055550199"
    change = rows("staff-member").get(action="update")
    assert change.detail["changed"]["mobile_phone"][1] == "+18055550199"


def test_deactivation_ends_a_live_session_and_a_token_at_the_next_request(client_for, patient):
    injector = staff_of("injector")
    signed_in = client_for("injector")
    assert signed_in.get(reverse("patients:search")).status_code == 200
    _, raw = tokens.issue(system_actor("t"), injector, "EHR", tokens.scope_for(injector, "read"), 9)
    api = f"/api/v1/patients/{patient.public_id}"
    bearer = {"authorization": f"Bearer {raw}"}
    assert client_for("anonymous").get(api, headers=bearer).status_code == 200

    action = reverse("clinic:team-member-action", args=[injector.public_id, "deactivate"])
    assert client_for("owner").post(action).status_code == 302

    after = signed_in.get(reverse("patients:search"))
    assert after.status_code == 302 and after["Location"].startswith(reverse("core:sign-in"))
    refused = client_for("anonymous").get(api, headers=bearer)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorised"
    injector.refresh_from_db()
    assert not injector.active and not injector.user.is_active
    assert rows("staff-member").get().detail == {"active": False, "tokens_revoked": 1}

    # Switched on again, the person signs in afresh; the old token stays revoked.
    again = reverse("clinic:team-member-action", args=[injector.public_id, "reactivate"])
    assert client_for("owner").post(again).status_code == 302
    injector.refresh_from_db()
    assert injector.active and injector.user.is_active
    assert client_for("injector").get(reverse("patients:search")).status_code == 200
    assert client_for("anonymous").get(api, headers=bearer).status_code == 401


def test_the_owner_cannot_switch_off_their_own_account_or_a_supervisor(client_for, clinic):
    owner_staff = staff_of("owner")
    owner = client_for("owner")
    url = reverse("clinic:team-member-action", args=[owner_staff.public_id, "deactivate"])
    assert owner.post(url).status_code == 302
    owner_staff.refresh_from_db()
    assert owner_staff.active and owner_staff.user.is_active
    supervisors = StaffMember.objects.filter(supervisees__active=True).distinct()
    for supervisor in supervisors:
        owner.post(reverse("clinic:team-member-action", args=[supervisor.public_id, "deactivate"]))
        supervisor.refresh_from_db()
        assert supervisor.active
    assert not rows("staff-member").exists()
    unknown = reverse("clinic:team-member-action", args=[owner_staff.public_id, "delete"])
    assert owner.post(unknown).status_code == 404


def test_resetting_the_second_factor_removes_every_device(client_for, clinic):
    injector = staff_of("injector")
    TOTPDevice.objects.create(user=injector.user, name="phone", confirmed=True)
    BackupCodes.objects.create(user=injector.user, name="backup codes", confirmed=True)
    devices = TOTPDevice.objects.filter(user=injector.user).count() + 1
    TOTPDevice.objects.create(user=staff_of("front_desk").user, name="phone", confirmed=True)
    url = reverse("clinic:team-member-action", args=[injector.public_id, "reset-two-factor"])
    assert client_for("owner").post(url).status_code == 302
    assert not TOTPDevice.objects.filter(user=injector.user).exists()
    assert not BackupCodes.objects.filter(user=injector.user).exists()
    assert TOTPDevice.objects.filter(user=staff_of("front_desk").user).exists()
    assert rows("two-factor-reset").get().detail == {"devices": devices}


def test_the_owner_sees_clinical_records_only_while_the_medical_director_grants_it(
    client_for, patient
):
    owner_staff = staff_of("owner")
    owner = client_for("owner")
    day = reverse("treatments:day")
    clinical = f"/api/v1/patients/{patient.public_id}/clinical"
    assert owner.get(day).status_code == 403
    assert owner.get(clinical).status_code in (403, 404)
    assert owner.get(reverse("patients:record", args=[patient.public_id])).status_code == 200
    # The owner cannot grant it to themselves, through the page or the service.
    grant = {"owner": str(owner_staff.public_id), "granted": "yes"}
    assert owner.post(reverse("clinic:clinical-access"), grant).status_code == 403
    director = client_for("medical_director")
    assert director.get(reverse("clinic:clinical-access")).status_code == 200
    assert director.post(reverse("clinic:clinical-access"), grant).status_code == 302
    assert owner.get(day).status_code == 200
    assert owner.get(clinical).status_code == 200
    row = rows("clinical-access").get()
    assert row.detail == {"granted": True} and row.actor_role == "medical_director"
    withdraw = {"owner": str(owner_staff.public_id), "granted": "no"}
    assert director.post(reverse("clinic:clinical-access"), withdraw).status_code == 302
    assert owner.get(day).status_code == 403
    bad = director.post(reverse("clinic:clinical-access"), {"owner": "x", "granted": "maybe"})
    assert bad.status_code == 422
    assert rows("clinical-access").count() == 2


def test_clinical_access_is_for_an_owner_and_never_self_granted(actor_of, clinic):
    from glabella.core.errors import Conflict, Forbidden
    from glabella.core.staff import set_clinical_access

    with pytest.raises(Conflict):
        set_clinical_access(actor_of("medical_director"), staff_of("injector"), True)
    director = staff_of("medical_director")
    with pytest.raises(Forbidden):
        set_clinical_access(actor_for(director.user), director, True)
    with pytest.raises(Forbidden):
        set_clinical_access(actor_of("owner"), staff_of("owner"), True)
    assert not rows("clinical-access").exists()


def test_unknown_people_tokens_and_links_are_answered_without_a_write(client_for, client, clinic):
    import uuid

    owner = client_for("owner")
    logged = AccessLog.objects.count()
    nobody = uuid.uuid4()
    assert owner.get(reverse("clinic:team-member", args=[nobody])).status_code == 404
    assert owner.post(reverse("clinic:team-member", args=[nobody]), {}).status_code == 404
    action = reverse("clinic:team-member-action", args=[nobody, "deactivate"])
    assert owner.post(action).status_code == 404
    assert owner.post(reverse("clinic:api-token-revoke", args=[nobody])).status_code == 404
    assert owner.get("/staff/team/not-a-uuid/").status_code == 404
    forged = reverse("clinic:welcome", args=["OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5", "zz-zz"])
    assert client.get(forged).status_code == 410
    weak = {
        "new_password1": "violet-harbour-ledger-91",
        "new_password2": "violet-harbour-ledger-91",
    }
    assert client.post(forged, weak).status_code == 410
    # A link for someone who has a password already (not invited) does not open either.
    injector = staff_of("injector")
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from glabella.core.staff import invitation_tokens

    uid = urlsafe_base64_encode(force_bytes(injector.user.pk))
    token = invitation_tokens.make_token(injector.user)
    injector.user.set_password("something-else-entirely-77")
    injector.user.save()
    assert client.get(reverse("clinic:welcome", args=[uid, token])).status_code == 410
    assert AccessLog.objects.count() == logged


def test_django_admin_shows_staff_but_changes_them_only_on_the_team_pages(client_for, clinic):
    owner = client_for("owner")
    assert owner.get("/admin/core/staffmember/").status_code == 200
    injector = staff_of("injector")
    page = owner.get(f"/admin/core/staffmember/{injector.pk}/change/")
    assert page.status_code == 200 and b'name="role"' not in page.content
    assert owner.get("/admin/core/staffmember/add/").status_code == 403


def test_nobody_changes_their_own_role_and_the_last_owner_stays_one(client_for, clinic):
    owner_staff = staff_of("owner")
    url = reverse("clinic:team-member", args=[owner_staff.public_id])
    owner = client_for("owner")
    data = dict(owner.get(url).context["form"].initial)
    data.update(role="front_desk", licence_expires="", supervising_prescriber="")
    refused = owner.post(url, data)
    assert refused.status_code == 422
    assert "your own role" in refused.context["form"].errors["role"][0]
    owner_staff.refresh_from_db()
    assert owner_staff.role == "owner"
    assert not rows("staff-member").exists()
    # The system (a command) may change anyone's role, but never the last owner's away.
    with pytest.raises(ValidationFailed) as refused_by_service:
        staff_service.change(
            system_actor("test"), owner_staff, {"role": "front_desk"}, today=clinic_today()
        )
    assert "needs an owner" in refused_by_service.value.fields["role"][0]


def test_the_owner_unlocks_a_locked_sign_in_on_the_persons_page(client_for, clinic, settings):
    desk = staff_of("front_desk")
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(settings.SIGN_IN_ACCOUNT_FAILURES):
        attacker.post(reverse("core:sign-in"), {"username": desk.user.email, "password": f"x{n}"})
    owner = client_for("owner")
    page = owner.get(reverse("clinic:team-member", args=[desk.public_id])).content.decode()
    assert "Sign-in is locked" in page
    url = reverse("clinic:team-member-action", args=[desk.public_id, "unlock"])
    assert client_for("medical_director").post(url).status_code == 403
    assert lockout.is_locked(desk.user)
    assert owner.post(url).status_code == 302
    assert not lockout.is_locked(desk.user)
    assert rows("account-lock").filter(action="delete", user=staff_of("owner").user).exists()
    page = owner.get(reverse("clinic:team-member", args=[desk.public_id])).content.decode()
    assert "Sign-in is locked" not in page
