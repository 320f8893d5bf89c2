"""The phrasings of symptoms in free text, and what each means: the symptom word sets, the
phrase patterns (a few words between their parts: "hard to swallow", "swallowing is hard",
"food goes down the wrong way") and the rule that places and qualifies each match: a rash, an
itch or a swelling all over the body is urgent, at the sites it is expected. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from glabella.aftercare.symptoms import Urgency


def word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


NOT_BETTER_WORDS = word_set("better improving improved settling settled easing fading")

DIFF = word_set(
    "trouble troubles difficulty difficulties difficult hard harder struggling struggle "
    "struggled problem problems issue issues hardly barely unable cant couldnt painful hurts "
    "hurt"
)
# For walking, seeing or closing an eye: pain there is not inability ("hurts when I walk").
DIFF_ACT = DIFF - word_set("painful hurts hurt")
SWALLOW = word_set("swallow swallowing swallowed swallows")
SPEAK = word_set("speak speaking talk talking speech words word say saying")
BREATHE = word_set("breathe breathing breath breathed breaths")
EYE = word_set("eye eyes eyelid eyelids lid lids")
BROW = word_set("brow brows eyebrow eyebrows forehead")
MOUTH = word_set("smile smiling mouth lip lips")
FACE_LOCAL = EYE | BROW | MOUTH | word_set("face cheek cheeks jaw chin")
DROOP = word_set(
    "droop droops drooping droopy drooped sagging sag sags saggy hanging heavy heavier low "
    "lower lowered fallen dropped dropping hooded"
)
SWELL = word_set("swelling swollen swell swells swelled puffy puffiness puffed")
ALLERGIC_PARTS = word_set("lips lip tongue throat mouth neck")
# Where the injections went: an itch, a rash or a swelling here is expected.
LOCAL = word_set(
    "where needle needles injection injections injected jab jabs shot shots site sites spot "
    "spots point points forehead brow brows eyebrow eyebrows between frown lines temple temples "
    "crows feet eyelid eyelids lid lids eye eyes"
)
# Beyond the sites, whatever else the note says.
BODY_WIDE = word_set(
    "body arms arm legs leg chest stomach belly tummy everywhere spreading whole entire"
)
SEVERE = word_set(
    "severe terrible excruciating unbearable agony agonizing awful worst intense extreme "
    "horrible horrendous splitting crippling"
)
WORSE = word_set("worse worsening growing bigger larger increasing spreading")
FEVER = word_set("fever feverish temperature")


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
    return tuple(word_set(p) for p in parts)


def fixed(urgency: Urgency, what: str, same_day: bool = False) -> Decide:
    return lambda words, match: Finding(urgency, what, same_day)


def has_any(words: list[str], wanted: frozenset[str]) -> bool:
    return any(w in wanted for w in words)


def _all_over(words: list[str], spreading: bool = True) -> bool:
    """Beyond the sites: somewhere on the body, or "all over" not said of a site."""
    text = " ".join(words)
    wide = BODY_WIDE - word_set("whole entire") - (set() if spreading else {"spreading"})
    if has_any(words, wide) or re.search(
        r"\b(whole|entire) (body|face|head|skin)\b|\bface everywhere\b", text
    ):
        return True
    # "all over my forehead" is at the sites; "all over" of anything else is body-wide.
    for i in range(len(words) - 1):
        if words[i : i + 2] == ["all", "over"] and not has_any(words[i + 2 : i + 5], LOCAL):
            return True
    return False


def _near(words: list[str], match: Match, wanted: frozenset[str], span: int = 4) -> bool:
    lo, hi = min(match.at), max(match.at)
    return any(w in wanted for w in words[max(0, lo - span) : hi + span + 1])


U, R, S = Urgency.URGENT, Urgency.REVIEW, Urgency.SELF_CARE


def _weakness(words: list[str], match: Match) -> Finding:
    if (
        _all_over(words)
        or _near(words, match, word_set("neck head"), 2)
        or not _near(words, match, FACE_LOCAL | word_set("side"))
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
    if _near(words, match, word_set("face side cheek")):
        return Finding(R, "a drooping side of the face", True)
    return None


def _placed_at_sites(words: list[str], match: Match) -> bool:
    """Said where the needle went: a site word just after it, or right before it."""
    at = match.at[0]
    return has_any(words[at + 1 : at + 6], LOCAL) or has_any(words[max(0, at - 2) : at], LOCAL)


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
        if has_any(words, SEVERE) or re.search(r"\b(really|very|so|super) bad\b", " ".join(words)):
            return Finding(R, f"{expected}, and severe", True)
        if has_any(words, WORSE):
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
        or not any(has_any(words[max(0, i - 2) : i] + words[i + 1 : i + 8], LOCAL) for i in face)
    ):
        return Finding(U, "swelling of the face")
    if has_any(words, WORSE) and not _all_over(words, False):
        return Finding(R, "swelling that is growing", True)
    if _near(words, match, EYE) and not _all_over(words):
        return Finding(S, "eyelid swelling, which settles")
    return _local("swelling at the sites", "swelling beyond the injection sites")(words, match)


def _pain(words: list[str], match: Match) -> Finding:
    if has_any(words, BODY_WIDE) and not has_any(words, LOCAL):
        return Finding(R, "pain away from the injection sites", True)
    if has_any(words, word_set("throat tongue")):
        return Finding(R, "pain in the throat or tongue", True)
    return _local("pain or tenderness at the sites")(words, match)


def _fine(doing: str) -> Finding:
    """ "My vision is fine" is read; "not breathing well" is the red flag it denies."""
    if doing in word_set("eat eating drink drinking"):
        denied = Finding(R, f"{doing} not going well", True)
    else:
        denied = Finding(U, f"trouble with {doing}")
    return Finding(S, f"{doing} as fine", if_denied=denied)


def _see(words: list[str], match: Match) -> Finding | None:
    """ "I can't see properly" is a change in vision; "I can't see any difference" is not."""
    after = words[max(match.at) + 1 : max(match.at) + 2]
    if after and after[0] in word_set(
        "any a an the much difference results result effect change changes improvement it them "
        "why how what if whether anyone"
    ):
        return None
    return Finding(U, "a change in vision (cannot see properly)")


GERUND = {"eat": "eating", "drink": "drinking", "breathe": "breathing", "swallow": "swallowing",
          "walk": "walking"}  # fmt: skip

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
            Finding(R, "an eye that will not close", True) if has_any(words, EYE) else None
        ),
    ),
    Rule(
        (P("DIFF_ACT", "open opening"),),
        lambda words, match: (
            Finding(R, "an eyelid that will not open fully", True) if has_any(words, EYE) else None
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
            if has_any(words, word_set("around under near corner corners beside"))
            and not has_any(words, word_set("dry gritty irritated watery watering stinging"))
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
            if has_any(words, word_set("frown forehead lines wrinkles"))
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
