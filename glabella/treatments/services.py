"""Charting: a treatment record from its draft to its signature, the dose guard on every plan,
amendments, the clinic's house doses, and the recall of a lot.

The dose guard (`dosing.check`) gets everything it reads from here: the product's label, the
clinic's protocol, the patient's history (locked records of this clinic, and toxin treatments the
patient reported in their intake), the vial, and screening's current decision and consent.
Locking runs the guard once more inside the transaction that draws every point's units from the
vial, with the vial's row locked, so what is signed is what was checked.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db.models import Sum
from django.utils import timezone

from glabella.clinic.models import Service
from glabella.core import audit
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Forbidden, NotFound, ValidationFailed
from glabella.core.roles import Capability, Credential
from glabella.core.text import CONTROL
from glabella.inventory import services as stock
from glabella.inventory.models import Lot, Movement, Vial
from glabella.scheduling.models import Appointment, Status
from glabella.screening import services as screening
from glabella.screening.models import ConsentKind
from glabella.screening.products import Area, Product
from glabella.treatments import dosing, hooks
from glabella.treatments.labels import LABELS, ChartArea
from glabella.treatments.models import InjectionPoint, ProtocolChange, TreatmentRecord

Action = audit.Action
MAX_POINTS = 100
MOST_UNITS = Decimal(10000)  # in any one figure from outside: far above any session
HISTORY_DAYS = 400  # far enough back for every check the guard makes


# ---------------------------------------------------------------- the clinic's protocol


def protocol(product: str) -> dosing.Protocol:
    house: dict[Area, Decimal] = {}
    seen = set()
    for change in ProtocolChange.objects.filter(product=product).order_by("-at", "-id"):
        if change.area in seen:
            continue
        seen.add(change.area)
        if change.house_max is not None:
            house[Area(change.area)] = change.house_max
    return dosing.Protocol(house_max=house)


def set_house_dose(actor: Actor, product, area, units, reason: str, *, now=None) -> ProtocolChange:
    """The medical director sets the clinic's house dose for a product's area (None: back to the
    label). The label itself never changes."""
    if not actor.can(Capability.SET_PROTOCOL):
        raise Forbidden("Only the medical director sets the clinic's house doses.")
    errors: dict[str, list[str]] = {}
    label = (
        LABELS.get(Product(product))
        if isinstance(product, str) and product in set(Product)
        else None
    )
    if label is None:
        errors["product"] = ["Choose one of the neuromodulators."]
    elif not isinstance(area, str) or area not in {a.value for a in label.doses}:
        errors["area"] = [f"Choose one of {label.name}'s label areas."]
    value = None
    if units not in (None, ""):
        try:
            value = Decimal(str(units))
            if not value.is_finite() or value <= 0:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors["house_max"] = ["Give a positive number of units, or leave it empty."]
    reason = " ".join((reason or "").split())
    if not 5 <= len(reason) <= 300:
        errors["reason"] = ["Say why, in 5 to 300 characters: the change is kept."]
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        change = ProtocolChange.objects.create(
            product=product,
            area=area,
            house_max=value,
            reason=reason,
            changed_by=actor.saved_user,
            actor_label=actor.label[:200],
            at=now or timezone.now(),
        )
        audit.record(
            actor,
            Action.UPDATE,
            "treatments.protocol",
            f"{product}:{area}",
            detail={"house_max": str(value) if value else None, "reason": reason},
        )
    return change


# ---------------------------------------------------------------- what the guard reads


def history(patient, before: datetime, *, session=None) -> tuple[dosing.PastSession, ...]:
    """Earlier toxin sessions: this clinic's locked records (units per product and day), and
    what the patient reported in their latest intake. `session` (an appointment id) is left out:
    an amendment belongs to its session, not after it."""
    since = before - timedelta(days=HISTORY_DAYS)
    rows = (
        InjectionPoint.objects.filter(
            record__patient=patient,
            record__status=TreatmentRecord.Status.LOCKED,
            record__locked_at__gte=since,
            record__locked_at__lt=before,
        )
        .exclude(record__appointment_id=session)
        .values("record_id", "record__product", "record__locked_at")
        .annotate(units=Sum("units"))
    )
    sessions = [
        dosing.PastSession(
            r["record__locked_at"].astimezone(screening.clinic_zone(patient)).date(),
            r["record__product"],
            r["units"],
        )
        for r in rows
    ]
    latest = screening.latest_intake(patient)
    for entry in latest.answers.get("recent_toxin", []) if latest else []:
        sessions.append(
            dosing.PastSession(date.fromisoformat(entry["date"]), entry["product"], Decimal(0))
        )
    return tuple(sessions)


@dataclass(frozen=True)
class Context:
    """What a plan is checked with, and where it came from."""

    plan: dosing.Plan
    decision: object
    consent: object
    clearance_checked: bool = True


def plan_for(
    product: str,
    points,
    at: datetime,
    *,
    patient=None,
    vial: Vial | None = None,
    session: int | None = None,
    history_given: tuple[dosing.PastSession, ...] = (),
) -> Context:
    """The plan the guard checks: points ({area, units}) of `product` at `at`, with the
    patient's decision, consent and history when a patient is given (without one, the label,
    the protocol, the vial and `history_given` only), and the points already signed in the
    same session (`session`: the appointment) counted towards its totals."""
    decision = consent = None
    cleared, consented = frozenset(LABELS[Product(product)].doses), True
    past = history_given
    if patient is not None:
        day = at.astimezone(screening.clinic_zone(patient)).date()
        decision, cleared = screening.clearance(patient, product, day)
        consent = screening.current_consent(patient, ConsentKind.NEUROMODULATOR, day)
        consented = consent is not None
        past = past + history(patient, at, session=session)
    vial_state = None
    if vial is not None:
        vial_state = dosing.VialState(
            product=Product(vial.lot.product),
            units_left=vial.units_left,
            expires_on=vial.lot.expires_on,
            reconstituted_at=vial.reconstituted_at,
        )
    given = ()
    if session is not None:
        given = InjectionPoint.objects.filter(
            record__appointment_id=session,
            record__status=TreatmentRecord.Status.LOCKED,
            record__product=product,
        ).values_list("area", "units")
    plan = dosing.Plan(
        product=Product(product),
        points=tuple(dosing.Point(ChartArea(p["area"]), p["units"]) for p in points),
        given=tuple(dosing.Point(ChartArea(a), u) for a, u in given),
        at=at,
        history=past,
        vial=vial_state,
        cleared=cleared,
        consented=consented,
    )
    return Context(plan, decision, consent, patient is not None)


def context(record: TreatmentRecord, points, at: datetime, vial: Vial | None) -> Context:
    return plan_for(
        record.product,
        points,
        at,
        patient=record.patient,
        vial=vial,
        session=record.appointment_id,
    )


def guard(ctx: Context) -> dosing.Check:
    product = ctx.plan.product.value
    return dosing.check(LABELS[Product(product)], ctx.plan, protocol(product))


def check(record: TreatmentRecord, *, at: datetime | None = None) -> dosing.Check:
    at = at or timezone.now()
    points = [{"area": p.area, "units": p.units} for p in record.points.all()]
    return guard(context(record, points, at, record.vial))


# ---------------------------------------------------------------- one verdict


def verdict(
    product: str,
    points,
    at: datetime,
    *,
    patient=None,
    vial: Vial | None = None,
    record: TreatmentRecord | None = None,
    history_given: tuple[dosing.PastSession, ...] = (),
) -> tuple[Context, dosing.Check]:
    """The dose guard's verdict on a plan: the one function behind the API's check and the
    chart page's live panel, and the same plan `lock` checks. With a draft `record`, the plan is
    that record's: its patient, and the points already signed in its session (an amendment's
    original) counted in the totals rather than as history."""
    if record is not None:
        if record.locked:
            raise ValidationFailed(
                {"record": ["This record is signed: its verdict is the one it was signed under."]}
            )
        patient = record.patient
    ctx = plan_for(
        product,
        points,
        at,
        patient=patient,
        vial=vial,
        session=record.appointment_id if record is not None else None,
        history_given=history_given,
    )
    return ctx, guard(ctx)


def _given_totals(record: TreatmentRecord) -> tuple[dict[str, Decimal], Decimal]:
    """The units a record gave per area (per label area where the label has it), summed."""
    label = LABELS[Product(record.product)]
    totals: dict[str, Decimal] = {}
    for point in record.points.all():
        area = ChartArea(point.area).label_area
        key = area.value if area is not None and area in label.doses else point.area
        totals[key] = totals.get(key, Decimal(0)) + point.units
    return totals, sum(totals.values(), Decimal(0))


def signed_verdict(record: TreatmentRecord) -> dosing.Check:
    """The verdict a locked record was signed under, as stored at signing: never worked out
    again (today's vial, or its own units counted as history, would change it)."""
    if not record.locked:
        raise ValueError("only a signed record has a signed verdict")
    findings = tuple(
        dosing.Finding(f["code"], dosing.Level(f["level"]), f["message"], f.get("area", ""))
        for f in record.guard
    )
    level = (
        dosing.Level(record.guard_level)
        if record.guard_level
        else max((f.level for f in findings), key=dosing.ORDER.index, default=dosing.Level.OK)
    )
    totals, total = _given_totals(record)
    return dosing.Check(level, findings, totals, total)


# ---------------------------------------------------------------- the visit


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


# ---------------------------------------------------------------- charting


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
        errors["appointment"] = ["This appointment was cancelled or missed."]
    elif appointment.status == Status.BOOKED:
        if reason is None or not 5 <= len(reason) <= 300 or CONTROL.search(reason):
            errors["reason"] = [
                "The patient is not checked in: check them in at the desk, or say why you "
                "chart this visit (5 to 300 characters)."
            ]
        elif not visit_took_place(appointment, reason, now):
            errors["appointment"] = ["This visit has not begun: chart it once the patient is here."]
    if not appointment.service.can_be_performed_by(staff, now.date()):
        errors["injector"] = ["Your credential or licence does not cover this treatment."]
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
            object_type="treatment",
            object_id=record.public_id,
            detail={"not_checked_in": record.charting_reason} if record.charting_reason else None,
        )
    return record


def clean_points(raw: object, product: str) -> tuple[list[dict], dict[str, list[str]]]:
    """Points as the chart sends them: area, x and y (fractions of the chart), units, depth."""
    errors: dict[str, list[str]] = {}
    if not isinstance(raw, list):
        return [], {"points": ["Give a list of points."]}
    if len(raw) > MAX_POINTS:
        return [], {"points": [f"At most {MAX_POINTS} points in one record."]}
    step = LABELS[Product(product)].unit_step
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
                    f"Give units in steps of {step.normalize():f} for this product."
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
) -> TreatmentRecord:
    """Replaces the draft's points, vial and notes."""
    _require_chart(actor)
    if record.locked:
        raise ValidationFailed({"record": ["This record is signed and locked: amend it."]})
    cleaned, errors = clean_points(points, record.product)
    if vial is not None:
        if vial.lot.product != record.product:
            label = LABELS[Product(vial.lot.product)]
            errors["vial"] = [
                f"That vial holds {label.name}: units are never converted between products."
            ]
        elif vial.lot.location_id != record.appointment.location_id:
            errors["vial"] = ["That vial is at another location."]
    before = _note(notes_before, "notes_before", errors)
    after = _note(notes_after, "notes_after", errors)
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        current = TreatmentRecord.objects.select_for_update().get(pk=record.pk)
        if current.locked:
            raise ValidationFailed({"record": ["This record is signed and locked: amend it."]})
        current.points.all().delete()
        InjectionPoint.objects.bulk_create(InjectionPoint(record=current, **p) for p in cleaned)
        current.vial = vial
        current.notes_before = before
        current.notes_after = after
        current.save()
        audit.record_patient(
            actor,
            Action.UPDATE,
            current.patient,
            object_type="treatment",
            object_id=current.public_id,
            detail={"points": len(cleaned)},
        )
    return current


def lock(
    actor: Actor, record: TreatmentRecord, *, reasons: dict | None = None, now=None
) -> TreatmentRecord:
    """Signs the record: the guard runs again; a block stops it, each warning needs a reason;
    then every point's units are drawn from the vial and the record is locked, in one
    transaction."""
    _require_chart(actor)
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
        if current.vial_id is None:
            raise ValidationFailed({"vial": ["Choose the vial the units were drawn from."]})
        vial = stock.lock_vial(current.vial)
        plain = [{"area": p.area, "units": p.units} for p in points]
        ctx = context(current, plain, now, vial)
        result = guard(ctx)
        blocks = [f.message for f in result.findings if f.level == dosing.Level.BLOCK]
        if blocks:
            raise ValidationFailed({"guard": blocks}, "The dose guard stops this treatment.")
        missing = {
            f"reasons.{f.code}": [f"Give a reason to proceed: {f.message}"]
            for f in result.findings
            if f.level == dosing.Level.WARN and not reasons.get(f.code)
        }
        if missing:
            raise ValidationFailed(missing, "Each warning needs a reason before signing.")
        for point in points:
            movement = stock.take(
                vial,
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
        # The save checks the stored row, which is still a draft: this is the one allowed change.
        TreatmentRecord.objects.filter(pk=current.pk).update(
            status=current.status,
            locked_at=now,
            guard=current.guard,
            reasons=current.reasons,
            guard_level=result.level.value,
            decision=current.decision,
            consent=current.consent,
        )
        audit.record_patient(
            actor,
            Action.UPDATE,
            current.patient,
            object_type="treatment",
            object_id=current.public_id,
            detail={"locked": True, "total": str(result.total), "lot": vial.lot.lot_number},
        )
        hooks.after_lock(current, now)
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
        audit.record_patient(
            actor,
            Action.CREATE,
            original.patient,
            object_type="treatment-amendment",
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


# ---------------------------------------------------------------- recall


@dataclass(frozen=True)
class Treated:
    patient_id: int
    name: str
    phone: str
    email: str
    treated_on: date
    areas: dict[str, Decimal]
    units: Decimal


def recall(lot: Lot) -> list[Treated]:
    """Everyone treated from this lot, with the day, areas, units and how to reach them: one
    query over the points drawn from the lot's vials."""
    rows = (
        InjectionPoint.objects.filter(movement__vial__lot=lot)
        .values(
            "record_id",
            "record__locked_at",
            "record__patient_id",
            "record__patient__given_name",
            "record__patient__family_name",
            "record__patient__phone",
            "record__patient__email",
            "area",
            "units",
        )
        .order_by("record__locked_at", "record_id")
    )
    by_record: dict[int, dict] = {}
    for r in rows:
        entry = by_record.setdefault(
            r["record_id"],
            {
                "patient_id": r["record__patient_id"],
                "name": f"{r['record__patient__given_name']} {r['record__patient__family_name']}",
                "phone": r["record__patient__phone"],
                "email": r["record__patient__email"],
                "treated_on": r["record__locked_at"].date(),
                "areas": {},
            },
        )
        entry["areas"][r["area"]] = entry["areas"].get(r["area"], Decimal(0)) + r["units"]
    return [Treated(**e, units=sum(e["areas"].values(), Decimal(0))) for e in by_record.values()]


def recall_csv(treated: list[Treated]) -> str:
    """The recall list as CSV: one row per treatment."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["patient", "phone", "email", "treated_on", "units", "areas"])
    for t in treated:
        areas = "; ".join(f"{area} {units.normalize():f} U" for area, units in t.areas.items())
        writer.writerow(
            [t.name, t.phone, t.email, t.treated_on.isoformat(), f"{t.units.normalize():f}", areas]
        )
    return out.getvalue()


def notify_recall(actor: Actor, lot: Lot, *, now: datetime | None = None) -> int:
    """Asks everyone treated from the lot to contact the clinic, once each (the outbox keeps a
    patient from being told twice about one lot). The message names the day, not the product:
    a text can be read by whoever holds the phone. Returns how many were queued."""
    from glabella.messaging.outbox import queue_to_patient
    from glabella.patients.models import Patient

    if not (actor.can(Capability.MANAGE_STOCK) and actor.can(Capability.VIEW_CLINICAL)):
        raise Forbidden("Only clinical staff send recall notices.")
    now = now or timezone.now()
    treated = recall(lot)
    patients = Patient.objects.in_bulk({t.patient_id for t in treated})
    phone = lot.location.phone
    queued = 0
    with write_transaction():
        for t in treated:
            patient = patients[t.patient_id]
            body = (
                f"Hello {patient.preferred_name or patient.given_name},\n\n"
                f"Please call us on {phone} about the treatment you had with us on "
                f"{t.treated_on:%B} {t.treated_on.day}, {t.treated_on.year}. "
                "It is important, and it will only take a few minutes."
            )
            message = queue_to_patient(
                patient,
                topic="recall",
                subject="Please call the clinic",
                body=body,
                about=f"lot:{lot.public_id}",
                dedupe_key=f"recall:{lot.public_id}:{patient.public_id}",
                now=now,
            )
            queued += message is not None
        audit.record(
            actor,
            Action.CREATE,
            "recall-notice",
            lot.public_id,
            detail={"treated": len(treated), "queued": queued},
        )
    return queued
