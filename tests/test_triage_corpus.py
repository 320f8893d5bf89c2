"""The triage corpus (tests/triage_corpus.py): over 200 reports in patients' own words, each
triaged as CLINICAL.md says; every red flag urgent, the share of mild reports read as self-care
printed, negation and body-wide vs local each on their own, and properties: adding any text to a
report never lowers it, and a note with words the triage cannot read is never self-care."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glabella.aftercare.triage import ORDER, SYMPTOMS, Report, Severity, Urgency, triage
from tests import triage_corpus as corpus

TABLE = corpus.table()


def rank(urgency) -> int:
    return ORDER.index(urgency)


def urgency_of(text: str) -> str:
    return triage(Report(free_text=text)).urgency.value


def test_the_corpus_holds_at_least_200_phrasings_each_once():
    texts = [text for _, text, _ in TABLE]
    assert len(texts) >= 200 and len(set(texts)) == len(texts)


@pytest.mark.parametrize(
    ("group", "text", "expected"), TABLE, ids=[f"{g}: {t}" for g, t, _ in TABLE]
)
def test_each_phrasing_triages_as_clinical_md_says(group, text, expected):
    assert urgency_of(text) == expected


def test_every_red_flag_in_the_patients_words_is_urgent():
    missed = [text for text in corpus.RED_FLAGS if urgency_of(text) != "urgent"]
    print(f"\nred flags read as urgent: {len(corpus.RED_FLAGS) - len(missed)}/"
          f"{len(corpus.RED_FLAGS)}")  # fmt: skip
    assert missed == []


@pytest.mark.parametrize("text", corpus.SAME_DAY_LIST)
def test_the_same_day_list_goes_to_a_clinician_the_same_day(text):
    result = triage(Report(free_text=text))
    assert result.urgency == Urgency.REVIEW and result.same_day and result.within == "same_day"
    assert result.unread == ()  # read, not merely unknown


def test_the_share_of_mild_reports_read_as_self_care_is_at_least_90_percent():
    self_care = [text for text in corpus.MILD if urgency_of(text) == "self_care"]
    share = len(self_care) / len(corpus.MILD)
    print(f"\nmild reports read as self-care: {len(self_care)}/{len(corpus.MILD)} = {share:.0%}")
    assert share >= 0.9


@pytest.mark.parametrize(("text", "expected"), corpus.NEGATION)
def test_a_denial_is_read_within_its_scope(text, expected):
    result = triage(Report(free_text=text))
    assert result.urgency == expected
    if expected == "self_care" and text != "fine":
        assert any("says there is no" in r.why for r in result.reasons)


def test_a_clear_denial_leaves_the_bruise_it_ends_before():
    result = triage(Report(free_text="no trouble breathing but a small bruise"))
    whys = [r.why for r in result.reasons]
    assert result.urgency == Urgency.SELF_CARE
    assert "The note says there is no trouble breathing." in whys
    assert any("bruise" in why and "expected" in why for why in whys)


@pytest.mark.parametrize(("text", "expected"), corpus.BODY_WIDE_VS_LOCAL)
def test_a_rash_itch_or_swelling_beyond_the_sites_is_urgent_and_at_the_sites_expected(
    text, expected
):
    assert urgency_of(text) == expected


def test_itching_all_over_is_an_allergy_and_itching_where_the_needle_went_is_not():
    assert urgency_of("itchy rash all over my body") == "urgent"
    assert urgency_of("itchy where the needle went") == "self_care"


@pytest.mark.parametrize(("text", "expected"), corpus.MISSPELLINGS)
def test_a_misspelt_report_is_read_as_meant(text, expected):
    assert urgency_of(text) == expected


@pytest.mark.parametrize(("text", "expected"), corpus.SEVERAL)
def test_several_symptoms_in_one_sentence_the_worst_decides(text, expected):
    assert urgency_of(text) == expected


@pytest.mark.parametrize(("text", "expected"), corpus.UNKNOWN)
def test_a_note_with_words_the_triage_cannot_read_goes_to_a_clinician_quoting_them(text, expected):
    result = triage(Report(free_text=text))
    assert result.urgency == expected and result.unread
    quoting = [r for r in result.reasons if "could not read" in r.why]
    assert quoting and all(f"\u201c{w}\u201d" in quoting[0].why for w in result.unread[:8])
    assert quoting[0].same_day


@pytest.mark.parametrize("text", corpus.MILD)
def test_an_unknown_word_never_makes_a_mild_report_lower_than_a_clinician(text):
    assert urgency_of(f"{text} and a zorbling feeling") != "self_care"
    assert urgency_of(f"{text}, zorbling") != "self_care"


# ---------------------------------------------------------------- properties

ALL_TEXTS = [text for _, text, _ in TABLE]
reports = st.builds(
    Report,
    symptoms=st.lists(st.sampled_from([s.code for s in SYMPTOMS]), max_size=3).map(tuple),
    severity=st.sampled_from([*Severity, None]),
    getting_better=st.sampled_from([True, False, None]),
    free_text=st.one_of(st.just(""), st.sampled_from(ALL_TEXTS)),
)
words = st.lists(
    st.one_of(
        st.sampled_from(sorted({w for t in ALL_TEXTS for w in t.split()})),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz' ", min_size=1, max_size=12),
    ),
    min_size=1,
    max_size=12,
).map(" ".join)
any_text = st.one_of(words, st.text(max_size=80), st.sampled_from(ALL_TEXTS))
# Time is not what these properties are about, and the machine may be busy.
patient = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@patient
@given(reports, any_text)
def test_adding_any_text_to_a_report_never_lowers_its_urgency(report, extra):
    more = Report(
        symptoms=report.symptoms,
        severity=report.severity,
        getting_better=report.getting_better,
        free_text=f"{report.free_text}. {extra}" if report.free_text else extra,
    )
    assert rank(triage(more).urgency) >= rank(triage(report).urgency)


@patient
@given(st.sampled_from(corpus.RED_FLAGS), any_text)
def test_a_red_flag_stays_urgent_whatever_is_written_after_it(flag, extra):
    assert urgency_of(f"{flag}. {extra}") == "urgent"


@patient
@given(any_text)
def test_a_note_with_unread_words_is_never_self_care(text):
    result = triage(Report(free_text=text))
    assert not result.unread or result.urgency != Urgency.SELF_CARE


# Every fourth mild report: enough kinds of place and wording, in seconds.
SOME_MILD = corpus.MILD[::4]


@pytest.mark.parametrize("joint", [" and ", ", ", " but ", " also "])
def test_a_red_flag_after_a_mild_report_stays_urgent(joint):
    lowered = [
        f"{mild}{joint}{flag}"
        for flag in corpus.RED_FLAGS
        for mild in SOME_MILD
        if urgency_of(f"{mild}{joint}{flag}") != "urgent"
    ]
    assert lowered == []


@pytest.mark.parametrize("joint", [" and ", ", ", " but "])
def test_a_same_day_sign_after_a_mild_report_still_reaches_a_clinician(joint):
    lowered = [
        f"{mild}{joint}{sign}"
        for sign in corpus.SAME_DAY_LIST
        for mild in SOME_MILD
        if urgency_of(f"{mild}{joint}{sign}") == "self_care"
    ]
    assert lowered == []
