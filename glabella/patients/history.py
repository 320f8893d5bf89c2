"""The patient's clinical history: allergies, conditions and medications, read and written with
their access-log rows; and what an intake adds to it.

Every write goes through here, whichever app asks (the intake of screening too), so a history entry
is validated and logged one way.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.http import Http404
from simple_history.utils import bulk_create_with_history

from glabella.clinic.clock import local_today
from glabella.core import audit
from glabella.core.access import Actor, get_restricted_or_404
from glabella.core.db import write_transaction
from glabella.core.errors import Forbidden, ValidationFailed
from glabella.core.roles import Capability
from glabella.core.text import fold
from glabella.patients.models import (
    CLINICAL_KINDS,
    CLINICAL_RULE,
    Allergy,
    BreastfeedingStatus,
    ClinicalEntry,
    Condition,
    Medication,
    Patient,
    PregnancyStatus,
)
from glabella.patients.services import (
    CONTROL_CHARACTERS_MESSAGE,
    open_patient,
    plain_text,
    require_capability,
    with_control_characters,
)

Action = audit.Action


def clinical_entries(actor: Actor, patient: Patient) -> dict[str, list]:
    """The patient's allergies, conditions and medications, with the read logged."""
    entries = {
        kind: list(model.objects.restrict(actor, "view").filter(patient=patient))
        for kind, model in CLINICAL_KINDS.items()
    }
    audit.record_patient(actor, Action.READ, patient, object_type=audit.Kind.CLINICAL_HISTORY)
    return entries


# The access-log word for each kind of clinical-history entry.
CLINICAL_ENTRY_KIND = {
    "allergy": audit.Kind.ALLERGY,
    "condition": audit.Kind.CONDITION,
    "medication": audit.Kind.MEDICATION,
}

CLINICAL_ENTRY_TEXT = {
    "allergy": ("name", "reaction", "notes"),
    "condition": ("name", "notes"),
    "medication": ("name", "dose", "notes"),
}


def add_clinical_entry(actor: Actor, patient: Patient, kind: str, data: dict):
    """Records an allergy, condition or medication for the patient."""
    require_capability(actor, Capability.CHANGE_CLINICAL, "record clinical history")
    if kind not in CLINICAL_KINDS:
        raise ValidationFailed({"kind": ["Choose allergy, condition or medication."]})
    model = CLINICAL_KINDS[kind]
    errors: dict[str, list[str]] = {}
    values: dict = {}
    limits = {name: model._meta.get_field(name).max_length for name in CLINICAL_ENTRY_TEXT[kind]}
    for name in set(data) - set(limits) - {"severity", "since"}:
        errors[name] = ["This field is not part of this record."]
    for name in with_control_characters(data):
        errors[name] = [CONTROL_CHARACTERS_MESSAGE]
    for name, limit in limits.items():
        value = plain_text(data.get(name, ""))
        if name == "name" and not value:
            errors[name] = ["This field is required."]
        elif len(value) > limit:
            errors[name] = [f"Use at most {limit} characters."]
        values[name] = value
    if kind == "allergy" and "severity" in data:
        if data["severity"] not in model.Severity.values:
            errors["severity"] = [f"Choose one of: {', '.join(model.Severity.values)}."]
        else:
            values["severity"] = data["severity"]
    if kind != "allergy" and data.get("since") not in (None, ""):
        since = data["since"]
        today = local_today(patient.preferred_location)
        if not isinstance(since, date):
            errors["since"] = ["Enter a date, for example 2020-01-31."]
        elif since > today:
            errors["since"] = ["This date is in the future."]
        elif since < patient.birth_date - timedelta(days=1):
            errors["since"] = ["This date is before the patient was born."]
        else:
            values["since"] = since
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        entry = model.objects.create(
            patient=patient,
            recorded_by=actor.saved_user,
            **values,
        )
        audit.record_patient(
            actor,
            Action.CREATE,
            patient,
            object_type=CLINICAL_ENTRY_KIND[kind],
            object_id=entry.public_id,
        )
    return entry


def record_intake_history(
    actor: Actor, patient: Patient, reported: dict, *, pregnant, breastfeeding, today, now
) -> dict[str, int]:
    """Adds what a patient reported in their intake: the allergies, medications and conditions
    (`reported`, names by kind) that have no active entry yet, as entries from the intake, and
    pregnancy and breastfeeding (True/False) when answered. Runs in the intake's transaction,
    whose audit row carries the counts returned (new entries per kind)."""
    own = actor.patient_id is not None and actor.patient_id == patient.pk
    if not (actor.can(Capability.CHANGE_CLINICAL) or own):
        raise Forbidden("Only the patient or a clinician may record these answers.")
    added: dict[str, int] = {}
    with transaction.atomic():
        for key, model in (
            ("allergies", Allergy),
            ("medications", Medication),
            ("conditions", Condition),
        ):
            active = model.objects.filter(patient=patient, active=True).values_list("name")
            known = {fold(name) for (name,) in active}
            first: dict[str, str] = {}  # one entry per name, however often it was reported
            for name in reported[key]:
                first.setdefault(fold(name), name)
            new = [name for folded, name in first.items() if folded not in known]
            source, by = ClinicalEntry.Source.INTAKE, actor.saved_user
            bulk_create_with_history(  # each new entry gets its history row (decision 0024)
                [
                    model(
                        patient=patient, name=name, source=source, recorded_at=now, recorded_by=by
                    )
                    for name in new
                ],
                model,
                default_user=by,
            )
            added[key] = len(new)
        changes = {}
        for field, answer, yes, no in (
            ("pregnancy", pregnant, PregnancyStatus.PREGNANT, PregnancyStatus.NOT_PREGNANT),
            ("breastfeeding", breastfeeding, BreastfeedingStatus.YES, BreastfeedingStatus.NO),
        ):
            if answer is not None:
                changes[f"{field}_status"] = yes if answer else no
                changes[f"{field}_recorded_on"] = today
        if changes:
            # Saved field by field (not a queryset update) so the history keeps old and new values.
            current = Patient.objects.select_for_update().get(pk=patient.pk)
            for name, value in {**changes, "updated_at": now}.items():
                setattr(current, name, value)
                setattr(patient, name, value)
            current._history_user = actor.saved_user
            current.save(update_fields=[*changes, "updated_at"])
    return added


def set_clinical_entry_active(actor: Actor, patient: Patient, kind: str, public_id, active: bool):
    """Marks an entry as no longer current (or current again); entries are never deleted."""
    require_capability(actor, Capability.CHANGE_CLINICAL, "change clinical history")
    model = CLINICAL_KINDS[kind]
    with write_transaction():
        entry = get_restricted_or_404(
            model.objects.select_for_update(), actor, "change", public_id=public_id, patient=patient
        )
        if entry.active != active:
            entry.active = active
            entry.save(update_fields=["active"])
            audit.record_patient(
                actor,
                Action.UPDATE,
                patient,
                object_type=CLINICAL_ENTRY_KIND[kind],
                object_id=entry.public_id,
                detail={"fields": ["active"]},
            )
    return entry


def open_patient_clinical(actor: Actor, public_id, *, action: str = "view") -> Patient:
    """The patient, when `actor` may see (or record) their clinical history; 404 otherwise."""
    capability = CLINICAL_RULE.staff[action]
    own_view = actor.is_patient and action in CLINICAL_RULE.patient_actions
    if not (actor.can(capability) or own_view):
        raise Http404
    return open_patient(actor, public_id)
