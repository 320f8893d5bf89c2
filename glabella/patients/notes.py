"""Staff notes on a patient: a short free-text note by a staff member, with its author and time.
Read with VIEW_PATIENT, written with CHANGE_PATIENT; each write has its access-log row."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from glabella.core import audit
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import ValidationFailed
from glabella.core.roles import Capability
from glabella.core.text import INVISIBLE_FORMATTING_MESSAGE, has_invisible_formatting
from glabella.patients.models import Patient, StaffNote
from glabella.patients.services import CONTROL_CHARACTERS_MESSAGE, require_capability

SHOWN = 20  # the newest notes on the record page


def recent_notes(
    actor: Actor, patient: Patient, limit: int = SHOWN
) -> tuple[list[StaffNote], bool]:
    """The patient's newest notes (at most `limit`) and whether there are older ones, in one
    query. The record view has logged the patient's read; notes are part of that record."""
    rows = StaffNote.objects.restrict(actor, "view").filter(patient=patient)
    found = list(rows.order_by("-created_at", "-id")[: limit + 1])
    return found[:limit], len(found) > limit


def add_note(
    actor: Actor, patient: Patient, text: object, now: datetime | None = None
) -> StaffNote:
    """Records a note on the patient by the actor; ValidationFailed (nothing written) for an
    empty, too long or unreadable text."""
    require_capability(actor, Capability.CHANGE_PATIENT, "write notes on patients")
    value = str(text or "").replace("\r\n", "\n").strip()
    errors: list[str] = []
    if not value:
        errors.append("Write the note.")
    elif len(value) > StaffNote.MAX_LENGTH:
        errors.append(f"Use at most {StaffNote.MAX_LENGTH:,} characters (this has {len(value):,}).")
    elif any(ord(ch) < 32 and ch not in "\t\n" for ch in value):
        errors.append(CONTROL_CHARACTERS_MESSAGE)
    elif has_invisible_formatting(value):
        errors.append(INVISIBLE_FORMATTING_MESSAGE)
    if errors:
        raise ValidationFailed({"text": errors})
    staff = actor.staff
    with write_transaction():
        note = StaffNote.objects.create(
            patient=patient,
            text=value,
            author=staff,
            author_name=(staff.full_name if staff else actor.label)[:200],
            created_at=now or timezone.now(),
        )
        audit.record_patient(
            actor,
            audit.Action.CREATE,
            patient,
            object_type=audit.Kind.STAFF_NOTE,
            object_id=note.public_id,
        )
    return note
