"""MedWatch 3500 in full: product availability from the vial's state, every outcome the form has,
B6 tests and B7 history (filled from the record, editable), dechallenge and rechallenge, the age
or the date of birth (never both); the JSON, the PDF's text, the page and the API, and bad input
on every new field refused field by field with nothing written."""

import io
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from glabella.aftercare import form3500, medwatch
from glabella.aftercare.form3500 import Available, VialNow
from glabella.aftercare.models import AdverseEvent
from glabella.clinic.clock import clinic_today
from glabella.core import styles
from glabella.core.models import AccessLog
from tests.conftest import proof_for
from tests.test_aftercare import EVENTS_API, post_json
from tests.test_aftercare import event_data as base_data

NOW = datetime(2026, 6, 15, 18, 0, tzinfo=UTC)
TODAY = date(2026, 6, 15)


def event_data(**changes):
    """A good event that began today on the clinic's clock (the day of the treatment)."""
    return base_data(onset_on=clinic_today().isoformat(), **changes)


def pdf_text(content: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


def vial(number=1, state="reconstituted", left="80", discard_by=None) -> VialNow:
    return VialNow(number, state, Decimal(left), discard_by)


def available(used, same_lot=(), returned_on=None):
    return form3500.product_availability(
        used, list(same_lot), lot_number="A1", returned_on=returned_on, now=NOW
    )


# ---------------------------------------------------------------- C. availability, pure


def test_the_product_is_available_while_the_vial_used_still_holds_some():
    found = available(vial(left="37.5", discard_by=NOW + timedelta(hours=5)))
    assert found.answer == Available.YES and found.label == "Yes"
    assert "vial 1" in found.detail and "37.5 U left" in found.detail


def test_a_reconstituted_vial_past_its_discard_time_is_available_and_kept_aside():
    found = available(vial(discard_by=NOW - timedelta(minutes=1)))
    assert found.answer == Available.YES and "keep it aside" in found.detail


@pytest.mark.parametrize(
    ("state", "left", "said"),
    [
        ("used_up", "0", "is used up"),
        ("expired", "0", "written off as expired"),
        ("discarded", "0", "was discarded"),
        ("reconstituted", "0", "is empty"),
    ],
)
def test_a_vial_used_up_expired_or_discarded_is_not_available(state, left, said):
    found = available(vial(state=state, left=left))
    assert found.answer == Available.NO and found.label == "No"
    assert said in found.detail and "no other vial of its lot" in found.detail


def test_a_gone_vial_whose_lot_is_still_on_the_shelf_leaves_the_product_available():
    shelf = [vial(2, "sealed", "100"), vial(3, "sealed", "100"), vial(4, "discarded", "0")]
    found = available(vial(state="used_up", left="0"), shelf)
    assert found.answer == Available.YES
    assert "is used up; 2 sealed vials of the same lot are held" in found.detail
    found = available(vial(state="discarded", left="0"), [vial(5, "reconstituted", "12")])
    assert found.answer == Available.YES
    assert "1 reconstituted vial of the same lot is held" in found.detail


def test_a_product_returned_to_its_maker_says_so_with_the_day_whatever_the_vial():
    found = available(vial(), returned_on=date(2026, 6, 10))
    assert found.answer == Available.RETURNED and found.label == "Returned to manufacturer"
    assert "2026-06-10" in found.detail


def test_no_vial_on_the_record_means_no_product_to_evaluate():
    assert available(None).answer == Available.NO


# ---------------------------------------------------------------- A2, B7 and the checks, pure


def test_the_form_gets_the_age_at_the_event_or_the_date_of_birth_never_both():
    born = date(1990, 6, 16)
    by_age = form3500.age_or_birth(born, date(2026, 6, 15), form3500.AgeOrBirth.AGE)
    assert by_age == {"age_at_event": 35, "age_unit": "years"}
    assert form3500.age_or_birth(born, date(2026, 6, 16), "age")["age_at_event"] == 36
    by_birth = form3500.age_or_birth(born, date(2026, 6, 15), form3500.AgeOrBirth.BIRTH_DATE)
    assert by_birth == {"date_of_birth": "1990-06-16"}


def test_other_relevant_history_is_read_from_what_the_record_holds():
    facts = form3500.RecordFacts(
        allergies=(("Penicillin", "rash", "Moderate"), ("Latex", "", "")),
        conditions=(("Asthma", date(2010, 3, 1)), ("Migraine", None)),
        pregnancy=("Not pregnant", date(2026, 6, 1)),
        breastfeeding=None,
        intake_on=date(2026, 6, 1),
        intake_answers={"neuromuscular_disorder": False, "heart_disease": True, "pregnant": None},
        recent_toxin=(("Dysport", "2026-03-01", "medical"),),
    )
    assert form3500.history_from(facts) == [
        "Allergy: Penicillin (rash, Moderate)",
        "Allergy: Latex",
        "Condition: Asthma (since Mar 1, 2010)",
        "Condition: Migraine",
        "Pregnancy: Not pregnant (recorded Jun 1, 2026)",
        "At the intake of Jun 1, 2026 the patient reported heart disease or a heart rhythm problem",
        "Earlier botulinum toxin: Dysport, 2026-03-01, medical",
    ]
    assert form3500.history_from(form3500.RecordFacts()) == []


def check(**data):
    return form3500.check(
        {"outcomes": ["other_serious"], **data},
        onset=date(2026, 6, 10),
        treated_on=date(2026, 6, 8),
        birth_date=date(1990, 1, 1),
        today=TODAY,
    )


@pytest.mark.parametrize("outcome", [o.value for o in form3500.Outcome if o != "death"])
def test_every_outcome_box_of_the_form_can_be_ticked(outcome):
    cleaned, errors = check(outcomes=[outcome])
    assert errors == {} and cleaned["outcomes"] == [outcome]


def test_death_is_recorded_with_its_date_between_the_event_and_today():
    cleaned, errors = check(outcomes=["death", "hospitalisation"], died_on="2026-06-12")
    assert errors == {} and cleaned["died_on"] == date(2026, 6, 12)
    assert check(outcomes=["death"])[1] == {"died_on": ["Give the date of death, as YYYY-MM-DD."]}
    assert "died_on" in check(outcomes=["death"], died_on="2026-06-16")[1]
    assert "died_on" in check(outcomes=["death"], died_on="2026-06-09")[1]
    assert "died_on" in check(outcomes=["other_serious"], died_on="2026-06-12")[1]


def test_none_of_these_cannot_go_with_another_outcome():
    assert "outcomes" in check(outcomes=["none", "disability"])[1]


def test_tests_are_kept_with_their_day_and_history_lines_as_typed():
    cleaned, errors = check(
        relevant_tests=[
            {"test": "  Edrophonium   test ", "result": "negative", "on": "2026-06-11"},
            {"test": "Swallow study", "on": None},
        ],
        relevant_history=["Smokes 10 a day", "", "  Alcohol: none  "],
        dechallenge="doesnt_apply",
        rechallenge="no",
    )
    assert errors == {}
    assert cleaned["relevant_tests"] == [
        {"test": "Edrophonium test", "result": "negative", "on": "2026-06-11"},
        {"test": "Swallow study", "result": "", "on": None},
    ]
    assert cleaned["relevant_history"] == ["Smokes 10 a day", "Alcohol: none"]
    assert (cleaned["dechallenge"], cleaned["rechallenge"]) == ("doesnt_apply", "no")
    assert "relevant_history" not in check()[0]  # not given: the service fills it from the record


# ---------------------------------------------------------------- with the database


def test_the_export_reads_the_product_availability_from_the_vial_used(treated, actor_of):
    from glabella.inventory import services as stock

    event = medwatch.open_event(actor_of("injector"), treated, event_data())
    section = medwatch.export(event)["C_product_availability"]
    assert section["available_for_evaluation"] == "Yes" and "80 U left" in section["detail"]
    stock.discard(actor_of("injector"), treated.vial, "Adverse event: set aside, then discarded")
    section = medwatch.export(event)["C_product_availability"]
    assert section["available_for_evaluation"] == "No" and "was discarded" in section["detail"]
    assert section["returned_to_manufacturer_on"] is None


def test_a_discarded_vial_whose_lot_has_a_sealed_vial_left_reads_available(
    patient, clinic, actor_of
):
    from glabella.inventory import services as stock
    from glabella.treatments import charting
    from tests.conftest import clear_for_treatment, future_appointment, receive_lot
    from tests.test_treatments import GLABELLAR, sign_consent

    clear_for_treatment(patient)
    sign_consent(patient)
    appointment = future_appointment(
        patient, clinic, days=0, service_slug="neuromodulator", checked_in=True
    )
    lot = receive_lot(clinic, lot_number="B2", vials_received=2)
    injector = actor_of("injector")
    used = stock.reconstitute(injector, lot.vials.order_by("number").first(), "2.5")
    record = charting.start(injector, appointment, "botox_cosmetic")
    charting.save_draft(injector, record, points=GLABELLAR, vial=used)
    record = charting.lock(injector, record, proof=proof_for(injector))
    event = medwatch.open_event(injector, record, event_data())
    stock.discard(injector, used, "Set aside after the adverse event, then discarded")
    section = medwatch.export(event)["C_product_availability"]
    assert section["available_for_evaluation"] == "Yes"
    assert section["detail"] == (
        "The vial used (lot B2, vial 1) was discarded; 1 sealed vial of the same lot is held."
    )
    lot.vials.filter(number=2).update(state="expired", units_left=0)
    assert medwatch.export(event)["C_product_availability"]["available_for_evaluation"] == "No"


def test_a_product_returned_to_its_maker_is_printed_with_the_day(treated, actor_of, client_for):
    today = clinic_today()
    event = medwatch.open_event(
        actor_of("injector"), treated, event_data(product_returned_on=today.isoformat())
    )
    section = medwatch.export(event)["C_product_availability"]
    assert section["available_for_evaluation"] == "Returned to manufacturer"
    assert section["returned_to_manufacturer_on"] == today.isoformat()
    url = reverse("aftercare:event", args=[event.public_id])
    text = pdf_text(client_for("injector").get(url, {"format": "pdf"}).content)
    assert "C. Product availability" in text and "Returned to manufacturer" in text


def test_every_outcome_dechallenge_rechallenge_tests_and_history_reach_json_and_pdf(
    treated, actor_of, client_for
):
    today = clinic_today()
    outcomes = [o.value for o in form3500.Outcome if o != "none"]
    event = medwatch.open_event(
        actor_of("injector"),
        treated,
        event_data(
            outcomes=outcomes,
            died_on=today.isoformat(),
            relevant_tests=[{"test": "Chest X-ray", "result": "clear", "on": today.isoformat()}],
            relevant_history=["Smokes 10 cigarettes a day"],
            dechallenge="doesnt_apply",
            rechallenge="yes",
        ),
    )
    exported = medwatch.export(event)
    assert exported["B_event"]["outcomes"] == [form3500.OUTCOME_LABELS[o] for o in outcomes]
    assert "Congenital anomaly or birth defect" in exported["B_event"]["outcomes"]
    assert exported["B_event"]["date_of_death"] == today.isoformat()
    assert exported["B_event"]["relevant_tests"] == [f"Chest X-ray: clear ({today.isoformat()})"]
    assert exported["B_event"]["relevant_history"] == ["Smokes 10 cigarettes a day"]
    product = exported["D_suspect_product"]
    assert product["event_abated_after_use_stopped_or_dose_reduced"] == "Doesn't apply"
    assert product["event_reappeared_after_reintroduction"] == "Yes"
    url = reverse("aftercare:event", args=[event.public_id])
    text = pdf_text(client_for("medical_director").get(url, {"format": "pdf"}).content)
    flat = " ".join(text.split())
    for words in (
        "Congenital anomaly or birth defect",
        "Required intervention to prevent permanent impairment or damage (devices)",
        "Hospitalization, initial or prolonged",
        f"Date of death: {styles.day(today)}",  # the PDF in the house's style, the JSON in ISO
        f"Chest X-ray: clear ({styles.day(today)})",
        "Smokes 10 cigarettes a day",
        "Event abated after use stopped or dose reduced: Doesn't apply",
        "Event reappeared after reintroduction: Yes",
    ):
        assert words in flat, words
    page = client_for("medical_director").get(url)
    assert b"Congenital anomaly or birth defect" in page.content
    assert b"age_at_event" not in page.content  # the page shows words, not keys


def test_history_is_filled_from_the_patients_record_when_the_clinician_gives_none(
    treated, actor_of
):
    patient = treated.patient
    patient.allergies.create(name="Penicillin", reaction="hives", severity="moderate")
    patient.conditions.create(name="Asthma", since=date(2012, 5, 1))
    patient.conditions.create(name="Old fracture", active=False)
    type(patient).objects.filter(pk=patient.pk).update(
        pregnancy_status="not_pregnant", pregnancy_recorded_on=clinic_today()
    )
    event = medwatch.open_event(actor_of("injector"), treated, event_data())
    history = medwatch.export(event)["B_event"]["relevant_history"]
    assert "Allergy: Penicillin (hives, Moderate)" in history
    assert "Condition: Asthma (since May 1, 2012)" in history
    assert not any("Old fracture" in line for line in history)
    assert any(line.startswith("Pregnancy: Not pregnant") for line in history)
    assert event.relevant_history == history  # kept with the event as it stood
    patient.conditions.create(name="Hypertension")
    assert "Condition: Hypertension" not in medwatch.export(event)["B_event"]["relevant_history"]


def test_history_names_what_the_latest_intake_answered_yes_to_and_earlier_toxin(treated, actor_of):
    from glabella.screening.intake import submit_intake
    from tests.conftest import intake_answers

    earlier = (clinic_today() - timedelta(days=60)).isoformat()
    submit_intake(
        actor_of("medical_director"),
        treated.patient,
        intake_answers(
            heart_disease=True,
            recent_toxin=True,
            toxins=[{"product": "Dysport", "date": earlier, "purpose": "medical"}],
            conditions=["Atrial fibrillation"],
        ),
        via="staff",
    )
    history = medwatch.export(medwatch.open_event(actor_of("injector"), treated, event_data()))[
        "B_event"
    ]["relevant_history"]
    assert "Condition: Atrial fibrillation" in history
    reported = [line for line in history if line.startswith("At the intake of")]
    assert len(reported) == 1 and "heart disease or a heart rhythm problem" in reported[0]
    assert "botulinum toxin in the 4 months before the intake" in reported[0]
    assert f"Earlier botulinum toxin: Dysport, {earlier}, medical" in history


def test_age_at_the_event_is_sent_unless_the_clinic_chooses_the_date_of_birth(
    treated, actor_of, client_for, settings
):
    patient = treated.patient
    event = medwatch.open_event(actor_of("injector"), treated, event_data())
    section = medwatch.export(event)["A_patient"]
    assert section["age_at_event"] == patient.age_on(event.onset_on)
    assert "date_of_birth" not in section and section["identifier"].startswith("G.H.")
    url = reverse("aftercare:event", args=[event.public_id])
    text = " ".join(pdf_text(client_for("injector").get(url, {"format": "pdf"}).content).split())
    assert f"Age at the event: {patient.age_on(event.onset_on)} years" in text
    assert patient.birth_date.isoformat() not in text and "Holloway" not in text
    settings.MEDWATCH_AGE_OR_BIRTH_DATE = "birth_date"
    section = medwatch.export(event)["A_patient"]
    assert section["date_of_birth"] == patient.birth_date.isoformat()
    assert "age_at_event" not in section
    text = " ".join(pdf_text(client_for("injector").get(url, {"format": "pdf"}).content).split())
    assert f"Date of birth: {styles.day(patient.birth_date)}" in text and "Age at" not in text


def test_the_clinics_choice_of_age_or_birth_date_is_checked_at_start(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from glabella.config import env_choice

    monkeypatch.setenv("MEDWATCH_AGE_OR_BIRTH_DATE", "both")
    with pytest.raises(ImproperlyConfigured):
        env_choice("MEDWATCH_AGE_OR_BIRTH_DATE", "age", {"age": "age", "birth_date": "b"})


# ---------------------------------------------------------------- the API and the page


BAD_NEW_FIELDS = [
    ({"outcomes": ["death"]}, "died_on"),
    ({"outcomes": ["death"], "died_on": "2999-01-01"}, "died_on"),
    ({"outcomes": ["death"], "died_on": "2000-01-01"}, "died_on"),
    ({"outcomes": ["death"], "died_on": "last week"}, "died_on"),
    ({"outcomes": ["other_serious"], "died_on": "2000-01-01"}, "died_on"),
    ({"outcomes": ["none", "congenital_anomaly"]}, "outcomes"),
    ({"dechallenge": "maybe"}, "dechallenge"),
    ({"rechallenge": "sometimes"}, "rechallenge"),
    ({"product_returned_on": "2999-01-01"}, "product_returned_on"),
    ({"product_returned_on": "2000-01-01"}, "product_returned_on"),
    ({"product_returned_on": "returned"}, "product_returned_on"),
    ({"relevant_tests": [{"test": "", "result": "high"}]}, "relevant_tests"),
    ({"relevant_tests": [{"test": "CK", "on": "2999-01-01"}]}, "relevant_tests"),
    ({"relevant_tests": [{"test": "CK", "on": "1900-01-01"}]}, "relevant_tests"),
    ({"relevant_tests": [{"test": "CK", "on": "soon"}]}, "relevant_tests"),
    ({"relevant_tests": [{"test": "x" * 151}]}, "relevant_tests"),
]
BAD_API_ONLY = [
    ({"relevant_tests": "CK high"}, "relevant_tests"),
    ({"relevant_tests": [{"test": "CK"}] * 21}, "relevant_tests"),
    ({"relevant_tests": [{"test": "CK", "colour": "red"}]}, "relevant_tests"),
    ({"relevant_history": "smoker"}, "relevant_history"),
    ({"relevant_history": [7]}, "relevant_history"),
    ({"relevant_history": ["a\x00b"]}, "relevant_history"),
    ({"relevant_history": ["x" * 301]}, "relevant_history"),
    ({"relevant_history": ["smoker"] * 41}, "relevant_history"),
    ({"died_on": 20260101, "outcomes": ["death"]}, "died_on"),
    ({"dechallenge": True}, "dechallenge"),
]


@pytest.mark.parametrize(("change", "field"), BAD_NEW_FIELDS + BAD_API_ONLY)
def test_bad_medwatch_fields_through_the_api_name_the_field_and_write_nothing(
    client_for, treated, change, field
):
    before = AccessLog.objects.count()
    body = {**event_data(), "treatment": str(treated.public_id), **change}
    answer = post_json(client_for("injector"), EVENTS_API, body)
    assert answer.status_code == 422, answer.content
    assert field in answer.json()["error"]["fields"], answer.json()
    assert not AdverseEvent.objects.exists() and AccessLog.objects.count() == before


def as_form(change: dict) -> dict:
    """A change as the page posts it: tests as rows of inputs."""
    posted = {**event_data(), "resolved": "", **change}
    for row in posted.pop("relevant_tests", []):
        for key, name in (("test", "test_name"), ("result", "test_result"), ("on", "test_on")):
            posted.setdefault(name, []).append(row.get(key) or "")
    return posted


@pytest.mark.parametrize(("change", "field"), BAD_NEW_FIELDS)
def test_bad_medwatch_fields_on_the_page_are_marked_on_the_field_and_write_nothing(
    client_for, treated, change, field
):
    url = reverse("aftercare:new-event", args=[treated.public_id])
    page = client_for("injector").post(url, as_form(change))
    assert page.status_code == 422
    assert page.context["errors"].keys() == {field}
    assert b'class="field invalid"' in page.content or b'class="group invalid"' in page.content
    assert not AdverseEvent.objects.exists()


def test_the_page_starts_history_from_the_record_and_records_the_whole_form(client_for, treated):
    treated.patient.allergies.create(name="Latex", reaction="rash", severity="mild")
    client = client_for("injector")
    url = reverse("aftercare:new-event", args=[treated.public_id])
    form = client.get(url)
    assert b"Allergy: Latex (rash, Mild)" in form.content
    assert (
        b"Congenital anomaly or birth defect" in form.content
        and b"Doesn&#x27;t apply" in form.content
    )
    today = clinic_today().isoformat()
    done = client.post(
        url,
        as_form(
            {
                "outcomes": ["hospitalisation", "other_serious"],
                "relevant_tests": [
                    {"test": "Pulse oximetry", "result": "97%", "on": today},
                    {"test": "", "result": "", "on": ""},
                ],
                "relevant_history": "Allergy: Latex (rash, Mild)\r\nSmokes\r\n",
                "dechallenge": "doesnt_apply",
                "rechallenge": "",
                "product_returned_on": today,
            }
        ),
    )
    assert done.status_code == 302, done.context and done.context["errors"]
    event = AdverseEvent.objects.get()
    assert event.outcomes == ["hospitalisation", "other_serious"]
    assert event.relevant_tests == [{"test": "Pulse oximetry", "result": "97%", "on": today}]
    assert event.relevant_history == ["Allergy: Latex (rash, Mild)", "Smokes"]
    assert (event.dechallenge, event.rechallenge) == ("doesnt_apply", "")
    assert event.product_returned_on.isoformat() == today


def test_the_api_records_and_returns_the_new_fields(client_for, treated):
    today = clinic_today().isoformat()
    body = {
        **event_data(outcomes=["death"], died_on=today, dechallenge="no"),
        "treatment": str(treated.public_id),
        "relevant_tests": [{"test": "Autopsy", "result": "pending", "on": None}],
    }
    created = post_json(client_for("medical_director"), EVENTS_API, body)
    assert created.status_code == 201, created.content
    out = created.json()
    assert out["died_on"] == today and out["dechallenge"] == "no" and out["rechallenge"] == ""
    assert out["relevant_tests"] == [{"test": "Autopsy", "result": "pending", "on": None}]
    assert isinstance(out["relevant_history"], list) and out["product_returned_on"] is None
    exported = client_for("medical_director").get(f"{EVENTS_API}/{out['id']}/medwatch").json()
    assert exported["B_event"]["relevant_tests"] == ["Autopsy: pending (date not given)"]
    assert json.dumps(exported).count(str(treated.patient.birth_date)) == 0


# ---------------------------------------------------------------- follow-up


def test_a_follow_up_records_what_became_known_later_and_leaves_the_rest(
    client_for, treated, actor_of
):
    event = medwatch.open_event(actor_of("injector"), treated, event_data())
    today = clinic_today().isoformat()
    url = f"{EVENTS_API}/{event.public_id}"
    client = client_for("medical_director")
    body = {
        "outcomes": ["death", "hospitalisation"],
        "died_on": today,
        "rechallenge": "doesnt_apply",
        "relevant_tests": [{"test": "Spirometry", "result": "FVC 60%", "on": today}],
    }
    answer = client.patch(url, json.dumps(body), content_type="application/json")
    assert answer.status_code == 200, answer.content
    out = answer.json()
    assert out["outcomes"] == ["death", "hospitalisation"] and out["died_on"] == today
    assert out["rechallenge"] == "doesnt_apply" and out["dechallenge"] == ""
    assert out["description"] == event.description and out["causality"] == "probable"
    logged = AccessLog.objects.filter(object_type="adverse-event", action="update").get()
    assert logged.detail["follow_up"] == ["died_on", "outcomes", "rechallenge", "relevant_tests"]
    exported = client.get(f"{url}/medwatch").json()
    assert exported["B_event"]["date_of_death"] == today
    assert exported["B_event"]["relevant_tests"] == [f"Spirometry: FVC 60% ({today})"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        *BAD_NEW_FIELDS,
        ({"died_on": "<today>"}, "died_on"),  # a date of death without the outcome
        ({"resolved": "maybe"}, "resolved"),
        ({"description": "rewritten"}, "description"),
    ],
)
def test_a_bad_follow_up_names_the_field_and_changes_nothing(
    client_for, treated, actor_of, change, field
):
    if change.get("died_on") == "<today>":
        change = {"died_on": clinic_today().isoformat()}
    event = medwatch.open_event(actor_of("injector"), treated, event_data())
    before = (AccessLog.objects.count(), list(AdverseEvent.objects.values()))
    answer = client_for("injector").patch(
        f"{EVENTS_API}/{event.public_id}", json.dumps(change), content_type="application/json"
    )
    assert answer.status_code == 422, answer.content
    assert any(k == field or k.endswith(f".{field}") for k in answer.json()["error"]["fields"])
    assert (AccessLog.objects.count(), list(AdverseEvent.objects.values())) == before


def test_the_follow_up_on_the_event_page_saves_or_marks_the_field(client_for, treated, actor_of):
    event = medwatch.open_event(actor_of("injector"), treated, event_data())
    client = client_for("injector")
    url = reverse("aftercare:event", args=[event.public_id])
    page = client.get(url)
    assert b"Follow-up" in page.content and b'value="intervention" checked' in page.content
    posted = as_form({"action": "follow-up", "outcomes": ["death"], "died_on": "2999-01-01"})
    bad = client.post(url, posted)
    assert bad.status_code == 422 and bad.context["errors"].keys() == {"died_on"}
    assert b"This date is in the future." in bad.content
    event.refresh_from_db()
    assert event.outcomes == ["intervention"] and event.died_on is None
    posted = as_form(
        {
            "action": "follow-up",
            "outcomes": ["intervention", "disability"],
            "dechallenge": "no",
            "relevant_history": "Smokes 5 a day",
            "resolved": "no",
        }
    )
    done = client.post(url, posted)
    assert done.status_code == 302
    event.refresh_from_db()
    assert event.outcomes == ["intervention", "disability"] and event.dechallenge == "no"
    assert event.relevant_history == ["Smokes 5 a day"] and event.resolved is False
    assert event.died_on is None and event.rechallenge == ""  # nothing else moved
