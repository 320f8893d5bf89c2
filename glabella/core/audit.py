"""Writes the access log: every create, read, update and search of patient data."""

from __future__ import annotations

from glabella.core.access import Actor
from glabella.core.models import AccessLog

Action = AccessLog.Action


def record(
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object = "",
    *,
    patient_public_id=None,
    detail: dict | None = None,
) -> AccessLog:
    return AccessLog.objects.create(
        user=actor.saved_user,
        actor_label=actor.label[:200],
        actor_role=actor.role,
        channel=actor.channel,
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        patient_public_id=patient_public_id,
        ip=actor.ip,
        detail=detail or {},
    )


def record_patient(
    actor: Actor,
    action: str,
    patient,
    *,
    object_type="patient",
    object_id=None,
    detail: dict | None = None,
) -> AccessLog:
    """A row about one patient's data (the patient itself or one of their records)."""
    return record(
        actor,
        action,
        object_type,
        object_id if object_id is not None else patient.public_id,
        patient_public_id=patient.public_id,
        detail=detail,
    )


def record_listing(actor: Actor, object_type: str, patient_public_ids) -> AccessLog:
    """One row for a list that shows several patients' records (a board, a search, a report):
    which patients it showed."""
    shown = list(dict.fromkeys(str(p) for p in patient_public_ids))
    return record(actor, AccessLog.Action.READ, object_type, detail={"patients": shown})
