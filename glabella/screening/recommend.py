"""What to suggest at the consultation, from where the patient's lines are and how they show.

A line that shows only with expression (dynamic) is what a neuromodulator treats; a line that
shows at rest (static) is what a dermal filler treats; one that shows both ways is often treated
with both. For each concern the suggestion names the label areas and doses of the neuromodulators
the clinic offers. Pure, and advice for the consultation only: the injector examines the face and
decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from glabella.catalogue.products import LABEL_DOSES, LabelDose, Product
from glabella.screening.questionnaire import LABEL_AREA, ConcernArea

ADVICE = (
    "A suggestion for the consultation, from what the patient told us. It is not a diagnosis or "
    "a treatment plan: the injector examines the face and decides."
)


class Approach(StrEnum):
    NEUROMODULATOR = "neuromodulator"
    FILLER = "filler"
    COMBINATION = "combination"

    @property
    def label(self) -> str:
        return {
            "neuromodulator": "Neuromodulator",
            "filler": "Dermal filler",
            "combination": "Neuromodulator and dermal filler",
        }[self.value]


@dataclass(frozen=True)
class Suggestion:
    concern: ConcernArea
    at_rest: bool
    with_expression: bool
    approach: Approach
    options: tuple[LabelDose, ...]  # label doses of offered products for this area
    note: str


def recommend(concerns: list[dict], offered: frozenset[Product]) -> tuple[Suggestion, ...]:
    """One suggestion per concern, in the order given (stored answers' `concerns`)."""
    out = []
    for c in concerns:
        area = ConcernArea(c["area"])
        at_rest, moving = bool(c.get("at_rest")), bool(c.get("with_expression"))
        if not (at_rest or moving):
            continue
        approach = (
            Approach.COMBINATION
            if at_rest and moving
            else Approach.NEUROMODULATOR
            if moving
            else Approach.FILLER
        )
        label_area = LABEL_AREA[area]
        options: tuple[LabelDose, ...] = ()
        if approach != Approach.FILLER and label_area is not None:
            options = tuple(d for d in LABEL_DOSES if d.area == label_area and d.product in offered)
        out.append(
            Suggestion(
                area, at_rest, moving, approach, options, _note(approach, label_area, options)
            )
        )
    return tuple(out)


def _note(approach: Approach, label_area, options) -> str:
    if approach == Approach.FILLER:
        return "Lines at rest: a filler softens them; a neuromodulator alone would not."
    if label_area is None:
        return (
            "No neuromodulator is labeled for this area: any use here is off-label, for the "
            "injector to weigh."
        )
    if not options:
        return "None of the neuromodulators the clinic offers is labeled for this area."
    if approach == Approach.COMBINATION:
        return (
            "Lines with expression and at rest: a neuromodulator for the movement, a filler for "
            "what remains at rest, often at a later visit."
        )
    return "Lines with expression: a neuromodulator relaxes the muscle beneath them."
