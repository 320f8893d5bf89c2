"""Screening with the database: intake answers and the record, decisions and when they stop
counting, the booking gate, consent with its PDF, clinic policies, and records that never change."""

import hashlib
import io
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from pypdf import PdfReader

from glabella.catalogue.areas import OffLabelArea
from glabella.catalogue.products import Product
from glabella.clinic.clock import clinic_today
from glabella.clinic.models import Service
from glabella.core.access import actor_for
from glabella.core.errors import Conflict, Forbidden, ValidationFailed
from glabella.core.models import AccessLog, StaffMember
from glabella.messaging.models import Message
from glabella.patients.models import Allergy, ClinicalEntry, Medication
from glabella.scheduling import bookings
from glabella.screening.consents import (
    current_consent,
    current_documents,
    publish_consent,
    sign_consent,
    text_of,
    withdraw_consent,
)
from glabella.screening.decisions import (
    allowed_lines,
    clearance,
    current_decision,
    is_cleared,
    off_label_records,
    sign_decision,
)
from glabella.screening.evaluation import evaluate_patient, signature_key, signature_of
from glabella.screening.intake import submit_intake
from glabella.screening.links import after_booking, forms_actor
from glabella.screening.models import (
    CandidacyDecision,
    ChangeRefused,
    ConsentDocument,
    DecisionLine,
    IntakeResponse,
    PolicyChange,
    Questionnaire,
    SignedConsent,
)
from glabella.screening.policy import needs_review, policy_states, set_policy, set_review
from glabella.screening.questionnaire import QUESTIONS
from tests.conftest import (
    STAFF_EMAILS,
    clear_for_treatment,
    intake_answers,
    make_patient,
    proof_for,
)

LA = ZoneInfo("America/Los_Angeles")


@pytest.fixture
def director(actor_of):
    return actor_of("medical_director")


@pytest.fixture
def injector(actor_of):
    return actor_of("injector")


def nurse_actor():
    nurse = StaffMember.objects.get(credential="RN")
    return actor_for(nurse.user, ip="127.0.0.1")


def counts():
    return (
        IntakeResponse.objects.count(),
        CandidacyDecision.objects.count(),
        DecisionLine.objects.count(),
        SignedConsent.objects.count(),
        PolicyChange.objects.count(),
        Allergy.objects.count(),
        Medication.objects.count(),
        AccessLog.objects.count(),
    )


# ---------------------------------------------------------------- intake


def test_answers_are_stored_and_what_they_report_joins_the_record(director, patient):
    patient.allergies.create(name="Latex", source=ClinicalEntry.Source.STAFF)
    raw = intake_answers(
        allergies=["latex", "Cow's milk"], medications=["Warfarin 5 mg"], pregnant=True
    )
    response = submit_intake(director, patient, raw, via="staff")
    assert response.questionnaire.version == 1
    assert response.answers["answers"]["pregnant"] is True
    names = {(a.name, a.source) for a in patient.allergies.all()}
    assert names == {("Latex", "staff"), ("Cow's milk", "intake")}  # latex not doubled
    assert patient.medications.get().source == "intake"
    patient.refresh_from_db()
    assert patient.pregnancy_status == "pregnant" and patient.pregnancy_recorded_on is not None
    log = AccessLog.objects.filter(object_type="intake").get()
    assert log.detail["added_to_record"] == {"allergies": 1, "medications": 1, "conditions": 0}


def test_bad_answers_write_nothing(director, patient):
    before = counts()
    raw = intake_answers(toxins=[{"product": "Botox", "date": "2099-01-01"}], recent_toxin=True)
    raw["answers"].pop("heart_disease")
    with pytest.raises(ValidationFailed) as failed:
        submit_intake(director, patient, raw, via="staff")
    assert set(failed.value.fields) == {"answers.heart_disease", "recent_toxin.0.date"}
    assert counts() == before


def test_only_the_patient_or_a_clinician_records_answers(actor_of, patient, other_patient):
    with pytest.raises(Forbidden):
        submit_intake(actor_of("front_desk"), patient, intake_answers(), via="staff")
    link = forms_actor(other_patient, "link")
    with pytest.raises(Forbidden):
        submit_intake(link, patient, intake_answers(), via="link")
    submit_intake(forms_actor(patient, "link"), patient, intake_answers(), via="link")


def test_a_new_questionnaire_version_leaves_earlier_answers_as_they_were(director, patient):
    first = submit_intake(director, patient, intake_answers(), via="staff")
    v1 = first.questionnaire
    definition = dict(v1.definition, version=2, questions=v1.definition["questions"][:3])
    Questionnaire.objects.create(version=2, definition=definition)
    first.refresh_from_db()
    assert first.questionnaire_id == v1.pk and len(
        first.questionnaire.definition["questions"]
    ) == len(QUESTIONS)


# ---------------------------------------------------------------- signed records never change


def signed_rows(patient, director):
    decision = clear_for_treatment(patient)
    consent = sign_consent(
        forms_actor(patient, "link"),
        patient,
        current_documents()["neuromodulator"],
        typed_name="Grace Holloway",
        strokes=[[[0, 0], [300, 100]]],
        adopt_typed=False,
        shown_sha256=current_documents()["neuromodulator"].text_sha256,
        via="link",
    )
    return [
        decision,
        decision.lines.get(),
        decision.intake,
        consent,
        consent.document,
        set_policy(director, "policy-adults-only", True, "Confirming the default"),
    ]


def test_signed_records_refuse_every_change_through_the_models(patient, director):
    for row in signed_rows(patient, director):
        model = type(row)
        with pytest.raises(ChangeRefused):
            row.save()
        with pytest.raises(ChangeRefused):
            row.delete()
        with pytest.raises(ChangeRefused):
            model.objects.filter(pk=row.pk).update(pk=row.pk)
        with pytest.raises(ChangeRefused):
            model.objects.filter(pk=row.pk).delete()


def test_the_database_itself_refuses_updates_of_signed_records(patient, director):
    rows = signed_rows(patient, director)
    for row in rows:
        table = type(row)._meta.db_table
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET id = id WHERE id = %s", [row.pk])  # noqa: S608
    if connection.vendor == "postgresql":
        for row in rows:
            table = type(row)._meta.db_table
            with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as c:
                c.execute(f"DELETE FROM {table} WHERE id = %s", [row.pk])  # noqa: S608


def test_a_patient_with_signed_records_cannot_be_deleted(patient, director):
    from django.db.models import ProtectedError

    signed_rows(patient, director)
    with pytest.raises(ProtectedError):
        patient.delete()


# ---------------------------------------------------------------- decisions


def test_a_decision_is_signed_per_product_and_area_and_runs_twelve_months(director, patient):
    now = timezone.now() - timedelta(minutes=5)
    submit_intake(director, patient, intake_answers(), via="staff", now=now - timedelta(hours=1))
    signed_on = now.astimezone(LA).date()  # a year on the clinic's calendar; 29 Feb to 28 Feb
    leap_day = (signed_on.month, signed_on.day) == (2, 29)
    a_year_on = signed_on.replace(year=signed_on.year + 1, day=28 if leap_day else signed_on.day)
    decision = sign_decision(
        director,
        patient,
        [
            {"product": "botox_cosmetic", "area": "glabellar", "allowed": True},
            {"product": "botox_cosmetic", "area": "lateral_canthal", "allowed": True},
            {"product": "dysport", "area": "glabellar", "allowed": False, "reason": "Prefers"},
        ],
        now=now,
        proof=proof_for(director),
    )
    assert decision.expires_on == a_year_on
    assert decision.signer_label == "Dr. Daniel Reyes, MD"
    assert decision.evaluation["botox_cosmetic"]["outcome"] == "eligible"
    lines = {(x.product, x.area): (x.allowed, x.verdict) for x in decision.lines.all()}
    assert lines[("dysport", "glabellar")] == (False, "eligible")
    _, state = current_decision(patient, signed_on)
    assert state.current
    assert is_cleared(patient, "botox_cosmetic", "lateral_canthal", signed_on)
    assert not is_cleared(patient, "dysport", "glabellar", signed_on)
    assert not is_cleared(patient, "xeomin", "glabellar", signed_on)


def test_a_contraindicated_product_cannot_be_allowed(director, patient):
    submit_intake(director, patient, intake_answers(allergies=["cow's milk"]), via="staff")
    before = counts()
    with pytest.raises(ValidationFailed) as failed:
        sign_decision(
            director,
            patient,
            [{"product": "dysport", "area": "glabellar", "allowed": True}],
            proof=proof_for(director),
        )
    assert "contraindicated" in failed.value.fields["lines.0.allowed"][0]
    assert counts() == before
    sign_decision(  # BOTOX Cosmetic has no milk protein
        director,
        patient,
        [{"product": "botox_cosmetic", "area": "glabellar", "allowed": True}],
        proof=proof_for(  # BOTOX Cosmetic has no milk protein
            director
        ),
    )


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([], "lines"),
        ("all", "lines"),
        ([{"product": "botox_cosmetic", "area": "glabellar"}], "lines.0.allowed"),
        ([{"product": "nope", "area": "glabellar", "allowed": True}], "lines.0.product"),
        ([{"product": ["x"], "area": "glabellar", "allowed": True}], "lines.0.product"),
        ([{"product": "dysport", "area": "jawline", "allowed": True}], "lines.0.area"),
        # Forehead is off Dysport's label: only as an off-label line, marked and with a rationale.
        ([{"product": "dysport", "area": "forehead", "allowed": True}], "lines.0.off_label"),
        ([{"product": "dysport", "area": "glabellar", "allowed": False}], "lines.0.reason"),
        (
            [{"product": "dysport", "area": "glabellar", "allowed": True, "extra": 1}],
            "lines.0",
        ),
        (
            [{"product": "dysport", "area": "glabellar", "allowed": True}] * 2,
            "lines.1.area",
        ),
    ],
)
def test_bad_decisions_are_refused_field_by_field_and_write_nothing(
    director, patient, lines, field
):
    submit_intake(director, patient, intake_answers(), via="staff")
    before = counts()
    with pytest.raises(ValidationFailed) as failed:
        sign_decision(director, patient, lines, proof=proof_for(director))
    assert field in failed.value.fields
    assert counts() == before


def test_only_a_prescriber_with_a_current_licence_signs(actor_of, director, patient):
    submit_intake(director, patient, intake_answers(), via="staff")
    line = [{"product": "botox_cosmetic", "area": "glabellar", "allowed": True}]
    for actor in (actor_of("front_desk"), actor_of("owner"), nurse_actor()):
        with pytest.raises(Forbidden):
            sign_decision(actor, patient, line, proof=proof_for(actor))
    staff = StaffMember.objects.get(user__username=STAFF_EMAILS["injector"])
    StaffMember.objects.filter(pk=staff.pk).update(licence_expires="2020-01-01")
    with pytest.raises(Forbidden):
        sign_decision(actor_of("injector"), patient, line, proof=proof_for(actor_of("injector")))
    assert not CandidacyDecision.objects.exists()


def test_a_decision_needs_answers_and_the_findings_the_signer_saw(director, patient):
    line = [{"product": "botox_cosmetic", "area": "glabellar", "allowed": True}]
    with pytest.raises(ValidationFailed) as failed:
        sign_decision(director, patient, line, proof=proof_for(director))
    assert "intake" in failed.value.fields
    submit_intake(director, patient, intake_answers(), via="staff")
    today = clinic_today(patient)
    shown = signature_key(signature_of(evaluate_patient(patient, today)))
    patient.medications.create(name="warfarin")  # the record changes while the signer reads
    with pytest.raises(Conflict):
        sign_decision(director, patient, line, shown=shown, proof=proof_for(director))


def test_changed_answers_invalidate_the_decision_and_same_answers_do_not(director, patient):
    first = clear_for_treatment(patient)
    today = clinic_today(patient)
    submit_intake(director, patient, intake_answers(), via="staff")  # same again
    assert current_decision(patient, today)[1].current
    submit_intake(director, patient, intake_answers(pregnant=True), via="staff")
    decision, state = current_decision(patient, today)
    assert decision == first and state.status == "invalidated"
    assert "policy-pregnancy" in state.reason and "new finding" in state.reason
    assert allowed_lines(patient, today) == []
    # A new decision amends the old, which stays on record.
    submit_intake(director, patient, intake_answers(), via="staff")
    second = clear_for_treatment(patient)
    assert second.supersedes == first
    assert current_decision(patient, today)[1].current


def test_a_change_made_on_the_record_invalidates_the_decision_too(director, patient):
    clear_for_treatment(patient)
    today = clinic_today(patient)
    patient.medications.create(name="Gentamicin")
    state = current_decision(patient, today)[1]
    assert state.status == "invalidated" and "aminoglycosides" in state.reason


def test_a_decision_expires(director, patient):
    decision = clear_for_treatment(patient)
    state = current_decision(patient, decision.expires_on + timedelta(days=1))[1]
    assert state.status == "expired"


def test_switching_a_policy_changes_verdicts_and_is_audited(director, actor_of, patient):
    submit_intake(director, patient, intake_answers(breastfeeding=True), via="staff")
    today = clinic_today(patient)
    assert evaluate_patient(patient, today)[Product.XEOMIN].outcome == ("not_eligible")
    for actor in (actor_of("injector"), actor_of("owner"), actor_of("front_desk")):
        with pytest.raises(Forbidden):
            set_policy(actor, "policy-breastfeeding", False, "We treat breastfeeding")
    with pytest.raises(ValidationFailed) as failed:
        set_policy(director, "toxin-hypersensitivity", False, "Label rule")
    assert "rule" in failed.value.fields
    with pytest.raises(ValidationFailed) as failed:
        set_policy(director, "policy-breastfeeding", False, "")
    assert "reason" in failed.value.fields
    set_policy(director, "policy-breastfeeding", False, "Reviewed with our insurer")
    assert evaluate_patient(patient, today)[Product.XEOMIN].outcome == "eligible"
    log = AccessLog.objects.get(object_type="screening-policy")
    assert log.object_id == "policy-breastfeeding" and log.detail["enabled"] is False
    states = {s.rule.id: s.enabled for s in policy_states()}
    assert states == {
        "policy-adults-only": True,
        "policy-pregnancy": True,
        "policy-breastfeeding": False,
    }


# ---------------------------------------------------------------- the booking gate


def at(days: int, hour: int) -> datetime:
    day = datetime.now(LA).date() + timedelta(days=days)
    while day.weekday() == 6:  # the demo clinic is closed on Sundays
        day += timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=LA)


def book(actor, clinic, patient, start, slug):
    return bookings.book(
        actor,
        service=Service.objects.get(slug=slug),
        location=clinic,
        start=start,
        patient=patient,
    )


def test_a_neuromodulator_treatment_is_booked_only_with_a_current_decision(
    actor_of, director, clinic
):
    desk = actor_of("front_desk")
    patient = make_patient()
    book(desk, clinic, patient, at(2, 10), "consultation")
    with pytest.raises(ValidationFailed) as failed:
        book(desk, clinic, patient, at(3, 11), "neuromodulator")
    assert "candidacy decision" in failed.value.fields["service"][0]
    clear_for_treatment(patient)
    treatment = book(desk, clinic, patient, at(3, 11), "neuromodulator")
    # A dermal filler or a review does not need a neuromodulator decision.
    book(desk, clinic, patient, at(4, 11), "two-week-review")
    submit_intake(director, patient, intake_answers(infection_at_site=True), via="staff")
    with pytest.raises(ValidationFailed):
        bookings.reschedule(desk, treatment, start=at(5, 11))


def test_a_decision_that_declines_everything_does_not_clear_a_booking(actor_of, director, clinic):
    patient = make_patient()
    submit_intake(director, patient, intake_answers(), via="staff")
    sign_decision(
        director,
        patient,
        [{"product": "botox_cosmetic", "area": "glabellar", "allowed": False, "reason": "Later"}],
        proof=proof_for(director),
    )
    book(actor_of("front_desk"), clinic, patient, at(2, 10), "consultation")
    with pytest.raises(ValidationFailed) as failed:
        book(actor_of("front_desk"), clinic, patient, at(3, 11), "neuromodulator")
    assert "does not allow" in failed.value.fields["service"][0]


def test_booking_a_consultation_sends_the_forms_link_once(actor_of, clinic):
    patient = make_patient()
    appointment = book(actor_of("front_desk"), clinic, patient, at(2, 10), "consultation")
    forms = Message.objects.get(topic="forms")
    assert forms.to == patient.email and "/forms/" in forms.body
    assert "botox" not in forms.body.lower() and "neuromodulator" not in forms.body.lower()
    after_booking(appointment, datetime.now(UTC))  # again: deduplicated
    assert Message.objects.filter(topic="forms").count() == 1


# ---------------------------------------------------------------- consent


def sign(patient, *, document=None, **kw):
    document = document or current_documents()["neuromodulator"]
    values = dict(
        typed_name=f"{patient.given_name} {patient.family_name}",
        strokes=[[[10, 10], [300, 120], [520, 40]]],
        adopt_typed=False,
        shown_sha256=document.text_sha256,
        via="tablet",
    )
    values.update(kw)
    actor = forms_actor(patient, "tablet", "198.51.100.7")
    return sign_consent(actor, patient, document, **values)


def test_a_signed_consent_keeps_the_hash_of_the_exact_text_and_a_pdf(patient):
    document = current_documents()["neuromodulator"]
    text = text_of(document.title, document.version, document.body)
    assert document.text_sha256 == hashlib.sha256(text.encode()).hexdigest()
    consent = sign(patient, user_agent="Tablet/1.0")
    assert consent.text_sha256 == document.text_sha256 and consent.ip == "198.51.100.7"
    assert consent.pdf_sha256 == hashlib.sha256(bytes(consent.pdf)).hexdigest()
    pages = PdfReader(io.BytesIO(bytes(consent.pdf))).pages
    text = "\n".join(p.extract_text() for p in pages)
    assert "Grace Holloway" in text and document.text_sha256 in text and "198.51.100.7" in text
    today = clinic_today(patient)
    assert current_consent(patient, "neuromodulator", today) == consent
    assert current_consent(patient, "photo", today) is None


def test_the_typed_name_may_stand_for_the_signature(patient):
    consent = sign(patient, strokes="", adopt_typed=True)
    assert consent.method == "typed" and consent.strokes == []


@pytest.mark.parametrize(
    ("kw", "field", "words"),
    [
        ({"typed_name": ""}, "typed_name", "full name"),
        ({"typed_name": "Someone Else"}, "typed_name", "on your record"),
        ({"strokes": ""}, "signature", "draw your signature"),
        ({"strokes": "not json"}, "signature", "could not be read"),
        ({"strokes": [[[10, 10], [12, 12]]]}, "signature", "a dot is not enough"),
        ({"strokes": [[[10, 10], [2000, 12]]]}, "signature", "could not be read"),
        ({"strokes": [[["a", 1]]]}, "signature", "could not be read"),
        ({"strokes": [[[float("nan"), 1]]]}, "signature", "could not be read"),
        ({"adopt_typed": True}, "signature", "not both"),
    ],
)
def test_bad_signatures_are_refused_and_write_nothing(patient, kw, field, words):
    before = counts()
    with pytest.raises(ValidationFailed) as failed:
        sign(patient, **kw)
    assert words in " ".join(failed.value.fields[field]).lower()
    assert counts() == before


def test_only_the_current_version_is_signed_and_only_by_the_patient(director, actor_of, patient):
    old = current_documents()["photo"]
    new = publish_consent(director, "photo", "Photographs, revised", old.body + "\nMore.")
    assert new.version == old.version + 1
    with pytest.raises(Conflict):
        sign(patient, document=old)
    with pytest.raises(Conflict):
        sign(patient, document=new, shown_sha256=old.text_sha256)
    with pytest.raises(Forbidden):
        sign_consent(
            director,
            patient,
            new,
            typed_name="Grace Holloway",
            strokes=[[[0, 0], [300, 90]]],
            adopt_typed=False,
            shown_sha256=new.text_sha256,
            via="staff",
        )
    assert sign(patient, document=new).document == new


def test_publishing_a_consent_text_is_for_the_medical_director_and_owner(actor_of):
    body = "What this is.\nA text long enough to be a consent document for the test."
    for persona in ("injector", "front_desk"):
        with pytest.raises(Forbidden):
            publish_consent(actor_of(persona), "filler", "Filler", body)
    with pytest.raises(ValidationFailed) as failed:
        publish_consent(actor_of("owner"), "laser", "", "short")
    assert set(failed.value.fields) == {"kind", "title", "body"}
    doc = publish_consent(actor_of("owner"), "filler", "Filler consent", body)
    assert doc.version == 2 and ConsentDocument.objects.filter(kind="filler").count() == 2


def test_a_withdrawn_consent_no_longer_counts(actor_of, patient):
    consent = sign(patient, document=current_documents()["photo"])
    today = clinic_today(patient)
    assert current_consent(patient, "photo", today) == consent
    withdraw_consent(actor_of("front_desk"), consent, reason="Asked by phone", via="staff")
    assert current_consent(patient, "photo", today) is None
    with pytest.raises(Conflict):
        withdraw_consent(forms_actor(patient, "link"), consent, via="link")


def test_allergies_answered_outright_go_on_the_record(director, patient):
    patient.allergies.create(name="human albumin")
    raw = intake_answers(allergy_albumin=True, allergy_milk=True, allergies=["Cow's milk protein"])
    submit_intake(director, patient, raw, via="staff")
    names = sorted(a.name for a in patient.allergies.all())
    assert names == ["Cow's milk protein", "human albumin"]  # each once
    today = clinic_today(patient)
    verdicts = evaluate_patient(patient, today)
    assert verdicts[Product.DYSPORT].outcome == "not_eligible"
    assert verdicts[Product.DAXXIFY].outcome == "eligible"


# ---------------------------------------------------------------- off-label lines

OFFERED = ["botox_cosmetic", "dysport", "xeomin", "jeuveau", "daxxify", "letybo"]
WHY = "Bruxism with masseter hypertrophy; discussed risks and options"


@pytest.mark.parametrize("product", OFFERED)
def test_an_off_label_area_is_cleared_only_when_decided_as_an_off_label_line(
    director, patient, product
):
    from glabella.catalogue.areas import ChartArea

    submit_intake(director, patient, intake_answers(), via="staff")
    sign_decision(
        director,
        patient,
        [{"product": product, "area": "glabellar", "allowed": True}],
        proof=proof_for(director),
    )
    today = clinic_today(patient)
    _, cleared = clearance(patient, product, today)
    assert "glabellar" in cleared and ChartArea.MASSETER not in cleared
    assert not is_cleared(patient, product, "masseter", today)
    decision = sign_decision(
        director,
        patient,
        [
            {"product": product, "area": "glabellar", "allowed": True},
            {
                "product": product,
                "area": "masseter",
                "allowed": True,
                "off_label": True,
                "rationale": WHY,
            },
        ],
        proof=proof_for(director),
    )
    _, cleared = clearance(patient, product, today)
    assert ChartArea.MASSETER in cleared and ChartArea.GLABELLAR in cleared
    assert ChartArea.PERIORAL not in cleared and ChartArea.OTHER not in cleared
    [record] = off_label_records(decision)
    assert record["area"] == "masseter" and record["area_name"] == "Jaw (masseter)"
    assert record["rationale"] == WHY and record["product"] == product
    assert record["decided_by"] == "Dr. Daniel Reyes, MD"
    assert record["decided_at"] == decision.signed_at
    logged = AccessLog.objects.filter(object_type="candidacy-decision").latest("id")
    assert logged.detail["off_label"] == [
        {"product": product, "area": "masseter", "rationale": WHY}
    ]


def test_every_off_label_chart_area_can_be_decided_and_none_is_cleared_without_it(
    director, patient
):
    from glabella.catalogue.areas import ChartArea

    off_chart = {a.value for a in ChartArea if a.off_label}
    assert off_chart == {a.value for a in OffLabelArea}
    submit_intake(director, patient, intake_answers(), via="staff")
    sign_decision(
        director,
        patient,
        [
            {
                "product": "xeomin",
                "area": area,
                "allowed": True,
                "off_label": True,
                "rationale": "Discussed and examined at the consultation",
            }
            for area in sorted(off_chart)
        ],
        proof=proof_for(director),
    )
    _, cleared = clearance(patient, "xeomin", clinic_today(patient))
    assert {a.value for a in cleared} == off_chart
    _, other = clearance(patient, "jeuveau", clinic_today(patient))
    assert other == frozenset()


def test_a_label_area_of_another_product_is_off_label_for_this_one(director, patient):
    submit_intake(director, patient, intake_answers(), via="staff")
    decision = sign_decision(
        director,
        patient,
        [
            {
                "product": "dysport",
                "area": "lateral_canthal",
                "allowed": True,
                "off_label": True,
                "rationale": "Crow's feet, dosed by the house protocol",
            }
        ],
        proof=proof_for(director),
    )
    line = decision.lines.get()
    assert line.off_label and line.verdict == "eligible"
    _, cleared = clearance(patient, "dysport", clinic_today(patient))
    assert cleared == {"lateral_canthal"}


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"area": "masseter"}, "lines.0.off_label"),  # not marked off-label
        ({"area": "masseter", "off_label": "yes", "rationale": WHY}, "lines.0.off_label"),
        ({"area": "masseter", "off_label": True}, "lines.0.rationale"),
        ({"area": "masseter", "off_label": True, "rationale": "ok"}, "lines.0.rationale"),
        ({"area": "masseter", "off_label": True, "rationale": 7}, "lines.0.rationale"),
        ({"area": "masseter", "off_label": True, "rationale": "x" * 501}, "lines.0.rationale"),
        ({"area": "masseter", "off_label": True, "rationale": WHY + "\x07"}, "lines.0.rationale"),
        ({"area": "glabellar", "off_label": True, "rationale": WHY}, "lines.0.off_label"),
        ({"area": "glabellar", "rationale": WHY}, "lines.0.rationale"),
        ({"area": "the jaw", "off_label": True, "rationale": WHY}, "lines.0.area"),
        ({"area": None, "off_label": True, "rationale": WHY}, "lines.0.area"),
    ],
)
def test_bad_off_label_lines_are_refused_at_their_field_and_write_nothing(
    director, patient, line, field
):
    submit_intake(director, patient, intake_answers(), via="staff")
    before = counts()
    with pytest.raises(ValidationFailed) as failed:
        sign_decision(
            director,
            patient,
            [{"product": "botox_cosmetic", "allowed": True, **line}],
            proof=proof_for(director),
        )
    assert field in failed.value.fields
    assert counts() == before


def test_a_contraindicated_product_cannot_be_allowed_off_label_either(director, patient):
    submit_intake(director, patient, intake_answers(allergies=["albumin"]), via="staff")
    before = counts()
    with pytest.raises(ValidationFailed) as failed:
        sign_decision(
            director,
            patient,
            [
                {
                    "product": "letybo",
                    "area": "masseter",
                    "allowed": True,
                    "off_label": True,
                    "rationale": WHY,
                }
            ],
            proof=proof_for(director),
        )
    assert "contraindicated" in failed.value.fields["lines.0.allowed"][0]
    assert counts() == before


@pytest.mark.parametrize(
    ("kind", "guide", "words"),
    [
        ("neuromodulator", "myobloc", "choose the medication guide"),
        ("neuromodulator", ["botox_cosmetic"], "choose the medication guide"),
        ("neuromodulator", 3, "choose the medication guide"),
        ("photo", "botox_cosmetic", "goes with a treatment consent"),
    ],
)
def test_a_medication_guide_that_cannot_be_right_is_refused_and_nothing_written(
    patient, kind, guide, words
):
    before = counts()
    document = current_documents()[kind]
    with pytest.raises(ValidationFailed) as failed:
        sign(patient, document=document, medication_guide=guide)
    assert words in " ".join(failed.value.fields["medication_guide"]).lower()
    assert counts() == before


@pytest.mark.parametrize("product", OFFERED)
def test_the_medication_guide_of_each_product_is_recorded_with_its_version(patient, product):
    from glabella.catalogue.products import MEDICATION_GUIDES, Product

    consent = sign(patient, medication_guide=product)
    assert consent.medication_guide == product
    assert consent.medication_guide_version == MEDICATION_GUIDES[Product(product)].version
    assert consent.medication_guide_version.startswith(Product(product).label)
    pages = PdfReader(io.BytesIO(bytes(consent.pdf))).pages
    assert "Medication Guide given" in "\n".join(p.extract_text() for p in pages)
    logged = AccessLog.objects.filter(object_type="consent").latest("id")
    assert logged.detail["medication_guide"] == consent.medication_guide_version


def test_the_database_refuses_to_change_a_consents_medication_guide(patient):
    consent = sign(patient, medication_guide="xeomin")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE screening_signedconsent SET medication_guide_version = 'x' WHERE id = %s",
            [consent.pk],
        )


def test_the_database_refuses_to_change_a_review_setting(director):
    setting = set_review(director, "dry-eye", True, "Our eye team asked for it")
    assert "dry-eye" in needs_review()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE screening_reviewsetting SET needs_review = false WHERE id = %s", [setting.pk]
        )
    assert AccessLog.objects.filter(object_type="screening-review", object_id="dry-eye").exists()
