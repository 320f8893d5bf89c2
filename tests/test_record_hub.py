"""The patient record as the desk's hub: the sections the apps above add, each as the actor may
see it, and staff notes (issue 19, Deliver 3)."""

import pytest
from django.urls import reverse

from glabella.core.models import AccessLog
from glabella.patients.models import StaffNote
from tests.conftest import future_appointment


def record_page(client, patient):
    response = client.get(reverse("patients:record", args=[patient.public_id]))
    assert response.status_code == 200
    return response.content.decode()


def test_an_injector_sees_every_section_with_allergies_at_the_top(client_for, treated, patient):
    patient.allergies.create(name="Human albumin", severity="severe")
    future_appointment(patient, treated.appointment.location, days=7)
    page = record_page(client_for("injector"), patient)
    banner = page.index('id="allergies-banner"')
    assert banner < page.index('id="details"')
    assert "Human albumin (severe (anaphylaxis))" in page
    for section in ("visits", "forms", "decisions", "treatments", "outcomes", "messages"):
        assert f'id="{section}"' in page, section
    assert reverse("treatments:record", args=[treated.public_id]) in page
    assert "Aftercare instructions" in page  # the message signing sent


def test_a_front_desk_sees_visits_forms_and_messages_but_nothing_clinical(
    client_for, treated, patient
):
    patient.allergies.create(name="Human albumin", severity="severe")
    page = record_page(client_for("front_desk"), patient)
    for section in ("visits", "forms", "outcomes", "messages", "notes"):
        assert f'id="{section}"' in page, section
    for hidden in ('id="decisions"', 'id="treatments"', "allergies-banner", "Human albumin"):
        assert hidden not in page, hidden
    assert reverse("treatments:record", args=[treated.public_id]) not in page
    assert "Outcome photos" not in page
    # The desk sees that an aftercare message went, not what it said about the treatment.
    assert "Aftercare instructions" in page
    assert "glabellar" not in page.lower()


def test_the_forms_section_says_how_each_form_was_given(client_for, treated, patient):
    page = record_page(client_for("front_desk"), patient)
    forms = page[page.index('id="forms"') : page.index('id="outcomes"')]
    assert "Health questions" in forms and "Answered" in forms
    assert "Neuromodulator treatment" in forms and "Signed" in forms
    assert "at the desk" in forms or "on the clinic tablet" in forms or "by the link" in forms


def test_the_visits_section_offers_book_and_move_to_the_desk_only(client_for, clinic, patient):
    visit = future_appointment(patient, clinic, days=3)
    page = record_page(client_for("front_desk"), patient)
    assert f"{reverse('scheduling:staff-book')}?patient={patient.public_id}" in page
    # Move and cancel open the calendar's own pages: a new time confirmed; who cancels and why.
    assert reverse("scheduling:move-visit", args=[visit.public_id]) in page
    assert reverse("scheduling:cancel-visit", args=[visit.public_id]) in page
    assert reverse("scheduling:appointment-action", args=[visit.public_id, "cancel"]) not in page


def test_a_patient_without_history_shows_empty_sections(client_for, other_patient):
    page = record_page(client_for("injector"), other_patient)
    assert "Nothing booked." in page
    assert "No treatments recorded." in page
    assert "No messages sent yet." in page
    assert "none recorded" in page  # the allergy banner, calm


def test_the_record_page_is_still_logged_once_as_a_read(client_for, patient):
    before = AccessLog.objects.filter(patient_public_id=patient.public_id, action="read").count()
    record_page(client_for("front_desk"), patient)
    rows = AccessLog.objects.filter(patient_public_id=patient.public_id, action="read")
    assert rows.count() == before + 1


# ---------------------------------------------------------------- staff notes


def note_url(patient):
    return reverse("patients:add-note", args=[patient.public_id])


def test_the_desk_adds_a_note_with_author_and_time(client_for, patient):
    client = client_for("front_desk")
    response = client.post(note_url(patient), {"text": "Prefers mornings; call before 4 pm."})
    assert response.status_code == 302
    note = StaffNote.objects.get(patient=patient)
    assert note.author_name and note.author is not None
    assert AccessLog.objects.filter(
        object_type="staff-note", object_id=str(note.public_id), action="create"
    ).exists()
    page = record_page(client_for("injector"), patient)
    assert "Prefers mornings; call before 4 pm." in page
    assert note.author_name in page


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Write the note."),
        ("   ", "Write the note."),
        ("x" * 1001, "Use at most 1,000 characters"),
        ("bad\x00byte", "null characters"),
        ("bad\x07bell", "control characters"),
        ("hidden\u200bspace", "invisible"),
    ],
)
def test_a_bad_note_is_refused_on_its_field_and_nothing_is_written(
    client_for, patient, text, message
):
    response = client_for("front_desk").post(note_url(patient), {"text": text})
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="id_text_error"' in body
    assert message.lower() in body.lower()
    assert not StaffNote.objects.exists()


def test_notes_are_not_for_patients_and_need_the_change_capability(client_for, patient, users):
    from glabella.core.access import actor_for
    from glabella.core.errors import Forbidden
    from glabella.patients import notes

    assert client_for("patient").post(note_url(patient), {"text": "hi"}).status_code in (302, 403)
    assert not StaffNote.objects.exists()
    StaffNote.objects.create(patient=patient, text="Staff only", author_name="Desk")
    patient_actor = actor_for(users["patient"])
    assert not StaffNote.objects.restrict(patient_actor).exists()
    with pytest.raises(Forbidden):
        notes.add_note(patient_actor, patient, "from the portal")


# ---------------------------------------------------------------- bounded queries


def fill_history(patient, clinic, n: int, first_day: int = 2) -> None:
    """n past and n future visits, each on a day of its own from `first_day` (one provider is
    never booked twice at once: PostgreSQL's exclusion constraint refuses it)."""
    from glabella.messaging.models import Message
    from glabella.treatments.models import TreatmentRecord

    for i in range(n):
        day = first_day + i
        past = future_appointment(patient, clinic, days=-day, service_slug="neuromodulator")
        future_appointment(patient, clinic, days=day)
        TreatmentRecord.objects.create(
            appointment=past, patient=patient, injector=past.provider, product="botox_cosmetic"
        )
        Message.objects.create(
            patient=patient, channel="email", to=patient.email, topic="reminder", body="See you"
        )
        StaffNote.objects.create(patient=patient, text=f"Note {i}", author_name="Desk")
        patient.allergies.create(name=f"Thing {i}")


@pytest.mark.parametrize("persona", ["front_desk", "injector"])
def test_the_record_page_runs_a_fixed_number_of_queries_whatever_the_history(
    client_for, clinic, other_patient, persona
):
    from tests.test_queries import queries

    client = client_for(persona)
    url = reverse("patients:record", args=[other_patient.public_id])
    fill_history(other_patient, clinic, 2)
    few = queries(client, url)
    fill_history(other_patient, clinic, 25, first_day=4)
    assert queries(client, url) == few


def test_the_demo_shows_staff_notes_on_graces_record(client_for, patient):
    from django.core.management import call_command

    def run():
        call_command("demo-data", "--patients", "0", "--history-days", "20", "--quiet-logins")

    run()
    run()  # once only
    assert StaffNote.objects.filter(patient=patient).count() == 2
    assert AccessLog.objects.filter(object_type="staff-note", action="create").count() == 2
    page = record_page(client_for("front_desk"), patient)
    assert "Asked for the same injector as last time." in page
