"""A treatment as FHIR: the signed record as a Procedure, what was given in each area as a
MedicationAdministration (with its product, lot and expiry in a contained Medication), the
adverse events recorded against it, and the wrinkle grades as Observations.

Only signed records are served: a draft is the injector's working chart, nothing was drawn for
it and it may still change. An amendment is signed on its own and is its own Procedure, `partOf`
the one it amends, with the administrations of the points it adds. Every read goes through the
door of the model it comes from (treatment records, injection points, adverse events and grades
all need VIEW_CLINICAL; a patient reads her own): the lot and expiry come with the point drawn
for her, as the portal shows them on her own records, not through the stock ledger's rule.

Codes: those CLINICAL.md gives (SNOMED CT botulinum toxin type A and laterality, the HCPCS J
codes), the clinic's `facial-area` code system for the areas, SNOMED CT's intramuscular route,
and HL7's adverse-event code systems. CLINICAL.md gives no procedure code, so a Procedure's code is
its text, with the substance as `usedCode`. Units are the product's own (never International
Units, never converted between products): UCUM's annotation `{U}`.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from decimal import Decimal

from django.db.models import Min, Prefetch, Q

from glabella.aftercare.form3500 import OUTCOME_LABELS
from glabella.aftercare.models import AdverseEvent
from glabella.catalogue.areas import ChartArea
from glabella.catalogue.labels import LABELS
from glabella.catalogue.products import Product, product_name
from glabella.core.audit import Kind
from glabella.fhir import codes
from glabella.fhir.registry import ResourceType, register
from glabella.fhir.resources import areas
from glabella.fhir.server import instant
from glabella.outcomes.models import Score
from glabella.outcomes.scores import SCALE, Rater
from glabella.treatments.models import InjectionPoint, TreatmentRecord

UCUM = "http://unitsofmeasure.org"
UNITS = {"unit": "U", "system": UCUM, "code": "{U}"}
TOXIN = {
    "system": codes.SNOMED,
    "code": "108890005",
    "display": "Botulinum toxin type A (substance)",
}
INTRAMUSCULAR = {
    "coding": [{"system": codes.SNOMED, "code": "78421000", "display": "Intramuscular route"}],
    "text": "Intramuscular",
}
# HCPCS Level II codes of the products that have one (CLINICAL.md); the others go by name.
HCPCS = {
    Product.BOTOX_COSMETIC: "J0585",  # onabotulinumtoxinA, per unit
    Product.DYSPORT: "J0586",  # abobotulinumtoxinA, per 5 units
    Product.XEOMIN: "J0588",  # incobotulinumtoxinA, per unit
}
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
SERIOUSNESS = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
AE_OUTCOME = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
CAUSALITY = "http://terminology.hl7.org/CodeSystem/adverse-event-causality-assess"
CAUSALITY_CODES = {
    AdverseEvent.Causality.CERTAIN: ("certain", "Certain"),
    AdverseEvent.Causality.PROBABLE: ("probably-likely", "Probably/Likely"),
    AdverseEvent.Causality.POSSIBLE: ("possible", "Possible"),
    AdverseEvent.Causality.UNLIKELY: ("unlikely", "Unlikely"),
}
GIVEN = "MedicationAdministration"
AREA_ORDER = {area.value: n for n, area in enumerate(ChartArea)}


def practitioner(staff) -> dict:
    """A staff member as the Practitioner the API serves (its id is the staff's public id)."""
    return {**codes.reference("Practitioner", staff.public_id), "display": staff.full_name}


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _points(count: int) -> str:
    return f"{count} injection point{'' if count == 1 else 's'}"


# -- the areas of a record and their administrations -----------------------------------------


def _lot_of(point):
    if point.movement_id is not None:
        return point.movement.vial.lot
    record = point.record
    return record.vial.lot if record.vial_id else None


def _lot_key(point):
    return point.movement.vial.lot_id if point.movement_id is not None else None


def administrations(points) -> list[tuple[str, str, list]]:
    """A record's points as its administrations: per area (in the chart's order), per lot drawn
    (in the order of their first point): (id suffix, area, points). The suffix is the area's key
    with hyphens, and `-1`, `-2` after it only where the area's points came from several lots."""
    by_area: dict[str, dict] = defaultdict(dict)
    for point in sorted(points, key=lambda p: p.pk):
        by_area[point.area].setdefault(_lot_key(point), []).append(point)
    found = []
    for area in sorted(by_area, key=lambda a: AREA_ORDER.get(a, len(AREA_ORDER))):
        groups = list(by_area[area].values())
        slug = area.replace("_", "-")
        for n, group in enumerate(groups, start=1):
            found.append((slug if len(groups) == 1 else f"{slug}-{n}", area, group))
    return found


def administration_id(record, suffix: str) -> str:
    return f"{record.public_id}-{suffix}"


ADMINISTRATION_ID = f"takes an id such as {uuid.UUID(int=0)}-glabellar (a treatment's and an area)"


def _administration_filter(resource_id: str) -> Q:
    """The injection point that stands for an administration id, `<treatment id>-<area>` or
    `<treatment id>-<area>-<n>` (the first point of its area and lot)."""
    treatment, dash, rest = resource_id[:36], resource_id[36:37], resource_id[37:]
    try:
        parsed = uuid.UUID(treatment)
    except ValueError:
        raise ValueError(ADMINISTRATION_ID) from None
    if dash != "-" or not rest:
        raise ValueError(ADMINISTRATION_ID)
    head, _, tail = rest.rpartition("-")
    slug, n = (head, int(tail)) if tail.isdigit() and head else (rest, None)
    area = slug.replace("-", "_")
    if area not in AREA_ORDER:
        raise ValueError(ADMINISTRATION_ID)
    lots = list(
        InjectionPoint.objects.filter(record__public_id=parsed, area=area)
        .order_by()
        .values("movement__vial__lot")
        .annotate(first=Min("pk"))
        .order_by("first")
        .values_list("movement__vial__lot", flat=True)
    )
    if (n is None and len(lots) != 1) or (n is not None and not (len(lots) > 1 and n <= len(lots))):
        return Q(pk__in=[])
    lot = lots[(n or 1) - 1]
    where = Q(record__public_id=parsed, area=area)
    if lot is None:
        return where & Q(movement__isnull=True)
    return where & Q(movement__vial__lot=lot)


# -- Procedure -------------------------------------------------------------------------------

POINTS = Prefetch(
    "points",
    queryset=InjectionPoint.objects.select_related("movement__vial__lot").order_by("pk"),
)


def procedure(record: TreatmentRecord) -> dict:
    points = list(record.points.all())
    charted = sorted({p.area for p in points}, key=lambda a: AREA_ORDER.get(a, len(AREA_ORDER)))
    name = product_name(record.product)
    performers = [{"function": {"text": "Injector"}, "actor": practitioner(record.injector)}]
    if record.supervisor_id:
        supervisor = practitioner(record.supervisor)
        performers.append({"function": {"text": "Supervising prescriber"}, "actor": supervisor})
    resource = {
        "resourceType": "Procedure",
        "id": str(record.public_id),
        "status": "completed",
        "code": {"text": f"Botulinum toxin type A injection, {name}"},
        "subject": codes.reference("Patient", record.patient.public_id),
        "performedDateTime": instant(record.locked_at),
        "recorder": practitioner(record.injector),
        "performer": performers,
        "location": codes.reference("Location", record.appointment.location.public_id),
        "bodySite": [areas.concept(area) for area in charted],
        "usedCode": [{"coding": [TOXIN], "text": name}],
    }
    if record.amends_id:
        resource["partOf"] = [codes.reference("Procedure", record.amends.public_id)]
    total = sum((p.units for p in points), Decimal(0))
    notes = [f"{_number(total)} U of {name} in {_points(len(points))}."]
    notes += [text for text in (record.notes_before, record.notes_after) if text.strip()]
    resource["note"] = [{"text": text} for text in notes]
    return resource


def _procedures(actor):
    return (
        TreatmentRecord.objects.restrict(actor, "view")
        .filter(status=TreatmentRecord.Status.LOCKED)
        .select_related(
            "patient", "injector", "supervisor", "appointment__location", "amends", "vial__lot"
        )
        .prefetch_related(POINTS)
    )


register(
    ResourceType(
        name="Procedure",
        build=procedure,
        rows=_procedures,
        audit_kind=Kind.TREATMENT,
        patient="patient",
        date="locked_at",
        updated="locked_at",
        profile=f"{codes.US_CORE}/us-core-procedure",
        documentation="A signed treatment record (drafts are not served); an amendment is its "
        "own Procedure, partOf the record it amends. bodySite: each charted area.",
    )
)


# -- MedicationAdministration ----------------------------------------------------------------


def medication(product: str, lot) -> dict:
    """The product drawn, as a contained Medication: its HCPCS code and NDC where known, the
    substance, its maker, and the lot with its expiry."""
    coding = []
    if product in HCPCS:
        coding.append({"system": codes.HCPCS, "code": HCPCS[product]})
    if lot is not None and lot.ndc:
        coding.append({"system": codes.NDC, "code": lot.ndc})
    code = {"text": product_name(product)}
    if coding:
        code = {"coding": coding, **code}
    found = {
        "resourceType": "Medication",
        "id": "product",
        "code": code,
        "ingredient": [{"itemCodeableConcept": {"coding": [TOXIN]}, "isActive": True}],
    }
    label = LABELS.get(product)
    if label is not None and label.maker:
        found["manufacturer"] = {"display": label.maker}
    if lot is not None:
        found["batch"] = {"lotNumber": lot.lot_number, "expirationDate": lot.expires_on.isoformat()}
    return found


def administration(point: InjectionPoint) -> dict:
    """The administration that `point` stands for: every point of its record, area and lot."""
    record = point.record
    suffix, area, group = next(
        found for found in administrations(record.points.all()) if point in found[2]
    )
    units = sum((p.units for p in group), Decimal(0))
    return {
        "resourceType": "MedicationAdministration",
        "id": administration_id(record, suffix),
        "contained": [medication(record.product, _lot_of(point))],
        "status": "completed",
        "medicationReference": {"reference": "#product"},
        "subject": codes.reference("Patient", record.patient.public_id),
        "partOf": [codes.reference("Procedure", record.public_id)],
        "effectiveDateTime": instant(record.locked_at),
        "performer": [{"actor": practitioner(record.injector)}],
        "dosage": {
            "text": f"{_number(units)} U in {_points(len(group))}",
            "site": areas.concept(area),
            "route": INTRAMUSCULAR,
            "dose": {"value": _number(units), **UNITS},
        },
    }


def _administrations(actor):
    firsts = (
        InjectionPoint.objects.filter(record__status=TreatmentRecord.Status.LOCKED)
        .order_by()
        .values("record", "area", "movement__vial__lot")
        .annotate(first=Min("pk"))
        .values("first")
    )
    return (
        InjectionPoint.objects.restrict(actor, "view")
        .filter(pk__in=firsts)
        .select_related(
            "record__patient", "record__injector", "record__vial__lot", "movement__vial__lot"
        )
        .prefetch_related(
            Prefetch(
                "record__points",
                queryset=InjectionPoint.objects.select_related("movement__vial__lot").order_by(
                    "pk"
                ),
            )
        )
    )


register(
    ResourceType(
        name="MedicationAdministration",
        build=administration,
        rows=_administrations,
        by_id=_administration_filter,
        audit_kind=Kind.TREATMENT,
        patient="record__patient",
        date="record__locked_at",
        documentation="What a signed treatment gave in one area from one lot: units, site, "
        "route, and the product with its lot and expiry in a contained Medication. Its id is "
        "the treatment's id and the area (and a number where an area drew on several lots).",
    )
)


# -- AdverseEvent ----------------------------------------------------------------------------

# The gravest MedWatch box ticked decides the seriousness; all of them are in its text.
GRAVEST = ["death", "life_threatening", "hospitalisation", "disability", "congenital_anomaly"]
GRAVEST += ["intervention", "other_serious"]


def _seriousness(outcomes: list[str]) -> dict:
    ticked = [o for o in GRAVEST if o in outcomes]
    code, words = ("serious", "Serious") if ticked else ("non-serious", "Non-serious")
    text = "; ".join(OUTCOME_LABELS[o] for o in ticked) or OUTCOME_LABELS["none"]
    return {"coding": [{"system": SERIOUSNESS, "code": code, "display": words}], "text": text}


def _outcome(event: AdverseEvent) -> dict:
    if "death" in event.outcomes:
        code, words = "fatal", "Fatal"
    elif event.resolved is True:
        code, words = "resolved", "Resolved"
    elif event.resolved is False:
        code, words = "ongoing", "Ongoing"
    else:
        code, words = "unknown", "Unknown"
    return {"coding": [{"system": AE_OUTCOME, "code": code, "display": words}], "text": words}


def _causality(event: AdverseEvent) -> list[dict]:
    assessment = {"text": event.get_causality_display()}
    if event.causality in CAUSALITY_CODES:
        code, words = CAUSALITY_CODES[event.causality]
        assessment["coding"] = [{"system": CAUSALITY, "code": code, "display": words}]
    return [{"assessment": assessment, "author": practitioner(event.reporter)}]


def adverse_event(event: AdverseEvent) -> dict:
    treatment = event.treatment
    causality = _causality(event)
    if treatment.locked:
        suspects = [{"instance": codes.reference("Procedure", treatment.public_id)}]
        suspects += [
            {"instance": codes.reference(GIVEN, administration_id(treatment, s))}
            for s, _, _ in administrations(treatment.points.all())
        ]
    else:  # recorded against a chart never signed: the product, by name
        suspects = [{"instance": {"display": product_name(treatment.product)}}]
    for suspect in suspects:
        suspect["causality"] = causality
    detected = event.report.submitted_at if event.report_id else event.created_at
    resource = {
        "resourceType": "AdverseEvent",
        "id": str(event.public_id),
        "actuality": "actual",
        "event": {"text": event.description},
        "subject": codes.reference("Patient", event.patient.public_id),
        "date": event.onset_on.isoformat(),
        "detected": instant(detected),
        "recordedDate": instant(event.created_at),
        "location": codes.reference("Location", treatment.appointment.location.public_id),
        "seriousness": _seriousness(event.outcomes),
        "outcome": _outcome(event),
        "recorder": practitioner(event.reporter),
        "suspectEntity": suspects,
    }
    return resource


def _adverse_events(actor):
    return (
        AdverseEvent.objects.restrict(actor, "view")
        .select_related("patient", "reporter", "report", "treatment__appointment__location")
        .prefetch_related(
            Prefetch(
                "treatment__points",
                queryset=InjectionPoint.objects.select_related("movement__vial").order_by("pk"),
            )
        )
    )


register(
    ResourceType(
        name="AdverseEvent",
        build=adverse_event,
        rows=_adverse_events,
        audit_kind=Kind.ADVERSE_EVENT,
        patient="patient",
        date="onset_on",
        documentation="An adverse event a clinician recorded after a treatment (the MedWatch "
        "record): seriousness from the outcomes ticked, the treatment and what it gave as "
        "suspects with the clinician's causality.",
    )
)


# -- Observation: wrinkle grades -------------------------------------------------------------


def observation(score: Score) -> dict:
    by_patient = score.rater == Rater.PATIENT
    code = {"text": areas.WRINKLE_STATES[score.state]}
    if score.scale == SCALE:
        code["coding"] = [areas.wrinkle_coding(score.state)]
    else:
        code["text"] = f"{score.scale_version}, {score.state}"
    if by_patient:
        performers = [codes.reference("Patient", score.patient.public_id)]
    elif score.recorded_by_id:
        performers = [practitioner(score.recorded_by)]
    else:
        performers = []
    when = "baseline" if score.day <= 0 else f"day {score.day} after the treatment"
    resource = {
        "resourceType": "Observation",
        "id": str(score.public_id),
        "status": "final",
        "category": [
            {"coding": [{"system": CATEGORY, "code": "exam", "display": "Exam"}], "text": "Exam"}
        ],
        "code": code,
        "subject": codes.reference("Patient", score.patient.public_id),
        "effectiveDateTime": score.scored_on.isoformat(),
        "issued": instant(score.created_at),
        "valueInteger": score.grade,
        "method": {"text": "Graded by the patient" if by_patient else "Graded by the injector"},
        "bodySite": areas.concept(score.area),
        "note": [{"text": f"{score.scale_version}; {when}."}],
    }
    if performers:
        resource["performer"] = performers
    return resource


def _observations(actor):
    return Score.objects.restrict(actor, "view").select_related("patient", "recorded_by")


register(
    ResourceType(
        name="Observation",
        build=observation,
        rows=_observations,
        audit_kind=Kind.WRINKLE_GRADES,
        patient="patient",
        date="scored_on",
        updated="created_at",
        documentation="Wrinkle grades (Facial Wrinkle Scale, 0 to 3) at rest or at maximum "
        "contraction, by the injector or the patient, per area; never changed (a correction "
        "is a newer grade).",
    )
)
