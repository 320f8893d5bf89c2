"""API tokens with a scope and an expiry, issued and revoked on the owner's page or by command,
and licence expiry reminders."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from glabella.core import licences, periodic, tokens
from glabella.core import staff as staff_service
from glabella.core.access import system_actor
from glabella.core.models import AccessLog, ApiToken, LicenceReminder, StaffMember
from tests.conftest import STAFF_EMAILS, clinic_today

MINUTE = timedelta(seconds=60)


def staff_of(persona: str) -> StaffMember:
    return StaffMember.objects.select_related("user").get(user__username=STAFF_EMAILS[persona])


def bearer(raw: str) -> dict:
    return {"authorization": f"Bearer {raw}"}


def issue_on_page(client, person, **changes):
    data = {"staff": str(person.public_id), "name": "EHR bridge", "preset": "read", "days": "30"}
    data.update(changes)
    return client.post(reverse("clinic:api-tokens"), data)


def test_a_token_never_holds_what_the_issuers_own_role_does_not(client_for, actor_of):
    # The owner, without the medical director's grant, cannot lend themselves a clinician's
    # reach through a token acting as the injector.
    owner = client_for("owner")
    refused = issue_on_page(owner, staff_of("injector"))
    assert refused.status_code == 422
    assert "Your own role does not allow" in refused.context["form"].errors["scope"][0]
    assert not ApiToken.objects.exists()
    staff_service.set_clinical_access(actor_of("medical_director"), staff_of("owner"), True)
    assert issue_on_page(owner, staff_of("injector")).status_code == 201


def test_a_token_is_shown_once_listed_with_its_last_use_and_revoked(
    client_for, client, patient, actor_of
):
    owner = client_for("owner")
    injector = staff_of("injector")
    staff_service.set_clinical_access(actor_of("medical_director"), staff_of("owner"), True)
    issued = issue_on_page(owner, injector)
    assert issued.status_code == 201
    raw = issued.context["raw"]
    assert raw.startswith("glb_") and raw.encode() in issued.content
    token = ApiToken.objects.get()
    assert token.scope == sorted(["patient.view", "patient.view_clinical", "clinic.view"])
    assert token.expires_at == pytest.approx(timezone.now() + timedelta(days=30), abs=MINUTE)
    row = AccessLog.objects.get(object_type="api-token", action="create")
    # What the token reads is logged as the injector's, through this token.
    assert row.detail["name"] == "EHR bridge" and raw not in str(row.detail)

    listing = owner.get(reverse("clinic:api-tokens"))
    assert raw.encode() not in listing.content and b"Never" in listing.content
    url = f"/api/v1/patients/{patient.public_id}"
    assert client.get(url, headers=bearer(raw)).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    read = AccessLog.objects.filter(object_type="patient", action="read", channel="api").last()
    assert read.user == injector.user and f"(API token {token.hint}" in read.actor_label

    revoked = owner.post(reverse("clinic:api-token-revoke", args=[token.public_id]))
    assert revoked.status_code == 302
    answer = client.get(url, headers=bearer(raw))
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthorised"
    assert AccessLog.objects.filter(object_type="api-token", action="update").count() == 1
    # Revoking twice is refused without a second row.
    again = owner.post(reverse("clinic:api-token-revoke", args=[token.public_id]))
    assert again.status_code == 302
    assert AccessLog.objects.filter(object_type="api-token", action="update").count() == 1


def test_a_token_stops_when_it_expires(client, patient):
    staff = staff_of("injector")
    _, raw = tokens.issue(system_actor("t"), staff, "x", tokens.scope_for(staff, "read"), 1)
    url = f"/api/v1/patients/{patient.public_id}"
    assert client.get(url, headers=bearer(raw)).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=5)):
        assert client.get(url, headers=bearer(raw)).status_code == 401


def test_a_read_only_token_cannot_write_and_an_out_of_scope_call_is_403(client, patient):
    staff = staff_of("injector")
    _, reader = tokens.issue(system_actor("t"), staff, "r", tokens.scope_for(staff, "read"), 5)
    url = f"/api/v1/patients/{patient.public_id}"
    before = patient.city
    answer = client.patch(
        url, {"city": "Ojai"}, content_type="application/json", headers=bearer(reader)
    )
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden"
    patient.refresh_from_db()
    assert patient.city == before
    _, narrow = tokens.issue(system_actor("t"), staff, "n", ["patient.view"], 5)
    rooms = client.get("/api/v1/clinic/rooms", headers=bearer(narrow))
    assert rooms.status_code == 403 and rooms.json()["error"]["code"] == "forbidden"
    allergy = client.post(
        f"{url}/allergies", {}, content_type="application/json", headers=bearer(narrow)
    )
    assert allergy.status_code == 403
    _, writer = tokens.issue(system_actor("t"), staff, "w", tokens.scope_for(staff, "write"), 5)
    ok = client.patch(
        url, {"city": "Ojai"}, content_type="application/json", headers=bearer(writer)
    )
    assert ok.status_code == 200


def test_a_token_never_exceeds_its_users_role(client, patient):
    # A token written with every capability (as the upgrade gives old tokens) acts only as the
    # owner's role allows: without the medical director's grant, no clinical records.
    owner = staff_of("owner")
    _, raw = ApiToken.issue(
        owner.user,
        "old",
        scope=[c.value for c in tokens.Capability],
        expires_at=timezone.now() + timedelta(days=3),
    )
    clinical = client.get(f"/api/v1/patients/{patient.public_id}/clinical", headers=bearer(raw))
    assert clinical.status_code in (403, 404)
    assert (
        client.get(f"/api/v1/patients/{patient.public_id}", headers=bearer(raw)).status_code == 200
    )


@pytest.mark.parametrize(
    ("persona", "changes", "field"),
    [
        ("front_desk", {"preset": "chosen", "scope": ["patient.view_clinical"]}, "scope"),
        ("injector", {"preset": "chosen", "scope": []}, "scope"),
        ("injector", {"preset": "chosen", "scope": ["nonsense"]}, "scope"),
        ("injector", {"days": "0"}, "days"),
        ("injector", {"days": "366"}, "days"),
        ("injector", {"days": "99999999999999999999"}, "days"),
        ("injector", {"name": ""}, "name"),
        ("injector", {"name": "x" * 101}, "name"),
        ("injector", {"staff": "not-a-person"}, "staff"),
    ],
)
def test_a_bad_token_request_is_refused_field_by_field(client_for, clinic, persona, changes, field):
    logged = AccessLog.objects.count()
    response = issue_on_page(client_for("owner"), staff_of(persona), **changes)
    assert response.status_code == 422
    assert response.context["form"].errors.get(field), response.context["form"].errors
    assert not ApiToken.objects.exists()
    assert AccessLog.objects.count() == logged


def test_the_command_issues_with_a_scope_and_days(users, client, patient):
    out = StringIO()
    call_command(
        "api-token",
        "issue",
        "--user",
        STAFF_EMAILS["front_desk"],
        "--name",
        "Desk sync",
        "--scope",
        "write",
        "--days",
        "10",
        stdout=out,
    )
    token = ApiToken.objects.get()
    assert token.scope == sorted(
        ["patient.view", "patient.change", "clinic.view", "billing.take_payment"]
    )
    assert token.expires_at == pytest.approx(timezone.now() + timedelta(days=10), abs=MINUTE)
    assert AccessLog.objects.get(object_type="api-token").actor_role == "system"
    desk = STAFF_EMAILS["front_desk"]
    for user, more, refusal in [
        (desk, ["--scope", "patient.view_clinical"], "role does not allow"),
        (desk, ["--days", "400"], "1 to 365 days"),
        ("patient@demo.glabella.test", [], "not on the clinic's staff"),
    ]:
        with pytest.raises(CommandError, match=refusal):
            call_command(
                "api-token", "issue", "--user", user, "--name", "x", *more, stdout=StringIO()
            )
    listed = StringIO()
    call_command("api-token", "list", stdout=listed)
    assert "live until" in listed.getvalue()
    assert ApiToken.objects.count() == 1


# ---------------------------------------------------------------- licence reminders


def _top_of_hour():
    now = timezone.now().astimezone(UTC)
    return now.replace(minute=0, second=0, microsecond=0)


def test_licence_reminders_go_once_per_threshold_to_the_holder_and_the_owner(clinic, settings):
    settings.LICENCE_REMINDER_DAYS = [30, 7]
    injector = staff_of("injector")
    today = clinic_today()
    StaffMember.objects.exclude(pk=injector.pk).update(licence_expires=today + timedelta(days=900))
    injector.licence_expires = today + timedelta(days=30)
    injector.save()
    now = _top_of_hour()
    assert licences.send_reminders(now.replace(minute=5), today) == 0  # only at the hour
    assert licences.send_reminders(now, today) == 1
    assert set(mail.outbox[0].to) == {injector.user.email, STAFF_EMAILS["owner"]}
    assert "expires on" in mail.outbox[0].subject
    assert licences.send_reminders(now, today) == 0  # once per threshold
    assert licences.send_reminders(now, today + timedelta(days=10)) == 0  # 20 days: none due
    assert licences.send_reminders(now, today + timedelta(days=23)) == 1  # 7 days
    assert licences.send_reminders(now, today + timedelta(days=31)) == 1  # expired
    assert "has expired" in mail.outbox[-1].subject
    assert list(
        LicenceReminder.objects.order_by("-days_before").values_list("days_before", flat=True)
    ) == [30, 7, 0]
    assert AccessLog.objects.filter(object_type="licence-reminder").count() == 3
    # A renewed licence (a new date) is reminded afresh.
    injector.licence_expires = today + timedelta(days=20)
    injector.save()
    assert licences.send_reminders(now, today) == 1


def test_a_licence_reminder_goes_to_its_own_clinics_owners_under_its_brand(clinic, settings):
    """With two clinics in one deployment, a licence is nobody else's business."""
    from django.contrib.auth import get_user_model

    from glabella.clinic.models import Organisation
    from glabella.core.roles import Role

    settings.LICENCE_REMINDER_DAYS = [30]
    other = Organisation.objects.create(name="Harbor Skin Studio")
    user = get_user_model().objects.create_user(
        username="hazel@harbor.test", email="hazel@harbor.test"
    )
    StaffMember.objects.create(
        organisation=other, user=user, full_name="Hazel Ostrander", role=Role.OWNER
    )
    injector = staff_of("injector")
    today = clinic_today()
    StaffMember.objects.exclude(pk=injector.pk).update(licence_expires=today + timedelta(days=900))
    StaffMember.objects.filter(pk=injector.pk).update(licence_expires=today + timedelta(days=30))
    assert licences.send_reminders(_top_of_hour(), today) == 1
    (sent,) = mail.outbox
    assert set(sent.to) == {injector.user.email, STAFF_EMAILS["owner"]}
    assert injector.organisation.name in sent.body and "Harbor" not in sent.body


def test_licence_reminders_run_with_the_scheduler(clinic):
    assert "licence_reminders" in periodic.JOBS
    now = datetime(2031, 5, 4, 17, 30, tzinfo=UTC)
    assert periodic.JOBS["licence_reminders"](now) == 0


def test_every_permission_has_words_for_the_token_pages():
    from glabella.core.roles import Capability
    from glabella.core.tokens import CAPABILITY_WORDS

    assert set(CAPABILITY_WORDS) == set(Capability)


def test_the_owners_list_holds_staff_tokens_only(actor_of, patient):
    """A patient's tokens for her own apps are hers: the owner's page never lists them."""
    from glabella.core import tokens

    tokens.issue_for_patient(actor_of("patient"), "My health app", None)
    listed = tokens.listing(actor_of("owner"))
    assert ApiToken.objects.filter(user=patient.user).exists()
    assert not listed.filter(user=patient.user).exists()
