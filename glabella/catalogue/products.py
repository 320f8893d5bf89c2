"""The neuromodulators glabella knows, and the facial areas and doses on each one's US label.

Pure data. Units are product-specific and never converted between products. Entries marked
`verify` were seen only in secondary sources (the clinical notes the project keeps); `labels` builds
the label records on this table, for the recommendation and the dose guard alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from glabella.catalogue.areas import Area, OffLabelArea


class Product(StrEnum):
    BOTOX_COSMETIC = "botox_cosmetic"
    DYSPORT = "dysport"
    XEOMIN = "xeomin"
    JEUVEAU = "jeuveau"
    DAXXIFY = "daxxify"
    LETYBO = "letybo"

    @property
    def label(self) -> str:
        return PRODUCT_NAMES[self]


PRODUCT_NAMES = {
    Product.BOTOX_COSMETIC: "BOTOX Cosmetic (onabotulinumtoxinA)",
    Product.DYSPORT: "Dysport (abobotulinumtoxinA)",
    Product.XEOMIN: "Xeomin (incobotulinumtoxinA)",
    Product.JEUVEAU: "Jeuveau (prabotulinumtoxinA-xvfs)",
    Product.DAXXIFY: "DAXXIFY (daxibotulinumtoxinA-lanm)",
    Product.LETYBO: "Letybo (letibotulinumtoxinA-wlbg)",
}


@dataclass(frozen=True)
class LabelDose:
    product: Product
    area: Area
    units: tuple[int, ...]  # the labelled total dose(s) for the area, in this product's units
    sites: int | None  # injection sites in all
    units_per_site: float | None
    verify: bool = False  # seen only in secondary sources
    note: str = ""

    @property
    def dose_text(self) -> str:
        total = " or ".join(str(u) for u in self.units)
        if self.sites and self.units_per_site:
            return f"{total} U ({self.sites} sites x {self.units_per_site:g} U)"
        return f"{total} U"


LABEL_DOSES: tuple[LabelDose, ...] = (
    LabelDose(Product.BOTOX_COSMETIC, Area.GLABELLAR, (20,), 5, 4),
    LabelDose(Product.BOTOX_COSMETIC, Area.LATERAL_CANTHAL, (24,), 6, 4, note="3 sites per side"),
    LabelDose(
        Product.BOTOX_COSMETIC,
        Area.FOREHEAD,
        (20,),
        5,
        4,
        note="Given together with the glabellar dose (40 U in all) to limit brow drooping",
    ),
    LabelDose(
        Product.BOTOX_COSMETIC,
        Area.PLATYSMA,
        (26, 31, 36),
        None,
        None,
        verify=True,
        note="By the number of bands; the split per site is to verify",
    ),
    LabelDose(Product.DYSPORT, Area.GLABELLAR, (50,), 5, 10, note="Adults under 65"),
    LabelDose(Product.XEOMIN, Area.GLABELLAR, (20,), 5, 4),
    LabelDose(Product.XEOMIN, Area.FOREHEAD, (20,), None, None, verify=True),
    LabelDose(Product.XEOMIN, Area.LATERAL_CANTHAL, (24,), None, None, verify=True),
    LabelDose(Product.JEUVEAU, Area.GLABELLAR, (20,), 5, 4),
    LabelDose(Product.DAXXIFY, Area.GLABELLAR, (40,), 5, 8, note="Effect lasts about 6 months"),
    LabelDose(Product.LETYBO, Area.GLABELLAR, (20,), 5, 4),
)


def label_areas(product: Product) -> tuple[Area, ...]:
    return tuple(d.area for d in LABEL_DOSES if d.product == product)


def label_dose(product: Product, area: Area) -> LabelDose | None:
    return next((d for d in LABEL_DOSES if d.product == product and d.area == area), None)


def off_label_areas(product: Product) -> tuple[Area | OffLabelArea, ...]:
    """Where this product may be used off-label: the label areas of other products that are not
    on its own label (Dysport's crow's feet), and the areas on no label."""
    own = set(label_areas(product))
    return (*(a for a in Area if a not in own), *OffLabelArea)


@dataclass(frozen=True)
class MedicationGuide:
    """The FDA Medication Guide a patient is given before a product is injected, by the date
    of revision printed at its end. `verify`: the revision was not seen in our sources; the
    clinic writes the one on the guides it hands out."""

    product: Product
    revised: str
    verify: bool = False

    @property
    def version(self) -> str:
        return f"{self.product.label} Medication Guide, revised {self.revised}"


def gettext_noop(message: str) -> str:
    """Marks words for the Spanish catalogue (makemessages reads the name); pure: the page
    that shows them translates them."""
    return message


AS_PRINTED = gettext_noop("as printed (to verify)")
# BOTOX Cosmetic's guide goes with its label of 2024-10 (CLINICAL.md); the others to verify.
MEDICATION_GUIDES: dict[Product, MedicationGuide] = {
    Product.BOTOX_COSMETIC: MedicationGuide(Product.BOTOX_COSMETIC, "10/2024"),
    Product.DYSPORT: MedicationGuide(Product.DYSPORT, AS_PRINTED, verify=True),
    Product.XEOMIN: MedicationGuide(Product.XEOMIN, AS_PRINTED, verify=True),
    Product.JEUVEAU: MedicationGuide(Product.JEUVEAU, AS_PRINTED, verify=True),
    Product.DAXXIFY: MedicationGuide(Product.DAXXIFY, AS_PRINTED, verify=True),
    Product.LETYBO: MedicationGuide(Product.LETYBO, AS_PRINTED, verify=True),
}


def product_name(value: str) -> str:
    """A stored product key as its label names it ("BOTOX Cosmetic (onabotulinumtoxinA)")."""
    try:
        return PRODUCT_NAMES[Product(value)]
    except ValueError:
        return value
