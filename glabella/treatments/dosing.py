"""The dose guard: a planned treatment checked against the product's label, the clinic's
protocol, the patient's treatment history, the vial and the candidacy decision.

Pure: no database, no clock (the session's time is in the plan). Each finding is `warn` (the
injector may proceed with a recorded reason) or `block`; a plan with no findings is `ok`. A block
marked `cosign` is a ceiling (above the label's dose or the clinic's house maximum): it is signed
only with the medical director's recorded co-signature, never with a typed reason; every other
block is not allowed at all. Units belong to their product and are never converted: another
product's vial blocks, and label totals compare a product's units with that product's label only.
The interval and the cumulative checks count every botulinum toxin, whatever the product or
purpose.

Findings, by code:
    units               a point's units are not positive, or not in the steps the vials'
                        concentration allows (`draws.step_for`) (block)
    area-above-label    an area's total is above the label's dose for it, platysma by its bands
                        (block, co-sign)
    side-above-label    one side is above the label's dose a side: crow's feet (block, co-sign)
    combined-above-label  areas treated together exceed the label's combined total (block, co-sign)
    area-above-protocol an area's total is above the clinic's house maximum (block, co-sign)
    point-above-protocol  one point is above the clinic's most in one point (block, co-sign)
    platysma-bands      platysma on the label without the bands on each side recorded (block)
    companion           forehead lines without glabellar lines: brow drooping (warn)
    off-label           an area not on this product's label (warn)
    interval            another botulinum toxin session less than 90 days ago (warn)
    cumulative          more of this product (any use) within its window than the label allows
                        (block)
    cumulative-other    other botulinum toxin within the window: another product, or units
                        reported or unknown; its units are not this product's (warn)
    vial-product        the vial holds another product (block)
    vial-sealed         the vial's reconstitution is not recorded (block)
    vial-expired        the vial is past its expiry date (block)
    vial-beyond-use     the vial is past its time after reconstitution (block)
    vial-short          not enough units left in the vial, or a point fits in none of the
                        record's vials (block)
    no-decision         no current candidacy decision allows this product in this area, an
                        off-label area included (block)
    no-consent          no current signed consent to this treatment (block)
    off-label-consent   an off-label area the signed consent's off-label paragraph does not
                        name (block: the patient signs a consent that names it)
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from glabella.catalogue.areas import HOUSE_AREA_NAMES, Area, ChartArea
from glabella.catalogue.labels import HOUSE_DEFAULTS, ProductLabel, house_area, product_named
from glabella.catalogue.products import Product
from glabella.treatments import draws


class Level(StrEnum):
    OK = "ok"
    WARN = "warn"
    BLOCK = "block"


ORDER = [Level.OK, Level.WARN, Level.BLOCK]


@dataclass(frozen=True)
class Point:
    area: ChartArea
    units: Decimal
    # An area's total given without its points (the API's `areas`): not held to the most in
    # one point.
    total: bool = False


@dataclass(frozen=True)
class PastSession:
    """An earlier session of any botulinum toxin: the clinic's own charts, or one the patient
    reported (another clinic, a medical use)."""

    day: date
    product: str  # a Product value, or a free name for one the clinic does not chart
    units: Decimal | None  # None: not known (a treatment the patient reported without units)
    reported: bool = False  # told by the patient, not charted here


@dataclass(frozen=True)
class VialState:
    product: Product
    units_left: Decimal
    expires_on: date
    reconstituted_at: datetime | None
    units_per_01ml: Decimal | None = None  # the concentration: it sets the step of units


@dataclass(frozen=True)
class Protocol:
    """The clinic's own ceilings, set by the medical director, by house area (`labels.HOUSE_AREAS`:
    crow's feet as both sides, and every off-label area): the most in a session and in one point.
    An area missing here has the shipped default (`labels.HOUSE_DEFAULTS`); none changes the
    label, which stays a ceiling of its own."""

    house_max: dict[str, Decimal] = field(default_factory=dict)
    point_max: dict[str, Decimal] = field(default_factory=dict)

    def area_limit(self, product: Product, area: str) -> Decimal | None:
        if area in self.house_max:
            return self.house_max[area]
        default = HOUSE_DEFAULTS[product].get(area)
        return default.area_max if default else None

    def point_limit(self, product: Product, area: str) -> Decimal | None:
        if area in self.point_max:
            return self.point_max[area]
        default = HOUSE_DEFAULTS[product].get(area)
        return default.point_max if default else None


@dataclass(frozen=True)
class Plan:
    product: Product
    points: tuple[Point, ...]
    at: datetime  # when the session takes place (aware)
    history: tuple[PastSession, ...] = ()
    vial: VialState | None = None
    # What the current candidacy decision allows for this product (None: no current decision):
    # label areas (`Area`) and off-label chart areas (`ChartArea` values such as "masseter").
    cleared: frozenset[str] | None = None
    consented: bool = False
    # The areas the signed consent's off-label paragraph names (None: not checked, as without
    # a patient); an off-label point elsewhere is not consented to.
    consented_off_label: frozenset[str] | None = None
    # Points already given in this session (an amendment adds to a signed record): they count
    # towards the area and session totals, not towards what is drawn from the vial now.
    given: tuple[Point, ...] = ()
    # Platysma bands recorded on each side, (left, right), 1 or 2 each; None: not recorded.
    platysma_bands: tuple[int, int] | None = None
    # Several vials, in the order they are drawn from (see `draws`); instead of `vial`.
    vials: tuple[VialState, ...] = ()


@dataclass(frozen=True)
class Finding:
    code: str
    level: Level
    message: str
    area: str = ""
    cosign: bool = False  # a ceiling: signed only with the medical director's co-signature


@dataclass(frozen=True)
class Check:
    level: Level
    findings: tuple[Finding, ...]
    area_totals: dict[str, Decimal]  # per label area, or per chart area when off-label
    total: Decimal

    @property
    def ok(self) -> bool:
        return self.level == Level.OK

    @property
    def ceilings(self) -> tuple[Finding, ...]:
        """The blocks the medical director's co-signature lifts."""
        return tuple(f for f in self.findings if f.level == Level.BLOCK and f.cosign)

    @property
    def hard_blocks(self) -> tuple[Finding, ...]:
        """The blocks nothing lifts."""
        return tuple(f for f in self.findings if f.level == Level.BLOCK and not f.cosign)


def _u(value: Decimal) -> str:
    return f"{value.normalize():f} U"


def check(label: ProductLabel, plan: Plan, protocol: Protocol | None = None) -> Check:
    if label.product != plan.product:
        raise ValueError("the label and the plan are for different products")
    protocol = protocol or Protocol()
    findings: list[Finding] = []
    totals: dict[str, Decimal] = defaultdict(Decimal)
    label_totals: dict[Area, Decimal] = defaultdict(Decimal)
    house_totals: dict[str, Decimal] = defaultdict(Decimal)  # this session's, by house area
    side_totals: dict[ChartArea, Decimal] = defaultdict(Decimal)
    valid: list[Point] = []
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
        valid.append(point)
        area = point.area.label_area
        if area is not None and area in label.doses:
            totals[area.value] += point.units
        else:
            totals[point.area.value] += point.units
    total = sum(totals.values(), Decimal(0))
    # What the session already gave (an amendment) counts towards its area and side totals.
    for point in (*valid, *plan.given):
        area = point.area.label_area
        if area is not None and area in label.doses:
            label_totals[area] += point.units
        house_totals[house_area(point.area)] += point.units
        side_totals[point.area] += point.units
    given = sum((p.units for p in plan.given), Decimal(0))

    findings += _against_label(label, plan, label_totals, side_totals)
    findings += _against_house(label, plan, protocol, valid, house_totals, label_totals)
    findings += _off_label(label, plan)
    findings += _history(label, plan, total + given)
    findings += _vials(label, plan, total)
    findings += _clearance(label, plan, label_totals, valid)
    level = max((f.level for f in findings), key=ORDER.index, default=Level.OK)
    return Check(level, tuple(findings), dict(totals), total)


def _ceiling(code: str, message: str, area: str = "") -> Finding:
    return Finding(
        code,
        Level.BLOCK,
        f"{message} Signing needs the medical director's co-signature.",
        area,
        cosign=True,
    )


def _label_limit(label, plan, area: Area) -> tuple[Decimal | None, str]:
    """The label's dose for an area in this plan, and how it was read: platysma by its bands."""
    if area == Area.PLATYSMA and label.band_doses and plan.platysma_bands is not None:
        left, right = plan.platysma_bands
        bands = f" for {left} band{'s' * (left > 1)} left and {right} right"
        return label.band_dose(left, right), bands
    return label.area_max(area), ""


def _against_label(label, plan, label_totals, side_totals) -> list[Finding]:
    out = []
    for area, units in label_totals.items():
        if area == Area.PLATYSMA and label.band_doses and plan.platysma_bands is None:
            out.append(
                Finding(
                    "platysma-bands",
                    Level.BLOCK,
                    f"Record the platysma bands on each side (1 or 2): {label.name}'s dose "
                    f"for the neck is {', '.join(_u(d) for d in label.band_doses.values())} "
                    "by the bands.",
                    area.value,
                )
            )
        most, how = _label_limit(label, plan, area)
        if most is not None and units > most:
            out.append(
                _ceiling(
                    "area-above-label",
                    f"{area.label}: {_u(units)} is above the label's {_u(most)}{how} for "
                    f"{label.name}.",
                    area.value,
                )
            )
    for area, per_side in label.per_side.items():
        for chart_area, side in (
            (ChartArea.LATERAL_CANTHAL_LEFT, "left"),
            (ChartArea.LATERAL_CANTHAL_RIGHT, "right"),
        ):
            units = side_totals.get(chart_area, Decimal(0))
            if chart_area.label_area == area and units > per_side:
                out.append(
                    _ceiling(
                        "side-above-label",
                        f"{area.label}, {side} side: {_u(units)} is above the label's "
                        f"{_u(per_side)} a side for {label.name}.",
                        chart_area.value,
                    )
                )
    for combined in label.combined:
        treated = [a for a in combined.areas if a in label_totals]
        together = sum((label_totals[a] for a in treated), Decimal(0))
        if len(treated) > 1 and together > combined.units:
            out.append(
                _ceiling(
                    "combined-above-label",
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


def _against_house(label, plan, protocol, points, house_totals, label_totals) -> list[Finding]:
    out = []
    for area, units in house_totals.items():
        house = protocol.area_limit(label.product, area)
        label_area = ChartArea(area).label_area if area in set(ChartArea) else Area(area)
        most = None
        if label_area is not None and label_area in label_totals:
            most, _ = _label_limit(label, plan, label_area)
        # Above the label already says it: the house finding is for what the label allows.
        if house is not None and units > house and (most is None or units <= most):
            out.append(
                _ceiling(
                    "area-above-protocol",
                    f"{_area_name(area)}: {_u(units)} is above the clinic's house maximum of "
                    f"{_u(house)} for {label.name}.",
                    area,
                )
            )
    seen = set()
    for point in points:
        if point.total:
            continue
        area = house_area(point.area)
        most = protocol.point_limit(label.product, area)
        if most is not None and point.units > most and area not in seen:
            seen.add(area)
            out.append(
                _ceiling(
                    "point-above-protocol",
                    f"{_area_name(area)}: {_u(point.units)} in one point is above the clinic's "
                    f"most of {_u(most)} a point for {label.name}.",
                    area,
                )
            )
    return out


def _area_name(area: str) -> str:
    return HOUSE_AREA_NAMES.get(area, area.replace("_", " ").capitalize())


def _off_label(label, plan) -> list[Finding]:
    out, seen = [], set()
    for point in plan.points:
        area = point.area.label_area
        if (area is None or area not in label.doses) and point.area not in seen:
            seen.add(point.area)
            name = _area_name(house_area(point.area))
            out.append(
                Finding(
                    "off-label",
                    Level.WARN,
                    f"{name} is not on {label.name}'s label: off-label use, to be recorded as "
                    "such.",
                    point.area.value,
                )
            )
            named = plan.consented_off_label
            if plan.consented and named is not None and house_area(point.area) not in named:
                out.append(
                    Finding(
                        "off-label-consent",
                        Level.BLOCK,
                        f"{name}: the signed consent does not cover off-label use here. The "
                        "patient signs a new consent, whose off-label paragraph names it.",
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
                    f"{days} days since the last botulinum toxin ({_named(last)}, "
                    f"{_on(last.day)}): sessions less than {label.min_interval_days} days "
                    "apart have not been studied.",
                )
            )
    since = today - timedelta(days=label.cumulative_days)
    window = [s for s in earlier if s.day > since]
    # The same toxin by any name and for any use counts in this product's units; nothing else
    # can be added to them.
    same = [s for s in window if product_named(s.product) == label.product]
    before = sum((s.units for s in same if s.units is not None), Decimal(0))
    if label.cumulative_max is not None and before + total > label.cumulative_max:
        out.append(
            Finding(
                "cumulative",
                Level.BLOCK,
                f"{_u(before + total)} of {label.name} within {label.cumulative_days} days "
                f"(every use) is above the {_u(label.cumulative_max)} the label allows.",
            )
        )
    others = [s for s in window if s not in same or s.units is None or s.reported]
    if others:
        listed = "; ".join(
            f"{_named(s)}, {_on(s.day)}: "
            f"{_u(s.units) if s.units is not None else 'units not known'}"
            f"{' (reported)' if s.reported else ''}"
            for s in sorted(others, key=lambda s: s.day)
        )
        out.append(
            Finding(
                "cumulative-other",
                Level.WARN,
                f"Other botulinum toxin within {label.cumulative_days} days ({listed}), with "
                f"{_u(total)} of {label.name} now: weigh the cumulative dose of every toxin; "
                "units of different products are not interchangeable.",
            )
        )
    return out


def _on(day) -> str:
    """A day as the house writes it: Dec 1, 2026."""
    return f"{day:%b} {day.day}, {day.year}"


def _named(session: PastSession) -> str:
    """A charted product by its name; a reported one as the patient put it."""
    return Product(session.product).label if session.product in set(Product) else session.product


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
                f"The vial expired on {_on(vial.expires_on)}.",
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


def _clearance(label, plan, label_totals, points) -> list[Finding]:
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
        cleared = {str(a) for a in plan.cleared}
        for area in label_totals:
            if area.value not in cleared:
                out.append(
                    Finding(
                        "no-decision",
                        Level.BLOCK,
                        f"The candidacy decision does not allow {label.name} for "
                        f"{area.label.lower()}.",
                        area.value,
                    )
                )
        # An area off this product's label needs its own off-label decision.
        seen = set()
        for point in points:
            area = point.area.label_area
            if area is not None and area in label.doses:
                continue
            key = house_area(point.area)
            if key not in cleared and point.area.value not in cleared and key not in seen:
                seen.add(key)
                out.append(
                    Finding(
                        "no-decision",
                        Level.BLOCK,
                        f"{_area_name(key)} is off {label.name}'s label and no candidacy "
                        "decision records it for this patient (area, rationale and who "
                        "decided).",
                        key,
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
