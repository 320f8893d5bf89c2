"""The questionnaire's check of answers, the recommendation, the self-check and the consent PDF:
pure code, no database."""

import hashlib
import io
from datetime import date, datetime

import pytest
from pypdf import PdfReader

from glabella.catalogue.products import Product
from glabella.core import pdf as layout
from glabella.screening import pdf, questionnaire
from glabella.screening.questionnaire import clean, to_intake
from glabella.screening.recommend import Approach, recommend
from glabella.screening.rules import Question
from glabella.screening.selfcheck import self_check
from tests.conftest import intake_answers

TODAY = date(2026, 11, 22)
BORN = date(1985, 4, 2)


def errors_of(raw, **kw):
    return clean(raw, today=TODAY, birth_date=kw.get("birth_date", BORN))[1]


def test_a_complete_questionnaire_comes_back_in_its_stored_shape():
    raw = intake_answers(
        allergies=["  Penicillin  (rash) ", "penicillin (rash)", "none"],
        medications=["Warfarin 5 mg"],
        toxins=[{"product": "Dysport", "date": "2026-09-01", "purpose": "cosmetic"}],
        recent_toxin=True,
        pregnant=None,  # "not sure" is an answer
    )
    answers, errors = clean(raw, today=TODAY, birth_date=BORN)
    assert errors == {}
    assert answers["allergies"] == ["Penicillin (rash)"]  # spaces folded, repeats and "none" gone
    assert answers["recent_toxin"] == [
        {"product": "Dysport", "date": "2026-09-01", "purpose": "cosmetic"}
    ]
    intake = to_intake(answers, today=TODAY, birth_date=BORN)
    assert intake.last_toxin_on == date(2026, 9, 1)
    assert intake.answers[Question.PREGNANT] is None
    assert intake.medications == ("Warfarin 5 mg",)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (lambda r: r["answers"].pop("pregnant"), "answers.pregnant", "answer this question"),
        (lambda r: r["answers"].update(pregnant="yes"), "answers.pregnant", "yes, no or not sure"),
        (lambda r: r["answers"].update(pregnant=1), "answers.pregnant", "yes, no or not sure"),
        (lambda r: r["answers"].update(smoker=False), "answers.smoker", "not a question"),
        (lambda r: r.update(hobbies=[]), "hobbies", "not a question"),
        (lambda r: r.update(answers=[]), "answers", "every question"),
        (lambda r: r.update(allergies="latex"), "allergies", "list of names"),
        (lambda r: r.update(allergies=[1]), "allergies", "list of names"),
        (lambda r: r.update(allergies=["x" * 151]), "allergies", "150 characters"),
        (lambda r: r.update(allergies=[f"a{i}" for i in range(31)]), "allergies", "at most 30"),
        (lambda r: r.update(conditions=["bad\x00byte"]), "conditions", "control characters"),
        (lambda r: r.update(notes="x" * 1001), "notes", "1000 characters"),
        (lambda r: r.update(notes=5), "notes", "as text"),
        (
            lambda r: r.update(recent_toxin=[{"product": "Botox", "date": "2026-12-01"}]),
            "recent_toxin.0.date",
            "in the future",
        ),
        (
            lambda r: r.update(recent_toxin=[{"product": "Botox", "date": "1980-01-01"}]),
            "recent_toxin.0.date",
            "cannot be right",
        ),
        (
            lambda r: r.update(recent_toxin=[{"product": "Botox", "date": "2026-02-30"}]),
            "recent_toxin.0.date",
            "YYYY-MM-DD",
        ),
        (
            lambda r: r.update(recent_toxin=[{"product": "", "date": "2026-10-01"}]),
            "recent_toxin.0.product",
            "Which product",
        ),
        (
            lambda r: r.update(
                recent_toxin=[{"product": "B", "date": "2026-10-01", "purpose": ["x"]}]
            ),
            "recent_toxin.0.purpose",
            "cosmetic, medical",
        ),
        (
            lambda r: r.update(recent_toxin=[{"product": "B", "date": "2026-10-01", "x": 1}]),
            "recent_toxin.0",
            "product, the date",
        ),
        (
            lambda r: r.update(recent_toxin=[{"product": "B", "date": "2026-10-01"}]),
            "recent_toxin",
            "answered no",
        ),
        (lambda r: r["answers"].update(recent_toxin=True), "recent_toxin", "which product"),
        (lambda r: r.update(concerns=[{"area": "knees"}]), "concerns.0.area", "areas listed"),
        (lambda r: r.update(concerns=[{"area": ["x"]}]), "concerns.0.area", "areas listed"),
        (
            lambda r: r.update(concerns=[{"area": "forehead"}]),
            "concerns.0",
            "at rest, with expression",
        ),
        (
            lambda r: r.update(
                concerns=[{"area": "forehead", "at_rest": True}] * 2,
            ),
            "concerns.1.area",
            "twice",
        ),
    ],
)
def test_bad_answers_are_refused_field_by_field(change, field, words):
    raw = intake_answers()
    change(raw)
    errors = errors_of(raw)
    assert field in errors, errors
    assert words.lower() in " ".join(errors[field]).lower()


def test_a_toxin_date_before_the_patient_was_born_cannot_be_right():
    raw = intake_answers(toxins=[{"product": "Botox", "date": "2000-05-01"}], recent_toxin=True)
    assert "recent_toxin.0.date" in errors_of(raw, birth_date=date(2001, 1, 1))


def test_something_that_is_not_an_object_is_refused():
    assert errors_of(["yes"]) == {"intake": ["Send the answers as an object."]}


def test_the_definition_asks_every_question_the_rules_read():
    definition = questionnaire.definition()
    assert {q["key"] for q in definition["questions"]} == {q.value for q in Question}
    assert definition["version"] == questionnaire.VERSION


# ---------------------------------------------------------------- recommendation

ALL = frozenset(Product)


def test_lines_with_expression_suggest_a_neuromodulator_with_label_doses():
    (s,) = recommend([{"area": "between_brows", "at_rest": False, "with_expression": True}], ALL)
    assert s.approach == Approach.NEUROMODULATOR
    doses = {o.product: o.dose_text for o in s.options}
    assert doses[Product.BOTOX_COSMETIC] == "20 U (5 sites x 4 U)"
    assert doses[Product.DYSPORT] == "50 U (5 sites x 10 U)"
    assert doses[Product.DAXXIFY] == "40 U (5 sites x 8 U)"
    assert len(s.options) == 6  # every product is labelled for frown lines


def test_lines_at_rest_suggest_a_filler_and_both_a_combination():
    rest, both = recommend(
        [
            {"area": "smile_lines", "at_rest": True, "with_expression": False},
            {"area": "forehead", "at_rest": True, "with_expression": True},
        ],
        ALL,
    )
    assert rest.approach == Approach.FILLER and rest.options == ()
    assert both.approach == Approach.COMBINATION
    assert {o.product for o in both.options} == {Product.BOTOX_COSMETIC, Product.XEOMIN}


def test_only_offered_products_are_suggested_and_off_label_areas_say_so():
    crows, mouth = recommend(
        [
            {"area": "around_eyes", "at_rest": False, "with_expression": True},
            {"area": "around_mouth", "at_rest": False, "with_expression": True},
        ],
        frozenset({Product.DYSPORT}),
    )
    assert crows.options == () and "offers" in crows.note
    assert mouth.options == () and "off-label" in mouth.note


# ---------------------------------------------------------------- self-check

ANSWERS = dict(
    age="adult",
    allergy="no",
    nerves="no",
    infection="no",
    pregnant="no",
    recent="no",
    lines="moving",
)


def test_a_healthy_adult_may_be_a_candidate():
    assert self_check(ANSWERS, today=TODAY, offered=tuple(Product)).may_be_candidate


@pytest.mark.parametrize(
    "change",
    [
        {"age": "minor"},
        {"allergy": "yes"},
        {"allergy": "unsure"},
        {"nerves": "yes"},
        {"infection": "yes"},
        {"pregnant": "yes"},
        {"recent": "unsure"},
    ],
)
def test_any_finding_asks_to_talk_first(change):
    result = self_check({**ANSWERS, **change}, today=TODAY, offered=tuple(Product))
    assert not result.may_be_candidate


def test_over_65_is_a_candidate_for_products_other_than_dysport():
    senior = {**ANSWERS, "age": "senior"}
    assert self_check(senior, today=TODAY, offered=tuple(Product)).may_be_candidate
    assert not self_check(senior, today=TODAY, offered=(Product.DYSPORT,)).may_be_candidate


def test_pregnancy_with_the_policy_off_is_not_a_reason_to_wait():
    pregnant = {**ANSWERS, "pregnant": "yes"}
    off = frozenset({"policy-pregnancy", "policy-breastfeeding"})
    result = self_check(pregnant, today=TODAY, offered=tuple(Product), policies_off=off)
    assert result.may_be_candidate


# ---------------------------------------------------------------- the consent PDF


def test_text_is_wrapped_to_the_width_with_real_font_metrics():
    assert layout.text_width("i", "F1", 10) == pytest.approx(2.78)  # DejaVu Sans
    assert layout.text_width("W", "F2", 10) == pytest.approx(11.03)  # DejaVu Sans Bold
    lines = layout.wrap("word " * 200, "F1", 10.5, layout.TEXT_W)
    assert len(lines) > 5
    assert all(layout.text_width(line, "F1", 10.5) <= layout.TEXT_W for line in lines)
    long = layout.wrap("x" * 500, "F1", 10.5, 100)
    assert all(layout.text_width(line, "F1", 10.5) <= 100 for line in long)
    assert "".join(long) == "x" * 500


def test_the_pdf_holds_the_text_the_signer_and_the_hash(clinic):
    """The PDF is the clinic's paper: every page's footer carries its name from the set-up."""
    body = ("Heading\n" + "A sentence about the treatment. " * 30 + "\n\n") * 8
    record = pdf.ConsentRecord(
        clinic="Conejo Aesthetic Medicine",
        title="Consent to neuromodulator treatment",
        version=3,
        body=body,
        patient_name="Zoë Ng",
        birth_date="1980-01-01",
        typed_name="Zoë Ng",
        method="drawn",
        strokes=[[[0, 0], [300, 120], [600, 10]], [[700, 50]]],
        signed_at=datetime(2026, 11, 22, 10, 5),
        ip="203.0.113.9",
        via="Clinic tablet",
        text_sha256=hashlib.sha256(b"x").hexdigest(),
        consent_id="c0ffee",
    )
    data = pdf.render(record)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 2  # long text flows onto more pages
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Consent to neuromodulator treatment" in text and "Version 3" in text
    assert "Zoë Ng" in text
    assert hashlib.sha256(b"x").hexdigest() in text
    assert "203.0.113.9" in text and "page 2 of" in text
    # The clinic's name heads the first page, then closes every page's footer.
    assert text.count(clinic.organisation.name) == 1 + len(reader.pages)


def test_a_reported_toxin_keeps_its_units_when_the_patient_knows_them():
    toxins = [
        {"product": "Botox", "date": "2026-10-01", "purpose": "medical", "units": 155},
        {"product": "Dysport", "date": "2026-09-01", "purpose": "cosmetic", "units": " 50 "},
        {"product": "Xeomin", "date": "2026-08-30", "purpose": "cosmetic", "units": ""},
    ]
    answers, errors = clean(intake_answers(toxins=toxins, recent_toxin=True), today=TODAY)
    assert errors == {}
    assert [t.get("units") for t in answers["recent_toxin"]] == ["155", "50", None]


@pytest.mark.parametrize("units", [0, -20, "many", "NaN", "Infinity", 1501, True, [5], "12.3"])
def test_bad_units_of_a_reported_toxin_are_refused_on_their_field(units):
    entry = {"product": "Botox", "date": "2026-10-01", "units": units}
    errors = errors_of(intake_answers(toxins=[entry], recent_toxin=True))
    assert list(errors) == ["recent_toxin.0.units"]
