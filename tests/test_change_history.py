"""Old and new values of every change to patient data, with who made it (django-simple-history),
and the staff page that shows them."""

from django.urls import reverse

from glabella.core.models import AccessLog
from glabella.patients.models import Patient


def test_a_change_through_the_api_keeps_old_and_new_values_and_who(client_for, users, patient):
    old_city = patient.city
    response = client_for("front_desk").patch(
        f"/api/v1/patients/{patient.public_id}",
        {"city": "Camarillo"},
        content_type="application/json",
    )
    assert response.status_code == 200
    latest = patient.history.latest()
    assert latest.history_type == "~" and latest.history_user == users["front_desk"]
    delta = latest.diff_against(latest.prev_record)
    assert {(c.field, c.old, c.new) for c in delta.changes} >= {("city", old_city, "Camarillo")}


def test_a_change_on_the_edit_page_is_kept_and_shown_with_old_and_new(client_for, patient):
    data = {
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "birth_date": patient.birth_date.isoformat(),
        "sex": patient.sex,
        "phone": "805 555 0188",
        "preferred_channel": "email",
        "email": patient.email,
    }
    response = client_for("front_desk").post(
        reverse("patients:edit", args=[patient.public_id]), data
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client_for("owner").get(reverse("patients:changes", args=[patient.public_id]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "(805) 555-0188" in text and "Frank Desmond" in text
    row = AccessLog.objects.filter(object_type="change-history").get()
    assert row.patient_public_id == patient.public_id and row.actor_role == "owner"


def test_clinical_entries_keep_their_history_and_front_desk_does_not_see_it(
    client_for, patient, users
):
    url = reverse("patients:add-entry", args=[patient.public_id, "allergy"])
    client_for("injector").post(url, {"name": "Latex", "severity": "mild", "reaction": "rash"})
    allergy = patient.allergies.get(name="Latex")
    entry_url = reverse(
        "patients:entry-active", args=[patient.public_id, "allergy", allergy.public_id]
    )
    assert client_for("injector").post(entry_url, {"active": "0"}).status_code == 302
    rows = list(allergy.history.order_by("history_date"))
    assert [r.history_type for r in rows] == ["+", "~"]
    assert [r.active for r in rows] == [True, False]
    assert {r.history_user for r in rows} == {users["injector"]}
    changes = reverse("patients:changes", args=[patient.public_id])
    clinician = client_for("medical_director").get(changes).content.decode()
    assert "Allergy: Latex" in clinician and "Nina Patel" in clinician
    desk = client_for("front_desk").get(changes).content.decode()
    assert "Latex" not in desk


def test_intake_answers_that_change_the_record_are_in_its_history(actor_of, users, patient):
    from django.utils import timezone

    from glabella.patients import history

    now = timezone.now()
    history.record_intake_history(
        actor_of("injector"),
        patient,
        {"allergies": ["Peanuts"], "medications": [], "conditions": []},
        pregnant=True,
        breastfeeding=None,
        today=now.date(),
        now=now,
    )
    latest = patient.history.latest()
    assert latest.pregnancy_status == "pregnant" and latest.history_user == users["injector"]
    assert latest.prev_record is None or latest.prev_record.pregnancy_status != "pregnant"
    added = patient.allergies.get(name="Peanuts").history.get()
    assert added.history_type == "+" and added.history_user == users["injector"]


def test_history_leaves_out_the_derived_search_keys(patient):
    fields = {f.name for f in Patient.history.model._meta.fields}
    assert "search_text" not in fields and "family_name" in fields
