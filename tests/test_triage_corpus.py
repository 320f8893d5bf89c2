"""The triage corpora: over 200 reports in English (tests/triage_corpus.py) and over 100 in
Spanish (tests/triage_corpus_es.py) in patients' own words, each triaged as CLINICAL.md says;
every red flag urgent (in Spanish, every red flag of the Medication Guide in several phrasings,
for the right reason), the share of mild reports read as self-care printed, negation and
body-wide vs local each on their own, and properties: adding any text to a report never lowers
it, in either language or mixing them, and a note with words the triage cannot read is never
self-care."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glabella.aftercare.triage import BY_CODE, ORDER, SYMPTOMS, Report, Severity, Urgency, triage
from tests import triage_corpus as corpus
from tests import triage_corpus_es as corpus_es

CORPORA = {"en": corpus, "es": corpus_es}
# (language, group, text, expected urgency)
TABLE = [(lang, *row) for lang, held in CORPORA.items() for row in held.table()]
LANGUAGES = pytest.mark.parametrize("held", CORPORA.values(), ids=CORPORA.keys())


def each(name: str) -> list[tuple[str, ...]]:
    """A group of both corpora as parameters, with the language first."""
    rows = []
    for lang, held in CORPORA.items():
        for case in getattr(held, name):
            rows.append((lang, *case) if isinstance(case, tuple) else (lang, case))
    return rows


def rank(urgency) -> int:
    return ORDER.index(urgency)


def urgency_of(text: str) -> str:
    return triage(Report(free_text=text)).urgency.value


@pytest.mark.parametrize(("lang", "least"), [("en", 200), ("es", 100)])
def test_each_corpus_holds_enough_phrasings_each_once(lang, least):
    texts = [text for held, _, text, _ in TABLE if held == lang]
    assert len(texts) >= least and len(set(texts)) == len(texts)


def test_the_spanish_corpus_counts():
    rows = corpus_es.table()
    counts = {u: sum(1 for _, _, e in rows if e == u) for u in ("urgent", "review", "self_care")}
    print(f"\nSpanish phrasings: {len(rows)}, by urgency {counts}, "
          f"negations {len(corpus_es.NEGATION)}")  # fmt: skip
    assert len(corpus_es.NEGATION) >= 30 and all(counts.values())


@pytest.mark.parametrize(
    ("lang", "group", "text", "expected"),
    TABLE,
    ids=[f"{lang} {g}: {t}" for lang, g, t, _ in TABLE],
)
def test_each_phrasing_triages_as_clinical_md_says(lang, group, text, expected):
    assert urgency_of(text) == expected


@LANGUAGES
def test_every_red_flag_in_the_patients_words_is_urgent(held):
    missed = [text for text in held.RED_FLAGS if urgency_of(text) != "urgent"]
    print(f"\nred flags read as urgent: {len(held.RED_FLAGS) - len(missed)}/"
          f"{len(held.RED_FLAGS)}")  # fmt: skip
    assert missed == []


def test_every_urgent_sign_of_the_medication_guide_is_in_the_spanish_corpus_several_times():
    urgent_signs = {s.code for s in SYMPTOMS if s.urgency == Urgency.URGENT}
    assert set(corpus_es.RED_FLAGS_BY_SIGN) == urgent_signs == set(corpus_es.RED_FLAG_REASONS)
    assert all(len(texts) >= 4 for texts in corpus_es.RED_FLAGS_BY_SIGN.values())
    same_day = {s.code for s in SYMPTOMS if s.urgency == Urgency.REVIEW}
    assert set(corpus_es.SAME_DAY_BY_SIGN) == same_day
    assert all(len(texts) >= 3 for texts in corpus_es.SAME_DAY_BY_SIGN.values())
    expected = {s.code for s in SYMPTOMS if s.urgency == Urgency.SELF_CARE}
    assert expected <= set(corpus_es.MILD_BY_SIGN)


@pytest.mark.parametrize(
    ("sign", "text"),
    [(sign, text) for sign, texts in corpus_es.RED_FLAGS_BY_SIGN.items() for text in texts],
)
def test_a_spanish_red_flag_is_urgent_for_the_sign_it_describes(sign, text):
    result = triage(Report(free_text=text))
    said = " ".join(r.why for r in result.reasons if r.urgency == Urgency.URGENT)
    assert result.urgency == Urgency.URGENT and result.unread == ()
    assert any(words in said for words in corpus_es.RED_FLAG_REASONS[sign]), (
        BY_CODE[sign].label,
        said,
    )


@pytest.mark.parametrize(("lang", "text"), each("SAME_DAY_LIST"))
def test_the_same_day_list_goes_to_a_clinician_the_same_day(lang, text):
    result = triage(Report(free_text=text))
    assert result.urgency == Urgency.REVIEW and result.same_day and result.within == "same_day"
    assert result.unread == ()  # read, not merely unknown


@LANGUAGES
def test_the_share_of_mild_reports_read_as_self_care_is_at_least_90_percent(held):
    self_care = [text for text in held.MILD if urgency_of(text) == "self_care"]
    share = len(self_care) / len(held.MILD)
    print(f"\nmild reports read as self-care: {len(self_care)}/{len(held.MILD)} = {share:.0%}")
    assert share >= 0.9


@pytest.mark.parametrize("text", corpus_es.MILD)
def test_a_mild_spanish_report_is_read_in_full(text):
    assert triage(Report(free_text=text)).unread == ()


@pytest.mark.parametrize(("lang", "text", "expected"), each("NEGATION"))
def test_a_denial_is_read_within_its_scope(lang, text, expected):
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


@pytest.mark.parametrize(("lang", "text", "expected"), each("BODY_WIDE_VS_LOCAL"))
def test_a_rash_itch_or_swelling_beyond_the_sites_is_urgent_and_at_the_sites_expected(
    lang, text, expected
):
    assert urgency_of(text) == expected


def test_itching_all_over_is_an_allergy_and_itching_where_the_needle_went_is_not():
    assert urgency_of("itchy rash all over my body") == "urgent"
    assert urgency_of("itchy where the needle went") == "self_care"


@pytest.mark.parametrize(("lang", "text", "expected"), each("MISSPELLINGS"))
def test_a_misspelt_report_is_read_as_meant(lang, text, expected):
    assert urgency_of(text) == expected


@pytest.mark.parametrize(("lang", "text", "expected"), each("SEVERAL"))
def test_several_symptoms_in_one_sentence_the_worst_decides(lang, text, expected):
    assert urgency_of(text) == expected


@pytest.mark.parametrize(("text", "expected"), corpus_es.MIXED)
def test_a_note_in_english_and_spanish_at_once_is_read_as_either(text, expected):
    result = triage(Report(free_text=text))
    assert result.urgency == expected and result.unread == ()


@pytest.mark.parametrize(("lang", "text", "expected"), each("UNKNOWN"))
def test_a_note_with_words_the_triage_cannot_read_goes_to_a_clinician_quoting_them(
    lang, text, expected
):
    result = triage(Report(free_text=text))
    assert result.urgency == expected and result.unread
    quoting = [r for r in result.reasons if "could not read" in r.why]
    assert quoting and all(f"\u201c{w}\u201d" in quoting[0].why for w in result.unread[:8])
    assert quoting[0].same_day


@pytest.mark.parametrize(("lang", "text"), each("MILD"))
def test_an_unknown_word_never_makes_a_mild_report_lower_than_a_clinician(lang, text):
    more = {"en": " and a zorbling feeling", "es": " y una sensación zorbling"}[lang]
    assert urgency_of(f"{text}{more}") != "self_care"
    assert urgency_of(f"{text}, zorbling") != "self_care"


# ---------------------------------------------------------------- properties

ALL_TEXTS = [text for _, _, text, _ in TABLE]
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
@given(st.sampled_from(corpus.RED_FLAGS + corpus_es.RED_FLAGS), any_text)
def test_a_red_flag_stays_urgent_whatever_is_written_after_it(flag, extra):
    assert urgency_of(f"{flag}. {extra}") == "urgent"


@patient
@given(any_text)
def test_a_note_with_unread_words_is_never_self_care(text):
    result = triage(Report(free_text=text))
    assert not result.unread or result.urgency != Urgency.SELF_CARE


# Every fourth mild report: enough kinds of place and wording, in seconds. Each language's
# joints, and the other's: a patient may begin in one and go on in the other.
SOME_MILD = {lang: held.MILD[::4] for lang, held in CORPORA.items()}
JOINTS = {"en": [" and ", ", ", " but ", " also "], "es": [" y ", ", ", " pero ", " también "]}
MIXING = [
    ("en", "es", " and "),
    ("es", "en", " y "),
    ("en", "es", ", pero "),
    ("es", "en", ", but "),
]
PAIRS = [(lang, lang, joint) for lang, joints in JOINTS.items() for joint in joints] + MIXING


@pytest.mark.parametrize(("mild_in", "flag_in", "joint"), PAIRS)
def test_a_red_flag_after_a_mild_report_stays_urgent(mild_in, flag_in, joint):
    lowered = [
        f"{mild}{joint}{flag}"
        for flag in CORPORA[flag_in].RED_FLAGS
        for mild in SOME_MILD[mild_in]
        if urgency_of(f"{mild}{joint}{flag}") != "urgent"
    ]
    assert lowered == []


@pytest.mark.parametrize(("mild_in", "sign_in", "joint"), [p for p in PAIRS if "also" not in p[2]])
def test_a_same_day_sign_after_a_mild_report_still_reaches_a_clinician(mild_in, sign_in, joint):
    lowered = [
        f"{mild}{joint}{sign}"
        for sign in CORPORA[sign_in].SAME_DAY_LIST
        for mild in SOME_MILD[mild_in]
        if urgency_of(f"{mild}{joint}{sign}") == "self_care"
    ]
    assert lowered == []
