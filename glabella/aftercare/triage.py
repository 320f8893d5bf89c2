"""Side-effect triage: a patient's report after a treatment to an urgency, with its reasons.

    urgent     every sign the Medication Guide says to get medical help right away for, at any
               hour: trouble swallowing (choking, food going down the wrong way), speaking or
               breathing (short of breath, a tight chest), weakness all over (trouble walking, a
               head hard to hold up), double or blurred vision, a hoarse or lost voice, loss of
               bladder control, hives, welts or a rash beyond the injection sites, swelling of
               the lips, tongue, face or throat, wheezing, dizziness, fainting and chest pain.
    review     a clinician the same day (`same_day`): a drooping eyelid or brow, an eye that will
               not close, a lopsided smile, dry or irritated eyes, swelling that grows or comes
               with a fever, severe pain or a severe headache, and any report the triage cannot
               fully read. An expected effect that is not getting better is a review by the next
               business day.
    self_care  expected and mild: soreness, tenderness, redness, small bumps, swelling or
               itching at the sites, a small bruise, a mild headache, a flu-like feeling, an
               eyelid swelling that settles.

Free text is read as people write it: each sentence is cut into clauses (at punctuation and at
"but", "except", "although"...), a word one edit from a symptom word is read as it (a mild word
only when very close, as reading it could lower a report), and phrases are matched with a few
words between their parts ("hard to swallow", "swallowing is hard", "food goes down the wrong
way"). A finding is placed and qualified by the part of its clause it sits in (split at "and",
"also", a new "I"): a rash, an itch or a swelling all over the body is urgent, at the sites it is
expected, and "a bruise on my forehead and I feel weak" is weakness all over.

Negation is read NegEx-style: a negator ("no", "not", "don't", "without", "never"...) denies what
follows it within six words, up to the end of its clause, "and", "just", "still", a new statement
("nothing to report I can't breathe") or a denial said in full ("no problems at all"). A clear
denial is simply absent: "no trouble breathing, just a bit of bruising" is self-care, and the
reasons say what was read as denied; a denied reading never hides an affirmed one, and a denied
"fine" is the red flag it denies ("not breathing well"). A hedged denial of a red flag ("I don't
think I have trouble breathing") goes to a clinician the same day; doubt ("not sure if", "I don't
know if") denies nothing.

Every word of a note must be read: a word the triage does not know (in any script, or an
emoji), a symptom word it cannot place in a phrase ("my head feels heavy"), or a red flag's place
with nothing readable about it ("my chest") sends the report at least to a clinician the same
day, and the reason quotes those words as typed. So nothing the triage does not understand can
lower a report.
Pure: no database, no clock.
"""

from __future__ import annotations

import difflib
import functools
import re
import string
import unicodedata
from collections.abc import Callable
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
    # A clinician the same day.
    Symptom("drooping_eyelid", "A drooping eyelid", Urgency.REVIEW),
    Symptom("drooping_brow", "A drooping eyebrow", Urgency.REVIEW),
    Symptom("eye_not_closing", "An eye that won't close all the way", Urgency.REVIEW),
    Symptom("lopsided_smile", "A lopsided smile", Urgency.REVIEW),
    Symptom("dry_eye", "Dry, gritty or irritated eyes", Urgency.REVIEW),
    Symptom("asymmetry", "One side of my face looks different", Urgency.REVIEW),
    Symptom(
        "swelling_growing", "Swelling that keeps growing, or comes with a fever", Urgency.REVIEW
    ),
    Symptom("severe_pain", "Severe pain", Urgency.REVIEW),
    Symptom("severe_headache", "A severe headache", Urgency.REVIEW),
    # Get medical help right away: the toxin's effect spreading, or an allergic reaction.
    Symptom(
        "trouble_swallowing", "Trouble swallowing, or choking on food or drink", Urgency.URGENT
    ),
    Symptom("trouble_speaking", "Trouble speaking", Urgency.URGENT),
    Symptom("trouble_breathing", "Trouble breathing, or feeling short of breath", Urgency.URGENT),
    Symptom(
        "general_weakness",
        "Weakness all over my body, trouble walking, or my head is hard to hold up",
        Urgency.URGENT,
    ),
    Symptom("double_vision", "Double vision", Urgency.URGENT),
    Symptom("blurred_vision", "Blurred vision, or I can't see properly", Urgency.URGENT),
    Symptom("hoarseness", "A hoarse voice, or my voice has changed or gone", Urgency.URGENT),
    Symptom("bladder_control", "Losing control of my bladder", Urgency.URGENT),
    Symptom("hives", "Hives or welts", Urgency.URGENT),
    Symptom("rash_all_over", "A rash away from where the needle went in", Urgency.URGENT),
    Symptom(
        "lip_tongue_throat_swelling", "Swelling of my lips, tongue, face or throat", Urgency.URGENT
    ),
    Symptom("wheezing", "Wheezing", Urgency.URGENT),
    Symptom("dizziness", "Feeling dizzy or lightheaded", Urgency.URGENT),
    Symptom("fainting", "Fainting, or nearly fainting", Urgency.URGENT),
    Symptom("chest_pain", "Chest pain or a tight chest", Urgency.URGENT),
)
BY_CODE = {s.code: s for s in SYMPTOMS}
# Every review symptom on the list is one for a clinician the same day (CLINICAL.md).
SAME_DAY_CODES = frozenset(s.code for s in SYMPTOMS if s.urgency == Urgency.REVIEW)


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
    same_day: bool = False  # a review a clinician must make the same day


@dataclass(frozen=True)
class Triage:
    urgency: Urgency
    reasons: tuple[Reason, ...] = field(default=())
    unread: tuple[str, ...] = ()  # the note's words the triage could not read

    @property
    def same_day(self) -> bool:
        """A review a clinician must make the same day (an urgent report is now)."""
        return self.urgency == Urgency.REVIEW and any(
            r.same_day for r in self.reasons if r.urgency == Urgency.REVIEW
        )

    @property
    def within(self) -> str:
        """How soon a clinician acts: now, same_day, next_business_day, or "" for self-care."""
        if self.urgency == Urgency.URGENT:
            return "now"
        if self.urgency == Urgency.REVIEW:
            return "same_day" if self.same_day else "next_business_day"
        return ""


# ---------------------------------------------------------------- words


def _set(text: str) -> frozenset[str]:
    return frozenset(text.split())


NEGATORS = _set(
    "no not dont doesnt didnt isnt arent wasnt werent havent hasnt hadnt wont without never "
    "denies deny none nor neither nothing"
)
# What ends a negation's reach inside a clause (NegEx terminators).
TERMINATORS = _set(
    "just only still apart besides which because although though however yet now also plus then"
)
CLAUSE_BREAKS = _set("but except although though however yet whereas")
PRONOUNS = _set(
    "i im ive id my me it its theres there she he they we",
)
# Words after a negator that make it no negation: "not sure", "no better".
PSEUDO = _set("sure certain idea know only just better improving improved settling settled")
# What a clear denial reads as said: "no problems", "nothing wrong", "no concerns".
DENIABLE = _set("trouble problem problems issue issues wrong concerns complaints worries")
NOT_BETTER_WORDS = _set("better improving improved settling settled easing fading")
HEDGES = _set("think believe")  # "I don't think ..." denies weakly

DIFF = _set(
    "trouble troubles difficulty difficulties difficult hard harder struggling struggle "
    "struggled problem problems issue issues hardly barely unable cant couldnt painful hurts "
    "hurt"
)
# For walking, seeing or closing an eye: pain there is not inability ("hurts when I walk").
DIFF_ACT = DIFF - _set("painful hurts hurt")
SWALLOW = _set("swallow swallowing swallowed swallows")
SPEAK = _set("speak speaking talk talking speech words word say saying")
BREATHE = _set("breathe breathing breath breathed breaths")
EYE = _set("eye eyes eyelid eyelids lid lids")
BROW = _set("brow brows eyebrow eyebrows forehead")
MOUTH = _set("smile smiling mouth lip lips")
FACE_LOCAL = EYE | BROW | MOUTH | _set("face cheek cheeks jaw chin")
DROOP = _set(
    "droop droops drooping droopy drooped sagging sag sags saggy hanging heavy heavier low "
    "lower lowered fallen dropped dropping hooded"
)
SWELL = _set("swelling swollen swell swells swelled puffy puffiness puffed")
ALLERGIC_PARTS = _set("lips lip tongue throat mouth neck")
# Where the injections went: an itch, a rash or a swelling here is expected.
LOCAL = _set(
    "where needle needles injection injections injected jab jabs shot shots site sites spot "
    "spots point points forehead brow brows eyebrow eyebrows between frown lines temple temples "
    "crows feet eyelid eyelids lid lids eye eyes"
)
# Beyond the sites, whatever else the note says.
BODY_WIDE = _set(
    "body arms arm legs leg chest stomach belly tummy everywhere spreading whole entire"
)
SEVERE = _set(
    "severe terrible excruciating unbearable agony agonizing awful worst intense extreme "
    "horrible horrendous splitting crippling"
)
WORSE = _set("worse worsening growing bigger larger increasing spreading")
FEVER = _set("fever feverish temperature")

# Words that carry no symptom: function words, times, places on the body, hedges. A note made
# of these and of words read into a finding is fully read.
PLAIN = _set(
    "a an the and or i im ive id my me mine it its is are was were be been being am have has "
    "had having do does did feel feels feeling felt bit little slightly slight very quite "
    "really real some of at in on to from since for with by about day days today tonight "
    "yesterday morning night evening afternoon hour hours week weeks ago where injection "
    "injections needle needles site sites spot spots area areas forehead between around left "
    "right side sides both small tiny mild few still now just also too so as after before "
    "treatment botox this that these those there here go going gone away thanks thank you ok "
    "okay good great well fine better much less than when touch touched touching frown "
    "frowning lines line look looks looking looked seems seem seemed think see can could "
    "properly normal normally usual anymore more any all up down getting gets got get went lot "
    "lots kind kinda pretty yes yeah maybe whole which who what will would should one two "
    "other another every everything something anything someone eat eating drink drinking "
    "food water slight sure unsure if whether might possibly perhaps probably think thought "
    "seems like just hi hello dear doctor nurse hey please question wondering wonder normal "
    "expected usual thing things bit area skin face cheek cheeks jaw chin neck head eye eyes "
    "eyelid eyelids lid lids brow brows eyebrow eyebrows lips lip tongue throat mouth chest arm "
    "arms leg legs body back stomach belly tummy hands hand feet foot smile smiling temple "
    "temples crows feet point points injected jab jabs shot shots everywhere whole entire over "
    "on under above below near next inside outside top bottom front but except "
    "although though however yet whereas because which only apart besides then again since "
    "time times once twice keep keeps kept started start starting began begun last lasted "
    "lasting long while also even though not no dont doesnt didnt isnt arent wasnt werent "
    "havent hasnt hadnt wont without never nothing none nor neither deny denies big large "
    "huge spot minor barely hardly totally completely fully all way ever really actually "
    "definitely either each know knows tell theres thats whats out drinks life muscle muscles "
    "took take taking tylenol acetaminophen paracetamol ibuprofen advil motrin painkiller "
    "painkillers ice pack compress arnica helped helps sits sit "
    "clearly your symptoms symptom report otherwise goes come comes came coming make makes made"
)


def _norm(text: str) -> str:
    """Lower case, apostrophes and contractions folded, two-word spellings joined."""
    plain = (
        unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'").replace("\u2018", "'")
    )
    plain = re.sub(r"n['\u2019]?t\b", "nt", plain).replace("'", "")
    plain = re.sub(r"[-_/]", " ", plain)
    for pattern, replacement in (
        (r"\bcan ?not\b", "cant"),
        (r"\bcan no longer\b", "cant"),
        (r"\b(?:not|no longer) able\b", "unable"),
        (r"\bcould not\b", "couldnt"),
        (r"\bdo not\b", "dont"),
        (r"\bdoes not\b", "doesnt"),
        (r"\bdid not\b", "didnt"),
        (r"\bwill not\b", "wont"),
        (r"\bwo nt\b", "wont"),
        (r"\bca nt\b", "cant"),
        (r"\beye (lid|lids|brow|brows)\b", r"eye\1"),
        (r"\blight headed\b", "lightheaded"),
        (r"\bflu like\b", "flulike"),
        (r"\bi m\b", "im"),
        (r"\bno way (i|you) can\b", r"\1 cant"),
        (r"\b(?:dont|do not) (?:feel|think) (?:like )?i can\b", "i cant"),
    ):
        plain = re.sub(pattern, replacement, plain)
    return plain


# ---------------------------------------------------------------- rules


@dataclass(frozen=True)
class Match:
    at: tuple[int, ...]  # the positions of the pattern's words in the clause


@dataclass(frozen=True)
class Finding:
    urgency: Urgency
    what: str
    same_day: bool = False
    if_denied: Finding | None = None  # what a denial of it says: "not breathing well"


Decide = Callable[[list[str], Match], Finding | None]


@dataclass(frozen=True)
class Rule:
    patterns: tuple[tuple[frozenset[str], ...], ...]
    decide: Decide
    gap: int = 3


def P(*parts: str) -> tuple[frozenset[str], ...]:  # a pattern, named short to read like a phrase
    return tuple(_set(p) for p in parts)


def fixed(urgency: Urgency, what: str, same_day: bool = False) -> Decide:
    return lambda words, match: Finding(urgency, what, same_day)


def _has(words: list[str], wanted: frozenset[str]) -> bool:
    return any(w in wanted for w in words)


def _all_over(words: list[str], spreading: bool = True) -> bool:
    """Beyond the sites: somewhere on the body, or "all over" not said of a site."""
    text = " ".join(words)
    wide = BODY_WIDE - _set("whole entire") - (set() if spreading else {"spreading"})
    if _has(words, wide) or re.search(
        r"\b(whole|entire) (body|face|head|skin)\b|\bface everywhere\b", text
    ):
        return True
    # "all over my forehead" is at the sites; "all over" of anything else is body-wide.
    for i in range(len(words) - 1):
        if words[i : i + 2] == ["all", "over"] and not _has(words[i + 2 : i + 5], LOCAL):
            return True
    return False


def _near(words: list[str], match: Match, wanted: frozenset[str], span: int = 4) -> bool:
    lo, hi = min(match.at), max(match.at)
    return any(w in wanted for w in words[max(0, lo - span) : hi + span + 1])


U, R, S = Urgency.URGENT, Urgency.REVIEW, Urgency.SELF_CARE


def _weakness(words: list[str], match: Match) -> Finding:
    if (
        _all_over(words)
        or _near(words, match, _set("neck head"), 2)
        or not _near(words, match, FACE_LOCAL | _set("side"))
    ):
        return Finding(U, "weakness all over the body")
    if _near(words, match, EYE | BROW):
        return Finding(R, "a weak, drooping eyelid or brow", True)
    return Finding(R, "weakness in the face", True)


def _droop(words: list[str], match: Match) -> Finding | None:
    if _near(words, match, MOUTH):
        return Finding(R, "a lopsided smile or drooping mouth", True)
    if _near(words, match, EYE):
        return Finding(R, "a drooping eyelid", True)
    if _near(words, match, BROW):
        return Finding(R, "a drooping or heavy brow", True)
    if _near(words, match, _set("face side cheek")):
        return Finding(R, "a drooping side of the face", True)
    return None


def _placed_at_sites(words: list[str], match: Match) -> bool:
    """Said where the needle went: a site word just after it, or right before it."""
    at = match.at[0]
    return _has(words[at + 1 : at + 6], LOCAL) or _has(words[max(0, at - 2) : at], LOCAL)


def _rash(words: list[str], match: Match) -> Finding:
    if _all_over(words):
        return Finding(U, "a rash beyond the injection sites")
    if _placed_at_sites(words, match):
        return Finding(S, "a rash at the injection sites, expected after treatment")
    # Not said where: it may be beyond the sites, and a clinician asks today.
    return Finding(R, "a rash, not said where", True)


def _hives(words: list[str], match: Match) -> Finding:
    if _placed_at_sites(words, match) and not _all_over(words):
        return Finding(R, "hives at the injection sites", True)
    return Finding(U, "hives or welts")


def _local(expected: str, allergic: str | None = None) -> Decide:
    """An expected local effect: beyond the sites it is a red flag, growing it is a review."""

    def decide(words: list[str], match: Match) -> Finding:
        if allergic and _all_over(words):
            return Finding(U, allergic)
        if _has(words, SEVERE) or re.search(r"\b(really|very|so|super) bad\b", " ".join(words)):
            return Finding(R, f"{expected}, and severe", True)
        if _has(words, WORSE):
            return Finding(R, f"{expected}, and getting worse", True)
        return Finding(S, f"{expected}, expected after treatment")

    return decide


def _swelling(words: list[str], match: Match) -> Finding:
    near_parts = [w for w in words if w in ALLERGIC_PARTS]
    if near_parts:
        return Finding(U, f"swelling of the {near_parts[0]}")
    face = [i for i, w in enumerate(words) if w == "face"]
    # "my face is swollen" is a red flag; "my face, around my eyes, a bit puffy" is not.
    if face and (
        _all_over(words, False)
        or not any(_has(words[max(0, i - 2) : i] + words[i + 1 : i + 8], LOCAL) for i in face)
    ):
        return Finding(U, "swelling of the face")
    if _has(words, WORSE) and not _all_over(words, False):
        return Finding(R, "swelling that is growing", True)
    if _near(words, match, EYE) and not _all_over(words):
        return Finding(S, "eyelid swelling, which settles")
    return _local("swelling at the sites", "swelling beyond the injection sites")(words, match)


def _pain(words: list[str], match: Match) -> Finding:
    if _has(words, BODY_WIDE) and not _has(words, LOCAL):
        return Finding(R, "pain away from the injection sites", True)
    if _has(words, _set("throat tongue")):
        return Finding(R, "pain in the throat or tongue", True)
    return _local("pain or tenderness at the sites")(words, match)


def _fine(doing: str) -> Finding:
    """ "My vision is fine" is read; "not breathing well" is the red flag it denies."""
    if doing in _set("eat eating drink drinking"):
        denied = Finding(R, f"{doing} not going well", True)
    else:
        denied = Finding(U, f"trouble with {doing}")
    return Finding(S, f"{doing} as fine", if_denied=denied)


def _see(words: list[str], match: Match) -> Finding | None:
    """ "I can't see properly" is a change in vision; "I can't see any difference" is not."""
    after = words[max(match.at) + 1 : max(match.at) + 2]
    if after and after[0] in _set(
        "any a an the much difference results result effect change changes improvement it them "
        "why how what if whether anyone"
    ):
        return None
    return Finding(U, "a change in vision (cannot see properly)")


RED_FLAG_RULES: tuple[Rule, ...] = (
    # Urgent: the toxin's effect spreading.
    Rule((P("DIFF", "SWALLOW"), P("SWALLOW", "DIFF")), fixed(U, "trouble swallowing")),
    Rule(
        (
            P(
                "choke choking choked chokes gag gagging gagged drool drools drooling dribble "
                "dribbles dribbling"
            ),
            P("down", "wrong"),
            P("stuck", "throat"),
            P("food drink drinks water pills pill tablets liquid liquids", "stuck sticks sticking"),
            P("cough coughing coughed", "eat eating drink drinking swallow drinks food"),
            P("drink drinks water liquid", "nose"),
            P("out", "nose"),
        ),
        fixed(U, "trouble swallowing (choking, food or drink going the wrong way)"),
    ),
    Rule(
        (
            P("DIFF", "SPEAK"),
            P("SPEAK", "DIFF slurred slow funny strange weird jumbled"),
            P("slurred slurring slur slurry mumbling"),
        ),
        fixed(U, "trouble speaking"),
    ),
    Rule(
        (
            P("hoarse hoarseness raspy croaky husky", "voice"),
            P("hoarse hoarseness raspy croaky husky"),
            P("lost lose losing loss no", "voice"),
            P(
                "voice",
                "changed change changing different weird funny strange weak gone cracking "
                "breaking quiet lower deeper sounds off",
            ),
            P("changed change different weak weird strange funny", "voice"),
            P("sound sounds", "different funny weird strange nasal hoarse croaky"),
        ),
        fixed(U, "a hoarse, changed or lost voice"),
    ),
    Rule(
        (
            P("DIFF", "BREATHE"),
            P("BREATHE", "DIFF shallow fast labored laboured tight heavy funny strange weird"),
            P("short shortness out catch catching", "BREATHE"),
            P("breathless breathlessness gasping gasp suffocating asthma"),
            P("labored laboured noisy rapid shallow heavy", "BREATHE"),
        ),
        fixed(U, "trouble breathing"),
        gap=3,
    ),
    Rule((P("wheeze wheezing wheezy wheezed"),), fixed(U, "wheezing")),
    Rule(
        (
            P(
                "chest",
                "pain pains hurts hurt hurting ache aching sore pressure heavy heaviness "
                "squeezing crushing burning tight tightness",
            ),
            P("pain pains ache tight tightness pressure heaviness", "chest"),
            P("angina"),
            P("heart", "attack"),
        ),
        fixed(U, "chest pain or a tight chest"),
    ),
    Rule(
        (
            P(
                "throat tongue",
                "tight tightness closing closed closes narrow funny weird strange odd",
            ),
            P("tight tightness closing", "throat"),
            P("anaphylaxis anaphylactic epipen"),
            P("allergic allergy", "reaction"),
            P("allergic allergy"),
        ),
        fixed(U, "an allergic reaction (a tight or closing throat)"),
    ),
    Rule(
        (
            P("weak weakness feeble floppy"),
            P("no lost losing loss lose", "strength"),
        ),
        _weakness,
    ),
    Rule(
        (
            P("DIFF_ACT", "walk walking stand standing climb stairs lift grip"),
            P("walk walking legs", "wobbly unsteady funny strange weird"),
            P("unsteady wobbly"),
            P("DIFF_ACT", "hold holding keep", "head cup things phone"),
            P("DIFF_ACT", "move moving", "arms arm legs leg body hands"),
            P("head", "drops dropping falls falling flops floppy droops drooping"),
        ),
        fixed(U, "weakness all over (trouble walking or holding the head up)"),
    ),
    Rule(
        (
            P("double", "vision"),
            P("seeing see", "double two"),
            P(
                "vision sight eyesight",
                "blurry blurred blurring fuzzy cloudy hazy double changed change weird funny "
                "strange bad worse dim off gone lost problems trouble loss decreased reduced poor",
            ),
            P("blurry blurred blurring fuzzy hazy decreased reduced poor", "vision sight eyesight"),
            P("blurry blurred blurriness blurring"),
            P("DIFF_ACT", "focus focusing read reading"),
        ),
        fixed(U, "double or blurred vision"),
    ),
    Rule((P("DIFF_ACT", "see seeing"),), _see, gap=2),
    Rule(
        (
            P("bladder incontinence incontinent"),
            P("wet", "myself pants bed"),
            P("peed pee peeing wee weed urine urinating", "myself leaking leak leaks control hold"),
            P("bladder", "leaks leaking leak"),
            P("DIFF leaking leak lost losing", "pee urine wee bladder"),
        ),
        fixed(U, "loss of bladder control"),
    ),
    Rule(
        (
            P("dizzy dizziness lightheaded lightheadedness vertigo woozy"),
            P("room head", "spinning spins"),
            P("balance", "off lost lose losing problems trouble"),
            P("off", "balance"),
        ),
        fixed(U, "dizziness"),
    ),
    Rule(
        (
            P("faint fainted fainting faints collapse collapsed collapsing"),
            P("passed pass passing blacked black blacking", "out"),
        ),
        fixed(U, "fainting"),
        gap=1,
    ),
    Rule(
        (P("tongue lips lip throat", "thick thicker big bigger fat"),),
        fixed(U, "swelling of the lips, tongue or throat"),
    ),
    Rule((P("hives hive welts welt wheals"),), _hives),
    Rule((P("rash rashes blotches blotchy"),), _rash),
    # A clinician the same day.
    Rule(
        (
            P("DIFF_ACT wont doesnt dont not", "close closing shut shutting"),
            P("close closing shut", "properly fully all"),
        ),
        lambda words, match: (
            Finding(R, "an eye that will not close", True) if _has(words, EYE) else None
        ),
    ),
    Rule(
        (P("DIFF_ACT", "open opening"),),
        lambda words, match: (
            Finding(R, "an eyelid that will not open fully", True) if _has(words, EYE) else None
        ),
    ),
    Rule((P("DROOP"),), _droop),
    Rule(
        (
            P("lopsided crooked uneven asymmetric asymmetrical asymmetry wonky"),
            P("one", "side", "different lower higher weird funny strange"),
            P("brow brows eyebrow eyebrows eye eyelid smile", "higher lower"),
        ),
        fixed(R, "an uneven face or a lopsided smile", True),
    ),
    Rule(
        (
            P(
                "dry dryness gritty irritated irritation itchy stinging burning watery watering "
                "sore red",
                "eye eyes",
            ),
            P(
                "eye eyes",
                "dry gritty irritated itchy stinging burning watery watering sore red redness",
            ),
            P("redness", "eye eyes"),
        ),
        # Red or sore skin around the eyes is at the sites (crow's feet); the eye itself is not.
        lambda words, match: (
            None
            if _has(words, _set("around under near corner corners beside"))
            and not _has(words, _set("dry gritty irritated watery watering stinging"))
            else Finding(R, "dry or irritated eyes", True)
        ),
        gap=4,
    ),
)
# Expected, unless placed beyond the sites, severe or growing; and "my vision is fine".
EXPECTED_RULES: tuple[Rule, ...] = (
    Rule(
        (P("DIFF_ACT", "frown frowning move raise wrinkle"),),
        lambda words, match: (
            Finding(S, "muscles at the sites relaxing, as the treatment means them to")
            if _has(words, _set("frown forehead lines wrinkles"))
            or words[match.at[-1]] == "frown"
            or words[match.at[-1]] == "frowning"
            else None
        ),
    ),
    Rule(
        (
            P(
                "vision sight eyesight breathing breathe swallowing swallow speech speaking "
                "talking voice walking walk eating drinking eat drink",
                "fine ok okay normal normally good well",
            ),
        ),
        lambda words, match: _fine(GERUND.get(words[match.at[0]], words[match.at[0]])),
        gap=2,
    ),
    Rule((P("SWELL"),), _swelling),
    Rule(
        (P("itchy itch itching itches itchiness"),),
        _local("itching where the needle went", "itching all over the body"),
    ),
    Rule(
        (P("red redness pink flushed flushing"),),
        _local("redness at the sites", "redness beyond the injection sites"),
    ),
    Rule(
        (P("bump bumps lump lumps bumpy raised"),),
        _local("small bumps at the sites", "bumps beyond the injection sites"),
    ),
    Rule(
        (P("bruise bruised bruising bruises mark marks purple discoloration discolored"),),
        _local("a bruise"),
    ),
    Rule(
        (
            P("headache headaches migraine"),
            P("head", "hurts hurt hurting aches aching sore pain pounding throbbing"),
        ),
        _local("a headache"),
    ),
    Rule(
        (
            P(
                "sore soreness tender tenderness ache aches aching achy pain painful hurts hurt "
                "hurting sting stinging stings throbbing burning"
            ),
        ),
        _pain,
    ),
    Rule(
        (
            P(
                "flu flulike fluey fluish chills shivery shivering tired fatigue fatigued "
                "exhausted sleepy achy fever feverish temperature cold"
            ),
            P("under", "weather"),
            P("run", "down"),
        ),
        lambda words, match: Finding(S, "a flu-like feeling, expected after treatment"),
        gap=2,
    ),
)

# Names used in patterns for the word sets above.
NAMED = {
    "DIFF": DIFF, "DIFF_ACT": DIFF_ACT, "SWALLOW": SWALLOW, "SPEAK": SPEAK, "BREATHE": BREATHE,
    "SWELL": SWELL, "DROOP": DROOP,
}  # fmt: skip


def _expand(part: frozenset[str]) -> frozenset[str]:
    out: set[str] = set()
    for w in part:
        out |= NAMED.get(w, {w})
    return frozenset(out)


def _expanded(rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
    return tuple(
        Rule(tuple(tuple(_expand(p) for p in pat) for pat in r.patterns), r.decide, r.gap)
        for r in rules
    )


def _words(rules: tuple[Rule, ...]) -> frozenset[str]:
    return frozenset(w for r in rules for pat in r.patterns for p in pat for w in p)


RULES = _expanded(RED_FLAG_RULES) + _expanded(EXPECTED_RULES)
SYMPTOM_WORDS = _words(RULES) | SEVERE | WORSE | NOT_BETTER_WORDS
# A misspelling is read as a symptom word when it is close to one; as a word of an expected
# effect (which could make a report self-care) only when very close.
MILD_WORDS = _words(_expanded(EXPECTED_RULES))
KNOWN = PLAIN | SYMPTOM_WORDS | NEGATORS | TERMINATORS | CLAUSE_BREAKS | HEDGES


def _deletions(word: str) -> set[str]:
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


# Each symptom word under itself and its one-letter deletions: a typed word within one edit
# (a letter missing, extra, wrong or two swapped) shares a key with it, found without a scan.
NEIGHBOURS: dict[str, set[str]] = {}
for _word in SYMPTOM_WORDS:
    for _key in _deletions(_word):
        NEIGHBOURS.setdefault(_key, set()).add(_word)


@functools.lru_cache(maxsize=4096)
def _token(word: str) -> str:
    """A typed word as a symptom word when it is one edit from one (and very close to a mild
    word's, as reading a word as mild could lower a report)."""
    if word in KNOWN or len(word) < 4 or not word.isascii():
        return word
    for i in range(len(word) - 1):  # two letters swapped: "pian", "bruies"
        swapped = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        if swapped in SYMPTOM_WORDS:
            return swapped
    candidates = {c for key in _deletions(word) for c in NEIGHBOURS.get(key, ())}
    scored = sorted(
        ((difflib.SequenceMatcher(None, word, c).ratio(), c) for c in candidates), reverse=True
    )
    for ratio, close in scored:
        if ratio >= (0.88 if close in MILD_WORDS else 0.8):
            return close
    return word


def typed_clauses(text: str) -> list[tuple[list[str], list[str]]]:
    """The note as clauses, split at punctuation and at "but", "except"...: each as its words
    read (misspellings mended) and as typed."""
    out = []
    for part in re.split(r"[.,;:!?\n()\"]+", _norm(text)):
        read: list[str] = []
        typed: list[str] = []
        # Letters of any script, and each symbol such as an emoji: a word the triage does not
        # know in another script or a symbol is unread, never silently skipped.
        for w in re.findall(r"[^\W\d_]+|[^\w\s]", part):
            if w in string.punctuation:
                continue
            if _token(w) in CLAUSE_BREAKS:
                if read:
                    out.append((read, typed))
                read, typed = [], []
            else:
                read.append(_token(w))
                typed.append(w)
        if read:
            out.append((read, typed))
    return out


def clauses(text: str) -> list[list[str]]:
    """The note as clauses of words read."""
    return [read for read, _ in typed_clauses(text)]


def _matches(words: list[str], pattern: tuple[frozenset[str], ...], gap: int) -> list[Match]:
    found = []
    for start, w in enumerate(words):
        if w not in pattern[0]:
            continue
        at = [start]
        for part in pattern[1:]:
            nxt = next(
                (
                    j
                    for j in range(at[-1] + 1, min(len(words), at[-1] + gap + 2))
                    if words[j] in part
                ),
                None,
            )
            if nxt is None:
                break
            at.append(nxt)
        if len(at) == len(pattern):
            found.append(Match(tuple(at)))
    return found


NEW_STATEMENT = _set("i im ive id my its theres")  # a denial does not reach past these
COMPLETE = _set("report wrong complaints concerns worries")  # "nothing wrong": said in full
INTENSE = _set("so such this that")  # "never felt so dizzy"


def _negations(words: list[str]) -> list[tuple[int, int, bool]]:
    """Each negator's reach: (position, last word it denies, hedged)."""
    out = []
    for n, w in enumerate(words):
        if w not in NEGATORS:
            continue
        following = words[n + 1 : n + 3]
        if following and following[0] in PSEUDO:
            continue  # "not sure", "no better": not a denial
        if w == "no" and following and following[0] in PRONOUNS:
            continue  # "no I can't breathe": an answer, not a denial
        if w == "never" and words[n + 2 : n + 3] and words[n + 2] in INTENSE:
            continue  # "never felt so dizzy": an intensifier, not a denial
        hedged = bool(following) and following[0] in HEDGES
        end = n
        for j in range(n + 1, min(len(words), n + 7)):
            if words[j] in TERMINATORS:
                break
            if words[j] == "and":
                break  # "no swelling and a rash": what follows "and" is said, not denied
            if words[j] in NEW_STATEMENT and not hedged:
                break  # "nothing to report I can't breathe": a new statement
            end = j
            if words[j] in COMPLETE or words[j - 1 : j + 1] == ["at", "all"]:
                break  # "no problems at all": the denial is complete
        out.append((n, end, hedged))
    return out


def _not_better(words: list[str]) -> list[int]:
    """Positions of "not getting better", "won't go down": a negator that says it lingers."""
    found = []
    for n, w in enumerate(words):
        if w not in NEGATORS:
            continue
        nxt = words[n + 1 : n + 4]
        if any(x in NOT_BETTER_WORDS for x in nxt[:2]) or (
            any(x in _set("going gone go goes") for x in nxt)
            and any(x in _set("down away") for x in nxt)
        ):
            found.append(n)
    return found


@dataclass(frozen=True)
class Read:
    reasons: tuple[Reason, ...]
    unread: tuple[str, ...]


def rank(urgency: Urgency) -> int:
    return ORDER.index(urgency)


GERUND = {"eat": "eating", "drink": "drinking", "breathe": "breathing", "swallow": "swallowing",
          "walk": "walking"}  # fmt: skip
# Places and doings of the red flags: a clause that names one and says nothing readable about it
# is not read as fine.
RED_CONTEXT = _set("chest throat tongue lips lip heart food drink drinks water eat eating drinking")
READ_IN_DENIAL = DENIABLE | MILD_WORDS | RED_CONTEXT
HOW_BAD = SEVERE | WORSE
VERY = _set("really very so super pretty")
JOINS = _set("and also plus i im ive")  # "i" starts a new statement in a run-on note


def _context(words: list[str], match: Match) -> tuple[list[str], Match]:
    """The words that place and qualify a match: the parts of its clause joined by "and" that it
    spans, so that "a bruise on my forehead and I feel weak" does not put the weakness on the
    forehead. The match comes back counted from the context's start."""
    lo, hi = min(match.at), max(match.at)
    start = max((j + 1 for j in range(lo) if words[j] in JOINS), default=0)
    end = min((j for j in range(hi + 1, len(words)) if words[j] in JOINS), default=len(words))
    return words[start:end], Match(tuple(i - start for i in match.at))


WINDOW, OVERLAP = 40, 15  # a long run-on clause is read in overlapping windows of words


def read_text(text: str) -> Read:
    """What a note says: each finding as a reason, and the words it could not read. A word is
    unread only when no window that holds it could read it."""
    reasons: list[Reason] = []
    unread: list[str] = []
    flags: set[str] = set()
    for words, typed in typed_clauses(text):
        missed_any: set[int] = set()
        read_any: set[int] = set()
        for start in range(0, max(1, len(words) - OVERLAP), WINDOW - OVERLAP):
            window = words[start : start + WINDOW]
            found, missed = _read_clause(window, flags)
            reasons += found
            missed_any |= {start + i for i in missed}
            read_any |= {start + i for i in range(len(window)) if i not in missed}
        unread += [typed[i] for i in sorted(missed_any - read_any)]  # as the patient typed them
    if {"swelling", "fever"} <= flags:
        reasons.append(Reason(R, "The note describes swelling with a fever.", True))
    return Read(tuple(dict.fromkeys(reasons)), tuple(dict.fromkeys(unread)))


def _read_clause(words: list[str], flags: set[str]) -> tuple[list[Reason], set[int]]:
    """A clause's findings, and the positions of the words it could not read."""
    reasons: list[Reason] = []
    unread: set[int] = set()
    used: set[int] = set()
    lingering = _not_better(words)
    for n in lingering:
        used |= {j for j in range(n, n + 4) if j < len(words) and words[j] in NOT_BETTER_WORDS}
    negations = [x for x in _negations(words) if x[0] not in lingering]
    for n, end, hedged in negations:
        # A plain or mild word inside a clear denial is read ("no problems", "nothing wrong");
        # a red flag's word is read only in a finding ("I don't feel like I can breathe").
        used |= {j for j in range(n, end + 1) if not hedged and words[j] in READ_IN_DENIAL}
    # Words read into a finding already, with the highest urgency they were read at: a word
    # is read again only by a rule that reads it higher ("itchy" of "dry eyes and itchy
    # skin all over"); a shared first word ("trouble breathing and swallowing") is fine.
    claimed: dict[int, int] = {}
    present = set(words)
    for rule in RULES:
        for pattern in rule.patterns:
            if any(part.isdisjoint(present) for part in pattern):
                continue  # a word of it is missing: no match, and no need to look
            for match in _matches(words, pattern, rule.gap):
                finding = rule.decide(*_context(words, match))
                if finding is None:
                    continue
                denial = [
                    hedged
                    for n, end, hedged in negations
                    if n not in match.at and any(n < m <= end for m in match.at)
                ]
                if denial and finding.if_denied is not None:
                    finding, denial = finding.if_denied, []
                if denial and not all(denial):
                    # Denied: its words are read, but claim nothing that another rule affirms
                    # ("blurred vision and no problems": the vision is not denied).
                    used |= set(match.at)
                    reasons.append(
                        Reason(S, f"The note says there is no {finding.what.split(',')[0]}.")
                    )
                    continue
                if denial and finding.urgency == S:
                    used |= set(match.at)
                    continue
                if denial:
                    finding = Finding(R, f"{finding.what}, perhaps (a doubtful denial)", True)
                level = rank(finding.urgency)
                if any(claimed.get(j, -1) >= level for j in match.at[1:] or match.at):
                    continue
                # Its kind of word right beside or within it is read with it: "dry gritty eyes".
                for j in range(min(match.at) - 1, max(match.at) + 2):
                    if j in match.at or (
                        0 <= j < len(words) and any(words[j] in p for p in pattern)
                    ):
                        claimed[j] = max(claimed.get(j, -1), level)
                urgency, same_day = finding.urgency, finding.same_day
                what = finding.what
                if lingering and urgency == S:
                    urgency, what = R, f"{finding.what.split(',')[0]}, and not getting better"
                reasons.append(Reason(urgency, f"The note describes {what}.", same_day))
                if _has([words[i] for i in match.at], SWELL):
                    flags.add("swelling")
                if _has([words[i] for i in match.at], FEVER):
                    flags.add("fever")
    if lingering and not any(words[i] in SYMPTOM_WORDS for i in claimed):
        reasons.append(Reason(R, "The note says something is not getting better."))
    used |= set(claimed)
    if not claimed and not any(r.why.startswith("The note says there is no") for r in reasons):
        # "my chest", "food comes back up": a red flag's place with nothing read about it.
        unread |= {i for i, w in enumerate(words) if w in RED_CONTEXT and i not in used}
    for i, w in enumerate(words):
        if i in used or w in PLAIN or w in TERMINATORS or w in HEDGES:
            continue
        if w in NEGATORS:
            continue
        if claimed and (w in HOW_BAD or (w == "bad" and i and words[i - 1] in VERY)):
            continue  # read as how bad a finding is
        unread.add(i)
    # A denial another part of the clause contradicts is not said: "out of breath and no
    # problems" describes trouble breathing, and does not also deny it.
    said = " ".join(r.why for r in reasons if r.why.startswith("The note describes "))
    denied = "The note says there is no "
    reasons = [
        r for r in reasons if not (r.why.startswith(denied) and r.why[len(denied) : -1] in said)
    ]
    return reasons, unread


def unread_words(text: str) -> list[str]:
    """Words of a note the triage could not read."""
    return list(read_text(text).unread)


# ---------------------------------------------------------------- the triage


def triage(report: Report) -> Triage:
    reasons: list[Reason] = []
    for code in report.symptoms:
        symptom = BY_CODE.get(code)
        if symptom is None:
            reasons.append(
                Reason(
                    Urgency.REVIEW, f"A symptom we do not know ({code}): a clinician checks.", True
                )
            )
            continue
        urgency = symptom.urgency
        if symptom.local and report.severity == Severity.SEVERE:
            reasons.append(Reason(Urgency.REVIEW, f"{symptom.label}, and severe.", True))
            continue
        if symptom.local and report.getting_better is False:
            reasons.append(Reason(Urgency.REVIEW, f"{symptom.label}, and not getting better."))
            continue
        reasons.append(Reason(urgency, symptom.label + ".", code in SAME_DAY_CODES))
    unread: tuple[str, ...] = ()
    text = report.free_text.strip()
    if text:
        read = read_text(text)
        reasons += read.reasons
        unread = read.unread
        if unread:
            quoted = ", ".join(f"\u201c{w}\u201d" for w in unread[:8])
            reasons.append(
                Reason(
                    Urgency.REVIEW,
                    f"The note has words the triage could not read ({quoted}): a clinician "
                    "reads it today.",
                    True,
                )
            )
    if report.severity == Severity.SEVERE and not report.symptoms:
        # Whatever the note says, "severe" from the patient is for a clinician to hear today.
        reasons.append(
            Reason(Urgency.REVIEW, "Severe, as the patient puts it: a clinician asks.", True)
        )
    urgency = max((r.urgency for r in reasons), key=ORDER.index, default=Urgency.SELF_CARE)
    reasons = list(dict.fromkeys(reasons))  # a finding read twice is said once
    reasons.sort(key=lambda r: -ORDER.index(r.urgency))
    return Triage(urgency, tuple(reasons), unread)
