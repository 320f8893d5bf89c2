"""Triage: every symptom of CLINICAL.md at every severity, free text in plain words, with
misspellings and negations, and properties: nothing said ever lowers the urgency, and a red
flag is never sent to self-care."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glabella.aftercare.note_reading import NEGATORS, PLAIN
from glabella.aftercare.triage import (
    ORDER,
    SYMPTOMS,
    Report,
    Severity,
    Urgency,
    triage,
)

SELF, REVIEW, URGENT = Urgency.SELF_CARE, Urgency.REVIEW, Urgency.URGENT
EXPECTED = [s.code for s in SYMPTOMS if s.urgency == SELF]
WITHIN_A_DAY = [s.code for s in SYMPTOMS if s.urgency == REVIEW]
EMERGENCY = [s.code for s in SYMPTOMS if s.urgency == URGENT]


def test_the_symptom_list_is_clinical_mds():
    assert set(EXPECTED) == {
        "pain", "redness", "swelling", "bruising", "headache", "flu_like", "eyelid_swelling",
    }  # fmt: skip
    assert set(WITHIN_A_DAY) == {
        "drooping_eyelid", "drooping_brow", "eye_not_closing", "lopsided_smile", "dry_eye",
        "asymmetry", "swelling_growing", "severe_pain", "severe_headache",
    }  # fmt: skip
    # Double and blurred vision are urgent: the Medication Guide says get help right away.
    assert set(EMERGENCY) == {
        "trouble_swallowing", "trouble_speaking", "trouble_breathing", "general_weakness",
        "double_vision", "blurred_vision", "hoarseness", "bladder_control", "hives",
        "rash_all_over", "lip_tongue_throat_swelling", "wheezing", "dizziness", "fainting",
        "chest_pain",
    }  # fmt: skip


SEVERITIES = [*Severity, None]


@pytest.mark.parametrize("severity", SEVERITIES)
@pytest.mark.parametrize("better", [True, False, None])
@pytest.mark.parametrize("code", EMERGENCY)
def test_an_emergency_symptom_is_urgent_at_any_severity(code, severity, better):
    result = triage(Report(symptoms=(code,), severity=severity, getting_better=better))
    assert result.urgency == URGENT and result.reasons[0].urgency == URGENT


@pytest.mark.parametrize("severity", SEVERITIES)
@pytest.mark.parametrize("better", [True, False, None])
@pytest.mark.parametrize("code", WITHIN_A_DAY)
def test_a_symptom_on_the_same_day_list_goes_to_a_clinician_that_day(code, severity, better):
    result = triage(Report(symptoms=(code,), severity=severity, getting_better=better))
    assert result.urgency == REVIEW and result.same_day and result.within == "same_day"


@pytest.mark.parametrize("severity", SEVERITIES)
@pytest.mark.parametrize("better", [True, False, None])
@pytest.mark.parametrize("code", EXPECTED)
def test_an_expected_effect_is_self_care_unless_severe_or_not_improving(code, severity, better):
    result = triage(Report(symptoms=(code,), severity=severity, getting_better=better))
    escalated = severity == Severity.SEVERE or better is False
    assert result.urgency == (REVIEW if escalated else SELF)
    # Severe pain or a severe headache is for the same day; a mild effect that lingers is not.
    assert result.same_day == (severity == Severity.SEVERE)


def test_an_unknown_symptom_and_a_bare_severe_go_to_a_clinician():
    assert triage(Report(symptoms=("tingling",))).urgency == REVIEW
    assert triage(Report(severity=Severity.SEVERE)).urgency == REVIEW
    assert triage(Report()).urgency == SELF


def test_the_worst_symptom_decides_and_leads_the_reasons():
    result = triage(Report(symptoms=("bruising", "drooping_eyelid", "wheezing")))
    assert result.urgency == URGENT
    assert [r.urgency for r in result.reasons] == [URGENT, REVIEW, SELF]


# ---------------------------------------------------------------- free text

URGENT_TEXT = [
    "it's hard to swallow",
    "I can't breathe properly",
    "I cant breath",
    "no, I can't breathe",
    "not able to swallow",
    "trouble swalowing since this morning",
    "difficulty breathing at night",
    "short of breath",
    "shortness of breath when I walk",
    "breething is hard",
    "hard to brethe",
    "I can't talk properly",
    "my speech is slurred",
    "slured speech",
    "I'm choking on water",
    "weezing",
    "wheezing and my chest is tight",
    "hives all over",
    "my lips are a bit swollen",
    "swelling of my tongue",
    "my throat feels tight",
    "not my lips, but my throat is swollen",
    "my arms feel weak",
    "weakness in my legs",
    "I wet myself",
    "I lost control of my bladder",
    "I think I'm having an allergic reaction",
    "I don't think I have trouble breathing but my chest hurts",
    "double vision since yesterday",
    "blurry vision",
]
REVIEW_TEXT = [
    "my eyelid is drooping",
    "my left eyelid droops",
    "eye lid droopy",
    "my left eyebrow feels heavy",
    "my eyes are dry",
    "my face looks lopsided",
    "my smile is uneven",
    "the bruise is getting worse",
    "tingling in my cheek",
    "I feel strange",
]
SELF_TEXT = [
    "a bit sore",
    "sore and bruised on my forehead",
    "headache since yesterday, getting better",
    "small bruise where the needle went in",
    "a little redness",
    "all good thanks",
    "fine",
    "no swelling at all",
]
DENIED = [
    "no trouble breathing",
    "no difficulty swallowing",
    "my lips are not swollen",
    "no swelling of my lips",
    "no hives",
    "not wheezing",
]


@pytest.mark.parametrize("text", URGENT_TEXT)
def test_red_flags_in_plain_words_and_misspelt_are_urgent(text):
    assert triage(Report(free_text=text)).urgency == URGENT


@pytest.mark.parametrize("text", REVIEW_TEXT)
def test_what_a_clinician_should_see_goes_to_review(text):
    assert triage(Report(free_text=text)).urgency == REVIEW


@pytest.mark.parametrize("text", SELF_TEXT)
def test_expected_effects_and_reassurance_stay_self_care(text):
    assert triage(Report(free_text=text)).urgency == SELF


@pytest.mark.parametrize("text", DENIED)
def test_a_clearly_denied_red_flag_is_absent_and_the_reasons_say_so(text):
    # The corrected rule (issue 16): negation is read, so "no trouble breathing" is self-care.
    result = triage(Report(free_text=text))
    assert result.urgency == SELF
    assert "says there is no" in result.reasons[0].why


def test_a_hedged_denial_of_a_red_flag_goes_to_a_clinician_the_same_day():
    result = triage(Report(free_text="I don't think I have trouble breathing"))
    assert result.urgency == REVIEW and result.same_day


# ---------------------------------------------------------------- Spanish


def test_a_note_of_spanish_function_words_is_read_in_full():
    text = "Hola, pues yo creo que ya está todo bien desde ayer, muchas gracias a usted"
    result = triage(Report(free_text=text))
    assert result.urgency == SELF and result.unread == ()


def test_an_unknown_spanish_word_is_quoted_as_typed_accents_and_all():
    result = triage(Report(free_text="Siento un hormigueo extraño y náuseas"))
    assert result.urgency == REVIEW and result.same_day
    assert result.unread == ("hormigueo", "extraño", "náuseas")
    assert "\u201cextraño\u201d" in result.reasons[0].why
    # A word made of two is quoted as two: "no puedo" is read as one word of difficulty.
    assert triage(Report(free_text="No puedo dormir")).unread == ("no puedo", "dormir")


@pytest.mark.parametrize(
    ("cannot", "denied"),
    [
        ("no puedo tragar", "no me cuesta tragar"),
        ("no me deja respirar", "no tengo problemas para respirar"),
        ("sin poder hablar", "sin dificultad para hablar"),
        ("no me sale la voz", "no tengo la voz ronca"),
        ("casi no veo", "no veo borroso"),
        ("las piernas no me responden", "no tengo debilidad"),
    ],
)
def test_a_spanish_no_of_inability_is_a_red_flag_and_a_no_of_denial_is_not(cannot, denied):
    assert triage(Report(free_text=cannot)).urgency == URGENT
    result = triage(Report(free_text=denied))
    assert result.urgency == SELF and "says there is no" in result.reasons[0].why


@pytest.mark.parametrize(
    ("accented", "plain", "expected"),
    [
        ("se me cayó el párpado", "se me cayo el parpado", REVIEW),
        ("Tengo un moretón pequeño", "tengo un moreton pequeno", SELF),
        ("visión doble", "VISION DOBLE", URGENT),
        ("Me desmayé", "me desmaye", URGENT),
        ("no sé si veo borroso", "no se si veo borroso", URGENT),
    ],
)
def test_spanish_is_read_the_same_with_or_without_its_accents(accented, plain, expected):
    with_accents, without = triage(Report(free_text=accented)), triage(Report(free_text=plain))
    assert with_accents.urgency == without.urgency == expected
    assert with_accents.reasons == without.reasons


def test_every_word_of_every_phrasing_is_held_without_accents():
    from glabella.aftercare.phrasings import RULES
    from glabella.aftercare.phrasings_es import fold

    held = {w for rule in RULES for pattern in rule.patterns for part in pattern for w in part}
    assert {w for w in held if fold(w) != w} == set()
    assert {w for w in PLAIN | NEGATORS if fold(w) != w} == set()


def test_the_note_escalates_what_the_ticked_symptoms_do_not():
    result = triage(
        Report(symptoms=("bruising",), severity=Severity.MILD, free_text="hard to swallow")
    )
    assert result.urgency == URGENT


# ---------------------------------------------------------------- properties

codes = st.lists(st.sampled_from([s.code for s in SYMPTOMS]), max_size=4).map(tuple)
fillers = st.lists(st.sampled_from(sorted(PLAIN - NEGATORS - {"can", "could"})), max_size=6)
reports = st.builds(
    Report,
    symptoms=codes,
    severity=st.sampled_from(SEVERITIES),
    getting_better=st.sampled_from([True, False, None]),
    free_text=st.sampled_from(["", *SELF_TEXT, *REVIEW_TEXT, *DENIED, *URGENT_TEXT]),
)


def rank(urgency) -> int:
    return ORDER.index(urgency)


@given(reports, st.sampled_from([s.code for s in SYMPTOMS]))
def test_another_symptom_never_lowers_the_urgency(report, code):
    more = Report(
        symptoms=(*report.symptoms, code),
        severity=report.severity,
        getting_better=report.getting_better,
        free_text=report.free_text,
    )
    assert rank(triage(more).urgency) >= rank(triage(report).urgency)


@given(reports, st.sampled_from([*SELF_TEXT, *REVIEW_TEXT, *DENIED, *URGENT_TEXT]))
def test_more_words_never_lower_the_urgency(report, extra):
    more = Report(
        symptoms=report.symptoms,
        severity=report.severity,
        getting_better=report.getting_better,
        free_text=f"{report.free_text}. {extra}",
    )
    assert rank(triage(more).urgency) >= rank(triage(report).urgency)


@given(fillers, st.sampled_from(URGENT_TEXT), fillers)
def test_a_red_flag_among_other_words_is_never_self_care(before, flag, after):
    text = " ".join([*before, flag, *after])
    assert triage(Report(free_text=text)).urgency != SELF


# ---------------------------------------------------------------- safety rates (pure)


def test_rates_by_each_key_and_a_lot_that_stands_out():
    from decimal import Decimal

    from glabella.aftercare.safety import Row, band, flagged, rates, tail

    def row(lot, effect, units="20", areas=("glabellar",), injector="NP"):
        return Row("botox_cosmetic", injector, lot, frozenset(areas), Decimal(units), effect)

    rows = [row("GOOD", i % 20 == 0) for i in range(200)]  # 5 %
    rows += [row("BAD", i < 6) for i in range(20)]  # 30 %
    rows += [row("FEW", i < 1, units="64", areas=("forehead", "glabellar")) for i in range(3)]
    by_lot = {r.key: (r.treated, r.events) for r in rates(rows, "lot")}
    assert by_lot == {"BAD": (20, 6), "FEW": (3, 1), "GOOD": (200, 10)}
    by_area = {r.key: r.treated for r in rates(rows, "area")}
    assert by_area == {"forehead": 3, "glabellar": 223}
    assert {r.key for r in rates(rows, "dose")} == {"20-39 U", "64 U or more"}
    assert [r.key for r in flagged(rows)] == ["BAD"]  # FEW has one event: too few to call
    assert band(Decimal("19.5")) == "under 20 U" and band(Decimal("64")) == "64 U or more"
    assert tail(10, 0, 0.1) == 1.0 and abs(tail(2, 2, 0.5) - 0.25) < 1e-12
