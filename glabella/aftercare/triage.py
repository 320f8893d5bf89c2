"""Side-effect triage: a patient's report after a treatment to an urgency, with its reasons.

    self_care  expected and mild (soreness, redness, swelling, bruising, headache, a flu-like
               feeling, a puffy eyelid): the patient sees care advice.
    review     a clinician contacts the patient within one business day: a drooping eyelid or
               brow, vision changes, dry eye, asymmetry, a local effect that is severe or getting
               worse, and anything the triage does not recognise.
    urgent     trouble swallowing, speaking or breathing, weakness all over, loss of bladder
               control (the toxin's effect spreading), or an allergic reaction (hives, swelling of
               the lips, tongue or throat, wheezing): the patient is told to call emergency
               services at once, and the on-call clinician is alerted.

Free text is read too, so that "it's hard to swallow" in the notes escalates: words are matched
forgiving small misspellings, and a red flag that is denied ("no trouble breathing") is not
treated as absent: it goes to a clinician (review) rather than to self-care, so a misread denial
can never hide a real red flag. Pure: no database, no clock.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from enum import StrEnum


class Urgency(StrEnum):
    SELF_CARE = "self_care"
    REVIEW = "review"
    URGENT = "urgent"


ORDER = [Urgency.SELF_CARE, Urgency.REVIEW, Urgency.URGENT]


class Severity(StrEnum):
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


@dataclass(frozen=True)
class Symptom:
    code: str
    label: str  # in the patient's words
    urgency: Urgency  # at mild or moderate severity
    local: bool = False  # an expected local effect: severe or worsening makes it a review


SYMPTOMS: tuple[Symptom, ...] = (
    # Expected and mild (CLINICAL.md: after treatment).
    Symptom("pain", "Pain or tenderness where the needle went in", Urgency.SELF_CARE, True),
    Symptom("redness", "Redness", Urgency.SELF_CARE, True),
    Symptom("swelling", "Swelling where the needle went in", Urgency.SELF_CARE, True),
    Symptom("bruising", "Bruising", Urgency.SELF_CARE, True),
    Symptom("headache", "Headache", Urgency.SELF_CARE, True),
    Symptom("flu_like", "Feeling as if I have the flu", Urgency.SELF_CARE, True),
    Symptom("eyelid_swelling", "A puffy eyelid", Urgency.SELF_CARE, True),
    # To report within a day.
    Symptom("drooping_eyelid", "A drooping eyelid", Urgency.REVIEW),
    Symptom("drooping_brow", "A drooping eyebrow", Urgency.REVIEW),
    Symptom("double_vision", "Double vision", Urgency.REVIEW),
    Symptom("blurred_vision", "Blurred vision", Urgency.REVIEW),
    Symptom("dry_eye", "Dry, gritty eyes", Urgency.REVIEW),
    Symptom("asymmetry", "One side of my face looks different", Urgency.REVIEW),
    # Emergency: distant spread of the toxin's effect, or an allergic reaction.
    Symptom("trouble_swallowing", "Trouble swallowing", Urgency.URGENT),
    Symptom("trouble_speaking", "Trouble speaking", Urgency.URGENT),
    Symptom("trouble_breathing", "Trouble breathing", Urgency.URGENT),
    Symptom("general_weakness", "Weakness all over my body", Urgency.URGENT),
    Symptom("bladder_control", "Losing control of my bladder", Urgency.URGENT),
    Symptom("hives", "Hives or an itchy rash spreading", Urgency.URGENT),
    Symptom("lip_tongue_throat_swelling", "Swelling of my lips, tongue or throat", Urgency.URGENT),
    Symptom("wheezing", "Wheezing", Urgency.URGENT),
)
BY_CODE = {s.code: s for s in SYMPTOMS}


@dataclass(frozen=True)
class Report:
    symptoms: tuple[str, ...] = ()
    severity: Severity | None = None
    getting_better: bool | None = None  # None: not said
    free_text: str = ""
    days_since: int | None = None


@dataclass(frozen=True)
class Reason:
    urgency: Urgency
    why: str


@dataclass(frozen=True)
class Triage:
    urgency: Urgency
    reasons: tuple[Reason, ...] = field(default=())


# ---------------------------------------------------------------- reading free text

# The words the phrases below are made of; a typed word within a small edit of one is read as it.
WORDS = {
    "breathe", "breathing", "breath", "swallow", "swallowing", "speak", "speaking", "talk",
    "talking", "speech", "slurred", "slurring", "choke", "choking", "wheeze", "wheezing",
    "hives", "throat", "tongue", "lips", "lip", "mouth", "face", "swelling", "swollen",
    "weak", "weakness", "bladder", "urine", "incontinence", "wet", "vision", "double",
    "blurry", "blurred", "eyelid", "eyelids", "lid", "lids", "droop", "drooping", "droopy",
    "brow", "brows", "eyebrow", "eyebrows", "eye", "eyes", "dry", "gritty", "uneven",
    "asymmetry", "asymmetric", "lopsided", "crooked", "headache", "bruise", "bruised",
    "bruising", "sore", "soreness", "tender", "pain", "painful", "red", "redness", "flu",
    "fever", "itchy", "rash", "allergic", "anaphylaxis", "trouble", "difficulty", "hard",
    "unable", "cannot", "struggling", "heavy", "hanging", "closed", "tight", "tightness",
    "arms", "legs", "body", "everywhere", "over", "fine", "better", "worse", "worsening",
    "spreading", "puffy", "puffiness", "short", "shortness", "chest", "walk", "walking",
}  # fmt: skip
NEGATORS = {"no", "not", "dont", "doesnt", "didnt", "isnt", "arent", "without", "never",
            "denies", "none", "nor", "neither"}  # fmt: skip
# Negations that are themselves part of a red flag: "can't breathe", "couldn't swallow".
INABILITY = {"cant", "cannot", "couldnt", "unable"}
VERBS = {"breathe": "breathing", "breath": "breathing", "breathing": "breathing",
         "swallow": "swallowing", "swallowing": "swallowing", "speak": "speaking",
         "speaking": "speaking", "talk": "speaking", "talking": "speaking"}  # fmt: skip
DIFFICULTY = {"trouble", "difficulty", "hard", "struggling", "unable", "cannot", "cant",
              "couldnt", "short", "shortness", "problem", "problems", "difficult"}  # fmt: skip
ALLERGIC_PARTS = {"throat", "tongue", "lips", "lip", "mouth"}
SWOLLEN = {"swelling", "swollen", "tight", "tightness", "puffy"}
CLAUSE_BREAKS = {"but", "though", "although", "however", "except", "yet"}
EXPECTED = {
    "sore": "soreness", "soreness": "soreness", "tender": "tenderness", "pain": "pain",
    "painful": "pain", "red": "redness", "redness": "redness", "bruise": "bruising",
    "bruised": "bruising", "bruising": "bruising", "headache": "a headache", "flu": "a flu-like "
    "feeling", "swelling": "swelling", "swollen": "swelling", "puffy": "puffiness",
    "puffiness": "puffiness", "itchy": "itching where the needle went in",
}  # fmt: skip
# Words that carry no symptom: a note made only of these and of symptom words is fully read.
PLAIN = {
    "a", "an", "the", "and", "or", "i", "im", "ive", "my", "me", "it", "its", "is", "are", "was",
    "were", "be", "been", "have", "has", "had", "feel", "feels", "feeling", "felt", "bit",
    "little", "slightly", "slight", "very", "quite", "really", "some", "of", "at", "in", "on",
    "to", "from", "since", "for", "with", "day", "days", "today", "yesterday", "morning",
    "night", "evening", "where", "injection", "injections", "needle", "site", "sites", "spot",
    "spots", "area", "areas", "forehead", "between", "around", "left", "right", "side", "both",
    "small", "mild", "few", "still", "now", "just", "also", "too", "so", "as", "after",
    "treatment", "this", "that", "there", "here", "go", "going", "gone", "away", "thanks",
    "thank", "you", "ok", "okay", "good", "great", "well", "fine", "better", "much", "less",
    "than", "when", "touch", "touching", "frown", "frowning", "smile", "smiling", "lines",
    "line", "look", "looks", "looking", "seems", "seem", "think", "see", "can", "could",
    "properly", "normal", "normally", "usual", "anymore", "more", "any", "all", "up", "down",
    "am", "getting", "gets", "got", "get", "went", "lot", "lots", "kind", "kinda", "pretty",
    "yes", "yeah", "maybe", "whole", "which", "who", "what", "will", "would", "should",
}  # fmt: skip


def _token(word: str) -> str:
    """A typed word as one of WORDS when it is a small misspelling of it."""
    if word in WORDS or word in NEGATORS or word in INABILITY or word in PLAIN or len(word) < 4:
        return word
    if word == "able":
        return word
    close = difflib.get_close_matches(word, WORDS, n=1, cutoff=0.8)
    return close[0] if close else word


def _clauses(text: str) -> list[list[str]]:
    plain = text.lower().replace("\u2019", "'").replace("n't", "nt").replace("'", "")
    clauses = []
    for part in re.split(r"[.,;:!?\n()]+", plain):
        words = [_token(w) for w in re.findall(r"[a-z]+", part)]
        # "not able to" says what "unable to" says.
        words = [
            "unable" if w == "able" and i and words[i - 1] == "not" else w
            for i, w in enumerate(words)
        ]
        current: list[str] = []
        for w in words:  # "but" starts a new clause: "not swollen but hard to breathe"
            if w in CLAUSE_BREAKS and current:
                clauses.append(current)
                current = []
            else:
                current.append(w)
        if current:
            clauses.append(current)
    return clauses


def _negated(words: list[str], at: int) -> bool:
    """A negator within the three words before position `at`, in the same clause."""
    return any(w in NEGATORS for w in words[max(0, at - 3) : at])


def _near(words: list[str], at: int, wanted: set[str], span: int = 3) -> bool:
    return any(w in wanted for w in words[max(0, at - span) : at + span + 1])


def read_text(text: str) -> list[Reason]:
    """What free text says, each finding with the words that set it off."""
    found: list[Reason] = []

    def add(urgency: Urgency, what: str, denied: bool) -> None:
        if denied:
            found.append(
                Reason(
                    Urgency.REVIEW,
                    f"The note mentions {what}, as not happening; a clinician "
                    "checks what was meant.",
                )
            )
        else:
            found.append(Reason(urgency, f"The note describes {what}."))

    for words in _clauses(text):
        for i, w in enumerate(words):
            if w in VERBS:
                hard = _near(words, i, DIFFICULTY, 3) or (
                    w == "breath" and "short" in words[max(0, i - 3) : i]
                )
                cant = any(x in INABILITY for x in words[max(0, i - 3) : i])
                if hard or cant:
                    start = next(
                        (j for j in range(max(0, i - 3), i) if words[j] in DIFFICULTY | INABILITY),
                        i,
                    )
                    denied = not cant and _negated(words, start)
                    add(Urgency.URGENT, f"trouble {VERBS[w]}", denied)
            elif w in {"choke", "choking", "wheeze", "wheezing", "anaphylaxis"}:
                add(Urgency.URGENT, w, _negated(words, i))
            elif w == "hives":
                add(Urgency.URGENT, "hives", _negated(words, i))
            elif w in {"slurred", "slurring"}:
                add(Urgency.URGENT, "slurred speech", _negated(words, i))
            elif w in ALLERGIC_PARTS and any(x in SWOLLEN for x in words):
                # Anywhere in the clause: "my lips are a bit swollen" is a red flag.
                swollen = [j for j, x in enumerate(words) if x in SWOLLEN]
                denied = all(_negated(words, j) or _negated(words, i) for j in swollen)
                add(Urgency.URGENT, f"swelling of the {w}", denied)
            elif w in {"weak", "weakness"} and any(
                x in {"arms", "legs", "body", "everywhere", "over"} for x in words
            ):
                add(Urgency.URGENT, "weakness beyond the face", _negated(words, i))
            elif w in {"bladder", "incontinence", "urine"} or (w == "wet" and "myself" in words):
                add(Urgency.URGENT, "trouble with bladder control", _negated(words, i))
            elif w in {"allergic"} and _near(
                words, i, {"reaction"} | SWOLLEN | {"rash", "hives"}, 3
            ):
                add(Urgency.URGENT, "an allergic reaction", _negated(words, i))
            elif w in {"droop", "drooping", "droopy", "heavy", "hanging"} and _near(
                words,
                i,
                {
                    "eyelid",
                    "eyelids",
                    "lid",
                    "lids",
                    "eye",
                    "eyes",
                    "brow",
                    "brows",
                    "eyebrow",
                    "eyebrows",
                },
                3,
            ):
                add(Urgency.REVIEW, "a drooping eyelid or brow", _negated(words, i))
            elif w == "vision" and _near(words, i, {"double", "blurry", "blurred"}, 2):
                add(Urgency.REVIEW, "a change in vision", _negated(words, i - 1))
            elif w == "dry" and _near(words, i, {"eye", "eyes"}, 2):
                add(Urgency.REVIEW, "dry eyes", _negated(words, i))
            elif w in {"uneven", "asymmetry", "asymmetric", "lopsided", "crooked"}:
                add(Urgency.REVIEW, "an uneven face", _negated(words, i))
            elif w in {"worse", "worsening", "spreading"}:
                add(Urgency.REVIEW, "something getting worse", _negated(words, i))
            elif w in EXPECTED and not _negated(words, i):
                found.append(
                    Reason(
                        Urgency.SELF_CARE,
                        f"The note describes {EXPECTED[w]}, expected after treatment.",
                    )
                )
    return found


def unread_words(text: str) -> list[str]:
    """Words of a note that are neither symptoms nor plain words: what the triage cannot read."""
    known = (
        WORDS
        | NEGATORS
        | INABILITY
        | PLAIN
        | set(EXPECTED)
        | CLAUSE_BREAKS
        | {
            "reaction",
            "myself",
            "short",
            "shortness",
            "problem",
            "problems",
            "difficult",
            "unable",
            "not",
            "cant",
            "able",
        }
    )
    return [w for clause in _clauses(text) for w in clause if w not in known]


REASSURING = re.compile(
    r"^\s*(all\s+)?(good|fine|ok|okay|great|well|nothing|none|no problems?|all good|"
    r"feeling (good|fine|great)|thanks?( you)?|no issues?)[\s.!]*$"
)


# ---------------------------------------------------------------- the triage


def triage(report: Report) -> Triage:
    reasons: list[Reason] = []
    for code in report.symptoms:
        symptom = BY_CODE.get(code)
        if symptom is None:
            reasons.append(
                Reason(Urgency.REVIEW, f"A symptom we do not know ({code}): a clinician checks.")
            )
            continue
        urgency = symptom.urgency
        if symptom.local and report.severity == Severity.SEVERE:
            urgency = Urgency.REVIEW
            reasons.append(Reason(urgency, f"{symptom.label}, and severe."))
            continue
        if symptom.local and report.getting_better is False:
            urgency = Urgency.REVIEW
            reasons.append(Reason(urgency, f"{symptom.label}, and not getting better."))
            continue
        reasons.append(Reason(urgency, symptom.label + "."))
    text = report.free_text.strip()
    if text:
        reasons += read_text(text)
        unread = unread_words(text)
        if unread and not REASSURING.match(text.lower()):
            reasons.append(
                Reason(
                    Urgency.REVIEW,
                    "The note says something the triage does not read "
                    f"({', '.join(unread[:5])}): a clinician reads it.",
                )
            )
    if report.severity == Severity.SEVERE and not report.symptoms:
        # Whatever the note says, "severe" from the patient is for a clinician to hear.
        reasons.append(Reason(Urgency.REVIEW, "Severe, as the patient puts it: a clinician asks."))
    urgency = max((r.urgency for r in reasons), key=ORDER.index, default=Urgency.SELF_CARE)
    reasons.sort(key=lambda r: -ORDER.index(r.urgency))
    return Triage(urgency, tuple(reasons))
