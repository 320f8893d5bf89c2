"""Candidacy screening rules: one test per rule, profiles across the six products, properties."""

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glabella.catalogue.areas import Area
from glabella.catalogue.vocabulary import Class, Kind, recognise
from glabella.screening.rules import (
    DEFAULT_REVIEW,
    POLICY_RULES,
    REVIEWABLE_RULES,
    RULES,
    Intake,
    Outcome,
    Product,
    Question,
    Severity,
    evaluate,
)

TODAY = date(2026, 11, 22)
ALL_NO = dict.fromkeys(Question, False)


def healthy(**change) -> Intake:
    """A healthy 40-year-old who answered every question no."""
    values = dict(today=TODAY, birth_date=date(1986, 5, 1), answers=dict(ALL_NO))
    answers = change.pop("answers", {})
    values.update(change)
    values["answers"] = {**values["answers"], **answers}
    return Intake(**values)


def outcomes(intake: Intake, **kw) -> dict[Product, Outcome]:
    return {p: evaluate(intake, p, **kw).outcome for p in Product}


# ---------------------------------------------------------------- the vocabulary


@pytest.mark.parametrize(
    ("kind", "typed", "cls", "exact"),
    [
        (Kind.MEDICATION, "Gentamicin", Class.AMINOGLYCOSIDE, True),
        (Kind.MEDICATION, "gentamycin 80 mg", Class.AMINOGLYCOSIDE, False),
        (Kind.MEDICATION, "Coumadin 5mg daily", Class.ANTICOAGULANT, True),
        (Kind.MEDICATION, "Eliquis", Class.ANTICOAGULANT, True),
        (Kind.MEDICATION, "low dose aspirin", Class.ANTIPLATELET, True),
        (Kind.MEDICATION, "warfrin", Class.ANTICOAGULANT, False),
        (Kind.MEDICATION, "Flexeril", Class.MUSCLE_RELAXANT, True),
        (Kind.MEDICATION, "oxybutynin ER", Class.ANTICHOLINERGIC, True),
        (Kind.MEDICATION, "Mestinon", Class.NEUROMUSCULAR_DRUG, True),
        (Kind.MEDICATION, "Botox for migraine", Class.BOTULINUM_TOXIN, True),
        (Kind.ALLERGY, "Cow's milk", Class.MILK_PROTEIN, True),
        (Kind.ALLERGY, "human serum albumin", Class.ALBUMIN, True),
        (Kind.ALLERGY, "Dysport", Class.BOTULINUM_TOXIN, True),
        (Kind.CONDITION, "Myasthenia gravis", Class.NEUROMUSCULAR_DISORDER, True),
        (Kind.CONDITION, "myastenia gravis", Class.NEUROMUSCULAR_DISORDER, False),
        (Kind.CONDITION, "Lambert-Eaton", Class.NEUROMUSCULAR_DISORDER, True),
        (Kind.CONDITION, "ALS", Class.NEUROMUSCULAR_DISORDER, True),
        (Kind.CONDITION, "Atrial fibrillation", Class.CARDIOVASCULAR, True),
        (Kind.CONDITION, "Sjögren's", Class.DRY_EYE, True),
    ],
)
def test_typed_names_are_recognised_with_their_class(kind, typed, cls, exact):
    found = recognise(kind, typed)
    assert found.recognised and cls in found.classes
    assert found.exact is exact


@pytest.mark.parametrize("typed", ["Zorbexin", "herbal sleep mix", "Qwerty tonic", "xyz", "ab"])
def test_unknown_names_are_kept_as_unrecognised_not_dropped(typed):
    found = recognise(Kind.MEDICATION, typed)
    assert not found.recognised and found.text == typed and found.classes == frozenset()


@pytest.mark.parametrize(
    ("kind", "typed"),
    [
        (Kind.MEDICATION, "Lisinopril 10 mg"),
        (Kind.MEDICATION, "vitamin D"),
        (Kind.MEDICATION, "Zyrtec"),
        (Kind.ALLERGY, "penicillin (rash)"),
        (Kind.ALLERGY, "Latex"),
        (Kind.CONDITION, "migraines"),
    ],
)
def test_common_harmless_names_are_recognised_and_read_by_no_rule(kind, typed):
    found = recognise(kind, typed)
    assert found.recognised and found.classes == frozenset()
    field = {Kind.MEDICATION: "medications", Kind.ALLERGY: "allergies"}.get(kind, "conditions")
    assert evaluate(healthy(**{field: (typed,)}), Product.BOTOX_COSMETIC).outcome == E


def test_every_name_in_one_entry_is_read():
    """ "aspirin and fish oil" is an antiplatelet and a supplement; neither hides the other."""
    found = recognise(Kind.MEDICATION, "aspirin and fish oil")
    assert {Class.ANTIPLATELET, Class.NSAID, Class.BRUISING_RISK} <= found.classes
    found = recognise(Kind.MEDICATION, "multivitamin, warfarin")
    assert Class.ANTICOAGULANT in found.classes


def test_an_unrecognised_entry_sends_the_patient_to_review_and_is_listed():
    verdict = evaluate(healthy(medications=("Zorbexin",)), Product.BOTOX_COSMETIC)
    assert verdict.outcome == Outcome.REVIEW
    assert [r.text for r in verdict.unrecognised] == ["Zorbexin"]
    assert any("Zorbexin" in f.message for f in verdict.findings)


# ---------------------------------------------------------------- one test per rule

TRIGGERS = {
    "toxin-hypersensitivity": dict(allergies=("Botox",)),
    "albumin-hypersensitivity": dict(allergies=("albumin",)),
    "milk-protein-hypersensitivity": dict(allergies=("cow's milk protein",)),
    "infection-at-site": dict(answers={Question.INFECTION_AT_SITE: True}),
    "neuromuscular-disorder": dict(conditions=("myasthenia gravis",)),
    "swallowing-or-breathing": dict(answers={Question.SWALLOWING_OR_BREATHING: True}),
    "cardiovascular-disease": dict(answers={Question.HEART_DISEASE: True}),
    "aminoglycosides-and-neuromuscular-drugs": dict(medications=("tobramycin",)),
    "anticholinergics": dict(medications=("glycopyrrolate",)),
    "muscle-relaxants": dict(medications=("baclofen",)),
    "toxin-within-four-months": dict(last_toxin_on=TODAY - timedelta(days=60)),
    "earlier-toxin-reaction": dict(answers={Question.EARLIER_TOXIN_REACTION: True}),
    "facial-surgery-or-ptosis": dict(answers={Question.DROOPING_LID_OR_BROW: True}),
    "bleeding-risk": dict(medications=("clopidogrel",)),
    "dry-eye": dict(conditions=("dry eye",)),
    "dysport-label-age": dict(birth_date=date(1955, 1, 1)),
    "policy-adults-only": dict(birth_date=date(2010, 1, 1)),
    "policy-pregnancy": dict(answers={Question.PREGNANT: True}),
    "policy-breastfeeding": dict(answers={Question.BREASTFEEDING: True}),
}


def test_every_rule_has_a_test():
    assert set(TRIGGERS) == {rule.id for rule in RULES}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_each_rule_fires_for_its_products_only_with_its_severity(rule):
    intake = healthy(**TRIGGERS[rule.id])
    for product in Product:
        verdict = evaluate(intake, product)
        fired = [f for f in verdict.findings if f.rule == rule.id]
        if product in rule.products:
            assert len(fired) == 1, (rule.id, product)
            assert fired[0].severity == rule.severity and fired[0].source
            expected = {
                Severity.CONTRAINDICATION: Outcome.NOT_ELIGIBLE,
                Severity.PRECAUTION: Outcome.REVIEW,
            }.get(rule.severity)
            if expected is not None:
                assert verdict.outcome == expected
        else:
            assert fired == [], (rule.id, product)


def test_a_healthy_adult_is_eligible_for_every_product():
    assert set(outcomes(healthy()).values()) == {Outcome.ELIGIBLE}


def test_a_cows_milk_allergy_blocks_dysport_only():
    result = outcomes(healthy(allergies=("milk",)))
    assert result.pop(Product.DYSPORT) == Outcome.NOT_ELIGIBLE
    assert set(result.values()) == {Outcome.ELIGIBLE}


def test_an_albumin_allergy_does_not_block_daxxify():
    result = outcomes(healthy(allergies=("human albumin",)))
    assert result[Product.DAXXIFY] == Outcome.ELIGIBLE
    for p in (
        Product.BOTOX_COSMETIC,
        Product.DYSPORT,
        Product.XEOMIN,
        Product.JEUVEAU,
        Product.LETYBO,
    ):
        assert result[p] == Outcome.NOT_ELIGIBLE


def test_clinic_policies_can_be_switched_off_but_label_rules_cannot():
    pregnant = healthy(answers={Question.PREGNANT: True})
    assert evaluate(pregnant, Product.BOTOX_COSMETIC).outcome == Outcome.NOT_ELIGIBLE
    relaxed = evaluate(pregnant, Product.BOTOX_COSMETIC, policies_off=POLICY_RULES)
    assert relaxed.outcome == Outcome.ELIGIBLE
    allergic = healthy(allergies=("Xeomin",))
    still = evaluate(allergic, Product.XEOMIN, policies_off=frozenset({"toxin-hypersensitivity"}))
    assert still.outcome == Outcome.NOT_ELIGIBLE


def test_an_unanswered_question_is_never_read_as_no():
    unsure = healthy(answers={Question.INFECTION_AT_SITE: None})
    verdict = evaluate(unsure, Product.BOTOX_COSMETIC)
    assert verdict.outcome == Outcome.REVIEW
    assert any(f.rule == "unanswered" for f in verdict.findings)
    assert evaluate(healthy(birth_date=None), Product.DAXXIFY).outcome == Outcome.REVIEW


def test_toxin_more_than_four_months_ago_is_no_finding():
    assert evaluate(
        healthy(last_toxin_on=TODAY - timedelta(days=121)), Product.DYSPORT
    ).outcome == (Outcome.ELIGIBLE)


# ---------------------------------------------------------------- 28 patient profiles

N, R, E = Outcome.NOT_ELIGIBLE, Outcome.REVIEW, Outcome.ELIGIBLE
PROFILES = [
    # (name, intake changes, expected outcome per product in Product order:
    #  BOTOX, Dysport, Xeomin, Jeuveau, DAXXIFY, Letybo)
    ("healthy 40", {}, (E, E, E, E, E, E)),
    ("healthy 18 today", dict(birth_date=date(2008, 11, 22)), (E, E, E, E, E, E)),
    ("17 and a day short", dict(birth_date=date(2008, 11, 23)), (N, N, N, N, N, N)),
    ("70 years old", dict(birth_date=date(1956, 1, 1)), (E, R, E, E, E, E)),
    ("allergic to Botox", dict(allergies=("Botox",)), (N, N, N, N, N, N)),
    ("allergic to albumin", dict(allergies=("albumin",)), (N, N, N, N, E, N)),
    ("allergic to dairy", dict(allergies=("dairy",)), (E, N, E, E, E, E)),
    ("albumin and milk", dict(allergies=("albumin", "casein")), (N, N, N, N, E, N)),
    ("cold sore at the site", dict(answers={Question.INFECTION_AT_SITE: True}), (N,) * 6),
    ("pregnant", dict(answers={Question.PREGNANT: True}), (N,) * 6),
    ("breastfeeding", dict(answers={Question.BREASTFEEDING: True}), (N,) * 6),
    ("myasthenia gravis", dict(conditions=("Myasthenia Gravis",)), (R,) * 6),
    ("Lambert-Eaton", dict(conditions=("lambert eaton",)), (R,) * 6),
    ("ALS answered yes", dict(answers={Question.NEUROMUSCULAR_DISORDER: True}), (R,) * 6),
    ("asthma", dict(conditions=("asthma",)), (R,) * 6),
    ("heart failure", dict(conditions=("heart failure",)), (R,) * 6),
    ("on gentamicin", dict(medications=("gentamicin",)), (R,) * 6),
    ("on Ditropan", dict(medications=("Ditropan",)), (R,) * 6),
    ("on Zanaflex", dict(medications=("Zanaflex",)), (R,) * 6),
    ("on Xarelto", dict(medications=("Xarelto 20 mg",)), (E,) * 6),
    ("Botox for migraine 6 weeks ago", dict(last_toxin_on=date(2026, 10, 10)), (R,) * 6),
    ("reacted before", dict(answers={Question.EARLIER_TOXIN_REACTION: True}), (R,) * 6),
    ("brow lift", dict(answers={Question.FACIAL_SURGERY: True}), (R,) * 6),
    ("dry eye only", dict(conditions=("dry eyes",)), (E,) * 6),
    ("unknown pill", dict(medications=("Zorbexin",)), (R,) * 6),
    ("statin and allergy pill", dict(medications=("atorvastatin", "Zyrtec")), (E,) * 6),
    ("ibuprofen most days", dict(medications=("Advil most days",)), (E,) * 6),
    ("fish oil and vitamin E", dict(medications=("fish oil", "vitamin E")), (E,) * 6),
    (
        "man, pregnancy left blank",
        dict(sex="male", answers=dict.fromkeys((Question.PREGNANT, Question.BREASTFEEDING))),
        (E,) * 6,
    ),
    (
        "woman, pregnancy left blank",
        dict(sex="female", answers={Question.PREGNANT: None}),
        (R,) * 6,
    ),
    ("pregnant, policy off", dict(answers={Question.PREGNANT: True}), (E,) * 6),
    (
        "71, on warfarin, milk allergy",
        dict(birth_date=date(1955, 3, 3), medications=("warfarin",), allergies=("milk",)),
        (E, N, E, E, E, E),
    ),
    (
        "16, allergic to Xeomin",
        dict(birth_date=date(2010, 6, 1), allergies=("Xeomin",)),
        (N,) * 6,
    ),
]


@pytest.mark.parametrize(("name", "change", "expected"), PROFILES, ids=[p[0] for p in PROFILES])
def test_patient_profiles_across_the_six_products(name, change, expected):
    policies_off = POLICY_RULES if "policy off" in name else frozenset()
    result = outcomes(healthy(**change), policies_off=policies_off)
    assert tuple(result[p] for p in Product) == expected


# ---------------------------------------------------------------- properties

answer = st.sampled_from([True, False, None])
names = st.lists(
    st.sampled_from(
        [
            "Botox",
            "albumin",
            "milk",
            "warfarin",
            "gentamicin",
            "Zyrtec",
            "Zorbexin",
            "asthma",
            "myasthenia gravis",
            "dry eye",
            "aspirin",
            "Dysport",
        ]
    ),
    max_size=3,
).map(tuple)
intakes = st.builds(
    Intake,
    today=st.just(TODAY),
    birth_date=st.one_of(st.none(), st.dates(date(1930, 1, 1), date(2015, 1, 1))),
    answers=st.fixed_dictionaries(dict.fromkeys(Question, answer)),
    allergies=names,
    medications=names,
    conditions=names,
    last_toxin_on=st.one_of(st.none(), st.dates(date(2026, 1, 1), TODAY)),
)
RANK = {Outcome.ELIGIBLE: 0, Outcome.REVIEW: 1, Outcome.NOT_ELIGIBLE: 2}


@settings(max_examples=300, deadline=None)
@given(intakes, st.sampled_from(list(Product)))
def test_a_contraindication_is_never_eligible_and_every_outcome_is_explained(intake, product):
    verdict = evaluate(intake, product)
    severities = {f.severity for f in verdict.findings}
    if Severity.CONTRAINDICATION in severities:
        assert verdict.outcome == Outcome.NOT_ELIGIBLE
    if verdict.outcome != Outcome.ELIGIBLE:
        assert verdict.findings
    for r in verdict.unrecognised:
        assert any(r.text in f.because for f in verdict.findings)


@settings(max_examples=300, deadline=None)
@given(intakes, st.sampled_from(list(Product)), st.sampled_from(list(Question)))
def test_a_yes_never_makes_the_verdict_better_than_a_no(intake, product, question):
    no = replace(intake, answers={**intake.answers, question: False})
    yes = replace(intake, answers={**intake.answers, question: True})
    assert RANK[evaluate(yes, product).outcome] >= RANK[evaluate(no, product).outcome]


@pytest.mark.parametrize(
    ("question", "rule", "products"),
    [
        (Question.ALLERGY_TOXIN, "toxin-hypersensitivity", set(Product)),
        (
            Question.ALLERGY_ALBUMIN,
            "albumin-hypersensitivity",
            {
                Product.BOTOX_COSMETIC,
                Product.DYSPORT,
                Product.XEOMIN,
                Product.JEUVEAU,
                Product.LETYBO,
            },
        ),
        (Question.ALLERGY_MILK, "milk-protein-hypersensitivity", {Product.DYSPORT}),
    ],
)
def test_an_allergy_answered_outright_counts_like_one_typed(question, rule, products):
    for product in Product:
        verdict = evaluate(healthy(answers={question: True}), product)
        fired = rule in {f.rule for f in verdict.findings}
        assert fired == (product in products)
        assert (verdict.outcome == N) == (product in products)


# ---------------------------------------------------------------- as a medical director sets it

BRUISING = [
    ("Eliquis 5 mg", "Eliquis (apixaban)"),
    ("apixaban", "Apixaban"),
    ("Coumadin", "Coumadin (warfarin)"),
    ("warfrin", "Warfarin"),
    ("Xarelto", "Xarelto (rivaroxaban)"),
    ("Plavix 75mg", "Plavix (clopidogrel)"),
    ("clopidogrel", "Clopidogrel"),
    ("low dose aspirin", "Aspirin"),
    ("Advil as needed", "Advil (ibuprofen)"),
    ("naproxen", "Naproxen"),
    ("fish oil", "Fish oil"),
    ("vitamin E", "Vitamin E"),
]


@pytest.mark.parametrize("product", list(Product))
@pytest.mark.parametrize(("typed", "named"), BRUISING)
def test_a_bruising_risk_is_information_that_names_the_medicine_not_a_review(typed, named, product):
    verdict = evaluate(healthy(medications=(typed,)), product)
    assert verdict.outcome == Outcome.ELIGIBLE
    [finding] = [f for f in verdict.findings if f.rule == "bleeding-risk"]
    assert finding.severity == Severity.INFORMATION
    assert finding.message.startswith(f"{named}: bruising is more likely")
    assert typed in finding.because


def test_eliquis_is_named_with_its_generic_name():
    verdict = evaluate(healthy(medications=("Eliquis",)), Product.BOTOX_COSMETIC)
    assert [f.message for f in verdict.findings] == [
        "Eliquis (apixaban): bruising is more likely. Not a reason to hold the treatment."
    ]


def test_each_blood_thinning_medicine_in_one_entry_is_named_once():
    verdict = evaluate(
        healthy(medications=("aspirin and fish oil", "Aspirin 81 mg")), Product.XEOMIN
    )
    named = [f.message.split(":")[0] for f in verdict.findings if f.rule == "bleeding-risk"]
    assert named == ["Aspirin", "Fish oil"]
    assert verdict.outcome == Outcome.ELIGIBLE


@pytest.mark.parametrize("product", list(Product))
def test_a_bleeding_disorder_or_easy_bruising_is_information_for_the_injector(product):
    for change in (
        dict(conditions=("von Willebrand disease",)),
        dict(answers={Question.BLEEDING_PROBLEMS: True}),
    ):
        verdict = evaluate(healthy(**change), product)
        assert verdict.outcome == Outcome.ELIGIBLE
        assert [f.severity for f in verdict.findings] == [Severity.INFORMATION]
        assert "bruising is more likely" in verdict.findings[0].message


@pytest.mark.parametrize("product", list(Product))
def test_a_blood_thinner_beside_a_real_precaution_still_goes_to_review(product):
    verdict = evaluate(healthy(medications=("Eliquis", "baclofen")), product)
    assert verdict.outcome == Outcome.REVIEW
    assert {f.rule for f in verdict.findings} == {"bleeding-risk", "muscle-relaxants"}


@pytest.mark.parametrize("product", list(Product))
def test_a_man_who_left_pregnancy_and_breastfeeding_blank_is_not_held(product):
    blank = {Question.PREGNANT: None, Question.BREASTFEEDING: None}
    man = evaluate(healthy(sex="male", answers=blank), product)
    assert man.outcome == Outcome.ELIGIBLE and man.findings == ()
    for sex in ("female", "other", "unknown", None):
        held = evaluate(healthy(sex=sex, answers=blank), product)
        assert held.outcome == Outcome.REVIEW
        assert {f.because for f in held.findings} == {"pregnant", "breastfeeding"}


@pytest.mark.parametrize("product", list(Product))
def test_a_man_who_answers_yes_to_pregnancy_is_still_read(product):
    verdict = evaluate(healthy(sex="male", answers={Question.PREGNANT: True}), product)
    assert verdict.outcome == Outcome.NOT_ELIGIBLE


@pytest.mark.parametrize("product", list(Product))
def test_a_man_leaving_another_question_blank_is_still_held(product):
    verdict = evaluate(healthy(sex="male", answers={Question.HEART_DISEASE: None}), product)
    assert verdict.outcome == Outcome.REVIEW


@pytest.mark.parametrize("product", list(Product))
def test_dry_eye_is_a_label_warning_for_crows_feet(product):
    verdict = evaluate(healthy(conditions=("dry eyes",)), product)
    [finding] = verdict.findings
    assert finding.rule == "dry-eye" and finding.severity == Severity.WARNING
    assert finding.areas == (Area.LATERAL_CANTHAL,)
    assert "crow's feet" in finding.message
    assert verdict.outcome == Outcome.ELIGIBLE  # the label's default: a warning, not a hold
    strict = evaluate(
        healthy(conditions=("dry eyes",)), product, needs_review=DEFAULT_REVIEW | {"dry-eye"}
    )
    assert strict.outcome == Outcome.REVIEW
    assert strict.findings[0].severity == Severity.PRECAUTION


def test_the_labels_defaults_need_review_for_every_precaution_but_dry_eye():
    dry_eye_only = REVIEWABLE_RULES - DEFAULT_REVIEW
    assert dry_eye_only == {"dry-eye"}
    assert "bleeding-risk" not in REVIEWABLE_RULES  # information, never a hold
    assert not REVIEWABLE_RULES & POLICY_RULES
    contraindications = {r.id for r in RULES if r.severity == Severity.CONTRAINDICATION}
    assert not REVIEWABLE_RULES & contraindications


@pytest.mark.parametrize("product", list(Product))
@pytest.mark.parametrize("rule_id", sorted(DEFAULT_REVIEW))
def test_a_label_precaution_the_medical_director_sets_to_warn_only_does_not_hold(rule_id, product):
    intake = healthy(**TRIGGERS[rule_id])
    rule = next(r for r in RULES if r.id == rule_id)
    relaxed = evaluate(intake, product, needs_review=DEFAULT_REVIEW - {rule_id})
    fired = [f for f in relaxed.findings if f.rule == rule_id]
    if product not in rule.products:
        assert fired == []
        return
    assert [f.severity for f in fired] == [Severity.WARNING]
    assert relaxed.outcome == Outcome.ELIGIBLE
    assert evaluate(intake, product).outcome == Outcome.REVIEW


@pytest.mark.parametrize("product", list(Product))
def test_an_unanswered_question_needs_review_whatever_the_medical_director_sets(product):
    unsure = healthy(answers={Question.HEART_DISEASE: None})
    assert evaluate(unsure, product, needs_review=frozenset()).outcome == Outcome.REVIEW
