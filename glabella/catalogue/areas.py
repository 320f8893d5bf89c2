"""The areas of the face and neck glabella knows, and their names in people's words: one table.

Three views of the same areas: the label areas (`Area`, as the US labels name them), the areas on
no label (`OffLabelArea`), and the face chart's (`ChartArea`, crow's feet per side). Every page,
message and record names an area from `NAMES`, in one of three forms: plain ("Crow's feet"), full
with the clinical term ("Crow's feet (lateral canthal)"), or on the chart (plain, per side,
marked off-label). Pure data: no database. The names are kept in English (`NAMES`) and in
US-Latino Spanish (`NAMES_ES`, issue 21); `any_area_name` and `plain_name` take the language.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class AreaName:
    plain: str  # what a patient calls it
    term: str = ""  # the clinical term, where it says more

    @property
    def full(self) -> str:
        return f"{self.plain} ({self.term})" if self.term else self.plain


# Keyed by the label's and the chart's values (crow's feet for both sides together).
NAMES: dict[str, AreaName] = {
    "glabellar": AreaName("Frown lines between the brows", "glabellar"),
    "forehead": AreaName("Forehead lines"),
    "lateral_canthal": AreaName("Crow's feet", "lateral canthal"),
    "platysma": AreaName("Neck bands", "platysma"),
    "nasalis": AreaName("Bunny lines", "nasalis"),
    "perioral": AreaName("Lip lines", "perioral"),
    "dao": AreaName("Corners of the mouth", "depressor anguli oris"),
    "mentalis": AreaName("Chin dimpling", "mentalis"),
    "masseter": AreaName("Jaw", "masseter"),
    "lateral_brow": AreaName("Brow lift", "lateral brow"),
    "other": AreaName("Another area"),
}

NAMES_ES: dict[str, AreaName] = {
    "glabellar": AreaName("Líneas del entrecejo", "glabelar"),
    "forehead": AreaName("Líneas de la frente"),
    "lateral_canthal": AreaName("Patas de gallo", "cantal lateral"),
    "platysma": AreaName("Bandas del cuello", "platisma"),
    "nasalis": AreaName("Arrugas de la nariz", "nasal"),
    "perioral": AreaName("Líneas alrededor de los labios", "perioral"),
    "dao": AreaName("Comisuras de la boca", "depresor del ángulo de la boca"),
    "mentalis": AreaName("Barbilla con hoyuelos", "mentoniano"),
    "masseter": AreaName("Mandíbula", "masetero"),
    "lateral_brow": AreaName("Elevación de la ceja", "ceja lateral"),
    "other": AreaName("Otra área"),
}
# The chart's words around an area's name, per language.
_SIDES = {
    "en": ("{name}, patient's right", "{name}, patient's left", "{name}, off-label"),
    "es": ("{name}, lado derecho", "{name}, lado izquierdo", "{name}, fuera de indicación"),
}


def names(lang: str = "en") -> dict[str, AreaName]:
    """The table of names in `lang` (English for a language we do not speak)."""
    return NAMES_ES if lang == "es" else NAMES


class Area(StrEnum):
    """Treatment areas named on the labels."""

    GLABELLAR = "glabellar"
    LATERAL_CANTHAL = "lateral_canthal"
    FOREHEAD = "forehead"
    PLATYSMA = "platysma"

    @property
    def label(self) -> str:
        return AREA_NAMES[self]


class OffLabelArea(StrEnum):
    """Areas on no neuromodulator's US label. A prescriber may still decide to treat one, as an
    off-label line of a candidacy decision with its rationale; the values are the face chart's
    (`ChartArea`)."""

    NASALIS = "nasalis"
    PERIORAL = "perioral"
    DAO = "dao"
    MENTALIS = "mentalis"
    MASSETER = "masseter"
    LATERAL_BROW = "lateral_brow"
    OTHER = "other"

    @property
    def label(self) -> str:
        return OFF_LABEL_NAMES[self]


class ChartArea(StrEnum):
    """Where a point goes on the face chart. Lateral canthal lines are charted per side; the
    label's dose is for both sides together."""

    GLABELLAR = "glabellar"
    FOREHEAD = "forehead"
    LATERAL_CANTHAL_LEFT = "lateral_canthal_left"
    LATERAL_CANTHAL_RIGHT = "lateral_canthal_right"
    PLATYSMA = "platysma"
    # Off-label for every product here: allowed, and marked as such.
    NASALIS = "nasalis"  # "bunny lines"
    PERIORAL = "perioral"  # lip lines, "lip flip"
    DAO = "dao"  # depressor anguli oris, the corners of the mouth
    MENTALIS = "mentalis"  # chin dimpling
    MASSETER = "masseter"
    LATERAL_BROW = "lateral_brow"  # brow lift
    OTHER = "other"

    @property
    def label_area(self) -> Area | None:
        return LABEL_AREA_OF.get(self)

    @property
    def off_label(self) -> bool:
        return self.label_area is None


LABEL_AREA_OF = {
    ChartArea.GLABELLAR: Area.GLABELLAR,
    ChartArea.FOREHEAD: Area.FOREHEAD,
    ChartArea.LATERAL_CANTHAL_LEFT: Area.LATERAL_CANTHAL,
    ChartArea.LATERAL_CANTHAL_RIGHT: Area.LATERAL_CANTHAL,
    ChartArea.PLATYSMA: Area.PLATYSMA,
}


def both_sides(area: str) -> str:
    """A charted area with the two sides of the eyes as one, `lateral_canthal`, as the labels
    count crow's feet; every other area as it is."""
    return "lateral_canthal" if area.startswith("lateral_canthal") else area


def _chart_name(area: ChartArea, lang: str = "en") -> str:
    right, left, off = _SIDES["es" if lang == "es" else "en"]
    table = names(lang)
    if area is ChartArea.LATERAL_CANTHAL_RIGHT:
        return right.format(name=table["lateral_canthal"].plain)
    if area is ChartArea.LATERAL_CANTHAL_LEFT:
        return left.format(name=table["lateral_canthal"].plain)
    name = table[area.value].plain  # the chart's select stays narrow enough for a tablet
    return off.format(name=name) if area.off_label else name


AREA_NAMES: dict[Area, str] = {a: NAMES[a.value].full for a in Area}
OFF_LABEL_NAMES: dict[OffLabelArea, str] = {a: NAMES[a.value].full for a in OffLabelArea}
# Every area a decision line may name, with its words.
ALL_AREA_NAMES: dict[str, str] = {**AREA_NAMES, **OFF_LABEL_NAMES}
# The chart's areas as the injector picks them.
CHART_AREA_NAMES: dict[ChartArea, str] = {a: _chart_name(a) for a in ChartArea}
# The areas a clinic sets limits for and counts doses in: the chart's, both sides as one.
HOUSE_AREA_NAMES: dict[str, str] = {key: name.full for key, name in NAMES.items()}
# The areas a patient reads aftercare for, by their plain names ("another area" has none).
PLAIN_AREA_NAMES: dict[str, str] = {k: n.plain for k, n in NAMES.items() if k != "other"}


def area_name(value: str, lang: str = "en") -> str:
    """A label or off-label area with its clinical term ("Jaw (masseter)", "Mandíbula
    (masetero)"); an unknown key as it is."""
    if lang == "es":
        return NAMES_ES[value].full if value in NAMES_ES else value
    return ALL_AREA_NAMES.get(value, value)


def any_area_name(value: str, lang: str = "en") -> str:
    """Any stored area key in people's words: a chart area with its side, a label or off-label
    area, both sides of the eyes as one; an unknown key as it is (never expected)."""
    try:
        chart = ChartArea(value)
    except ValueError:
        chart = None
    if lang == "es":
        if chart is not None:
            return _chart_name(chart, "es")
        return NAMES_ES[value].full if value in NAMES_ES else value
    if chart is not None:
        return CHART_AREA_NAMES[chart]
    if value in ALL_AREA_NAMES:
        return ALL_AREA_NAMES[value]
    return HOUSE_AREA_NAMES.get(value, value)


def plain_name(value: str, lang: str = "en") -> str:
    """An area as a patient calls it, without the clinical term ("Crow's feet", "Patas de
    gallo"); both sides of the eyes as one."""
    entry = names(lang).get(both_sides(value))
    return entry.plain if entry else value
