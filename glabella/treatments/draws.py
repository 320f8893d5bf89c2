"""Which vial each point is drawn from, and the step of units the vials allow. Pure: no database.

A record may draw from several vials, in the order the injector lists them. Each point is drawn
whole from the first listed vial that still holds enough for it: a point is never split between
vials, so one syringe holds one lot and a recall finds everyone a lot reached. The first vial
runs out, the next continues.

A step of units is charted only where it is enough liquid to measure (`labels.measurable_step`);
with several vials, the coarsest of their steps holds for every point, since any point may come
from any of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from glabella.catalogue.labels import ProductLabel, measurable_step


def step_for(label: ProductLabel, concentrations: Sequence[Decimal | None]) -> Decimal:
    """The step of units for points drawn from vials at these concentrations (units per 0.1 mL;
    None: not reconstituted yet). With none known, the finest the label's reconstitutions
    allow."""
    known = [measurable_step(c) for c in concentrations if c is not None]
    return max(known) if known else label.unit_step


def allocate(units: Sequence[Decimal], left: Sequence[Decimal]) -> list[int] | None:
    """For each point's units, the index of the vial it is drawn from: the first with enough
    left at that moment. None when some point fits in no vial."""
    remaining = list(left)
    out = []
    for amount in units:
        slot = next((i for i, have in enumerate(remaining) if have >= amount), None)
        if slot is None:
            return None
        remaining[slot] -= amount
        out.append(slot)
    return out
