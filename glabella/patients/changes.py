"""A patient's change history: old and new values of every change to their record, from the
history rows django-simple-history keeps (decision 0024), for the staff page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import groupby

from django.utils import formats, timezone

from glabella.core import audit, phones
from glabella.core import history as sources
from glabella.core.access import Actor
from glabella.core.roles import Capability
from glabella.patients.models import CLINICAL_KINDS, Patient

# Bookkeeping, not a person's data: never listed as a change.
NOT_SHOWN = frozenset({"id", "updated_at", "created_at", "public_id", "patient"})
# The patient's own fields that are clinical: shown to those who see clinical data only.
CLINICAL_FIELDS = frozenset(
    {
        "pregnancy_status",
        "pregnancy_recorded_on",
        "breastfeeding_status",
        "breastfeeding_recorded_on",
    }
)
WHAT = {"+": "Added", "~": "Changed", "-": "Removed"}


@dataclass(frozen=True)
class Change:
    at: datetime
    who: str
    what: str  # "Changed", "Added", "Removed"
    about: str  # "Details", "Allergy: Latex", ...
    values: list[tuple[str, str, str]] = field(default_factory=list)  # (field, old, new)


def _who(row) -> str:
    user = row.history_user
    if user is None:
        return "The system or a signed link"
    staff = getattr(user, "staff", None)
    if staff is not None:
        return f"{staff.full_name} ({staff.get_role_display()})"
    return "The patient" if hasattr(user, "patient_record") else user.get_username()


def _shown(model_field, value) -> str:
    if value is None or value == "":
        return "(empty)"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if model_field.is_relation:
        found = model_field.related_model._default_manager.filter(pk=value).first()
        return str(found) if found is not None else "(removed)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    # Instants on the clinic's clock, days and phones in the house's styles (issue 19).
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return formats.date_format(value, "DATETIME_FORMAT")
    if isinstance(value, date):
        return formats.date_format(value, "DATE_FORMAT")
    if isinstance(value, str) and value.startswith("+") and value[1:].isdigit():
        return phones.display(value)
    return str(value)


def _values(row, before, hidden: frozenset[str]) -> list[tuple[str, str, str]]:
    model = row.instance_type
    out = []
    for f in model._meta.concrete_fields:
        if f.name in NOT_SHOWN or f.name in hidden or f.attname not in row.__dict__:
            continue
        new = getattr(row, f.attname)
        old = getattr(before, f.attname) if before is not None else None
        if row.history_type == "~" and before is not None and old == new:
            continue
        if row.history_type == "+" and new in (None, "", False):
            continue
        if row.history_type == "-":
            old, new = new, None
        label = str(f.verbose_name).capitalize()
        earlier = "(not recorded)" if before is None and row.history_type == "~" else None
        out.append((label, earlier or _shown(f, old), _shown(f, new)))
    return out


def _changes_of(rows, about, hidden) -> list[Change]:
    """Rows of one source, oldest first: each compared with the one before for the same object."""
    found = []
    key = lambda r: r.id  # noqa: E731 (the object the history row is of)
    for _, of_one in groupby(sorted(rows, key=lambda r: (r.id, r.history_date)), key=key):
        before = None
        for row in of_one:
            values = _values(row, before, hidden)
            if values or row.history_type != "~":
                found.append(
                    Change(row.history_date, _who(row), WHAT[row.history_type], about(row), values)
                )
            before = row
    return found


def _patient_rows(patient_pk: int):
    return Patient.history.filter(id=patient_pk).select_related("history_user__staff")


def _entry_rows(model):
    return lambda patient_pk: model.history.filter(patient_id=patient_pk).select_related(
        "history_user__staff"
    )


def register_sources() -> None:
    """The patient's own details and clinical entries (called from the app's ready())."""
    sources.register(
        sources.Source(
            "details",
            Capability.VIEW_PATIENT,
            _patient_rows,
            lambda row: "Details",
            hidden=CLINICAL_FIELDS,
        )
    )
    for kind, model in CLINICAL_KINDS.items():
        sources.register(
            sources.Source(
                kind,
                Capability.VIEW_CLINICAL,
                _entry_rows(model),
                lambda row, kind=kind: f"{kind.capitalize()}: {row.name}",
            )
        )


def change_history(actor: Actor, patient: Patient) -> list[Change]:
    """Every change to the patient's record the actor may see, newest first; the read is logged."""
    clinical = actor.can(Capability.VIEW_CLINICAL)
    found: list[Change] = []
    for source in sources.sources():
        if not actor.can(source.capability):
            continue
        hidden = frozenset() if clinical else source.hidden
        found += _changes_of(list(source.rows(patient.pk)), source.name, hidden)
    audit.record_patient(actor, audit.Action.READ, patient, object_type=audit.Kind.CHANGE_HISTORY)
    return sorted(found, key=lambda c: c.at, reverse=True)
