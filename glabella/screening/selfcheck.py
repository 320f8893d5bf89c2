"""The anonymous pre-check on the public site: a few answers to "you may be a good candidate"
or "please talk to us first". It runs the same rules as the consultation, on what a stranger
can tell us, and says no more than that: it is never a medical decision. Pure; it keeps nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from glabella.catalogue.products import Product
from glabella.screening.rules import Intake, Outcome, Question, evaluate

# An age band stands in for a birth date: the rules only compare ages with 18 and 65.
AGE_BANDS = {"minor": 16, "adult": 40, "senior": 70}
ANSWER = {"yes": True, "no": False, "unsure": None}


@dataclass(frozen=True)
class SelfCheck:
    may_be_candidate: bool
    lines: str  # "moving", "rest" or "both"


def self_check(
    answers: dict[str, str],
    *,
    today: date,
    offered: tuple[Product, ...],
    policies_off: frozenset[str] = frozenset(),
    needs_review: frozenset[str] | None = None,
) -> SelfCheck:
    years = AGE_BANDS[answers["age"]]
    birth = date(today.year - years, 1, 1)
    allergy = ANSWER[answers["allergy"]]
    intake = Intake(
        today=today,
        birth_date=birth,
        answers={
            **dict.fromkeys(Question, False),
            Question.NEUROMUSCULAR_DISORDER: ANSWER[answers["nerves"]],
            Question.SWALLOWING_OR_BREATHING: ANSWER[answers["nerves"]],
            Question.INFECTION_AT_SITE: ANSWER[answers["infection"]],
            Question.PREGNANT: ANSWER[answers["pregnant"]],
            Question.BREASTFEEDING: ANSWER[answers["pregnant"]],
            Question.RECENT_TOXIN: ANSWER[answers["recent"]],
            Question.ALLERGY_TOXIN: allergy,
            Question.ALLERGY_ALBUMIN: allergy,
            Question.ALLERGY_MILK: allergy,
        },
    )
    eligible = any(
        evaluate(intake, p, policies_off=policies_off, needs_review=needs_review).outcome
        == Outcome.ELIGIBLE
        for p in offered
    )
    return SelfCheck(may_be_candidate=eligible, lines=answers["lines"])
