"""The clinic's local code systems, published as CodeSystem resources under the API: the facial
areas of the chart (`facial-area`) and the Facial Wrinkle Scale's two states
(`facial-wrinkle-scale`).

`facial-area` has one concept per chart area (`catalogue.areas.ChartArea`), its code the chart's
own key: display the clinical term, designations the plain name in English and Spanish (and the
Spanish clinical term). Crow's feet are charted per side: `lateral_canthal` is both sides as one
(as the labels and the wrinkle grades count them), its two sides part of it, each with its SNOMED CT
laterality (CLINICAL.md). Not patient data: any signed-in reader may read them.
"""

from __future__ import annotations

from glabella.catalogue.areas import NAMES, NAMES_ES, ChartArea, any_area_name
from glabella.core import brand
from glabella.fhir import codes
from glabella.fhir.registry import ResourceType, SearchParam, register

PUBLISHED = "2026-12-02"  # when these code systems last changed
VERSION = "1"
SYNONYM = {"system": codes.SNOMED, "code": "900000000000013009", "display": "Synonym"}
LEFT = {"system": codes.SNOMED, "code": "7771000", "display": "Left"}
RIGHT = {"system": codes.SNOMED, "code": "24028007", "display": "Right"}
LATERALITY = {
    ChartArea.LATERAL_CANTHAL_LEFT: LEFT,
    ChartArea.LATERAL_CANTHAL_RIGHT: RIGHT,
}
BOTH_SIDES = "lateral_canthal"  # the parent of the two sides: not a chart area of its own


def _capital(words: str) -> str:
    return words[:1].upper() + words[1:]


def _term(key: str) -> str:
    """An area's clinical term ("Lateral canthal"); its plain name where it has none."""
    name = NAMES[key]
    return _capital(name.term) if name.term else name.plain


def display(area: str) -> str:
    """The concept's display: the clinical term, with the side for crow's feet."""
    if area == ChartArea.LATERAL_CANTHAL_LEFT:
        return f"{_term(BOTH_SIDES)}, patient's left"
    if area == ChartArea.LATERAL_CANTHAL_RIGHT:
        return f"{_term(BOTH_SIDES)}, patient's right"
    return _term(area) if area in NAMES else area


def plain(area: str, lang: str = "en") -> str:
    """What a patient calls it ("Crow's feet, patient's left"), never marked off-label."""
    if area in LATERALITY:
        return any_area_name(area, lang)
    table = NAMES_ES if lang == "es" else NAMES
    return table[area].plain if area in table else area


def coding(area: str) -> dict:
    return {"system": codes.local_system("facial-area"), "code": area, "display": display(area)}


def concept(area: str) -> dict:
    """A CodeableConcept for an area (a chart area, or crow's feet both sides as one), with its
    words: the clinical term and the plain name."""
    text = display(area)
    if plain(area) != text:
        text = f"{plain(area)} ({text})"
    return {"coding": [coding(area)], "text": text}


def _concept(area: str) -> dict:
    designations = [
        {"language": "en", "use": SYNONYM, "value": plain(area)},
        {"language": "es", "use": SYNONYM, "value": plain(area, "es")},
    ]
    base = BOTH_SIDES if area in LATERALITY else area
    if NAMES_ES.get(base) and NAMES_ES[base].term:
        spanish_term = _capital(NAMES_ES[base].term)
        if area in LATERALITY:
            side = "lado izquierdo" if area == ChartArea.LATERAL_CANTHAL_LEFT else "lado derecho"
            spanish_term = f"{spanish_term}, {side}"
        designations.append({"language": "es", "use": SYNONYM, "value": spanish_term})
    entry = {"code": str(area), "display": display(area), "designation": designations}
    properties = []
    if area in LATERALITY:
        properties.append({"code": "laterality", "valueCoding": LATERALITY[area]})
    if area != BOTH_SIDES and area in set(ChartArea):
        properties.append({"code": "off-label", "valueBoolean": ChartArea(area).off_label})
    if properties:
        entry["property"] = properties
    return entry


def _area_concepts() -> list[dict]:
    concepts = []
    for area in ChartArea:
        if area == ChartArea.LATERAL_CANTHAL_RIGHT:
            continue  # with its left side, under both sides as one
        if area == ChartArea.LATERAL_CANTHAL_LEFT:
            parent = _concept(BOTH_SIDES)
            parent["concept"] = [
                _concept(ChartArea.LATERAL_CANTHAL_LEFT),
                _concept(ChartArea.LATERAL_CANTHAL_RIGHT),
            ]
            concepts.append(parent)
            continue
        concepts.append(_concept(area))
    return concepts


def _count(concepts: list[dict]) -> int:
    return sum(1 + _count(c.get("concept", [])) for c in concepts)


def _code_system(name: str, title: str, description: str, concepts: list[dict], **more) -> dict:
    return {
        "resourceType": "CodeSystem",
        "id": name,
        "url": codes.local_system(name),
        "version": VERSION,
        "name": "".join(part.capitalize() for part in name.split("-")),
        "title": title,
        "status": "active",
        "experimental": False,
        "date": PUBLISHED,
        "publisher": brand.current().name,
        "description": description,
        "caseSensitive": True,
        "content": "complete",
        "count": _count(concepts),
        **more,
        "concept": concepts,
    }


def facial_area() -> dict:
    return _code_system(
        "facial-area",
        "Facial areas treated with neuromodulators",
        "The areas of the face and neck on the clinic's treatment chart. Crow's feet are "
        "charted per side; lateral_canthal is both sides as one, as the labels give its dose.",
        _area_concepts(),
        hierarchyMeaning="part-of",
        property=[
            {
                "code": "laterality",
                "description": "The side of the face (SNOMED CT laterality qualifier).",
                "type": "Coding",
            },
            {
                "code": "off-label",
                "description": "On no US label of the neuromodulators the clinic uses.",
                "type": "boolean",
            },
        ],
    )


# The Facial Wrinkle Scale (Allergan): 0 none, 1 mild, 2 moderate, 3 severe (CLINICAL.md).
GRADE_WORDS = "0 none, 1 mild, 2 moderate, 3 severe"
WRINKLE_STATES = {
    "rest": "Facial Wrinkle Scale grade at rest",
    "contraction": "Facial Wrinkle Scale grade at maximum contraction",
}


def wrinkle_coding(state: str) -> dict:
    return {
        "system": codes.local_system("facial-wrinkle-scale"),
        "code": state,
        "display": WRINKLE_STATES[state],
    }


def facial_wrinkle_scale() -> dict:
    return _code_system(
        "facial-wrinkle-scale",
        "Facial Wrinkle Scale grades",
        "What a wrinkle grade observes: the line at rest or at maximum contraction (frown, "
        f"smile, brow raise), graded on the Allergan Facial Wrinkle Scale: {GRADE_WORDS}.",
        [
            {
                "code": state,
                "display": words,
                "definition": f"{words}, a whole number: {GRADE_WORDS}.",
            }
            for state, words in WRINKLE_STATES.items()
        ],
    )


SYSTEMS = {"facial-area": facial_area, "facial-wrinkle-scale": facial_wrinkle_scale}


def find(actor, resource_id: str) -> dict | None:
    made = SYSTEMS.get(resource_id)
    return made() if made else None


def listing(actor, params: dict) -> list[dict]:
    found = [made() for made in SYSTEMS.values()]
    for value in params.get("_id", []):
        ids = {v.strip() for v in value.split(",")}
        found = [r for r in found if r["id"] in ids]
    for value in params.get("url", []):
        found = [r for r in found if r["url"] == value.strip()]
    return found


def _unused(rows, value):  # listing answers `url` itself
    return rows


register(
    ResourceType(
        name="CodeSystem",
        build=lambda row: row,
        find=find,
        listing=listing,
        searches={"url": SearchParam("uri", "Its canonical URL.", _unused)},
        documentation="The clinic's local code systems: the facial areas of the chart and the "
        "Facial Wrinkle Scale. Readable by any signed-in reader; not patient data.",
        exported=False,
    )
)
