"""The phrasings of symptoms in free text, and what each means: the symptom word sets, the
phrase patterns (a few words between their parts: "hard to swallow", "swallowing is hard",
"food goes down the wrong way") and the rule that places and qualifies each match: a rash, an
itch or a swelling all over the body is urgent, at the sites it is expected.

English is written here; each rule also holds the Spanish patterns of `phrasings_es`, and each
word set is the union of both languages', so that "trouble tragar" or "ronchas on my arms" is
read as well as either language alone. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from glabella.aftercare import phrasings_es as es
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
SWALLOW = word_set("swallow swallowing swallowed swallows") | es.SWALLOW
SPEAK = word_set("speak speaking talk talking speech words word say saying") | es.SPEAK
BREATHE = word_set("breathe breathing breath breathed breaths") | es.BREATHE
EYE = word_set("eye eyes eyelid eyelids lid lids") | es.EYE
BROW = word_set("brow brows eyebrow eyebrows forehead") | es.BROW
MOUTH = word_set("smile smiling mouth lip lips") | es.MOUTH
FACE_LOCAL = EYE | BROW | MOUTH | word_set("face cheek cheeks jaw chin")
DROOP = word_set(
    "droop droops drooping droopy drooped sagging sag sags saggy hanging heavy heavier low "
    "lower lowered fallen dropped dropping hooded"
)
SWELL = word_set("swelling swollen swell swells swelled puffy puffiness puffed") | es.SWELL
ALLERGIC_PARTS = word_set("lips lip tongue throat mouth neck") | es.ALLERGIC_PARTS
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
WORSE = word_set("worse worsening growing bigger larger increasing spreading") | es.WORSE
FEVER = word_set("fever feverish temperature") | es.FEVER
VERY = word_set("really very so super") | es.VERY
BAD = word_set("bad") | es.BAD
AROUND = word_set("around under near corner corners beside") | es.AROUND
EYE_ITSELF = word_set("dry gritty irritated watery watering stinging") | es.EYE_ITSELF
FACE = word_set("face") | es.FACE
SIDE = word_set("side") | es.SIDE
CHEEK = word_set("cheek") | es.CHEEK
NECK_HEAD = word_set("neck head") | es.NECK_HEAD
SPREADING = word_set("spreading") | es.SPREADING

# Each set is read in both languages: the Spanish words of `phrasings_es` join the English (here
# for the sets written on several lines).
NOT_BETTER_WORDS |= es.NOT_BETTER
DIFF |= es.DIFF
DIFF_ACT |= es.DIFF - es.PAIN_WORDS
FACE_LOCAL |= es.FACE_LOCAL
DROOP |= es.DROOP
LOCAL |= es.LOCAL
BODY_WIDE |= es.BODY_WIDE
SEVERE |= es.SEVERE


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
    wide = BODY_WIDE - word_set("whole entire") - (set() if spreading else SPREADING)
    if has_any(words, wide) or re.search(
        r"\b(whole|entire) (body|face|head|skin)\b|\bface everywhere\b", text
    ):
        return True
    # "all over my forehead" is at the sites; "all over" of anything else is body-wide.
    for i in range(len(words) - 1):
        if words[i : i + 2] == ["all", "over"] and not has_any(words[i + 2 : i + 5], LOCAL):
            return True
    # "(por) todo el cuerpo", "toda la cara"; "toda la frente" is at the sites.
    after_todo = re.findall(r"\btod[oa]s? (?:(?:el|la|los|las|mi|mis) )?(\w+)", text)
    return any(w in es.ALL_OVER_AFTER for w in after_todo)


def _near(words: list[str], match: Match, wanted: frozenset[str], span: int = 4) -> bool:
    lo, hi = min(match.at), max(match.at)
    return any(w in wanted for w in words[max(0, lo - span) : hi + span + 1])


U, R, S = Urgency.URGENT, Urgency.REVIEW, Urgency.SELF_CARE


def _weakness(words: list[str], match: Match) -> Finding:
    if (
        _all_over(words)
        or _near(words, match, NECK_HEAD, 2)
        or not _near(words, match, FACE_LOCAL | SIDE)
    ):
        return Finding(U, "weakness all over the body")
    if _near(words, match, EYE | BROW):
        return Finding(R, "a weak, drooping eyelid or brow", True)
    return Finding(R, "weakness in the face", True)


def _droop(words: list[str], match: Match) -> Finding | None:
    # Five words either side: "el párpado izquierdo se me está cayendo".
    if _near(words, match, MOUTH, 5):
        return Finding(R, "a lopsided smile or drooping mouth", True)
    if _near(words, match, EYE, 5):
        return Finding(R, "a drooping eyelid", True)
    if _near(words, match, BROW, 5):
        return Finding(R, "a drooping or heavy brow", True)
    if _near(words, match, FACE | SIDE | CHEEK, 5):
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
        if has_any(words, SEVERE) or any(
            words[i] in VERY and words[i + 1] in BAD for i in range(len(words) - 1)
        ):
            return Finding(R, f"{expected}, and severe", True)
        if has_any(words, WORSE):
            return Finding(R, f"{expected}, and getting worse", True)
        return Finding(S, f"{expected}, expected after treatment")

    return decide


def _swelling(words: list[str], match: Match) -> Finding:
    near_parts = [w for w in words if w in ALLERGIC_PARTS]
    if near_parts:
        return Finding(U, f"swelling of the {es.ENGLISH.get(near_parts[0], near_parts[0])}")
    face = [i for i, w in enumerate(words) if w in FACE]
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
    if has_any(words, word_set("throat tongue") | es.words("garganta lengua")):
        return Finding(R, "pain in the throat or tongue", True)
    return _local("pain or tenderness at the sites")(words, match)


def _fine(doing: str) -> Finding:
    """ "My vision is fine" is read; "not breathing well" is the red flag it denies, and "I don't
    feel well" is for a clinician to hear today."""
    if doing in word_set("eat eating drink drinking"):
        denied = Finding(R, f"{doing} not going well", True)
    elif doing == "feeling":
        return Finding(S, "feeling well", if_denied=Finding(R, "not feeling well", True))
    else:
        denied = Finding(U, f"trouble with {doing}")
    return Finding(S, f"{doing} as fine", if_denied=denied)


NOT_EYESIGHT = (
    word_set(
        "any a an the much difference results result effect change changes improvement it them "
        "why how what if whether anyone"
    )
    | es.NOT_EYESIGHT
)


def _see(words: list[str], match: Match) -> Finding | None:
    """ "I can't see properly" is a change in vision; "I can't see any difference" is not."""
    after = words[max(match.at) + 1 : max(match.at) + 2]
    if after and after[0] in NOT_EYESIGHT:
        return None
    return Finding(U, "a change in vision (cannot see properly)")


GERUND = {"eat": "eating", "drink": "drinking", "breathe": "breathing", "swallow": "swallowing",
          "walk": "walking", "feel": "feeling"} | es.ENGLISH  # fmt: skip


RED_FLAG_RULES: tuple[Rule, ...] = (
    # Urgent: the toxin's effect spreading.
    Rule(
        (P("DIFF", "SWALLOW"), P("SWALLOW", "DIFF"), *es.SWALLOWING), fixed(U, "trouble swallowing")
    ),
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
            *es.CHOKING,
        ),
        fixed(U, "trouble swallowing (choking, food or drink going the wrong way)"),
    ),
    Rule(
        (
            P("DIFF", "SPEAK"),
            P("SPEAK", "DIFF slurred slow funny strange weird jumbled"),
            P("slurred slurring slur slurry mumbling"),
            *es.SPEAKING,
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
            *es.VOICE,
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
            *es.BREATHING,
        ),
        fixed(U, "trouble breathing"),
        gap=3,
    ),
    Rule((P("wheeze wheezing wheezy wheezed"), *es.WHEEZING), fixed(U, "wheezing")),
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
            *es.CHEST,
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
            *es.THROAT,
        ),
        fixed(U, "an allergic reaction (a tight or closing throat)"),
    ),
    Rule(
        (
            P("weak weakness feeble floppy"),
            P("no lost losing loss lose", "strength"),
            *es.WEAKNESS,
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
            *es.WALKING,
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
            *es.VISION,
        ),
        fixed(U, "double or blurred vision"),
    ),
    Rule((P("DIFF_ACT", "see seeing"), *es.SEEING), _see, gap=2),
    Rule(
        (
            P("bladder incontinence incontinent"),
            P("wet", "myself pants bed"),
            P("peed pee peeing wee weed urine urinating", "myself leaking leak leaks control hold"),
            P("bladder", "leaks leaking leak"),
            P("DIFF leaking leak lost losing", "pee urine wee bladder"),
            *es.BLADDER,
        ),
        fixed(U, "loss of bladder control"),
    ),
    Rule(
        (
            P("dizzy dizziness lightheaded lightheadedness vertigo woozy"),
            P("room head", "spinning spins"),
            P("balance", "off lost lose losing problems trouble"),
            P("off", "balance"),
            *es.DIZZINESS,
        ),
        fixed(U, "dizziness"),
    ),
    Rule(
        (
            P("faint fainted fainting faints collapse collapsed collapsing"),
            P("passed pass passing blacked black blacking", "out"),
            *es.FAINTING,
        ),
        fixed(U, "fainting"),
        gap=1,
    ),
    Rule(
        (P("tongue lips lip throat", "thick thicker big bigger fat"), *es.THICK),
        fixed(U, "swelling of the lips, tongue or throat"),
    ),
    Rule((P("hives hive welts welt wheals"), *es.HIVES), _hives),
    Rule((P("rash rashes blotches blotchy"), *es.RASH), _rash),
    # A clinician the same day.
    Rule(
        (
            P("DIFF_ACT wont doesnt dont not", "close closing shut shutting"),
            P("close closing shut", "properly fully all"),
            *es.EYE_CLOSING,
        ),
        lambda words, match: (
            Finding(R, "an eye that will not close", True) if has_any(words, EYE) else None
        ),
    ),
    Rule(
        (P("DIFF_ACT", "open opening"), *es.EYE_OPENING),
        lambda words, match: (
            Finding(R, "an eyelid that will not open fully", True) if has_any(words, EYE) else None
        ),
    ),
    Rule((P("DROOP"), *es.DROOPING), _droop),
    # "se me bajó la ceja" is a drooping brow; "se me bajó la hinchazón" is good news.
    Rule(es.DROPPED, lambda w, m: None if has_any(w, SWELL) else _droop(w, m), gap=1),
    Rule(
        (
            P("lopsided crooked uneven asymmetric asymmetrical asymmetry wonky"),
            P("one", "side", "different lower higher weird funny strange"),
            P("brow brows eyebrow eyebrows eye eyelid smile", "higher lower"),
            *es.UNEVEN,
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
            *es.DRY_EYE,
        ),
        # Red or sore skin around the eyes is at the sites (crow's feet); the eye itself is not.
        lambda words, match: (
            None
            if has_any(words, AROUND) and not has_any(words, EYE_ITSELF)
            else Finding(R, "dry or irritated eyes", True)
        ),
        gap=4,
    ),
)
# Expected, unless placed beyond the sites, severe or growing; and "my vision is fine".
EXPECTED_RULES: tuple[Rule, ...] = (
    Rule(
        (P("DIFF_ACT", "frown frowning move raise wrinkle"), *es.FROWN),
        lambda words, match: (
            Finding(S, "muscles at the sites relaxing, as the treatment means them to")
            if has_any(words, word_set("frown forehead lines wrinkles") | es.FROWN_PLACES)
            or words[match.at[-1]] in word_set("frown frowning") | es.FROWN_PLACES
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
            P("feel feeling", "well fine ok okay good great"),
            *es.FINE,
            *es.FEELING_FINE,
        ),
        lambda words, match: _fine(GERUND.get(words[match.at[0]], words[match.at[0]])),
        gap=2,
    ),
    Rule((P("SWELL"),), _swelling),
    Rule(
        (P("itchy itch itching itches itchiness"), *es.ITCH),
        _local("itching where the needle went", "itching all over the body"),
    ),
    Rule(
        (P("red redness pink flushed flushing"), *es.REDNESS),
        _local("redness at the sites", "redness beyond the injection sites"),
    ),
    Rule(
        (P("bump bumps lump lumps bumpy raised"), *es.BUMPS),
        _local("small bumps at the sites", "bumps beyond the injection sites"),
    ),
    Rule(
        (
            P("bruise bruised bruising bruises mark marks purple discoloration discolored"),
            *es.BRUISE,
        ),
        _local("a bruise"),
    ),
    Rule(
        (
            P("headache headaches migraine"),
            P("head", "hurts hurt hurting aches aching sore pain pounding throbbing"),
            *es.HEADACHE,
        ),
        _local("a headache"),
    ),
    Rule(
        (
            P(
                "sore soreness tender tenderness ache aches aching achy pain painful hurts hurt "
                "hurting sting stinging stings throbbing burning"
            ),
            *es.PAIN,
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
            *es.FLU,
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
