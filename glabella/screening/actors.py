"""Who acts on a screening record: whether it is the patient themselves, and the label each
write keeps of the actor.
"""

from __future__ import annotations

from glabella.core.access import Actor
from glabella.patients.models import (
    Patient,
)


def is_the_patient(actor: Actor, patient: Patient) -> bool:
    return actor.patient_id is not None and actor.patient_id == patient.pk


def actor_label(actor: Actor) -> str:
    return actor.label[:200]
