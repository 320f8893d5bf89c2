"""Charting a treatment record: a draft opened for a visit that took place, its points, vials,
notes and platysma bands cleaned and saved, its signature (`lock`), amendments of a signed
record, and a record opened for whoever may see it.

`lock` runs the dose guard once more inside the transaction that draws every point's units from
the vials, with the vials' rows locked, so what is signed is what was checked."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from glabella.catalogue.areas import ChartArea
from glabella.catalogue.labels import LABELS
from glabella.catalogue.products import Product
from glabella.clinic.models import Service
from glabella.core import audit, signing
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Forbidden, NotFound, ValidationFailed
from glabella.core.roles import Capability, Credential
from glabella.core.text import CONTROL
from glabella.inventory import services as stock
from glabella.inventory.models import Movement, Vial
from glabella.scheduling.models import Appointment, Status
from glabella.treatments import dosing, draws, signals
from glabella.treatments.cosign import cosignature_for
from glabella.treatments.guard import context, guard, record_vials
from glabella.treatments.models import InjectionPoint, RecordVial, TreatmentRecord

MAX_POINTS = 100
MOST_UNITS = Decimal(10000)  # in any one figure from outside: far above any session

Action = audit.Action


EARLY = timedelta(hours=1)  # a patient may be seen a little before the booked time


def visit_took_place(appointment: Appointment, reason: str | None, now: datetime) -> bool:
    """The visit is happening or happened: the patient was checked in (or the visit completed),
    or the clinician recorded why it was not and its time has come."""
    if appointment.status in (Status.CHECKED_IN, Status.COMPLETED):
        return True
    return (
        appointment.status == Status.BOOKED
        and bool(reason)
        and now >= appointment.starts_at - EARLY
    )


def _require_chart(actor: Actor) -> None:
    if actor.staff is None or not actor.can(Capability.CHART):
        raise Forbidden("Only a clinician charts a treatment.")


def start(
    actor: Actor, appointment: Appointment, product, *, reason: str = "", now=None
) -> TreatmentRecord:
    """A draft record for a neuromodulator appointment, charted by the signed-in clinician:
    for a checked-in visit, or one not checked in with the reason recorded."""
    _require_chart(actor)
    staff = actor.staff
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if not isinstance(product, str) or product not in set(Product):
        errors["product"] = ["Choose one of the neuromodulators."]
    reason = " ".join(reason.split()) if isinstance(reason, str) else None
    if appointment.service.kind != Service.Kind.NEUROMODULATOR:
        errors["appointment"] = ["Only a neuromodulator treatment appointment is charted here."]
    elif appointment.status not in (Status.BOOKED, Status.CHECKED_IN, Status.COMPLETED):
        errors["appointment"] = ["This appointment was canceled or missed."]
    elif appointment.status == Status.BOOKED:
        if reason is None or not 5 <= len(reason) <= 300 or CONTROL.search(reason):
            errors["reason"] = [
                "The patient is not checked in: check them in at the desk, or say why you "
                "chart this visit (5 to 300 characters)."
            ]
        elif not visit_took_place(appointment, reason, now):
            errors["appointment"] = ["This visit has not begun: chart it once the patient is here."]
    if not appointment.service.can_be_performed_by(staff, now.date()):
        errors["injector"] = ["Your credential or license does not cover this treatment."]
    supervisor = staff.supervising_prescriber if staff.credential == Credential.RN else None
    if staff.credential == Credential.RN and supervisor is None:
        errors["injector"] = ["An RN injector needs a supervising prescriber on file."]
    if errors:
        raise ValidationFailed(errors)
    if TreatmentRecord.objects.filter(appointment=appointment, amends__isnull=True).exists():
        raise ValidationFailed({"appointment": ["This appointment already has its record."]})
    with write_transaction():
        record = TreatmentRecord.objects.create(
            appointment=appointment,
            patient=appointment.patient,
            injector=staff,
            supervisor=supervisor,
            product=product,
            created_at=now,
            charting_reason=reason if appointment.status == Status.BOOKED else None,
        )
        audit.record_patient(
            actor,
            Action.CREATE,
            record.patient,
            object_type=audit.Kind.TREATMENT,
            object_id=record.public_id,
            detail={"not_checked_in": record.charting_reason} if record.charting_reason else None,
        )
    return record


def clean_points(raw: object, product: str, vials=()) -> tuple[list[dict], dict[str, list[str]]]:
    """Points as the chart sends them: area, x and y (fractions of the chart), units, depth;
    units in the step the vials' concentration allows (`draws.step_for`)."""
    errors: dict[str, list[str]] = {}
    if not isinstance(raw, list):
        return [], {"points": ["Give a list of points."]}
    if len(raw) > MAX_POINTS:
        return [], {"points": [f"At most {MAX_POINTS} points in one record."]}
    label = LABELS[Product(product)]
    known = [v.units_per_01ml for v in vials if v.units_per_01ml is not None]
    step = draws.step_for(label, known)
    why = (
        f" (at {max(known).normalize():f} U per 0.1 mL a finer step is less than a syringe "
        f"measures)"
        if known and step > label.unit_step
        else ""
    )
    out = []
    for i, point in enumerate(raw):
        where = f"points.{i}"
        if not isinstance(point, dict) or set(point) - {"area", "x", "y", "units", "depth"}:
            errors[where] = ["Give the area, x, y, units and (if you like) depth."]
            continue
        area = point.get("area")
        if not isinstance(area, str) or area not in {a.value for a in ChartArea}:
            errors[f"{where}.area"] = ["Choose an area of the chart."]
        position = {}
        for axis in ("x", "y"):
            try:
                value = Decimal(str(point.get(axis)))
                if not value.is_finite() or not 0 <= value <= 1:
                    raise InvalidOperation
                position[axis] = value.quantize(Decimal("0.0001"))
            except (InvalidOperation, ValueError):
                errors[f"{where}.{axis}"] = ["The point must lie on the chart (0 to 1)."]
        try:
            units = Decimal(str(point.get("units")))
            if not units.is_finite() or units <= 0:
                raise InvalidOperation
            if units % step != 0:
                errors[f"{where}.units"] = [
                    f"Give units in steps of {step.normalize():f} for this product{why}."
                ]
        except (InvalidOperation, ValueError):
            errors[f"{where}.units"] = ["Give a positive number of units."]
            units = None
        depth = point.get("depth", "") or ""
        if not isinstance(depth, str) or len(depth) > 60 or CONTROL.search(depth):
            errors[f"{where}.depth"] = ["Keep the depth note to 60 plain characters."]
        if not any(k.startswith(where) for k in errors):
            out.append({"area": area, **position, "units": units, "depth": depth.strip()})
    return out, errors


KEEP = object()  # a keyword left out: the record keeps what it has


def clean_bands(raw: object, errors: dict, name: str = "platysma_bands") -> tuple | None:
    """Platysma bands as sent ({"left": 1|2, "right": 1|2}, or None for not recorded) to
    (left, right), with an error per side."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) != {"left", "right"}:
        errors[name] = ["Give the bands on the left and on the right side (1 or 2 each)."]
        return None
    sides = []
    for side in ("left", "right"):
        value = raw[side]
        if isinstance(value, bool) or value not in (1, 2):
            errors[f"{name}.{side}"] = ["Give 1 or 2 bands on this side."]
        sides.append(value)
    return None if any(k.startswith(name) for k in errors) else (int(sides[0]), int(sides[1]))


def _note(text, name: str, errors: dict) -> str:
    text = (text or "").strip()
    if not isinstance(text, str) or len(text) > 4000 or CONTROL.search(text):
        errors[name] = ["Keep the note to 4000 plain characters."]
    return text


def save_draft(
    actor: Actor,
    record: TreatmentRecord,
    *,
    points: object,
    vial: Vial | None = None,
    notes_before: str = "",
    notes_after: str = "",
    platysma_bands=KEEP,
    vials: list[Vial] | None = None,
) -> TreatmentRecord:
    """Replaces the draft's points, vials and notes, and its platysma bands when given
    ({"left": 1|2, "right": 1|2}, or None to clear them). `vial` is the first vial and `vials`
    the ones drawn from after it (or all of them), in order."""
    _require_chart(actor)
    if record.locked:
        raise ValidationFailed({"record": ["This record is signed and locked: amend it."]})
    chosen, errors = _clean_vials(record, vial, vials or [])
    cleaned, point_errors = clean_points(points, record.product, chosen)
    errors.update(point_errors)
    before = _note(notes_before, "notes_before", errors)
    after = _note(notes_after, "notes_after", errors)
    bands = None if platysma_bands is KEEP else clean_bands(platysma_bands, errors)
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        current = TreatmentRecord.objects.select_for_update().get(pk=record.pk)
        if current.locked:
            raise ValidationFailed({"record": ["This record is signed and locked: amend it."]})
        current.points.all().delete()
        InjectionPoint.objects.bulk_create(InjectionPoint(record=current, **p) for p in cleaned)
        current.vial = chosen[0] if chosen else None
        RecordVial.objects.filter(record=current).delete()
        RecordVial.objects.bulk_create(
            RecordVial(record=current, vial=v, position=n) for n, v in enumerate(chosen)
        )
        current.notes_before = before
        current.notes_after = after
        if platysma_bands is not KEEP:
            current.platysma_bands_left, current.platysma_bands_right = bands or (None, None)
        current.save()
        audit.record_patient(
            actor,
            Action.UPDATE,
            current.patient,
            object_type=audit.Kind.TREATMENT,
            object_id=current.public_id,
            detail={"points": len(cleaned), "vials": len(chosen)},
        )
    return current


MAX_VIALS = 10


def _clean_vials(record, vial, vials) -> tuple[list[Vial], dict[str, list[str]]]:
    """The record's vials in order, without repeats; each of the record's product and at its
    location."""
    errors: dict[str, list[str]] = {}
    chosen: list[Vial] = []
    named = [("vial", vial)] if vial is not None else []
    named += [(f"vials.{i}", v) for i, v in enumerate(vials)]
    for where, candidate in named:
        if candidate.pk in {c.pk for c in chosen}:
            continue
        if candidate.lot.product != record.product:
            label = LABELS[Product(candidate.lot.product)]
            errors[where] = [
                f"That vial holds {label.name}: units are never converted between products."
            ]
        elif candidate.lot.location_id != record.appointment.location_id:
            errors[where] = ["That vial is at another location."]
        else:
            chosen.append(candidate)
    if len(chosen) > MAX_VIALS:
        errors["vials"] = [f"At most {MAX_VIALS} vials in one record."]
    return chosen, errors


SIGNED_WORDS = (
    "I gave this treatment myself, as charted here (these points, units and vials), after "
    "checking the patient's candidacy decision and consent."
)
AMENDED_WORDS = (
    "this amendment adds to or corrects my signed record of this treatment; what it charts is "
    "what was given."
)


def attestation(record: TreatmentRecord, staff) -> str:
    """What signing this record (or this amendment) means, shown above the PIN and kept."""
    return signing.statement(staff, AMENDED_WORDS if record.amends_id else SIGNED_WORDS)


def lock(
    actor: Actor,
    record: TreatmentRecord,
    *,
    proof: signing.SigningProof | None = None,
    reasons: dict | None = None,
    now=None,
) -> TreatmentRecord:
    """Signs the record: the signer's PIN or password (`proof`, from `core.signing`) first;
    the guard runs again; a block stops it, each warning needs a reason; then every point's
    units are drawn from the vial and the record is locked with its attestation, in one
    transaction."""
    _require_chart(actor)
    if record.injector_id != actor.staff.pk:  # asked again under the row lock below
        raise Forbidden("Only the injector who charted it signs this record.")
    proved = signing.require(actor, proof)
    now = now or timezone.now()
    reasons = {k: " ".join(str(v).split()) for k, v in (reasons or {}).items() if str(v).strip()}
    with write_transaction():
        current = (
            TreatmentRecord.objects.select_for_update().select_related("patient").get(pk=record.pk)
        )
        if current.locked:
            raise ValidationFailed({"record": ["This record is already signed and locked."]})
        if current.injector_id != actor.staff.pk:
            raise Forbidden("Only the injector who charted it signs this record.")
        if not visit_took_place(current.appointment, _reason_for_visit(current), now):
            raise ValidationFailed(
                {"appointment": ["This visit was never checked in: check the patient in first."]},
                "A record is signed for a visit that took place.",
            )
        points = list(current.points.all())
        if not points:
            raise ValidationFailed({"points": ["Chart at least one point before signing."]})
        listed = record_vials(current)
        if not listed:
            raise ValidationFailed({"vial": ["Choose the vial the units were drawn from."]})
        # Rows locked in one order (by id) whatever the record's order: no deadlock between two
        # records that share vials.
        locked = {v.pk: stock.lock_vial(v) for v in sorted(listed, key=lambda v: v.pk)}
        vials = [locked[v.pk] for v in listed]
        plain = [{"area": p.area, "units": p.units} for p in points]
        ctx = context(current, plain, now, vials if len(vials) > 1 else vials[0])
        result = guard(ctx)
        blocks = [f.message for f in result.hard_blocks]
        if blocks:
            raise ValidationFailed({"guard": blocks}, "The dose guard stops this treatment.")
        cosigned = cosignature_for(current, points, result) if result.ceilings else None
        if result.ceilings and cosigned is None:
            raise ValidationFailed(
                {"cosign": [f.message for f in result.ceilings]},
                "Above the ceiling: the medical director's co-signature is needed to sign.",
            )
        missing = {
            f"reasons.{f.code}": [f"Give a reason to proceed: {f.message}"]
            for f in result.findings
            if f.level == dosing.Level.WARN and not reasons.get(f.code)
        }
        if missing:
            raise ValidationFailed(missing, "Each warning needs a reason before signing.")
        slots = draws.allocate([p.units for p in points], [v.units_left for v in vials])
        if slots is None:  # the guard's vial-short has already said so; the ledger never lies
            raise ValidationFailed({"vial": ["The vials do not hold every point."]})
        for point, slot in zip(points, slots, strict=True):
            movement = stock.take(
                vials[slot],
                point.units,
                kind=Movement.Kind.DRAW,
                by=actor.staff,
                patient=current.patient,
                now=now,
            )
            point.movement = movement
            point.save(update_fields=["movement"])
        current.status = TreatmentRecord.Status.LOCKED
        current.locked_at = now
        current.guard = [
            {"code": f.code, "level": f.level.value, "message": f.message, "area": f.area}
            for f in result.findings
        ]
        current.reasons = {f.code: reasons[f.code] for f in result.findings if f.code in reasons}
        current.guard_level = result.level.value
        current.decision = ctx.decision
        current.consent = ctx.consent
        current.attestation = attestation(current, actor.staff)
        # The save checks the stored row, which is still a draft: this is the one allowed change.
        TreatmentRecord.objects.filter(pk=current.pk).update(
            status=current.status,
            locked_at=now,
            guard=current.guard,
            reasons=current.reasons,
            guard_level=result.level.value,
            decision=current.decision,
            consent=current.consent,
            attestation=current.attestation,
        )
        audit.record_patient(
            actor,
            Action.UPDATE,
            current.patient,
            object_type=audit.Kind.TREATMENT,
            object_id=current.public_id,
            detail={
                "locked": True,
                "total": str(result.total),
                "lot": ", ".join(dict.fromkeys(v.lot.lot_number for v in vials)),
                "cosignature": str(cosigned.public_id) if cosigned else None,
                "signed_with": proved.method,
            },
        )
        signals.treatment_signed.send(TreatmentRecord, record=current, now=now)
    return current


def _reason_for_visit(record: TreatmentRecord) -> str | None:
    """Why a visit not checked in was charted (an amendment reads its original's)."""
    return record.charting_reason or (record.amends.charting_reason if record.amends_id else None)


def amend(actor: Actor, original: TreatmentRecord, *, now=None) -> TreatmentRecord:
    """A new draft that amends a locked record: added points (drawn when it is signed) and
    corrected notes. The original stays as it was."""
    _require_chart(actor)
    if not original.locked:
        raise ValidationFailed(
            {"record": ["Change the draft itself; only a signed record is amended."]}
        )
    with write_transaction():
        amendment = TreatmentRecord.objects.create(
            appointment=original.appointment,
            patient=original.patient,
            injector=actor.staff,
            supervisor=original.supervisor,
            product=original.product,
            vial=original.vial,
            amends=original,
            created_at=now or timezone.now(),
        )
        RecordVial.objects.bulk_create(
            RecordVial(record=amendment, vial=v, position=n)
            for n, v in enumerate(record_vials(original))
        )
        audit.record_patient(
            actor,
            Action.CREATE,
            original.patient,
            object_type=audit.Kind.TREATMENT_AMENDMENT,
            object_id=amendment.public_id,
            detail={"amends": str(original.public_id)},
        )
    return amendment


def open_record(actor: Actor, public_id, action: str = "view") -> TreatmentRecord:
    found = (
        TreatmentRecord.objects.restrict(actor, action)
        .select_related("patient", "appointment__location", "vial__lot", "injector")
        .filter(public_id=public_id)
        .first()
    )
    if found is None:
        raise NotFound("No such treatment record.")
    return found
