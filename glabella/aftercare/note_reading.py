"""The reading of a patient's free-text note into findings: clauses, spelling, negation.

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
from dataclasses import dataclass

from glabella.aftercare.phrasings import (
    FEVER,
    MILD_WORDS,
    NOT_BETTER_WORDS,
    RULES,
    SEVERE,
    SWELL,
    SYMPTOM_WORDS,
    WORSE,
    Finding,
    Match,
    R,
    S,
    has_any,
    word_set,
)
from glabella.aftercare.symptoms import Reason, rank

NEGATORS = word_set(
    "no not dont doesnt didnt isnt arent wasnt werent havent hasnt hadnt wont without never "
    "denies deny none nor neither nothing"
)
# What ends a negation's reach inside a clause (NegEx terminators).
TERMINATORS = word_set(
    "just only still apart besides which because although though however yet now also plus then"
)
CLAUSE_BREAKS = word_set("but except although though however yet whereas")
PRONOUNS = word_set(
    "i im ive id my me it its theres there she he they we",
)
# Words after a negator that make it no negation: "not sure", "no better".
PSEUDO = word_set("sure certain idea know only just better improving improved settling settled")
# What a clear denial reads as said: "no problems", "nothing wrong", "no concerns".
DENIABLE = word_set("trouble problem problems issue issues wrong concerns complaints worries")
HEDGES = word_set("think believe")  # "I don't think ..." denies weakly

# Words that carry no symptom: function words, times, places on the body, hedges. A note made
# of these and of words read into a finding is fully read.
PLAIN = word_set(
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


NEW_STATEMENT = word_set("i im ive id my its theres")  # a denial does not reach past these
COMPLETE = word_set("report wrong complaints concerns worries")  # "nothing wrong": said in full
INTENSE = word_set("so such this that")  # "never felt so dizzy"


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
            any(x in word_set("going gone go goes") for x in nxt)
            and any(x in word_set("down away") for x in nxt)
        ):
            found.append(n)
    return found


@dataclass(frozen=True)
class Read:
    reasons: tuple[Reason, ...]
    unread: tuple[str, ...]


# Places and doings of the red flags: a clause that names one and says nothing readable about it
# is not read as fine.
RED_CONTEXT = word_set(
    "chest throat tongue lips lip heart food drink drinks water eat eating drinking"
)
READ_IN_DENIAL = DENIABLE | MILD_WORDS | RED_CONTEXT
HOW_BAD = SEVERE | WORSE
VERY = word_set("really very so super pretty")
JOINS = word_set("and also plus i im ive")  # "i" starts a new statement in a run-on note


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
                if has_any([words[i] for i in match.at], SWELL):
                    flags.add("swelling")
                if has_any([words[i] for i in match.at], FEVER):
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
