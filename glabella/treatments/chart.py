"""The face chart: where each area's label pattern is placed on our front-view diagram, as
fractions of its width (x, left to right as the viewer sees the face) and height (y, top down).
The patient's left side is on the viewer's right."""

from decimal import Decimal

from glabella.catalogue.areas import ChartArea
from glabella.catalogue.labels import LABELS
from glabella.catalogue.products import Product

# The diagram's own size (templates/treatments/_face.svg uses this viewBox).
WIDTH, HEIGHT = 200, 260

PATTERNS: dict[ChartArea, tuple[tuple[float, float], ...]] = {
    # Procerus in the middle, two points along each corrugator.
    ChartArea.GLABELLAR: ((0.5, 0.335), (0.44, 0.315), (0.56, 0.315), (0.39, 0.29), (0.61, 0.29)),
    ChartArea.FOREHEAD: ((0.3, 0.2), (0.4, 0.18), (0.5, 0.175), (0.6, 0.18), (0.7, 0.2)),
    ChartArea.LATERAL_CANTHAL_RIGHT: ((0.17, 0.34), (0.16, 0.375), (0.17, 0.41)),
    ChartArea.LATERAL_CANTHAL_LEFT: ((0.83, 0.34), (0.84, 0.375), (0.83, 0.41)),
    ChartArea.PLATYSMA: ((0.4, 0.84), (0.4, 0.9), (0.6, 0.84), (0.6, 0.9)),
}

# Where a point of an area without a pattern is placed when it is added by keyboard.
CENTRES: dict[ChartArea, tuple[float, float]] = {
    ChartArea.NASALIS: (0.5, 0.45),
    ChartArea.PERIORAL: (0.5, 0.6),
    ChartArea.DAO: (0.4, 0.66),
    ChartArea.MENTALIS: (0.5, 0.7),
    ChartArea.MASSETER: (0.22, 0.58),
    ChartArea.LATERAL_BROW: (0.27, 0.27),
    ChartArea.OTHER: (0.5, 0.5),
}


def place(area: ChartArea, index: int) -> tuple[float, float]:
    """Where the index-th point of an area goes when the label pattern is added."""
    pattern = PATTERNS.get(area)
    if pattern:
        return pattern[index % len(pattern)]
    return CENTRES[area]


OFF_LABEL_UNITS = Decimal(2)  # offered per point where the label gives no pattern


def label_pattern(product: str, area: ChartArea) -> tuple[int, Decimal] | None:
    """The label's sites and units per site for a chart area (crow's feet per side: the label's
    six sites are three on each); None where the product's label has no pattern there."""
    label = LABELS[Product(product)]
    pattern = label.pattern(area.label_area) if area.label_area else None
    if pattern is None:
        return None
    sites, per_site = pattern
    if area in (ChartArea.LATERAL_CANTHAL_LEFT, ChartArea.LATERAL_CANTHAL_RIGHT):
        sites //= 2
    return sites, per_site
