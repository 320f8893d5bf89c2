"""Adverse events: a clinician's record, and its export shaped like FDA MedWatch Form 3500 (the
voluntary form), as JSON and PDF. The patient is identified by initials and an id, never by name,
with the age at the event or the date of birth (one, as the clinic chooses); everything the
treatment record knows (product, strength, dose, areas, dates, lot, expiry, NDC, the injector) is
filled from it, the product's availability from its vial's state now, and the other relevant
history from the patient's record unless the clinician kept their own lines.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils import formats, timezone

from glabella.aftercare import form3500
from glabella.aftercare.models import AdverseEvent, Report
from glabella.aftercare.signals import adverse_event_recorded
from glabella.aftercare.symptoms import BY_CODE
from glabella.catalogue.areas import both_sides
from glabella.catalogue.labels import LABELS
from glabella.catalogue.products import Product
from glabella.clinic.clock import clinic_zone
from glabella.core import audit, phones
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Forbidden, ValidationFailed
from glabella.core.pdf import Pages
from glabella.core.roles import Capability
from glabella.inventory.models import Vial
from glabella.screening.intake import latest_intake

FDA_LINE = "FDA MedWatch: 1-800-FDA-1088, or online at www.fda.gov/medwatch"
SOURCES = {"check-in", "call", "visit"}


def open_event(actor: Actor, treatment, data: dict, *, report: Report | None = None, now=None):
    if actor.staff is None or not actor.can(Capability.CHANGE_CLINICAL):
        raise Forbidden("Only a clinician records an adverse event.")
    now = now or timezone.now()
    zone = clinic_zone(treatment.patient)
    treated_on = (treatment.locked_at or treatment.created_at).astimezone(zone).date()
    errors: dict[str, list[str]] = {}
    description = " ".join(str(data.get("description") or "").split())
    if not 10 <= len(description) <= 4000:
        errors["description"] = ["Describe the event in 10 to 4000 characters."]
    onset = data.get("onset_on")
    if isinstance(onset, str):
        try:
            onset = date.fromisoformat(onset)
        except ValueError:
            onset = None
    if not isinstance(onset, date):
        errors["onset_on"] = ["Give the day it began, as YYYY-MM-DD."]
    elif onset > now.astimezone(zone).date():
        errors["onset_on"] = ["This date is in the future."]
    elif onset < treated_on:
        errors["onset_on"] = ["This is before the treatment; an event after it is recorded here."]
    causality = data.get("causality")
    if causality not in AdverseEvent.Causality.values:
        errors["causality"] = ["Choose how likely the treatment caused it."]
    source = data.get("source")
    if source not in SOURCES:
        errors["source"] = ["Say where it came from: a check-in, a call or a visit."]
    weight = data.get("weight_kg")
    if weight not in (None, ""):
        try:
            weight = Decimal(str(weight))
            if not weight.is_finite() or not 2 <= weight <= 400:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors["weight_kg"] = ["Give the weight in kg, 2 to 400, or leave it empty."]
    else:
        weight = None
    resolved = data.get("resolved")
    if resolved not in (None, True, False):
        errors["resolved"] = ["Answer yes, no or not yet known."]
    if report is not None and report.patient_id != treatment.patient_id:
        errors["report"] = ["That report is another patient's."]
    form, form_errors = form3500.check(
        data,
        onset=onset if "onset_on" not in errors else None,
        treated_on=treated_on,
        birth_date=treatment.patient.birth_date,
        today=now.astimezone(zone).date(),
    )
    errors.update(form_errors)
    if errors:
        raise ValidationFailed(errors)
    if "relevant_history" not in form:
        # Not given: the record's history as it stands today, kept with the event.
        form["relevant_history"] = record_history(treatment.patient)
    with write_transaction():
        event = AdverseEvent.objects.create(
            patient=treatment.patient,
            treatment=treatment,
            report=report,
            source=source,
            description=description,
            onset_on=onset,
            resolved=resolved,
            causality=causality,
            weight_kg=weight,
            reporter=actor.staff,
            created_at=now,
            **form,
        )
        audit.record_patient(
            actor,
            audit.Action.CREATE,
            treatment.patient,
            object_type=audit.Kind.ADVERSE_EVENT,
            object_id=event.public_id,
        )
        adverse_event_recorded.send(AdverseEvent, event=event, now=now)
    return event


# What a follow-up may change: what becomes known after the event was recorded.
FOLLOW_UP = (
    "outcomes",
    "died_on",
    "relevant_tests",
    "relevant_history",
    "dechallenge",
    "rechallenge",
    "product_returned_on",
    "resolved",
)


def revise_event(actor: Actor, event: AdverseEvent, data: dict, *, now=None) -> AdverseEvent:
    """A follow-up: the fields given replace the event's (outcomes, the date of death, tests,
    history, dechallenge, rechallenge, the product's return, resolved), checked as on recording;
    the rest stay. Nothing changes when one field is wrong."""
    if actor.staff is None or not actor.can(Capability.CHANGE_CLINICAL):
        raise Forbidden("Only a clinician follows up an adverse event.")
    now = now or timezone.now()
    zone = clinic_zone(event.patient)
    treatment = event.treatment
    unknown = sorted(set(data) - set(FOLLOW_UP))
    if unknown:
        raise ValidationFailed({k: ["This is not changed in a follow-up."] for k in unknown})
    current = {name: getattr(event, name) for name in FOLLOW_UP}
    form, errors = form3500.check(
        current | data,
        onset=event.onset_on,
        treated_on=(treatment.locked_at or treatment.created_at).astimezone(zone).date(),
        birth_date=event.patient.birth_date,
        today=now.astimezone(zone).date(),
    )
    resolved = data.get("resolved", event.resolved)
    if resolved not in (None, True, False):
        errors["resolved"] = ["Answer yes, no or not yet known."]
    if errors:
        raise ValidationFailed(errors)
    form["resolved"] = resolved
    changed = {k: form[k] for k in data if k in form and form[k] != current[k]}
    if not changed:
        return event
    with write_transaction():
        _save_with_history(actor, event, changed)
        audit.record_patient(
            actor,
            audit.Action.UPDATE,
            event.patient,
            object_type=audit.Kind.ADVERSE_EVENT,
            object_id=event.public_id,
            detail={"follow_up": sorted(changed)},
        )
    event.refresh_from_db()
    return event


def record_facts(patient) -> form3500.RecordFacts:
    """What the patient's record holds that section B7 asks about."""
    intake = latest_intake(patient)
    answers = intake.answers if intake else {}
    zone = clinic_zone(patient)
    return form3500.RecordFacts(
        allergies=tuple(
            (a.name, a.reaction, a.get_severity_display() if a.severity != "unknown" else "")
            for a in patient.allergies.filter(active=True)
        ),
        conditions=tuple((c.name, c.since) for c in patient.conditions.filter(active=True)),
        pregnancy=(
            (patient.get_pregnancy_status_display(), patient.pregnancy_recorded_on)
            if patient.pregnancy_status not in ("unknown", "not_applicable")
            else None
        ),
        breastfeeding=(
            (patient.get_breastfeeding_status_display(), patient.breastfeeding_recorded_on)
            if patient.breastfeeding_status not in ("unknown", "not_applicable")
            else None
        ),
        intake_on=intake.submitted_at.astimezone(zone).date() if intake else None,
        intake_answers=answers.get("answers") or {},
        recent_toxin=tuple(
            (str(t.get("product") or ""), str(t.get("date") or ""), str(t.get("purpose") or ""))
            for t in answers.get("recent_toxin") or []
            if isinstance(t, dict)
        ),
    )


def record_history(patient) -> list[str]:
    """B7's lines from the patient's record as it stands."""
    return form3500.history_from(record_facts(patient))


def draft(treatment, report: Report | None) -> dict:
    """The adverse event form's starting values: from the check-in report when there is one,
    with B7's history from the patient's record to edit."""
    start = draft_from(report) if report else {"source": "call", "outcomes": []}
    return start | {
        "relevant_history": "\n".join(record_history(treatment.patient)),
        "relevant_tests": [],
    }


def follow_up_values(event: AdverseEvent) -> dict:
    """The follow-up form's starting values: the event as recorded."""
    history = event.relevant_history
    if history is None:
        history = record_history(event.patient)
    return {
        "outcomes": event.outcomes,
        "died_on": event.died_on.isoformat() if event.died_on else "",
        "relevant_tests": event.relevant_tests,
        "relevant_history": "\n".join(history),
        "dechallenge": event.dechallenge,
        "rechallenge": event.rechallenge,
        "product_returned_on": (
            event.product_returned_on.isoformat() if event.product_returned_on else ""
        ),
        "resolved": {True: "yes", False: "no"}.get(event.resolved, ""),
    }


def draft_from(report: Report) -> dict:
    """An adverse event form's starting values from the patient's check-in report."""
    said = [BY_CODE[c].label for c in report.symptoms if c in BY_CODE]
    parts = []
    if said:
        severity = report.severity or "severity not given"
        parts.append(f"Reported {', '.join(said).lower()} ({severity})")
    if report.free_text:
        parts.append(f"in the patient's words: \u201c{report.free_text}\u201d")
    return {
        "description": "; ".join(parts) + ("." if parts else ""),
        "onset_on": (
            report.started_on or report.submitted_at.astimezone(clinic_zone(report.patient)).date()
        ).isoformat(),
        "source": "check-in",
        "outcomes": [],
    }


def mark_reported(actor: Actor, event: AdverseEvent, to: str, on: date) -> AdverseEvent:
    if not actor.can(Capability.CHANGE_CLINICAL):
        raise Forbidden("Only a clinician records that a report was sent.")
    if to not in ("fda", "maker"):
        raise ValidationFailed({"to": ["Say whom it was reported to: the FDA or the maker."]})
    today = timezone.now().astimezone(clinic_zone(event.patient)).date()
    if not isinstance(on, date) or on > today:
        raise ValidationFailed({"on": ["Give the day it was sent (today or earlier)."]})
    if on < event.onset_on:
        raise ValidationFailed({"on": ["This is before the event began."]})
    field = "reported_to_fda_on" if to == "fda" else "reported_to_maker_on"
    with write_transaction():
        _save_with_history(actor, event, {field: on})
        audit.record_patient(
            actor,
            audit.Action.UPDATE,
            event.patient,
            object_type=audit.Kind.ADVERSE_EVENT,
            object_id=event.public_id,
            detail={"reported": to},
        )
    event.refresh_from_db()
    return event


def maker_line(product: Product) -> str:
    """Whom to call at the maker: the clinic's configured line, else the one on file, else where
    to find it."""
    label = LABELS[product]
    line = settings.MAKER_REPORT_LINES.get(product.value) or label.maker_line
    if not line:
        return (
            f"{label.maker or label.name}: the line under 'To report SUSPECTED ADVERSE "
            "REACTIONS' in the label's highlights"
        )
    checked = product.value in settings.MAKER_REPORT_LINES or "maker_line" not in label.verify
    return f"{label.maker}: {line}" + ("" if checked else " (check it against your label)")


def _initials(patient) -> str:
    return "".join(
        f"{part[0].upper()}." for part in (patient.given_name, patient.family_name) if part
    )


def availability(event: AdverseEvent, now) -> form3500.Availability:
    """Section C from the vial used and the other vials of its lot, as stock holds them now
    (read afresh: a vial's state moves on after the treatment)."""
    vial_id = event.treatment.vial_id
    lot = Vial.objects.filter(pk=vial_id).values_list("lot_id", "lot__lot_number").first()
    vials = list(Vial.objects.filter(lot_id=lot[0])) if lot else []

    def seen(v) -> form3500.VialNow:
        return form3500.VialNow(v.number, v.state, v.units_left, v.discard_by)

    return form3500.product_availability(
        next((seen(v) for v in vials if v.pk == vial_id), None),
        [seen(v) for v in vials if v.pk != vial_id],
        lot_number=lot[1] if lot else "",
        returned_on=event.product_returned_on,
        now=now,
    )


def _challenge(value: str) -> str | None:
    return form3500.CHALLENGE_LABELS[form3500.Challenge(value)] if value else None


def export(event: AdverseEvent, *, now=None) -> dict:
    """The event in the sections of Form 3500, filled from the record."""
    now = now or timezone.now()
    treatment = event.treatment
    patient = event.patient
    vial = treatment.vial
    lot = vial.lot if vial else None
    product = Product(treatment.product)
    label = LABELS[product]
    points = list(treatment.points.all())
    areas: dict[str, str] = {}
    for p in points:
        key = both_sides(p.area).replace("_", " ")
        areas[key] = f"{(Decimal(areas.get(key, '0').split()[0]) + p.units).normalize():f} U"
    total = sum((p.units for p in points), Decimal(0))
    zone = clinic_zone(patient)
    treated = (treatment.locked_at or treatment.created_at).astimezone(zone)
    location = treatment.appointment.location
    meds = list(patient.medications.filter(active=True).values_list("name", "dose"))
    history = (
        event.relevant_history if event.relevant_history is not None else record_history(patient)
    )
    available = availability(event, now)
    return {
        "form": "FDA MedWatch Form 3500 (voluntary), prepared by glabella",
        "report_id": str(event.public_id),
        "A_patient": {
            "identifier": f"{_initials(patient)} ({str(patient.public_id)[:8]})",
            **form3500.age_or_birth(
                patient.birth_date,
                event.onset_on,
                form3500.AgeOrBirth(settings.MEDWATCH_AGE_OR_BIRTH_DATE),
            ),
            "sex": patient.get_sex_display(),
            "weight_kg": str(event.weight_kg) if event.weight_kg is not None else None,
        },
        "B_event": {
            "outcomes": [AdverseEvent.Outcome(o).label for o in event.outcomes],
            "date_of_death": event.died_on.isoformat() if event.died_on else None,
            "date_of_event": event.onset_on.isoformat(),
            "date_of_this_report": now.astimezone(zone).date().isoformat(),
            "description": event.description,
            "relevant_tests": [
                t["test"]
                + (f": {t['result']}" if t.get("result") else "")
                + f" ({t['on'] or 'date not given'})"
                for t in event.relevant_tests
            ],
            "relevant_history": history,
            "resolved": event.resolved,
            "causality": event.get_causality_display(),
            "source": event.source,
        },
        "C_product_availability": {
            "available_for_evaluation": available.label,
            "returned_to_manufacturer_on": (
                event.product_returned_on.isoformat() if event.product_returned_on else None
            ),
            "detail": available.detail,
        },
        "D_suspect_product": {
            "name": label.name,
            "generic": label.generic,
            "manufacturer": label.maker,
            "strength": (
                f"{vial.units_total.normalize():f} U vial"
                + (
                    f", {vial.units_per_01ml.normalize():f} U per 0.1 mL"
                    if vial.units_per_01ml
                    else ""
                )
            )
            if vial
            else None,
            "dose_total_units": f"{total.normalize():f}",
            "dose_by_area": areas,
            "route": "Intramuscular injection",
            "date_of_use": treated.date().isoformat(),
            "reason_for_use": "Cosmetic: " + ", ".join(areas),
            "lot": lot.lot_number if lot else None,
            "expiry": lot.expires_on.isoformat() if lot else None,
            "ndc": lot.ndc if lot else None,
            "injector": str(treatment.injector),
            "event_abated_after_use_stopped_or_dose_reduced": _challenge(event.dechallenge),
            "event_reappeared_after_reintroduction": _challenge(event.rechallenge),
        },
        "F_concomitant_products": [f"{name} {dose}".strip() for name, dose in meds],
        "G_reporter": {
            "name": event.reporter.full_name,
            "credential": event.reporter.credential,
            "facility": f"{location.organisation.name}, {location.address_line1}, "
            f"{location.city}, {location.state} {location.postal_code}",
            "phone": location.phone,
        },
        "reporting_lines": {"fda": FDA_LINE, "manufacturer": maker_line(product)},
        "reported": {
            "to_fda_on": event.reported_to_fda_on.isoformat() if event.reported_to_fda_on else None,
            "to_maker_on": (
                event.reported_to_maker_on.isoformat() if event.reported_to_maker_on else None
            ),
        },
    }


SECTIONS = (
    ("A_patient", "A. Patient information"),
    ("B_event", "B. Adverse event"),
    ("C_product_availability", "C. Product availability"),
    ("D_suspect_product", "D. Suspect product"),
    ("F_concomitant_products", "F. Other (concomitant) medical products"),
    ("G_reporter", "G. Reporter"),
    ("reporting_lines", "Where to report"),
    ("reported", "Reported"),
)


def _words(value) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k} {v}" for k, v in value.items()) or "-"
    if isinstance(value, list):
        return "; ".join(_words(v) for v in value) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and _E164.fullmatch(value):
        return phones.display(value)
    if isinstance(value, str):  # the export's ISO days, as a person reads them
        return _ISO_DAY.sub(
            lambda m: formats.date_format(date.fromisoformat(m.group(0)), "DATE_FORMAT"), value
        )
    return "-" if value in (None, "") else str(value)


_ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_E164 = re.compile(r"\+\d{8,15}")


# Where a key read as words would not do (initialisms, units, who).
NAMES = {
    "age_at_event": "Age at the event",
    "weight_kg": "Weight (kg)",
    "dose_total_units": "Total dose (units)",
    "ndc": "NDC",
    "fda": "FDA",
    "source": "Came to us by",
    "to_fda_on": "To the FDA on",
    "to_maker_on": "To the manufacturer on",
}


def sections(data: dict) -> list[tuple[str, list[tuple[str, str]]]]:
    """The export as the form reads: each section's title and its lines (label, words)."""
    shown = []
    for key, title in SECTIONS:
        values = dict(data[key]) if isinstance(data[key], dict) else {"products": data[key]}
        if "age_unit" in values:  # one line: "40 years"
            values["age_at_event"] = f"{values['age_at_event']} {values.pop('age_unit')}"
        lines = [
            (NAMES.get(name, name.replace("_", " ").capitalize()), _words(value))
            for name, value in values.items()
        ]
        shown.append((title, lines))
    return shown


def export_pdf(event: AdverseEvent, *, now=None) -> bytes:
    now = now or timezone.now()
    data = export(event, now=now)
    pages = Pages("MedWatch 3500 draft", f"Adverse event {data['report_id']}", created=now)
    pages.text(data["form"], font="F2", size=13, gap=6)
    for title, lines in sections(data):
        pages.text(title, font="F2", size=11, gap=2)
        for name, words in lines:
            pages.text(f"{name}: {words}", size=9.5)
        pages.y -= 6
    return pages.bytes()


def _save_with_history(actor: Actor, event: AdverseEvent, changed: dict) -> None:
    """Writes the changed fields with a save, not a queryset update, so the change history keeps
    the old and new values and who made the change (decision 0024)."""
    current = AdverseEvent.objects.select_for_update().get(pk=event.pk)
    for name, value in changed.items():
        setattr(current, name, value)
    current._history_user = actor.saved_user
    current.save(update_fields=list(changed))
