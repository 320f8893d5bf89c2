"""Every create, read, update and search of patient data leaves an access-log row."""

import pytest
from django.db import DatabaseError, transaction
from django.urls import reverse

from glabella.core import tokens
from glabella.core.access import system_actor
from glabella.core.models import AccessLog, ApiToken
from glabella.patients.models import Patient


def rows_for(patient, **filters):
    return AccessLog.objects.filter(patient_public_id=patient.public_id, **filters)


def test_opening_a_record_is_logged_with_who_role_and_address(client_for, patient):
    client_for("front_desk").get(
        reverse("patients:record", args=[patient.public_id]), REMOTE_ADDR="10.1.2.3"
    )
    row = rows_for(patient, action="read").get()
    assert row.actor_role == "front_desk"
    assert row.actor_label.startswith("Frank Desmond")
    assert row.user.username == "desk@demo.glabella.test"
    assert row.ip == "10.1.2.3"
    assert row.channel == "web"
    assert row.object_type == "patient"


def test_a_clinician_opening_a_record_logs_the_clinical_read_too(client_for, patient):
    client_for("injector").get(reverse("patients:record", args=[patient.public_id]))
    assert set(rows_for(patient, action="read").values_list("object_type", flat=True)) == {
        "patient",
        "clinical-history",
    }


def test_a_search_logs_which_patients_were_shown(client_for, patient):
    client_for("front_desk").get(reverse("patients:search"), {"q": "Holloway"})
    row = AccessLog.objects.get(action="search")
    assert str(patient.public_id) in row.detail["results"]
    assert "Holloway" not in str(row.detail)  # the query itself is not kept


def test_registering_logs_a_create(client_for):
    client_for("front_desk").post(
        reverse("patients:register"),
        {
            "given_name": "Ana",
            "family_name": "Ruiz",
            "birth_date": "1990-05-01",
            "sex": "female",
            "phone": "805 555 0123",
            "preferred_channel": "sms",
            "sms_consent": "on",
        },
    )
    created = Patient.objects.get(family_name="Ruiz")
    assert rows_for(created, action="create").count() == 1


def test_an_update_logs_the_changed_field_names_not_their_values(client_for, patient):
    client = client_for("injector")
    response = client.patch(
        f"/api/v1/patients/{patient.public_id}",
        {"phone": "805-555-0199", "city": "Camarillo"},
        content_type="application/json",
    )
    assert response.status_code == 200
    row = rows_for(patient, action="update").get()
    assert sorted(row.detail["fields"]) == ["city", "phone"]
    assert row.channel == "api"
    assert "0199" not in str(row.detail)


def test_an_update_that_changes_nothing_logs_no_update(client_for, patient):
    client_for("injector").patch(
        f"/api/v1/patients/{patient.public_id}",
        {"city": patient.city},
        content_type="application/json",
    )
    assert not rows_for(patient, action="update").exists()


def test_api_reads_with_a_token_are_logged_as_the_tokens_user(users, client, patient):
    staff = users["medical_director"].staff
    _, raw = tokens.issue(
        system_actor("test"), staff, "EHR bridge", ["patient.view", "patient.view_clinical"], 9
    )
    response = client.get(
        f"/api/v1/patients/{patient.public_id}/clinical", headers={"authorization": f"Bearer {raw}"}
    )
    assert response.status_code == 200
    row = rows_for(patient, object_type="clinical-history").get()
    assert row.actor_role == "medical_director"
    assert row.channel == "api"


def test_a_patient_reading_their_own_record_is_logged(client_for, patient):
    client_for("patient").get(reverse("patients:portal-me"))
    row = rows_for(patient, action="read").get()
    assert row.actor_role == "patient"
    assert row.channel == "portal"


def test_a_refused_read_is_not_a_read(client_for, patient):
    client_for("front_desk").get(f"/api/v1/patients/{patient.public_id}/clinical")
    assert not rows_for(patient).exists()


def test_the_owner_browses_one_patients_log(client_for, patient):
    client_for("front_desk").get(reverse("patients:record", args=[patient.public_id]))
    response = client_for("owner").get(
        reverse("patients:access-log"), {"patient": str(patient.public_id)}
    )
    assert response.status_code == 200
    assert b"Frank Desmond" in response.content
    assert b"Viewed" in response.content


def test_the_log_shows_what_a_row_is_about_in_words(client_for, patient):
    client_for("injector").get(reverse("patients:record", args=[patient.public_id]))
    page = client_for("owner").get(reverse("patients:access-log")).content.decode()
    assert "clinical history" in page and "clinical-history" not in page


def test_a_row_is_about_a_kind_never_a_free_string(users):
    from glabella.core import audit
    from glabella.core.access import actor_for
    from glabella.core.models import StaffMember

    actor = actor_for(StaffMember.objects.filter(role="owner").first().user)
    with pytest.raises(TypeError, match="photos"):
        audit.record(actor, audit.Action.READ, "photos")
    with pytest.raises(TypeError, match="nonsense"):
        audit.record_listing(actor, "nonsense", [])
    with pytest.raises(TypeError):
        audit.record(actor, audit.Action.READ, 42)
    assert not AccessLog.objects.exists()
    row = audit.record(actor, audit.Action.READ, audit.Kind.CLINICAL_PHOTO)
    assert row.object_type == "clinical-photo" and row.object_words == "clinical photo"
    # Even a string that spells a kind is refused: every caller names its Kind.
    with pytest.raises(TypeError, match=r"audit\.Kind"):
        audit.record(actor, audit.Action.READ, "clinical-photo")


def test_browsing_the_log_of_an_unknown_patient_is_a_404(client_for):
    url = reverse("patients:access-log")
    assert client_for("owner").get(url, {"patient": "not-a-uuid"}).status_code == 404
    assert (
        client_for("owner")
        .get(url, {"patient": "6f1c1d2e-0000-4000-8000-000000000000"})
        .status_code
        == 404
    )


def test_log_rows_cannot_be_changed_through_the_model(client_for, patient):
    client_for("front_desk").get(reverse("patients:record", args=[patient.public_id]))
    row = AccessLog.objects.first()
    row.actor_label = "someone else"
    with pytest.raises(ValueError, match="never changed"):
        row.save()


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_to_change_a_log_row(clinic):
    from glabella.core.access import system_actor
    from glabella.core.audit import Kind, record

    row = record(system_actor("test"), "read", Kind.PATIENT)
    with pytest.raises(DatabaseError, match="never changed"), transaction.atomic():
        AccessLog.objects.filter(pk=row.pk).update(actor_label="forged")
    assert AccessLog.objects.get(pk=row.pk).actor_label == "test"


def test_api_tokens_are_issued_once_listed_and_revoked(users, client, patient):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command(
        "api-token", "issue", "--user", "injector@demo.glabella.test", "--name", "EHR", stdout=out
    )
    raw = out.getvalue().split(": ", 1)[1].split()[0]
    token = ApiToken.objects.get()
    assert token.digest == ApiToken.digest_of(raw) and raw not in token.digest
    url = f"/api/v1/patients/{patient.public_id}"
    assert client.get(url, headers={"authorization": f"Bearer {raw}"}).status_code == 200
    call_command("api-token", "revoke", str(token.public_id), stdout=StringIO())
    assert client.get(url, headers={"authorization": f"Bearer {raw}"}).status_code == 401
    with pytest.raises(CommandError, match="no token"):
        call_command("api-token", "revoke", "nonsense", stdout=StringIO())
    with pytest.raises(CommandError, match="no user"):
        call_command("api-token", "issue", "--user", "ghost@example.com", "--name", "x")


def test_a_nested_write_transaction_is_refused_rather_than_hanging(db):
    from glabella.core.db import write_transaction

    # SQLite: our writers' lock; PostgreSQL: Django's durable transaction refuses it itself.
    with write_transaction(), pytest.raises(RuntimeError, match="nest"), write_transaction():
        pass
    with write_transaction():  # the first one released everything
        pass
