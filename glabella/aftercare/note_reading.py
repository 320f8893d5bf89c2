"""The reading of a patient's free-text note into findings: clauses, spelling, negation.

Free text is read as people write it, in English, in Spanish or in both at once: each sentence
is cut into clauses (at punctuation and at "but", "except", "pero", "aunque"...), accents are
read as written or not ("moretón", "moreton"), a word one edit from a symptom word is read as
it (a mild word only when very close, as reading it could lower a report), a word spelt as it
sounds in Spanish as the word it sounds like ("inchason", "cabesa", "devil", "desmalle"), and
phrases are matched with a few words between their parts ("hard to swallow", "swallowing is
hard", "food goes down the wrong way", "me cuesta trabajo tragar"). A finding is placed and
qualified by the part of its clause it sits in (split at "and", "also", a new "I"; "y", "yo"):
a rash, an itch or a swelling all over the body is urgent, at the sites it is expected, and "a
bruise on my forehead and I feel weak" is weakness all over.

Negation is read NegEx-style: a negator ("no", "not", "don't", "without", "never"; "no", "ni",
"sin", "nunca", "nada", "ningún"...) denies what follows it within six words, up to the end of
its clause, "and" ("y"), "just" ("nomás"), "still" ("todavía"), a new statement ("nothing to
report I can't breathe") or a denial said in full ("no problems at all", "para nada"). A clear
denial is simply absent: "no trouble breathing, just a bit of bruising" is self-care, and the
reasons say what was read as denied; a denied reading never hides an affirmed one, and a denied
"fine" is the red flag it denies ("not breathing well"). A hedged denial of a red flag ("I don't
think I have trouble breathing") goes to a clinician the same day; doubt ("not sure if", "I don't
know if", "no sé si", "no estoy segura") denies nothing.

Spanish says with "no" what English says with "can't" and "won't": "no puedo", "no me deja",
"sin poder" and "casi no" are read as one word of difficulty before the note is read ("no puedo
tragar" is trouble swallowing, never a denial), a "no" that is part of a phrase denies nothing
("no me sale la voz", "el ojo no cierra", "las piernas no me responden"), "no se me quita", "no
baja" and "sigue igual" say an effect lingers, and "no siento la cara" is numbness, unread.

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

from glabella.aftercare import phrasings_es as es
from glabella.aftercare.phrasings import (
    BAD,
    FEVER,
    MILD_WORDS,
    NOT_BETTER_WORDS,
    RULES,
    SEVERE,
    SWELL,
    SYMPTOM_WORDS,
    VERY,
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
) | es.words("ni sin nunca jamás nada ningún ninguna ninguno ningunos tampoco")
# What ends a negation's reach inside a clause (NegEx terminators).
TERMINATORS = word_set(
    "just only still apart besides which because although though however yet now also plus then"
) | es.words("solo sólo solamente nomás todavía aún sigo sigue siguen ahora ahorita también "
             "además luego entonces")  # fmt: skip
CLAUSE_BREAKS = word_set("but except although though however yet whereas") | es.words(
    "pero excepto salvo aunque sinembargo sino mientras"
)
AND = word_set("and y e")  # what follows "and" is said, not denied
# "no I can't breathe": an answer, not a denial ("no me duele", "no he tenido" are denials:
# "me" and "he" are not here).
PRONOUNS = word_set("i im ive id my it its theres there she they we yo")
CANT = es.words("nopuedo noaguanto")  # "no puedo tragar ni respirar": "ni" goes on, not denies
NO_OR_CANT = NEGATORS | CANT
# Words after a negator that make it no negation: "not sure", "no better".
PSEUDO = word_set(
    "sure certain idea know only just better improving improved settling settled"
) | es.words("seguro segura solo sólo solamente")
# What a clear denial reads as said: "no problems", "nothing wrong", "no concerns".
DENIABLE = word_set(
    "trouble problem problems issue issues wrong concerns complaints worries"
) | es.words(
    "problema problemas molestia molestias malestar queja quejas novedad novedades raro rara "
    "extraño extraña malo mala grave efecto efectos secundario secundarios síntoma síntomas "
    "reacción reacciones complicación complicaciones"
)
HEDGES = word_set("think believe") | es.words("creo pienso parece")  # "I don't think ..."
# Spanish pronouns and helpers between "no" and its verb: "no se me quita", "no me parece".
CLITICS = es.words("se me te le les lo la nos ha han he has hemos")

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
# The same in Spanish.
PLAIN |= es.PLAIN


_ACCENTED = {"a": "[aá]", "e": "[eé]", "i": "[ií]", "o": "[oó]", "u": "[uúü]", "n": "[nñ]"}


def _either(pattern: str) -> re.Pattern[str]:
    """A pattern written without accents that matches with or without them."""
    return re.compile(re.sub(r"(?<!\\)[aeioun]", lambda m: _ACCENTED[m.group()], pattern))


# Spanish said in several words and read as one (the accents, as typed, stay on other words).
SPANISH_JOINS = tuple(
    (_either(pattern), replacement)
    for pattern, replacement in (
        (r"\bsin embargo\b", "sinembargo"),
        (r"\bcasi no\b", "apenas"),  # "casi no veo": barely
        (r"\bno (?:lo )?(?:puedo|aguanto) mas\b", "noaguanto"),  # "no puedo más con el dolor"
        (
            r"\b(?:no|ni siquiera) (?:(?:me|te|se|lo|la|le|les) )?(?:puedo|puede|pueden|pude|"
            r"pudo|podia|podria|logro|logra|consigo|consigue|alcanzo a|soy capaz de)\b",
            "nopuedo",
        ),
        (r"\bno (?:me|le|nos) (?:deja|dejan|dejaba)\b", "nopuedo"),
        (r"\bsin poder\b", "nopuedo"),
        (r"\bno (?:(?:me|lo|la) )?aguanto\b", "noaguanto"),
        (r"\bsin (?:aire|aliento)\b", "sinaire"),
        (r"\bsin control\b", "sincontrol"),
        (r"\bsin (?:parar|cesar)\b", "sinparar"),
        (r"\b(?:para nada|en absoluto|nada de nada)\b", "paranada"),
        (r"\b(?:nada mas|no mas|nomas)\b", "nomas"),  # "no más un moretón": just a bruise
        (r"\bno estoy segur(?:o|a)(?: de)?\b", "dudo"),
        (r"\bno se (si|que|por que|porque|como|cuando|donde)\b", r"dudo \1"),
        (
            r"\bno se (?:(?:me|le) )?(?:va|van|ha ido|han ido|quiere ir|quiere quitar)\b",
            "no se quita",
        ),
        (
            r"\bsiguen? (?:igual|igualito|igualita|sin cambios?|sin mejorar|sin bajar)\b",
            "no mejora",
        ),
        (
            r"\bno (?:me )?siento (?:(?:el|la|los|las|mi|mis) )?(cara|labios|labio|lengua|boca|"
            r"frente|ojo|ojos|parpado|parpados|brazos|brazo|piernas|pierna|cuerpo|manos|mano|"
            r"cachete|mejilla)\b",
            r"nosiento \1",  # numb: unread
        ),
        (r"\bmas grandes?\b", "masgrande"),
        (r"\bcada vez mas\b", "cadavezmas"),
        (r"\b(?:por|en) (?:todos lados|todas partes|todo lado)\b", "portodaspartes"),
        (r"\bse (?:(?:me|le) )?(?:bajo|bajaron)\b", "sebajo"),
    )
)
# A joined word quoted in words, should the triage not read it: "no puedo dormir".
JOINED_AS = {"nopuedo": "no puedo", "noaguanto": "no aguanto", "nosiento": "no siento"}


def _norm(text: str) -> str:
    """Lower case, apostrophes and contractions folded, two-word spellings joined."""
    plain = (
        unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'").replace("\u2018", "'")
    )
    plain = re.sub(r"n['\u2019]?t\b", "nt", plain).replace("'", "")
    plain = re.sub(r"[-_/]", " ", plain)
    plain = re.sub(r"[ \t]+", " ", plain)
    for joined, replacement in SPANISH_JOINS:
        plain = joined.sub(replacement, plain)
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


KNOWN = PLAIN | SYMPTOM_WORDS | NEGATORS | TERMINATORS | CLAUSE_BREAKS | HEDGES | DENIABLE
# Spanish words that carry no symptom yet are held in a phrase ("me duele la cabeza"): as a
# mild word, a misspelling is read as one only when very close ("door" is not "dolor").
SPANISH_PLAIN = es.WORDS & PLAIN
# The symptom words a misspelling may be read as: not the short plain Spanish words and the
# Spanish negators some phrases hold ("no me sale la voz", "veo dos", "sin fuerzas"), as "docs"
# read as "dos" or "sign" as "sin" would be read as plain or as a denial.
SPELLED_TO = SYMPTOM_WORDS - (
    es.WORDS
    & ({w for w in PLAIN if len(w) <= 5} | NEGATORS | TERMINATORS | CLAUSE_BREAKS | CLITICS)
)


def _deletions(word: str) -> set[str]:
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


# Each symptom word under itself and its one-letter deletions: a typed word within one edit
# (a letter missing, extra, wrong or two swapped) shares a key with it, found without a scan.
NEIGHBOURS: dict[str, set[str]] = {}
for _word in SPELLED_TO:
    for _key in _deletions(_word):
        NEIGHBOURS.setdefault(_key, set()).add(_word)


def _sound(word: str) -> str:
    """How a word sounds in Spanish, for the spellings that sound alike: a silent "h", "b" and
    "v", "s", "z" and a soft "c", "ll" and "y", a hard "c", "qu" and "k", double letters."""
    w = word.replace("ch", "\0").replace("h", "").replace("\0", "ch")
    w = re.sub(r"qu(?=[ei])|c(?=[aou])|k", "k", w)
    w = re.sub(r"c(?=[ei])|z", "s", w.replace("v", "b").replace("ll", "y"))
    w = re.sub(r"(.)\1", r"\1", w)
    return w[:-1] + "i" if w.endswith("y") else w


# Each Spanish word under how it sounds: "inchason" sounds as "hinchazón" does.
SOUNDS: dict[str, str] = {}
for _word in sorted(es.WORDS & SPELLED_TO):
    SOUNDS.setdefault(_sound(_word), _word)


@functools.lru_cache(maxsize=4096)
def _token(typed: str) -> str:
    """A typed word as read: without its accents, and as a symptom word when it is one edit from
    one (very close to a mild or plain one's, as reading a word as mild or plain could lower a
    report; closer still to a Spanish one, so that "door" is not "dolor") or, five letters or
    more, sounds as a Spanish one does."""
    word = es.fold(typed)
    if word in KNOWN or len(word) < 4 or not word.isascii():
        return word
    for i in range(len(word) - 1):  # two letters swapped: "pian", "bruies"
        swapped = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        if swapped in SPELLED_TO:
            return swapped
    candidates = {c for key in _deletions(word) for c in NEIGHBOURS.get(key, ())}
    scored = sorted(
        ((difflib.SequenceMatcher(None, word, c).ratio(), c) for c in candidates), reverse=True
    )
    for ratio, close in scored:
        lowers = close in MILD_WORDS or close in SPANISH_PLAIN  # read so, a report may be lower
        if ratio >= (0.8 if not lowers else 0.9 if close in es.WORDS else 0.88):
            return close
    return SOUNDS.get(_sound(word), word) if len(word) >= 5 else word


# Marks, not words: "¿es normal?", "¡ayuda!", quotes, an ellipsis and dashes.
QUOTES_AND_DASHES = frozenset("¿¡«»\u201c\u201d\u201e\u2026\u2013\u2014")


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
            if w in string.punctuation or w in QUOTES_AND_DASHES:
                continue
            if _token(w) in CLAUSE_BREAKS:
                if read:
                    out.append((read, typed))
                read, typed = [], []
            else:
                read.append(_token(w))
                typed.append(JOINED_AS.get(w, w))
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


# A denial does not reach past these: "no tengo fiebre mi ojo está seco".
NEW_STATEMENT = word_set("i im ive id my its theres") | es.words("yo mi")
# Nor past a second verb of saying how one is: "no tengo fiebre tengo ronchas", "no me siento
# bien tengo la vista borrosa" (the first, "no tengo fiebre", is what is denied).
SAYING = es.words("tengo siento estoy noto")
# "nothing wrong", "nada que reportar", "no me duele para nada": said in full.
COMPLETE = word_set("report wrong complaints concerns worries") | es.words(
    "reportar novedad novedades quejas paranada"
)
INTENSE = word_set("so such this that")  # "never felt so dizzy"
NUNCA = es.words("nunca jamás")
TAN = es.words("tan tanto tanta así")  # "nunca me había sentido tan mareada"


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
        if w == "ni" and next((x for x in reversed(words[:n]) if x in NO_OR_CANT), "") in CANT:
            continue  # "no puedo tragar ni respirar": "ni" goes on saying what cannot be done
        if w == "never" and words[n + 2 : n + 3] and words[n + 2] in INTENSE:
            continue  # "never felt so dizzy": an intensifier, not a denial
        if w in NUNCA and any(x in TAN for x in words[n + 2 : n + 6]):
            continue  # "nunca me había sentido tan mareada": the same in Spanish
        said = [x for x in words[n + 1 : n + 4] if x not in CLITICS]  # "no me parece"
        hedged = bool(said) and said[0] in HEDGES
        end = n
        for j in range(n + 1, min(len(words), n + 7)):
            if words[j] in TERMINATORS:
                break
            if words[j] in AND:
                break  # "no swelling and a rash": what follows "and" is said, not denied
            if words[j] in NEW_STATEMENT and not hedged:
                break  # "nothing to report I can't breathe": a new statement
            if words[j] in SAYING and any(x not in CLITICS for x in words[n + 1 : j]):
                break
            end = j
            if words[j] in COMPLETE or words[j - 1 : j + 1] == ["at", "all"]:
                break  # "no problems at all": the denial is complete
        out.append((n, end, hedged))
    return out


def _not_better(words: list[str]) -> list[int]:
    """Positions of "not getting better", "won't go down", "no se me quita", "no baja": a negator
    that says it lingers."""
    found = []
    for n, w in enumerate(words):
        if w not in NEGATORS:
            continue
        nxt = words[n + 1 : n + 4]
        said = [x for x in words[n + 1 : n + 5] if x not in CLITICS]
        if any(x in NOT_BETTER_WORDS for x in said[:2]) or (
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
) | es.words("pecho garganta lengua labios labio corazón comida bebida bebidas agua comer beber")
READ_IN_DENIAL = DENIABLE | MILD_WORDS | RED_CONTEXT
HOW_BAD = SEVERE | WORSE
PRETTY = word_set("pretty")  # "pretty bad"
# "i" ("yo") starts a new statement in a run-on note.
JOINS = word_set("and also plus i im ive") | es.words("y e también además yo")


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
                    what = re.sub(r"^an? ", "", finding.what.split(",")[0])
                    reasons.append(Reason(S, f"The note says there is no {what}."))
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
        if claimed and (w in HOW_BAD or (w in BAD and i and words[i - 1] in VERY | PRETTY)):
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
