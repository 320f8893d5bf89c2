"""What FDA Form 3500 asks that the record answers by rule: whether the product is available for
evaluation (section C, from the vial's state), the patient's age or date of birth (A2, one of
them), the other relevant history (B7) from the patient's record, and the check of the fields a
clinician adds (outcomes with the date of death, B6 tests, B7 history, dechallenge, rechallenge,
the day the product went back to its maker).

Pure: no database and no clock; the day and the moment are arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from glabella.core.text import CONTROL
from glabella.screening.rules import Question

MAX_TESTS = 20
MAX_HISTORY = 40
MAX_TEST_NAME = 150
MAX_TEST_RESULT = 300
MAX_HISTORY_LINE = 300


class Outcome(StrEnum):
    """Section B2, every box of the form (and "none of these")."""

    DEATH = "death"
    LIFE_THREATENING = "life_threatening"
    HOSPITALISATION = "hospitalisation"
    DISABILITY = "disability"
    CONGENITAL_ANOMALY = "congenital_anomaly"
    INTERVENTION = "intervention"
    OTHER_SERIOUS = "other_serious"
    NONE = "none"


OUTCOME_LABELS = {
    Outcome.DEATH: "Death",
    Outcome.LIFE_THREATENING: "Life-threatening",
    Outcome.HOSPITALISATION: "Hospitalization, initial or prolonged",
    Outcome.DISABILITY: "Disability or permanent damage",
    Outcome.CONGENITAL_ANOMALY: "Congenital anomaly or birth defect",
    Outcome.INTERVENTION: "Required intervention to prevent permanent impairment or damage "
    "(devices)",
    Outcome.OTHER_SERIOUS: "Other serious (important medical event)",
    Outcome.NONE: "None of these",
}


class Challenge(StrEnum):
    """D9 (abated when use stopped or the dose was reduced) and D10 (reappeared when the product
    was given again): the form's three boxes; not answered leaves them blank."""

    YES = "yes"
    NO = "no"
    DOES_NOT_APPLY = "doesnt_apply"


CHALLENGE_LABELS = {
    Challenge.YES: "Yes",
    Challenge.NO: "No",
    Challenge.DOES_NOT_APPLY: "Doesn't apply",
}


# ---------------------------------------------------------------- C. product availability


class Available(StrEnum):
    YES = "yes"
    NO = "no"
    RETURNED = "returned"


AVAILABLE_LABELS = {
    Available.YES: "Yes",
    Available.NO: "No",
    Available.RETURNED: "Returned to manufacturer",
}


@dataclass(frozen=True)
class VialNow:
    """A vial as stock holds it now (inventory's states: sealed, reconstituted, used_up,
    expired, discarded)."""

    number: int
    state: str
    units_left: Decimal
    discard_by: datetime | None = None


@dataclass(frozen=True)
class Availability:
    answer: Available
    detail: str

    @property
    def label(self) -> str:
        return AVAILABLE_LABELS[self.answer]


HOLDS_PRODUCT = {"sealed", "reconstituted"}
GONE = {
    "used_up": "is used up",
    "expired": "was written off as expired",
    "discarded": "was discarded",
}


def _units(value: Decimal) -> str:
    return f"{value.normalize():f} U"


def product_availability(
    used: VialNow | None,
    same_lot: list[VialNow],
    *,
    lot_number: str,
    returned_on: date | None,
    now: datetime,
) -> Availability:
    """Section C: is the suspect product available for evaluation? Returned to its maker when
    the clinic says so; else yes while the vial used, or another vial of its lot, still holds
    product at the clinic; else no. `same_lot` excludes the vial used."""
    if returned_on is not None:
        return Availability(Available.RETURNED, f"Returned to the manufacturer on {returned_on}.")
    if used is None:
        return Availability(Available.NO, "No vial is recorded on the treatment.")
    if used.state in HOLDS_PRODUCT and (used.state == "sealed" or used.units_left > 0):
        detail = f"The vial used (lot {lot_number}, vial {used.number}) is held, {used.state}"
        if used.state == "reconstituted":
            detail += f", with {_units(used.units_left)} left"
            if used.discard_by is not None and used.discard_by <= now:
                # Past its in-use time it is kept for the evaluation, never injected.
                detail += "; past its discard-by time, keep it aside for the evaluation"
        return Availability(Available.YES, detail + ".")
    gone = GONE.get(used.state, f"is no longer held ({used.state.replace('_', ' ')})")
    if used.state == "reconstituted":
        gone = "is empty"
    said = f"The vial used (lot {lot_number}, vial {used.number}) {gone}"
    held = [v for v in same_lot if v.state in HOLDS_PRODUCT and v.units_left > 0]
    if held:
        sealed = sum(1 for v in held if v.state == "sealed")
        opened = len(held) - sealed
        parts = [
            f"{n} {kind} vial{'s' if n != 1 else ''}"
            for n, kind in ((sealed, "sealed"), (opened, "reconstituted"))
            if n
        ]
        verb = "is" if len(held) == 1 else "are"
        return Availability(
            Available.YES, f"{said}; {' and '.join(parts)} of the same lot {verb} held."
        )
    return Availability(Available.NO, f"{said}, and no other vial of its lot is held.")


# ---------------------------------------------------------------- A2. age or date of birth


class AgeOrBirth(StrEnum):
    AGE = "age"
    BIRTH_DATE = "birth_date"


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def _shown_day(d: date) -> str:
    """A day in the house's style (a page and the PDF read it): Dec 1, 2026."""
    return f"{d:%b} {d.day}, {d.year}"


def age_or_birth(birth_date: date, event_on: date, send: AgeOrBirth) -> dict[str, str | int]:
    """A2 asks for one of them: the age in years when the event began, unless the clinic sends
    the date of birth."""
    if send == AgeOrBirth.BIRTH_DATE:
        return {"date_of_birth": birth_date.isoformat()}
    return {"age_at_event": age_on(birth_date, event_on), "age_unit": "years"}


# ---------------------------------------------------------------- B7. other relevant history


@dataclass(frozen=True)
class RecordFacts:
    """What the patient's record holds that B7 asks about."""

    allergies: tuple[tuple[str, str, str], ...] = ()  # name, reaction, severity (in words)
    conditions: tuple[tuple[str, date | None], ...] = ()  # name, since
    pregnancy: tuple[str, date | None] | None = None  # status in words, the day it was recorded
    breastfeeding: tuple[str, date | None] | None = None
    intake_on: date | None = None
    intake_answers: dict[str, bool | None] | None = None
    recent_toxin: tuple[tuple[str, str, str], ...] = ()  # product, date, purpose


# Intake answers that are medical history, in a reporter's words (the intake asks them in the
# patient's).
INTAKE_HISTORY = {
    Question.NEUROMUSCULAR_DISORDER: "a nerve or muscle disorder",
    Question.SWALLOWING_OR_BREATHING: "trouble swallowing or breathing (asthma or emphysema "
    "included)",
    Question.HEART_DISEASE: "heart disease or a heart rhythm problem",
    Question.BLEEDING_PROBLEMS: "easy bruising or bleeding, or a bleeding disorder",
    Question.FACIAL_SURGERY: "surgery on the face, eyelids or brows",
    Question.DROOPING_LID_OR_BROW: "drooping eyelids or brows before treatment",
    Question.EARLIER_TOXIN_REACTION: "an earlier bad reaction to a botulinum toxin",
    Question.RECENT_TOXIN: "botulinum toxin in the 4 months before the intake",
}


def history_from(facts: RecordFacts) -> list[str]:
    """B7's lines from the record: allergies, conditions, pregnancy and breastfeeding as
    recorded, and what the latest intake answered yes to."""
    lines = []
    for name, reaction, severity in facts.allergies:
        said = ", ".join(part for part in (reaction, severity) if part)
        lines.append(f"Allergy: {name}" + (f" ({said})" if said else ""))
    for name, since in facts.conditions:
        lines.append(f"Condition: {name}" + (f" (since {_shown_day(since)})" if since else ""))
    for what, recorded in (("Pregnancy", facts.pregnancy), ("Breastfeeding", facts.breastfeeding)):
        if recorded is not None:
            status, on = recorded
            lines.append(f"{what}: {status}" + (f" (recorded {_shown_day(on)})" if on else ""))
    answers = facts.intake_answers or {}
    yes = [text for question, text in INTAKE_HISTORY.items() if answers.get(question) is True]
    if yes:
        on = f" of {_shown_day(facts.intake_on)}" if facts.intake_on else ""
        lines.append(f"At the intake{on} the patient reported " + "; ".join(yes))
    for product, day, purpose in facts.recent_toxin:
        lines.append(
            "Earlier botulinum toxin: "
            + ", ".join(part for part in (product, day, purpose) if part)
        )
    return [line[:MAX_HISTORY_LINE] for line in lines][:MAX_HISTORY]


# ---------------------------------------------------------------- the clinician's fields


def _day(value) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _text(value, limit: int) -> str | None:
    """Typed text on one line, or None when it is not text, too long or holds control
    characters."""
    if not isinstance(value, str) or CONTROL.search(value):
        return None
    text = " ".join(value.split())
    return text if len(text) <= limit else None


def check(
    data: dict,
    *,
    onset: date | None,
    treated_on: date,
    birth_date: date,
    today: date,
) -> tuple[dict, dict[str, list[str]]]:
    """The fields Form 3500 adds to the event, cleaned, and a message per field that is wrong.
    `onset` is None when the onset itself was refused (the dates that depend on it are then not
    judged against it)."""
    cleaned: dict = {}
    errors: dict[str, list[str]] = {}
    floor = onset or treated_on

    outcomes = data.get("outcomes")
    if outcomes is None:
        outcomes = []
    values = {o.value for o in Outcome}
    if not isinstance(outcomes, list) or not all(
        isinstance(o, str) and o in values for o in outcomes
    ):
        errors["outcomes"] = ["Tick the MedWatch outcomes that apply."]
    elif not outcomes:
        errors["outcomes"] = ["Tick at least one outcome (or none of these)."]
    elif Outcome.NONE in outcomes and len(set(outcomes)) > 1:
        errors["outcomes"] = ["'None of these' cannot be ticked with another outcome."]
    else:
        cleaned["outcomes"] = list(dict.fromkeys(outcomes))

    died_on = data.get("died_on")
    died = isinstance(outcomes, list) and Outcome.DEATH in outcomes
    if died_on in (None, ""):
        cleaned["died_on"] = None
        if died:
            errors["died_on"] = ["Give the date of death, as YYYY-MM-DD."]
    else:
        day = _day(died_on)
        if day is None:
            errors["died_on"] = ["Give the date of death, as YYYY-MM-DD."]
        elif not died:
            errors["died_on"] = ["A date of death goes with the outcome 'Death' only."]
        elif day > today:
            errors["died_on"] = ["This date is in the future."]
        elif day < floor:
            errors["died_on"] = ["This is before the event began."]
        else:
            cleaned["died_on"] = day

    for name in ("dechallenge", "rechallenge"):
        value = data.get(name)
        if value in (None, ""):
            cleaned[name] = ""
        elif value in {c.value for c in Challenge}:
            cleaned[name] = value
        else:
            errors[name] = ["Answer yes, no or doesn't apply (or leave it blank)."]

    returned = data.get("product_returned_on")
    if returned in (None, ""):
        cleaned["product_returned_on"] = None
    else:
        day = _day(returned)
        if day is None:
            errors["product_returned_on"] = ["Give the day it was returned, as YYYY-MM-DD."]
        elif day > today:
            errors["product_returned_on"] = ["This date is in the future."]
        elif day < treated_on:
            errors["product_returned_on"] = ["This is before the treatment."]
        else:
            cleaned["product_returned_on"] = day

    tests = data.get("relevant_tests")
    if tests is None:
        tests = []
    if not isinstance(tests, list) or len(tests) > MAX_TESTS:
        errors["relevant_tests"] = [f"List up to {MAX_TESTS} tests, each with its name."]
    else:
        rows, problems = [], []
        for number, row in enumerate(tests, 1):
            problem = None
            if not isinstance(row, dict) or set(row) - {"test", "result", "on"}:
                problem = "give the test, its result and the day"
            else:
                name = _text(row.get("test"), MAX_TEST_NAME)
                result = _text(row.get("result") or "", MAX_TEST_RESULT)
                on = row.get("on")
                day = None if on in (None, "") else _day(on)
                if not name:
                    problem = f"name the test (up to {MAX_TEST_NAME} characters)"
                elif result is None:
                    problem = f"the result is up to {MAX_TEST_RESULT} characters of text"
                elif on not in (None, "") and day is None:
                    problem = "give the day as YYYY-MM-DD"
                elif day is not None and day > today:
                    problem = "the day is in the future"
                elif day is not None and day < birth_date:
                    problem = "the day is before the patient was born"
                else:
                    rows.append(
                        {"test": name, "result": result, "on": day.isoformat() if day else None}
                    )
            if problem:
                problems.append(f"Test {number}: {problem}.")
        if problems:
            errors["relevant_tests"] = problems
        else:
            cleaned["relevant_tests"] = rows

    history = data.get("relevant_history")
    if history is not None:
        if not isinstance(history, list) or len(history) > MAX_HISTORY:
            errors["relevant_history"] = [f"List up to {MAX_HISTORY} lines of history."]
        else:
            lines = [_text(line, MAX_HISTORY_LINE) for line in history]
            if any(line is None for line in lines):
                errors["relevant_history"] = [
                    f"Each line of history is text of up to {MAX_HISTORY_LINE} characters."
                ]
            else:
                cleaned["relevant_history"] = [line for line in lines if line]
    return cleaned, errors
