"""The intake questionnaire: its questions, the one shape its answers are stored in, and the
check that turns what a form or the API sent into that shape or into field-level errors.

Pure: no database, no clock (`today` is an argument). The stored shape is what the rules engine
reads (`to_intake`), what `POST /api/v1/screening/evaluate` takes, and what every version of the
questionnaire keeps: a new version adds to it, it never reinterprets answers given to an old one.

    {
      "answers": {"infection_at_site": false, ..., "recent_toxin": true},   # true, false or null
      "allergies": ["penicillin (rash)"], "medications": ["warfarin 5 mg"], "conditions": [],
      "recent_toxin": [{"product": "Dysport", "date": "2026-09-01", "purpose": "cosmetic",
                        "units": "50"}],              # units: optional, when the patient knows
      "concerns": [{"area": "forehead", "at_rest": false, "with_expression": true}],
      "notes": ""
    }

null means "not sure": allowed, and the engine treats it as a precaution. A question left out is
an error: the questionnaire is complete or it is not taken.

Every word here is US English, marked with `gettext_noop` (a no-op of our own: this module
imports nothing of Django) so that the screening catalogue holds its Spanish; pages translate
at display time. The answers are keys and booleans, the same whatever language they were given
in. An error is a `Message`: its English text, with the template and values it was made from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from glabella.catalogue.areas import Area
from glabella.core.text import CONTROL
from glabella.screening.rules import Intake, Question

VERSION = 1
FIRST_TOXIN_APPROVAL = date(1989, 12, 29)  # nothing was injected with a licensed toxin before
MAX_ITEMS = 30
MAX_ITEM_LENGTH = 150
MAX_TOXIN_ENTRIES = 5
# The most units of any toxin one reported treatment can be: above the largest labelled medical
# doses (Dysport's 1,500 U for spasticity), so a slip of the keyboard is caught.
MAX_REPORTED_UNITS = Decimal(1500)
MAX_NOTES = 1000


def gettext_noop(message: str) -> str:
    """Marks a string for the catalogue (makemessages knows the name); translated on display."""
    return message


class Message(str):
    """An error in English (what the API sends), keeping the marked template and its values so
    that a page can say it in the reader's language: gettext(template) % params."""

    template: str
    params: dict

    def __new__(cls, template: str, **params):
        made = super().__new__(cls, template % params if params else template)
        made.template = template
        made.params = params
        return made


@dataclass(frozen=True)
class YesNo:
    question: Question
    text: str
    hint: str = ""


# In the order the patient sees them; the wording is the patient's, not the label's.
QUESTIONS: tuple[YesNo, ...] = (
    YesNo(
        Question.ALLERGY_TOXIN,
        gettext_noop("Are you allergic to BOTOX or any other botulinum toxin product?"),
        gettext_noop("Dysport, Xeomin, Jeuveau, DAXXIFY and Letybo are botulinum toxins too."),
    ),
    YesNo(
        Question.ALLERGY_ALBUMIN,
        gettext_noop("Are you allergic to human albumin?"),
        gettext_noop("A blood protein that some medicines contain."),
    ),
    YesNo(Question.ALLERGY_MILK, gettext_noop("Are you allergic to cow's milk protein?")),
    YesNo(
        Question.NEUROMUSCULAR_DISORDER,
        gettext_noop("Do you have a condition that affects your nerves and muscles?"),
        gettext_noop(
            "For example myasthenia gravis, Lambert-Eaton syndrome, ALS or a motor neuropathy."
        ),
    ),
    YesNo(
        Question.SWALLOWING_OR_BREATHING,
        gettext_noop("Do you have trouble swallowing or breathing?"),
        gettext_noop("Including asthma or emphysema that affects your breathing."),
    ),
    YesNo(
        Question.HEART_DISEASE, gettext_noop("Do you have heart disease or a heart rhythm problem?")
    ),
    YesNo(
        Question.INFECTION_AT_SITE,
        gettext_noop(
            "Do you have an infection, cold sore, rash or inflamed skin where you would like "
            "treatment?"
        ),
    ),
    YesNo(
        Question.BLEEDING_PROBLEMS,
        gettext_noop("Do you bruise or bleed easily, or have a bleeding disorder?"),
    ),
    YesNo(
        Question.FACIAL_SURGERY,
        gettext_noop("Have you had surgery on your face, eyelids or brows?"),
    ),
    YesNo(Question.DROOPING_LID_OR_BROW, gettext_noop("Do your eyelids or brows droop?")),
    YesNo(
        Question.RECENT_TOXIN,
        gettext_noop("Have you had any botulinum toxin in the last 4 months?"),
        gettext_noop(
            "BOTOX, Dysport, Xeomin, Jeuveau, DAXXIFY, Letybo, or a toxin for a medical reason "
            "such as migraine or sweating."
        ),
    ),
    YesNo(
        Question.EARLIER_TOXIN_REACTION,
        gettext_noop("Have you ever had a bad reaction to a botulinum toxin?"),
    ),
    YesNo(Question.PREGNANT, gettext_noop("Are you pregnant, or could you be?")),
    YesNo(Question.BREASTFEEDING, gettext_noop("Are you breastfeeding?")),
)
assert {q.question for q in QUESTIONS} == set(Question), "every rule question is asked"


class Purpose(StrEnum):
    COSMETIC = "cosmetic"
    MEDICAL = "medical"
    UNSURE = "unsure"


class ConcernArea(StrEnum):
    """Where the patient's lines are, in the patient's terms."""

    FOREHEAD = "forehead"
    BETWEEN_BROWS = "between_brows"
    AROUND_EYES = "around_eyes"
    NECK_BANDS = "neck_bands"
    SMILE_LINES = "smile_lines"
    AROUND_MOUTH = "around_mouth"

    @property
    def label(self) -> str:
        return CONCERN_NAMES[self]


# The patient's own words for where the lines are: part of the questionnaire's text, which is
# stored per version as it was asked, so they stay written out here (not the catalogue's names).
CONCERN_NAMES = {
    ConcernArea.FOREHEAD: gettext_noop("Forehead"),
    ConcernArea.BETWEEN_BROWS: gettext_noop("Between the brows (frown lines)"),
    ConcernArea.AROUND_EYES: gettext_noop("Around the eyes (crow's feet)"),
    ConcernArea.NECK_BANDS: gettext_noop("Neck bands"),
    ConcernArea.SMILE_LINES: gettext_noop("Smile lines (nose to mouth)"),
    ConcernArea.AROUND_MOUTH: gettext_noop("Around the mouth (lip and marionette lines)"),
}
# Where a concern lies on a label area of the neuromodulators; None: no label area there.
LABEL_AREA: dict[ConcernArea, Area | None] = {
    ConcernArea.FOREHEAD: Area.FOREHEAD,
    ConcernArea.BETWEEN_BROWS: Area.GLABELLAR,
    ConcernArea.AROUND_EYES: Area.LATERAL_CANTHAL,
    ConcernArea.NECK_BANDS: Area.PLATYSMA,
    ConcernArea.SMILE_LINES: None,
    ConcernArea.AROUND_MOUTH: None,
}

LISTS = ("allergies", "medications", "conditions")
KEYS = {"answers", *LISTS, "recent_toxin", "concerns", "notes"}


def definition() -> dict:
    """This version's questions, as stored with it so that old answers keep their wording."""
    return {
        "version": VERSION,
        "questions": [{"key": q.question.value, "text": q.text, "hint": q.hint} for q in QUESTIONS],
        "lists": list(LISTS),
        "concern_areas": {a.value: a.label for a in ConcernArea},
        "toxin_purposes": [p.value for p in Purpose],
    }


class Errors(dict):
    def add(self, name: str, message: str, **params) -> None:
        self.setdefault(name, []).append(Message(message, **params))


def clean(raw: object, *, today: date, birth_date: date | None = None) -> tuple[dict, Errors]:
    """(answers in the stored shape, errors by field). Field names are dotted paths, e.g.
    `answers.pregnant`, `recent_toxin.0.date`. The answers are only to be used if errors is
    empty."""
    errors = Errors()
    if not isinstance(raw, dict):
        errors.add("intake", gettext_noop("Send the answers as an object."))
        return {}, errors
    for key in sorted(set(raw) - KEYS):
        errors.add(key, gettext_noop("This is not a question of the questionnaire."))

    answers = _answers(raw.get("answers"), errors)
    out: dict = {"answers": answers}
    for name in LISTS:
        out[name] = _names(raw.get(name, []), name, errors)
    out["recent_toxin"] = _toxins(raw.get("recent_toxin", []), today, birth_date, errors)
    if answers.get(Question.RECENT_TOXIN.value) is False and out["recent_toxin"]:
        errors.add(
            "recent_toxin",
            gettext_noop(
                "You answered no to a toxin in the last 4 months: answer yes, or remove the "
                "entries."
            ),
        )
    if answers.get(Question.RECENT_TOXIN.value) is True and not out["recent_toxin"] and not errors:
        errors.add("recent_toxin", gettext_noop("Tell us which product you had, and when."))
    out["concerns"] = _concerns(raw.get("concerns", []), errors)
    notes = raw.get("notes", "")
    if not isinstance(notes, str):
        errors.add("notes", gettext_noop("Write notes as text."))
        notes = ""
    elif len(notes) > MAX_NOTES:
        errors.add("notes", gettext_noop("Keep notes to %(limit)s characters."), limit=MAX_NOTES)
    elif CONTROL.search(notes):
        errors.add("notes", gettext_noop("Remove the control characters."))
    out["notes"] = notes.strip()
    return out, errors


def _answers(raw: object, errors: Errors) -> dict:
    if not isinstance(raw, dict):
        errors.add("answers", gettext_noop("Answer every question yes, no or not sure."))
        return {}
    answers = {}
    for q in QUESTIONS:
        key = q.question.value
        if key not in raw:
            errors.add(f"answers.{key}", gettext_noop("Please answer this question."))
        elif raw[key] is not None and not isinstance(raw[key], bool):
            errors.add(f"answers.{key}", gettext_noop("Answer yes, no or not sure."))
        else:
            answers[key] = raw[key]
    for key in sorted(set(raw) - {q.question.value for q in QUESTIONS}):
        errors.add(f"answers.{key}", gettext_noop("This is not a question of the questionnaire."))
    return answers


def _names(raw: object, name: str, errors: Errors) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        errors.add(name, gettext_noop("Give a list of names."))
        return []
    seen, out = set(), []
    for text in raw:
        text = " ".join(text.split())
        if not text or _says_none(text):
            continue
        if len(text) > MAX_ITEM_LENGTH:
            errors.add(
                name,
                gettext_noop("Keep each entry to %(limit)s characters: %(start)s..."),
                limit=MAX_ITEM_LENGTH,
                start=text[:30],
            )
            continue
        if CONTROL.search(text):
            errors.add(name, gettext_noop("Remove the control characters."))
            continue
        if text.casefold() not in seen:
            seen.add(text.casefold())
            out.append(text)
    if len(out) > MAX_ITEMS:
        errors.add(
            name,
            gettext_noop("List at most %(limit)s; tell us the rest at your visit."),
            limit=MAX_ITEMS,
        )
    return out


NONE_WORDS = {"none", "no", "n/a", "na", "nil", "nka", "nkda", "no known allergies", "nothing", "-"}


def _says_none(text: str) -> bool:
    """'None', 'NKDA', 'n/a': an answer that there is nothing to list."""
    return " ".join(text.casefold().replace(".", "").split()) in NONE_WORDS


def _toxins(raw: object, today: date, birth_date: date | None, errors: Errors) -> list[dict]:
    if not isinstance(raw, list):
        errors.add("recent_toxin", gettext_noop("Give a list of treatments."))
        return []
    if len(raw) > MAX_TOXIN_ENTRIES:
        errors.add(
            "recent_toxin",
            gettext_noop("List at most %(limit)s treatments."),
            limit=MAX_TOXIN_ENTRIES,
        )
        return []
    out = []
    for i, entry in enumerate(raw):
        where = f"recent_toxin.{i}"
        if not isinstance(entry, dict) or set(entry) - {"product", "date", "purpose", "units"}:
            errors.add(
                where,
                gettext_noop("Give the product, the date, the purpose and (if known) the units."),
            )
            continue
        product = entry.get("product")
        if not isinstance(product, str) or not product.strip():
            errors.add(
                f"{where}.product",
                gettext_noop("Which product was it? Write 'not sure' if unsure."),
            )
        elif len(product) > 100 or CONTROL.search(product):
            errors.add(
                f"{where}.product", gettext_noop("Keep the product name to 100 plain characters.")
            )
        day = parse_date(entry.get("date"))
        if day is None:
            errors.add(f"{where}.date", gettext_noop("Give the date as YYYY-MM-DD."))
        elif day > today:
            errors.add(f"{where}.date", gettext_noop("This date is in the future."))
        elif day < FIRST_TOXIN_APPROVAL or (birth_date is not None and day < birth_date):
            errors.add(f"{where}.date", gettext_noop("This date cannot be right; check the year."))
        purpose = entry.get("purpose", Purpose.UNSURE.value)
        if not isinstance(purpose, str) or purpose not in set(Purpose):
            errors.add(f"{where}.purpose", gettext_noop("Choose cosmetic, medical or not sure."))
        units = _units(entry.get("units"), f"{where}.units", errors)
        if isinstance(product, str) and day is not None:
            kept = {"product": product.strip(), "date": day.isoformat(), "purpose": purpose}
            out.append({**kept, "units": units} if units is not None else kept)
    return out


def _units(raw: object, where: str, errors: Errors) -> str | None:
    """Units of a reported treatment, if the patient knows them: kept as text ("155")."""
    if raw is None or raw == "":
        return None
    try:
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise InvalidOperation
        units = Decimal(str(raw).strip())
        if not units.is_finite() or units <= 0 or units > MAX_REPORTED_UNITS:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors.add(
            where,
            gettext_noop("Give the units as a number up to %(limit)s, or leave it empty."),
            limit=MAX_REPORTED_UNITS,
        )
        return None
    if units % Decimal("0.5") != 0:
        errors.add(where, gettext_noop("Give the units in whole or half units."))
        return None
    return f"{units.normalize():f}"


def _concerns(raw: object, errors: Errors) -> list[dict]:
    if not isinstance(raw, list):
        errors.add("concerns", gettext_noop("Give a list of areas."))
        return []
    out, seen = [], set()
    for i, entry in enumerate(raw):
        where = f"concerns.{i}"
        if not isinstance(entry, dict) or set(entry) - {"area", "at_rest", "with_expression"}:
            errors.add(
                where,
                gettext_noop(
                    "Give the area and whether the line shows at rest or with expression."
                ),
            )
            continue
        area = entry.get("area")
        if not isinstance(area, str) or area not in set(ConcernArea):
            errors.add(f"{where}.area", gettext_noop("Choose one of the areas listed."))
            continue
        at_rest, moving = entry.get("at_rest", False), entry.get("with_expression", False)
        if not isinstance(at_rest, bool) or not isinstance(moving, bool):
            errors.add(
                where, gettext_noop("Answer at rest and with expression with true or false.")
            )
            continue
        if not (at_rest or moving):
            errors.add(
                where, gettext_noop("Say whether the line shows at rest, with expression, or both.")
            )
            continue
        if area in seen:
            errors.add(f"{where}.area", gettext_noop("This area is listed twice."))
            continue
        seen.add(area)
        out.append({"area": area, "at_rest": at_rest, "with_expression": moving})
    return out


def parse_date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def to_intake(
    answers: dict,
    *,
    today: date,
    birth_date: date | None,
    allergies: tuple[str, ...] | None = None,
    medications: tuple[str, ...] | None = None,
    conditions: tuple[str, ...] | None = None,
    sex: str | None = None,
) -> Intake:
    """The rules engine's view of stored answers. The lists default to the answers' own; a
    service passes the patient record's current entries instead."""
    yes_no = answers.get("answers", {})
    toxin_days = [parse_date(t["date"]) for t in answers.get("recent_toxin", [])]
    return Intake(
        today=today,
        birth_date=birth_date,
        answers={q: yes_no.get(q.value) for q in Question},
        allergies=tuple(answers.get("allergies", ()) if allergies is None else allergies),
        medications=tuple(answers.get("medications", ()) if medications is None else medications),
        conditions=tuple(answers.get("conditions", ()) if conditions is None else conditions),
        last_toxin_on=max((d for d in toxin_days if d), default=None),
        sex=sex,
    )
