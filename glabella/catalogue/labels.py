"""The six US neuromodulators' labels as data, and the dermal fillers, for charting and the dose
guard. Pure: no database.

Each product's values carry their source; the ones seen only in secondary sources are named in
`verify`, so that pages can say so and a clinic can check them. Area
doses come from `catalogue.products.LABEL_DOSES` (one table for the recommendation and the guard).
Units belong to their product: nothing here converts one product's units to another's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from glabella.catalogue.areas import Area, ChartArea, both_sides
from glabella.catalogue.products import LABEL_DOSES, LabelDose, Product

D = Decimal
LABEL = "US prescribing information"
TWENTIETH_ML = D("0.05")
# The smallest volume an injector measures reliably: one half-unit mark (0.005 mL) of a 0.3 mL
# U-100 insulin syringe, the syringe toxin is drawn into. A step of units is offered only where
# it is at least this much liquid: 0.25 U needs at most 5 U per 0.1 mL (0.25 U at 4 U per 0.1 mL
# is 0.00625 mL), 0.5 U at most 10, 1 U at most 20 (Dysport 300 U in 1.5 mL), 2.5 U at most 50.
SMALLEST_ML = D("0.005")
UNIT_STEPS = (D("0.25"), D("0.5"), D("1"), D("2.5"), D("5"))


def measurable_step(units_per_01ml: Decimal) -> Decimal:
    """The finest step of units that is at least `SMALLEST_ML` of liquid at this concentration
    (units per 0.1 mL)."""
    per_ml = units_per_01ml * 10
    return next((s for s in UNIT_STEPS if s >= per_ml * SMALLEST_ML), UNIT_STEPS[-1])


@dataclass(frozen=True)
class Diluent:
    key: str
    name: str
    on_label: bool


# Every label here names preservative-free saline; bacteriostatic saline (benzyl alcohol) is a
# common off-label choice, accepted with a warning and a recorded reason.
DILUENTS = (
    Diluent("saline", "0.9% sodium chloride, preservative-free", True),
    Diluent("bacteriostatic", "0.9% sodium chloride, bacteriostatic (benzyl alcohol)", False),
)
LABEL_DILUENT = DILUENTS[0]


@dataclass(frozen=True)
class CombinedMax:
    """The most the label gives when several areas are treated in one session."""

    areas: frozenset[Area]
    units: Decimal
    note: str


@dataclass(frozen=True)
class VialSize:
    units: int
    diluent_ml: tuple[Decimal, ...]  # the label's reconstitution volumes for aesthetic use

    def units_per_01ml(self, diluent_ml: Decimal) -> Decimal:
        """The concentration, in the product's units per 0.1 mL."""
        return (D(self.units) / diluent_ml / 10).quantize(D("0.01"))

    @property
    def volume_range(self) -> tuple[Decimal, Decimal]:
        """The volumes accepted at all: half the label's smallest to twice its largest. Outside
        them the dose in a syringe is no longer what the chart says it is."""
        return min(self.diluent_ml) / 2, max(self.diluent_ml) * 2


@dataclass(frozen=True)
class ProductLabel:
    product: Product
    generic: str
    combined: tuple[CombinedMax, ...]
    vials: tuple[VialSize, ...]
    beyond_use_hours: int  # after reconstitution
    storage_unopened: str
    storage_reconstituted: str
    excipients: tuple[str, ...]
    sources: dict[str, str]
    verify: frozenset[str] = frozenset()
    # An area treated only together with another (forehead with glabellar: brow drooping).
    companions: dict[Area, Area] = field(default_factory=dict)
    min_interval_days: int = 90
    # The most of this product within `cumulative_days` across all uses (verify).
    cumulative_max: Decimal | None = None
    cumulative_days: int = 90
    # The label's dose for each side, where it gives one (crow's feet: 12 U a side).
    per_side: dict[Area, Decimal] = field(default_factory=dict)
    # Platysma bands: the label's dose by the bands on both sides together (1+1, 1+2, 2+2).
    band_doses: dict[int, Decimal] = field(default_factory=dict)
    # The labeler named on the label, and the telephone line its highlights give for reporting
    # suspected adverse reactions ("" where not on file: read it off the label in hand, or set
    # MAKER_REPORT_LINES).
    maker: str = ""
    maker_line: str = ""

    @property
    def name(self) -> str:
        return self.product.label

    @property
    def doses(self) -> dict[Area, LabelDose]:
        return {d.area: d for d in LABEL_DOSES if d.product == self.product}

    def vial(self, units: int) -> VialSize | None:
        return next((v for v in self.vials if v.units == units), None)

    @property
    def unit_step(self) -> Decimal:
        """The finest step charted when the vial is not known: the finest that one of the
        label's reconstitutions allows (the vial's own concentration decides once it is)."""
        return min(
            measurable_step(size.units_per_01ml(ml))
            for size in self.vials
            for ml in size.diluent_ml
        )

    def area_max(self, area: Area) -> Decimal | None:
        dose = self.doses.get(area)
        return D(max(dose.units)) if dose else None

    def band_dose(self, left: int, right: int) -> Decimal | None:
        """The label's platysma dose for the bands recorded on each side (1 or 2 a side)."""
        return self.band_doses.get(left + right)

    def pattern(self, area: Area) -> tuple[int, Decimal] | None:
        """The label's injection pattern for an area: (sites, units per site)."""
        dose = self.doses.get(area)
        if dose is None or not dose.sites or not dose.units_per_site:
            return None
        return dose.sites, D(str(dose.units_per_site))


LABELS: dict[Product, ProductLabel] = {
    Product.BOTOX_COSMETIC: ProductLabel(
        product=Product.BOTOX_COSMETIC,
        maker="Allergan, Inc.",
        maker_line="1-800-433-8871",
        generic="onabotulinumtoxinA",
        combined=(
            CombinedMax(
                frozenset({Area.GLABELLAR, Area.FOREHEAD}),
                D(40),
                "Forehead lines are treated with glabellar lines: 40 U together",
            ),
            CombinedMax(
                frozenset({Area.GLABELLAR, Area.FOREHEAD, Area.LATERAL_CANTHAL}),
                D(64),
                "Forehead, glabellar and crow's feet together: 64 U",
            ),
        ),
        vials=(VialSize(50, (D("1.25"),)), VialSize(100, (D("2.5"),))),
        beyond_use_hours=24,
        storage_unopened="2-8 C",
        storage_reconstituted="2-8 C; use within 24 hours; record date and time of reconstitution",
        excipients=("human albumin", "sodium chloride"),
        companions={Area.FOREHEAD: Area.GLABELLAR},
        per_side={Area.LATERAL_CANTHAL: D(12)},
        band_doses={2: D(26), 3: D(31), 4: D(36)},
        cumulative_max=D(400),
        sources={
            "doses": f"{LABEL} (BOTOX Cosmetic, 2024-10), 2 Dosage and Administration",
            "vials": f"{LABEL}, 2.2 Reconstitution",
            "beyond_use_hours": f"{LABEL}, 2.2 Reconstitution",
            "excipients": f"{LABEL}, 11 Description",
            "cumulative_max": "Secondary sources (BOTOX and BOTOX Cosmetic together, 3 months)",
            "per_side": f"{LABEL} (BOTOX Cosmetic, 2024-10), 2.3: 12 U a side",
            "band_doses": f"{LABEL} (BOTOX Cosmetic, 2024-10), platysma bands",
            "maker": "Structured product label (FDA), author",
            "maker_line": "Secondary sources (the maker's own pages)",
        },
        verify=frozenset({"cumulative_max", "platysma sites", "maker_line"}),
    ),
    Product.DYSPORT: ProductLabel(
        product=Product.DYSPORT,
        maker="Ipsen Biopharmaceuticals, Inc.",
        generic="abobotulinumtoxinA",
        combined=(),
        # The 300 U vial's volumes are the glabellar section's; the 500 U vial's are the label's
        # dilution table (2.5 mL gives 20 U per 0.1 mL, as the 300 U vial in 1.5 mL does).
        vials=(
            VialSize(300, (D("2.5"), D("1.5"))),
            VialSize(500, (D("2.5"), D("2"), D("1"), D("5"))),
        ),
        beyond_use_hours=24,
        storage_unopened="2-8 C, protect from light",
        storage_reconstituted="2-8 C; use within 24 hours",
        excipients=("human albumin", "lactose (may carry traces of cow's milk protein)"),
        sources={
            "doses": f"{LABEL} (Dysport), 2 Dosage and Administration",
            "vials": f"{LABEL} (Dysport), 2 Dosage and Administration",
            "500 U vial volumes": f"{LABEL} (Dysport), dilution table (therapeutic indications)",
            "beyond_use_hours": "Secondary sources",
            "excipients": f"{LABEL} (Dysport), 11 Description",
        },
        verify=frozenset({"beyond_use_hours", "500 U vial volumes"}),
    ),
    Product.XEOMIN: ProductLabel(
        product=Product.XEOMIN,
        maker="Merz Pharmaceuticals, LLC",
        maker_line="1-866-862-1211",
        generic="incobotulinumtoxinA",
        combined=(
            CombinedMax(
                frozenset({Area.GLABELLAR, Area.FOREHEAD, Area.LATERAL_CANTHAL}),
                D(64),
                "Forehead, glabellar and crow's feet together: 64 U",
            ),
        ),
        vials=(
            VialSize(50, (D("1.25"),)),
            VialSize(100, (D("2.5"),)),
            VialSize(200, (D("5"),)),
        ),
        beyond_use_hours=24,
        per_side={Area.LATERAL_CANTHAL: D(12)},
        storage_unopened="At or below 25 C; no refrigeration needed",
        storage_reconstituted="2-8 C; use within 24 hours",
        excipients=("human albumin", "sucrose"),
        sources={
            "doses": f"{LABEL} (Xeomin), 2 Dosage and Administration",
            "vials": "Secondary sources",
            "beyond_use_hours": f"{LABEL} (Xeomin), 2 Dosage and Administration",
            "excipients": f"{LABEL} (Xeomin), 11 Description",
            "maker_line": "Secondary sources (the maker's consumer pages)",
            "per_side": "Secondary sources (lateral canthal 12 U a side)",
        },
        verify=frozenset(
            {"forehead dose", "lateral canthal dose", "combined", "vials", "maker_line"}
        ),
    ),
    Product.JEUVEAU: ProductLabel(
        product=Product.JEUVEAU,
        maker="Evolus, Inc.",
        generic="prabotulinumtoxinA-xvfs",
        combined=(),
        vials=(VialSize(100, (D("2.5"),)),),
        beyond_use_hours=24,
        storage_unopened="2-8 C",
        storage_reconstituted="2-8 C, protect from light; use within 24 hours",
        excipients=("human albumin", "sodium chloride"),
        sources={
            "doses": f"{LABEL} (Jeuveau), 2 Dosage and Administration",
            "vials": f"{LABEL} (Jeuveau), 2 Dosage and Administration",
            "beyond_use_hours": f"{LABEL} (Jeuveau), 2 Dosage and Administration",
            "excipients": f"{LABEL} (Jeuveau), 11 Description",
        },
    ),
    Product.DAXXIFY: ProductLabel(
        product=Product.DAXXIFY,
        maker="Revance Therapeutics, Inc.",
        generic="daxibotulinumtoxinA-lanm",
        combined=(),
        # 100 U with 1.2 mL per the NDC listing; 50 U with 0.6 mL gives the same concentration.
        vials=(VialSize(50, (D("0.6"),)), VialSize(100, (D("1.2"),))),
        beyond_use_hours=72,
        storage_unopened="Room temperature or refrigerated (verify)",
        storage_reconstituted="Use within 72 hours",
        excipients=("RTP004 peptide (no human albumin)",),
        sources={
            "doses": f"{LABEL} (DAXXIFY), 2 Dosage and Administration",
            "beyond_use_hours": f"{LABEL} (DAXXIFY), 2 Dosage and Administration",
            "vials": "NDC listing (100 U with 1.2 mL); the 50 U volume by the same concentration",
            "excipients": f"{LABEL} (DAXXIFY), 11 Description",
        },
        verify=frozenset({"diluent volumes", "storage_unopened"}),
    ),
    Product.LETYBO: ProductLabel(
        product=Product.LETYBO,
        maker="Hugel, Inc.",
        generic="letibotulinumtoxinA-wlbg",
        combined=(),
        vials=(VialSize(50, (D("1.25"),)), VialSize(100, (D("2.5"),))),
        beyond_use_hours=24,
        storage_unopened="2-8 C (verify)",
        storage_reconstituted="Verify",
        excipients=(),
        sources={"doses": f"{LABEL} (Letybo), 2 Dosage and Administration"},
        verify=frozenset({"vials", "beyond_use_hours", "storage", "excipients", "maker"}),
    ),
}


@dataclass(frozen=True)
class Filler:
    """A dermal filler, measured in syringes and mL (never in units)."""

    name: str
    syringe_ml: Decimal
    lidocaine: bool
    ml_step: Decimal = TWENTIETH_ML


FILLERS: tuple[Filler, ...] = (
    Filler("Hyaluronic acid filler with lidocaine, 1.0 mL syringe", D("1.0"), True),
    Filler("Hyaluronic acid filler, 1.0 mL syringe", D("1.0"), False),
    Filler("Hyaluronic acid filler with lidocaine, 0.55 mL syringe", D("0.55"), True),
)


# ---------------------------------------------------------------- house maximums (clinic policy)

# Where a house maximum applies: the labels' areas (crow's feet as both sides together) and every
# off-label area of the chart.
HOUSE_AREAS: tuple[str, ...] = (
    "glabellar",
    "forehead",
    "lateral_canthal",
    "platysma",
    *(a.value for a in ChartArea if a.off_label),
)


def house_area(area: ChartArea) -> str:
    return both_sides(area.value)


@dataclass(frozen=True)
class HouseLimit:
    """The clinic's ceiling for an area: its total in one session, and the most in one point."""

    area_max: Decimal
    point_max: Decimal


def _limits(table: dict[str, tuple[str, str]]) -> dict[str, HouseLimit]:
    return {area: HouseLimit(D(most), D(point)) for area, (most, point) in table.items()}


# Shipped defaults: CLINIC POLICY, NOT LABEL. glabella's own conservative starting values, in
# each product's own units (never converted), for the medical director to confirm or change.
# A label area's ceiling is never above the label's dose; an off-label area's ceiling sits at the
# low end of doses commonly published for it, and a point's at about one and a half to two label
# sites. Above either, signing needs the medical director's co-signature.
_FOUR_UNIT_FAMILY = _limits(  # BOTOX Cosmetic, Xeomin, Jeuveau, Letybo: 4 U a glabellar site
    {
        "glabellar": ("20", "8"),
        "forehead": ("20", "6"),
        "lateral_canthal": ("24", "6"),
        "platysma": ("36", "6"),
        "nasalis": ("8", "4"),
        "perioral": ("6", "2"),
        "dao": ("8", "4"),
        "mentalis": ("10", "6"),
        "masseter": ("50", "10"),
        "lateral_brow": ("8", "4"),
        "other": ("10", "4"),
    }
)
HOUSE_DEFAULTS: dict[Product, dict[str, HouseLimit]] = {
    Product.BOTOX_COSMETIC: _FOUR_UNIT_FAMILY,
    Product.XEOMIN: _FOUR_UNIT_FAMILY,
    Product.JEUVEAU: _FOUR_UNIT_FAMILY,
    Product.LETYBO: _FOUR_UNIT_FAMILY,
    Product.DYSPORT: _limits(  # 10 U a glabellar site
        {
            "glabellar": ("50", "20"),
            "forehead": ("50", "15"),
            "lateral_canthal": ("60", "15"),
            "platysma": ("90", "15"),
            "nasalis": ("20", "10"),
            "perioral": ("15", "5"),
            "dao": ("20", "10"),
            "mentalis": ("25", "15"),
            "masseter": ("120", "25"),
            "lateral_brow": ("20", "10"),
            "other": ("25", "10"),
        }
    ),
    Product.DAXXIFY: _limits(  # 8 U a glabellar site
        {
            "glabellar": ("40", "16"),
            "forehead": ("40", "12"),
            "lateral_canthal": ("48", "12"),
            "platysma": ("72", "12"),
            "nasalis": ("16", "8"),
            "perioral": ("12", "4"),
            "dao": ("16", "8"),
            "mentalis": ("20", "12"),
            "masseter": ("100", "20"),
            "lateral_brow": ("16", "8"),
            "other": ("20", "8"),
        }
    ),
}
HOUSE_MAX_BOUND = D(1000)  # no house ceiling above this, in any product's units


# ---------------------------------------------------------------- toxins by name

# What a patient or a record calls each product, by brand and generic name. BOTOX for a medical
# use is onabotulinumtoxinA like BOTOX Cosmetic: the older label's 400 U counted both together.
_NAMES = {
    Product.BOTOX_COSMETIC: ("botox", "onabotulinum"),
    Product.DYSPORT: ("dysport", "azzalure", "abobotulinum"),
    Product.XEOMIN: ("xeomin", "bocouture", "incobotulinum"),
    Product.JEUVEAU: ("jeuveau", "nuceiva", "prabotulinum"),
    Product.DAXXIFY: ("daxxify", "daxibotulinum"),
    Product.LETYBO: ("letybo", "letibotulinum"),
}


def product_named(name: str) -> Product | None:
    """The product a free name means ("Botox for migraine", "Dysport"), or None when it names
    none of these or several."""
    if name in set(Product):
        return Product(name)
    folded = name.casefold()
    found = {p for p, words in _NAMES.items() if any(w in folded for w in words)}
    return found.pop() if len(found) == 1 else None
