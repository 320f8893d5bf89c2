"""The dose guard: a planned treatment checked against the product's label, the clinic's
protocol, the patient's treatment history, the vial and the candidacy decision.

Pure: no database, no clock (the session's time is in the plan). Each finding is `warn` (the
injector may proceed with a recorded reason) or `block` (not allowed); a plan with no findings is
`ok`. Units belong to their product and are never converted: another product's vial blocks, and
label totals compare a product's units with that product's label only. The interval check counts
every botulinum toxin, whatever the product or purpose.

Findings, by code:
    units               a point's units are not positive, or not in the steps the vials'
                        concentration allows (`draws.step_for`) (block)
    area-above-label    an area's total is above the label's dose for it (warn)
    area-above-protocol an area's total is above the clinic's house dose (warn)
    combined-above-label  areas treated together exceed the label's combined total (warn)
    companion           forehead lines without glabellar lines: brow drooping (warn)
    off-label           an area not on this product's label (warn)
    interval            another botulinum toxin session less than 90 days ago (warn)
    cumulative          more of this product within its window than the label allows (block)
    vial-product        the vial holds another product (block)
    vial-sealed         the vial's reconstitution is not recorded (block)
    vial-expired        the vial is past its expiry date (block)
    vial-beyond-use     the vial is past its time after reconstitution (block)
    vial-short          not enough units left in the vial, or a point fits in none of the
                        record's vials (block)
    no-decision         no current candidacy decision allows this product in this area (block)
    no-consent          no current signed consent to this treatment (block)
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from glabella.screening.products import Area, Product
from glabella.treatments import draws
from glabella.treatments.labels import ChartArea, ProductLabel


class Level(StrEnum):
    OK = "ok"
    WARN = "warn"
    BLOCK = "block"


ORDER = [Level.OK, Level.WARN, Level.BLOCK]


@dataclass(frozen=True)
class Point:
    area: ChartArea
    units: Decimal


@dataclass(frozen=True)
class PastSession:
    """An earlier session of any botulinum toxin: the clinic's own charts, or one the patient
    reported (another clinic, a medical use)."""

    day: date
    product: str  # a Product value, or a free name for one the clinic does not chart
    units: Decimal


@dataclass(frozen=True)
class VialState:
    product: Product
    units_left: Decimal
    expires_on: date
    reconstituted_at: datetime | None
    units_per_01ml: Decimal | None = None  # the concentration: it sets the step of units


@dataclass(frozen=True)
class Protocol:
    """The clinic's own limits, set by the medical director: a house dose per area, which may
    be lower than the label's, never a change to the label."""

    house_max: dict[Area, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    product: Product
    points: tuple[Point, ...]
    at: datetime  # when the session takes place (aware)
    history: tuple[PastSession, ...] = ()
    vial: VialState | None = None
    # What the current candidacy decision allows for this product (None: no current decision).
    cleared: frozenset[Area] | None = None
    consented: bool = False
    # Points already given in this session (an amendment adds to a signed record): they count
    # towards the area and session totals, not towards what is drawn from the vial now.
    given: tuple[Point, ...] = ()
    # Several vials, in the order they are drawn from (see `draws`); instead of `vial`.
    vials: tuple[VialState, ...] = ()


@dataclass(frozen=True)
class Finding:
    code: str
    level: Level
    message: str
    area: str = ""


@dataclass(frozen=True)
class Check:
    level: Level
    findings: tuple[Finding, ...]
    area_totals: dict[str, Decimal]  # per label area, or per chart area when off-label
    total: Decimal

    @property
    def ok(self) -> bool:
        return self.level == Level.OK


def _u(value: Decimal) -> str:
    return f"{value.normalize():f} U"


def check(label: ProductLabel, plan: Plan, protocol: Protocol | None = None) -> Check:
    if label.product != plan.product:
        raise ValueError("the label and the plan are for different products")
    findings: list[Finding] = []
    totals: dict[str, Decimal] = defaultdict(Decimal)
    label_totals: dict[Area, Decimal] = defaultdict(Decimal)
    step = _step(label, plan)
    for point in plan.points:
        if point.units <= 0 or point.units % step != 0:
            findings.append(
                Finding(
                    "units",
                    Level.BLOCK,
                    f"{_u(point.units)} is not a dose of {label.name}: give a positive amount "
                    f"in steps of {_u(step)}.",
                    point.area.value,
                )
            )
            continue
        area = point.area.label_area
        if area is not None and area in label.doses:
            label_totals[area] += point.units
            totals[area.value] += point.units
        else:
            totals[point.area.value] += point.units
    total = sum(totals.values(), Decimal(0))
    for point in plan.given:
        area = point.area.label_area
        if area is not None and area in label.doses:
            label_totals[area] += point.units
    given = sum((p.units for p in plan.given), Decimal(0))

    findings += _against_label(label, plan, label_totals, protocol)
    findings += _off_label(label, plan)
    findings += _history(label, plan, total + given)
    findings += _vials(label, plan, total)
    findings += _clearance(label, plan, label_totals)
    level = max((f.level for f in findings), key=ORDER.index, default=Level.OK)
    return Check(level, tuple(findings), dict(totals), total)


def _against_label(label, plan, label_totals, protocol) -> list[Finding]:
    out = []
    for area, units in label_totals.items():
        most = label.area_max(area)
        if most is not None and units > most:
            out.append(
                Finding(
                    "area-above-label",
                    Level.WARN,
                    f"{area.label}: {_u(units)} is above the label's {_u(most)} for {label.name}.",
                    area.value,
                )
            )
        house = (protocol.house_max if protocol else {}).get(area)
        if house is not None and units > house and (most is None or units <= most):
            out.append(
                Finding(
                    "area-above-protocol",
                    Level.WARN,
                    f"{area.label}: {_u(units)} is above the clinic's house dose of {_u(house)}.",
                    area.value,
                )
            )
    for combined in label.combined:
        treated = [a for a in combined.areas if a in label_totals]
        together = sum((label_totals[a] for a in treated), Decimal(0))
        if len(treated) > 1 and together > combined.units:
            out.append(
                Finding(
                    "combined-above-label",
                    Level.WARN,
                    f"{_u(together)} across {', '.join(sorted(a.label for a in treated))} is "
                    f"above the label's {_u(combined.units)} ({combined.note}).",
                )
            )
    for area, companion in label.companions.items():
        if area in label_totals and companion not in label_totals:
            out.append(
                Finding(
                    "companion",
                    Level.WARN,
                    f"{area.label} without {companion.label.lower()}: the label gives them "
                    "together, which lowers the risk of a drooping brow.",
                    area.value,
                )
            )
    return out


def _off_label(label, plan) -> list[Finding]:
    out, seen = [], set()
    for point in plan.points:
        area = point.area.label_area
        if (area is None or area not in label.doses) and point.area not in seen:
            seen.add(point.area)
            out.append(
                Finding(
                    "off-label",
                    Level.WARN,
                    f"{point.area.value.replace('_', ' ').capitalize()} is not on "
                    f"{label.name}'s label: off-label use, to be recorded as such.",
                    point.area.value,
                )
            )
    return out


def _history(label, plan, total) -> list[Finding]:
    out = []
    today = plan.at.date()
    earlier = [s for s in plan.history if s.day <= today]
    if earlier:
        last = max(earlier, key=lambda s: s.day)
        days = (today - last.day).days
        if days < label.min_interval_days:
            out.append(
                Finding(
                    "interval",
                    Level.WARN,
                    f"{days} days since the last botulinum toxin ({last.product}, "
                    f"{last.day.isoformat()}): sessions less than {label.min_interval_days} days "
                    "apart have not been studied.",
                )
            )
    if label.cumulative_max is not None:
        since = today - timedelta(days=label.cumulative_days)
        before = sum(
            (s.units for s in earlier if s.product == label.product.value and s.day > since),
            Decimal(0),
        )
        if before + total > label.cumulative_max:
            out.append(
                Finding(
                    "cumulative",
                    Level.BLOCK,
                    f"{_u(before + total)} of {label.name} within {label.cumulative_days} days "
                    f"is above the {_u(label.cumulative_max)} the label allows.",
                )
            )
    return out


def _vial(label, plan, total) -> list[Finding]:
    vial = plan.vial
    if vial is None:
        return []
    if vial.product != plan.product:
        return [
            Finding(
                "vial-product",
                Level.BLOCK,
                f"This vial holds {vial.product.label}, not {label.name}: units are never "
                "converted between products.",
            )
        ]
    out = []
    if vial.expires_on < plan.at.date():
        out.append(
            Finding(
                "vial-expired",
                Level.BLOCK,
                f"The vial expired on {vial.expires_on.isoformat()}.",
            )
        )
    if vial.reconstituted_at is None:
        out.append(
            Finding("vial-sealed", Level.BLOCK, "Record the vial's reconstitution before use.")
        )
    else:
        limit = vial.reconstituted_at + timedelta(hours=label.beyond_use_hours)
        if plan.at > limit:
            hours = (plan.at - vial.reconstituted_at).total_seconds() / 3600
            out.append(
                Finding(
                    "vial-beyond-use",
                    Level.BLOCK,
                    f"Reconstituted {hours:.0f} hours ago: {label.name} is used within "
                    f"{label.beyond_use_hours} hours of reconstitution.",
                )
            )
    if total > vial.units_left:
        out.append(
            Finding(
                "vial-short",
                Level.BLOCK,
                f"The vial has {_u(vial.units_left)} left; the plan needs {_u(total)}.",
            )
        )
    return out


def _clearance(label, plan, label_totals) -> list[Finding]:
    out = []
    if plan.cleared is None:
        out.append(
            Finding(
                "no-decision",
                Level.BLOCK,
                f"No current candidacy decision allows {label.name} for this patient.",
            )
        )
    else:
        for area in label_totals:
            if area not in plan.cleared:
                out.append(
                    Finding(
                        "no-decision",
                        Level.BLOCK,
                        f"The candidacy decision does not allow {label.name} for "
                        f"{area.label.lower()}.",
                        area.value,
                    )
                )
        if not plan.cleared:
            out.append(
                Finding(
                    "no-decision",
                    Level.BLOCK,
                    f"The candidacy decision allows {label.name} in no area.",
                )
            )
    if not plan.consented:
        out.append(
            Finding(
                "no-consent",
                Level.BLOCK,
                "No current signed consent to neuromodulator treatment.",
            )
        )
    return out


def _vials_of(plan) -> tuple[VialState, ...]:
    return plan.vials or ((plan.vial,) if plan.vial is not None else ())


def _step(label, plan) -> Decimal:
    """The step of units the plan's vials allow (the label's finest without a vial)."""
    return draws.step_for(label, [v.units_per_01ml for v in _vials_of(plan)])


def _vials(label, plan, total) -> list[Finding]:
    """The vial checks for each of several vials, and whether every point fits whole in one of
    them, in their order; one vial is checked as `_vial` does."""
    if not plan.vials:
        return _vial(label, plan, total)
    out: list[Finding] = []
    for n, vial in enumerate(plan.vials, start=1):
        for finding in _vial(label, replace(plan, vial=vial, vials=()), Decimal(0)):
            out.append(
                replace(finding, message=f"Vial {n} of {len(plan.vials)}: {finding.message}")
            )
    units = [p.units for p in plan.points if p.units > 0]
    if draws.allocate(units, [v.units_left for v in plan.vials]) is None:
        left = sum((v.units_left for v in plan.vials), Decimal(0))
        out.append(
            Finding(
                "vial-short",
                Level.BLOCK,
                f"The {len(plan.vials)} vials have {_u(left)} left together; the plan needs "
                f"{_u(total)}."
                if left < total
                else f"The {len(plan.vials)} vials have {_u(left)} left together, but a point is "
                "drawn whole from one vial and some point fits in none of them.",
            )
        )
    return out
