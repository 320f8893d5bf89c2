"""Co-signature: the medical director's signature on a draft whose plan is above a ceiling (the
label's dose or a house maximum), the digest of the plan it covers, and which co-signature, if
any, covers a plan and its ceilings as they stand."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from django.utils import timezone

from glabella.core import audit, signing
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Forbidden, ValidationFailed
from glabella.core.roles import Role
from glabella.core.text import CONTROL
from glabella.treatments import dosing
from glabella.treatments.guard import context, guard, record_vials
from glabella.treatments.models import CoSignature, TreatmentRecord

Action = audit.Action


def plan_sha256(record: TreatmentRecord, points) -> str:
    """What a co-signature covers: the product, each point's area and units, the bands."""
    units = sorted(f"{p.area}:{Decimal(p.units).normalize():f}" for p in points)
    text = "|".join([record.product, *units, f"bands:{record.platysma_bands}"])
    return hashlib.sha256(text.encode()).hexdigest()


def _ceiling_keys(findings) -> set[tuple[str, str]]:
    return {(f["code"], f["area"]) if isinstance(f, dict) else (f.code, f.area) for f in findings}


def cosignature_for(record: TreatmentRecord, points, result: dosing.Check):
    """The latest co-signature that covers this plan as it stands and every ceiling it meets."""
    digest = plan_sha256(record, points)
    for cosigned in record.cosignatures.filter(plan_sha256=digest).order_by("-at", "-id"):
        if _ceiling_keys(result.ceilings) <= _ceiling_keys(cosigned.ceilings):
            return cosigned
    return None


def standing_cosignature(record: TreatmentRecord, result: dosing.Check):
    """The co-signature a draft would be signed with now: the one covering its saved plan and
    every ceiling `result` (its saved plan's verdict) meets; None when none does."""
    if record.locked or not result.ceilings:
        return None
    return cosignature_for(record, list(record.points.all()), result)


COSIGNED_WORDS = (
    "as medical director I reviewed this plan above the ceiling (the label's dose or the house "
    "maximum) for this patient and approve it as it stands."
)


def attestation(staff) -> str:
    """What a co-signature means, shown above the PIN and kept with it."""
    return signing.statement(staff, COSIGNED_WORDS)


def cosign(
    actor: Actor,
    record: TreatmentRecord,
    *,
    proof: signing.SigningProof | None = None,
    note: str = "",
    now=None,
) -> CoSignature:
    """The medical director co-signs a draft whose plan is above a ceiling (the label's dose or
    a house maximum), with their PIN or password (`proof`): the co-signature covers the plan as
    it stands now; a change to the points or the bands needs a new one. A typed reason never
    stands in for it."""
    if actor.staff is None or actor.role != Role.MEDICAL_DIRECTOR:
        raise Forbidden("Only the medical director co-signs a dose above the ceiling.")
    proved = signing.require(actor, proof)
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    note = " ".join(note.split()) if isinstance(note, str) else None
    if note is None or len(note) > 300 or CONTROL.search(note):
        errors["note"] = ["Keep the note to 300 plain characters."]
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        current = (
            TreatmentRecord.objects.select_for_update().select_related("patient").get(pk=record.pk)
        )
        if current.locked:
            raise ValidationFailed({"record": ["This record is already signed and locked."]})
        points = list(current.points.all())
        plain = [{"area": p.area, "units": p.units} for p in points]
        result = guard(context(current, plain, now, record_vials(current)))
        if not result.ceilings:
            raise ValidationFailed(
                {"record": ["Nothing in this plan is above a ceiling: no co-signature is needed."]}
            )
        cosigned = CoSignature.objects.create(
            record=current,
            signed_by=actor.saved_user,
            staff=actor.staff,
            role=actor.role,
            actor_label=actor.label[:200],
            plan_sha256=plan_sha256(current, points),
            ceilings=[
                {"code": f.code, "area": f.area, "message": f.message} for f in result.ceilings
            ],
            note=note,
            at=now,
            attestation=attestation(actor.staff),
        )
        audit.record_patient(
            actor,
            Action.CREATE,
            current.patient,
            object_type=audit.Kind.TREATMENT_COSIGNATURE,
            object_id=current.public_id,
            detail={"ceilings": [f.code for f in result.ceilings], "signed_with": proved.method},
        )
    return cosigned
