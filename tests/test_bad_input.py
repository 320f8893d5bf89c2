"""Bad input on every form and endpoint: a field-level 4xx, never a 500, and nothing written."""

import pytest
from django.urls import reverse

from glabella.core.models import AccessLog
from glabella.patients.models import Allergy, Condition, Medication, Patient


def snapshot():
    return (
        Patient.objects.count(),
        list(Patient.objects.order_by("id").values_list("updated_at", "phone", "search_text")),
        Allergy.objects.count(),
        Condition.objects.count(),
        Medication.objects.count(),
        # A refused attempt is logged (issue 18), but it writes nothing to the record.
        AccessLog.objects.exclude(action__in=["read", "search", "refused"]).count(),
    )


GOOD = {
    "given_name": "Ana",
    "family_name": "Ruiz",
    "birth_date": "1990-05-01",
    "sex": "female",
    "phone": "805 555 0123",
    "email": "ana@example.com",
    "preferred_channel": "email",
    "email_consent": "on",
}

# (changes to a good registration, the field that must carry the message)
BAD_REGISTRATIONS = [
    ({"given_name": ""}, "given_name"),
    ({"family_name": "   "}, "family_name"),
    ({"birth_date": "2999-01-01"}, "birth_date"),
    ({"birth_date": "1850-01-01"}, "birth_date"),
    ({"birth_date": "31/31/1990"}, "birth_date"),
    ({"phone": "12"}, "phone"),
    ({"phone": "805 555 01234 999"}, "phone"),
    ({"phone": "call me"}, "phone"),
    ({"email": "ana@"}, "email"),
    ({"phone": "", "email": ""}, "phone"),
    ({"sex": "robot"}, "sex"),
    ({"state": "California"}, "state"),
    ({"postal_code": "9136"}, "postal_code"),
    ({"preferred_channel": "sms", "phone": ""}, "preferred_channel"),
    ({"sms_consent": "on", "phone": ""}, "sms_consent"),
    ({"preferred_location": "6f1c1d2e-0000-4000-8000-000000000000"}, "preferred_location"),
    ({"emergency_contact_phone": "000"}, "emergency_contact_phone"),
    ({"given_name": "Ana\x00"}, "given_name"),
    ({"given_name": "A" * 101}, "given_name"),
]


@pytest.mark.parametrize(
    ("change", "field"), BAD_REGISTRATIONS, ids=[f for _, f in BAD_REGISTRATIONS]
)
def test_the_registration_form_refuses_bad_input_field_by_field(client_for, change, field):
    before = snapshot()
    response = client_for("front_desk").post(reverse("patients:register"), {**GOOD, **change})
    assert response.status_code == 422
    assert field in response.context["form"].errors, response.context["form"].errors
    assert snapshot() == before


def test_the_registration_form_accepts_good_input(client_for):
    response = client_for("front_desk").post(reverse("patients:register"), GOOD)
    assert response.status_code == 302
    ana = Patient.objects.get(family_name="Ruiz")
    assert ana.phone == "+18055550123"
    assert ana.email_consent and ana.email_consent_at is not None


@pytest.mark.parametrize(
    ("change", "field"), BAD_REGISTRATIONS, ids=[f for _, f in BAD_REGISTRATIONS]
)
def test_the_edit_form_refuses_bad_input_field_by_field(client_for, patient, change, field):
    before = snapshot()
    response = client_for("front_desk").post(
        reverse("patients:edit", args=[patient.public_id]), {**GOOD, **change}
    )
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert snapshot() == before


@pytest.mark.parametrize(
    ("kind", "data", "field"),
    [
        ("allergy", {"name": ""}, "name"),
        ("allergy", {"name": "Latex", "severity": "apocalyptic"}, "severity"),
        ("allergy", {"name": "x" * 151}, "name"),
        ("condition", {"name": "Asthma", "since": "2999-01-01"}, "since"),
        ("condition", {"name": "Asthma", "since": "1900-01-01"}, "since"),
        ("condition", {"name": "Asthma", "since": "yesterday"}, "since"),
        ("medication", {"name": "", "dose": "10 mg"}, "name"),
        ("medication", {"name": "Aspirin\x00"}, "name"),
    ],
)
def test_clinical_entry_forms_refuse_bad_input(client_for, patient, kind, data, field):
    before = snapshot()
    url = reverse("patients:add-entry", args=[patient.public_id, kind])
    response = client_for("injector").post(url, data)
    assert response.status_code == 422
    assert field in response.context["clinical_forms"][kind].errors
    assert snapshot() == before


def test_an_unknown_clinical_kind_is_a_404(client_for, patient):
    url = reverse("patients:add-entry", args=[patient.public_id, "tattoo"])
    assert client_for("injector").post(url, {"name": "rose"}).status_code == 404


def test_the_status_form_refuses_unknown_statuses(client_for, patient):
    before = snapshot()
    response = client_for("injector").post(
        reverse("patients:status", args=[patient.public_id]),
        {"pregnancy_status": "maybe", "breastfeeding_status": "no"},
    )
    assert response.status_code == 422
    assert "pregnancy_status" in response.context["status_form"].errors
    assert snapshot() == before


def test_the_status_form_records_the_date(client_for, patient):
    client_for("injector").post(
        reverse("patients:status", args=[patient.public_id]),
        {"pregnancy_status": "pregnant", "breastfeeding_status": "no"},
    )
    patient.refresh_from_db()
    assert patient.pregnancy_status == "pregnant"
    assert patient.pregnancy_recorded_on is not None


def test_entry_active_refuses_anything_but_0_or_1(client_for, patient):
    allergy = patient.allergies.create(name="Latex")
    url = reverse("patients:entry-active", args=[patient.public_id, "allergy", allergy.public_id])
    assert client_for("injector").post(url, {"active": "maybe"}).status_code == 400
    allergy.refresh_from_db()
    assert allergy.active


def test_sign_in_with_a_wrong_password_says_so_and_signs_nobody_in(client, clinic):
    response = client.post(
        reverse("core:sign-in"), {"username": "owner@demo.glabella.test", "password": "wrong"}
    )
    assert response.status_code == 422
    assert "do not match" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_in_with_nothing_names_both_fields(client, clinic):
    response = client.post(reverse("core:sign-in"), {})
    assert response.status_code == 422
    assert set(response.context["form"].errors) == {"username", "password"}


def test_sign_in_with_the_demo_password_works_and_uses_argon2(
    client, clinic, django_user_model, settings
):
    from tests.conftest import PRODUCTION_HASHERS, TEST_HASHERS

    # Under the production list (the suite's quick hash is kept last so its accounts still sign
    # in), a sign-in stores the password as Argon2.
    assert PRODUCTION_HASHERS[0].endswith("Argon2PasswordHasher")
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS + TEST_HASHERS
    response = client.post(
        reverse("core:sign-in"),
        {"username": "desk@demo.glabella.test", "password": "glabella-demo"},
    )
    assert response.status_code == 302
    user = django_user_model.objects.get(username="desk@demo.glabella.test")
    assert user.password.startswith("argon2$")


def test_a_huge_or_strange_search_query_is_not_an_error(client_for):
    client = client_for("front_desk")
    for query in ["x" * 5000, "\x00", "%", "_", "' OR 1=1 --", "😀", "1/1/1"]:
        response = client.get(reverse("patients:search"), {"q": query})
        assert response.status_code == 200, query


# --- the API -------------------------------------------------------------------------------

API_GOOD = {
    "given_name": "Ana",
    "family_name": "Ruiz",
    "birth_date": "1990-05-01",
    "phone": "805 555 0123",
    "preferred_channel": "sms",
    "sms_consent": True,
}

BAD_API_BODIES = [
    ({"given_name": None}, "given_name"),
    ({"birth_date": "1990-02-30"}, "birth_date"),
    ({"birth_date": "2999-01-01"}, "birth_date"),
    ({"phone": "12"}, "phone"),
    ({"email": "nope"}, "email"),
    ({"sex": "robot"}, "sex"),
    ({"preferred_channel": "pigeon"}, "preferred_channel"),
    ({"sms_consent": "perhaps"}, "sms_consent"),
    ({"preferred_location": "not-a-uuid"}, "preferred_location"),
    ({"preferred_location": "6f1c1d2e-0000-4000-8000-000000000000"}, "preferred_location"),
    ({"favourite_colour": "teal"}, "favourite_colour"),
    ({"pregnancy_status": "maybe"}, "pregnancy_status"),
    ({"family_name": "Ruiz\x00"}, "family_name"),
    ({"state": "CAL"}, "state"),
]


@pytest.mark.parametrize(("change", "field"), BAD_API_BODIES, ids=[f for _, f in BAD_API_BODIES])
def test_the_register_endpoint_refuses_bad_input_field_by_field(client_for, change, field):
    before = snapshot()
    response = client_for("injector").post(
        "/api/v1/patients", {**API_GOOD, **change}, content_type="application/json"
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"]["code"] == "validation_error"
    assert field in body["error"]["fields"], body
    assert snapshot() == before


@pytest.mark.parametrize(("change", "field"), BAD_API_BODIES, ids=[f for _, f in BAD_API_BODIES])
def test_the_change_endpoint_refuses_bad_input_field_by_field(client_for, patient, change, field):
    if change.get("given_name", "") is None:
        change = {"given_name": ""}
    before = snapshot()
    response = client_for("injector").patch(
        f"/api/v1/patients/{patient.public_id}", change, content_type="application/json"
    )
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"], response.json()
    assert snapshot() == before


def test_the_register_endpoint_registers(client_for):
    response = client_for("injector").post(
        "/api/v1/patients", API_GOOD, content_type="application/json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["phone"] == "+18055550123"
    assert Patient.objects.filter(family_name="Ruiz").count() == 1


def test_front_desk_may_not_record_pregnancy_through_the_api(client_for, patient):
    before = snapshot()
    response = client_for("front_desk").patch(
        f"/api/v1/patients/{patient.public_id}",
        {"pregnancy_status": "pregnant"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("allergies", {"name": ""}, None),
        ("allergies", {"name": "Latex", "severity": "bad"}, "severity"),
        ("allergies", {"name": "Latex", "colour": "red"}, "colour"),
        ("conditions", {"name": "Asthma", "since": "2999-01-01"}, "since"),
        ("conditions", {"name": "Asthma", "since": "soon"}, "since"),
        ("medications", {"dose": "10 mg"}, "name"),
        ("medications", {"name": "x" * 151}, "name"),
    ],
)
def test_clinical_endpoints_refuse_bad_input(client_for, patient, path, body, field):
    before = snapshot()
    response = client_for("injector").post(
        f"/api/v1/patients/{patient.public_id}/{path}", body, content_type="application/json"
    )
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert (field or "name") in fields
    assert snapshot() == before


def test_malformed_json_is_a_400_and_writes_nothing(client_for):
    before = snapshot()
    response = client_for("injector").post(
        "/api/v1/patients", "{not json", content_type="application/json"
    )
    assert 400 <= response.status_code < 500
    assert "error" in response.json()
    assert snapshot() == before


def test_a_malformed_patient_id_is_a_field_error(client_for):
    response = client_for("injector").get("/api/v1/patients/123")
    assert response.status_code == 422
    assert "public_id" in response.json()["error"]["fields"]


@pytest.mark.parametrize("q", ["", "x" * 101])
def test_search_needs_a_sensible_query(client_for, q):
    response = client_for("injector").get("/api/v1/patients", {"q": q})
    assert response.status_code == 422
    assert "q" in response.json()["error"]["fields"]


@pytest.mark.parametrize("q", ["", "   ", "!!!", "12"])
def test_the_service_area_check_needs_a_city_or_zip(client, clinic, q):
    response = client.get("/api/v1/clinic/service-area", {"q": q})
    assert response.status_code == 422
    assert "q" in response.json()["error"]["fields"]


def test_session_writes_need_the_csrf_token(users, patient):
    from django.test import Client

    from tests.conftest import pass_second_factor

    client = Client(enforce_csrf_checks=True)
    client.force_login(users["injector"])
    pass_second_factor(client, users["injector"])
    before = snapshot()
    response = client.patch(
        f"/api/v1/patients/{patient.public_id}", {"city": "Ojai"}, content_type="application/json"
    )
    assert response.status_code in (401, 403)
    assert snapshot() == before


def test_a_revoked_token_is_refused(users, client, patient):
    from django.utils import timezone

    from glabella.core import tokens
    from glabella.core.access import system_actor

    staff = users["injector"].staff
    token, raw = tokens.issue(
        system_actor("test"), staff, "old", tokens.scope_for(staff, "write"), 9
    )
    token.revoked_at = timezone.now()
    token.save()
    response = client.get(
        f"/api/v1/patients/{patient.public_id}", headers={"authorization": f"Bearer {raw}"}
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorised"


def test_the_service_limits_text_to_the_columns_own_length():
    # emergency_contact_name is 150 characters in the database: the service itself refuses 151,
    # whatever adapter calls it, rather than leaving it to the database (a 500 on PostgreSQL).
    from datetime import date

    from glabella.core.errors import ValidationFailed
    from glabella.patients.services import clean_patient_fields

    with pytest.raises(ValidationFailed) as err:
        clean_patient_fields(
            {"emergency_contact_name": "x" * 151}, today=date(2026, 11, 22), partial=True
        )
    assert err.value.fields["emergency_contact_name"] == ["Use at most 150 characters."]


def test_the_oldest_birth_date_check_works_on_a_leap_day():
    from datetime import date

    from glabella.core.errors import ValidationFailed
    from glabella.patients.services import clean_patient_fields

    # 120 years before 29 February 2020 is 1900, which has no 29 February.
    leap_day = date(2020, 2, 29)
    ok = clean_patient_fields({"birth_date": date(1900, 2, 28)}, today=leap_day, partial=True)
    assert ok["birth_date"] == date(1900, 2, 28)
    with pytest.raises(ValidationFailed) as err:
        clean_patient_fields({"birth_date": date(1900, 2, 27)}, today=leap_day, partial=True)
    assert "birth_date" in err.value.fields
