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
import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db.models import Sum
from django.utils import timezone

from glabella.catalogue.areas import HOUSE_AREA_NAMES, Area, ChartArea
from glabella.catalogue.labels import (
    HOUSE_AREAS,
    HOUSE_DEFAULTS,
    HOUSE_MAX_BOUND,
    LABELS,
    product_named,
)
from glabella.catalogue.products import Product
from glabella.clinic.clock import clinic_zone
from glabella.clinic.models import Service
from glabella.core import audit
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Forbidden, NotFound, ValidationFailed
from glabella.core.roles import Capability, Credential, Role
from glabella.core.text import CONTROL
from glabella.inventory import services as stock
from glabella.inventory.models import Lot, Movement, Vial
from glabella.scheduling.models import Appointment, Status
from glabella.screening.consents import current_consent
from glabella.screening.decisions import clearance
from glabella.screening.intake import latest_intake
from glabella.screening.models import ConsentKind
from glabella.treatments import dosing, draws, signals
from glabella.treatments.models import (
    CoSignature,
    InjectionPoint,
    ProtocolChange,
    RecordVial,
    TreatmentRecord,
)

Action = audit.Action
MAX_POINTS = 100
MOST_UNITS = Decimal(10000)  # in any one figure from outside: far above any session
HISTORY_DAYS = 400  # far enough back for every check the guard makes


# ---------------------------------------------------------------- the clinic's protocol


def protocol(product: str) -> dosing.Protocol:
    """The medical director's latest house maximums for a product, by area; an area never set
    (or set back) keeps the shipped default, which the guard reads itself."""
    house: dict[str, Decimal] = {}
    point: dict[str, Decimal] = {}
    seen = set()
    for change in ProtocolChange.objects.filter(product=product).order_by("-at", "-id"):
        if change.area in seen:
            continue
        seen.add(change.area)
        if change.house_max is not None:
            house[change.area] = change.house_max
        if change.point_max is not None:
            point[change.area] = change.point_max
    return dosing.Protocol(house_max=house, point_max=point)


@dataclass(frozen=True)
class HouseRow:
    product: Product
    area: str
    label_max: Decimal | None  # the label's dose, where this area is on the product's label
    area_max: Decimal
    point_max: Decimal
    default_area_max: Decimal
    default_point_max: Decimal

    @property
    def off_label(self) -> bool:
        return self.label_max is None

    @property
    def area_name(self) -> str:
        return HOUSE_AREA_NAMES[self.area]

    @property
    def changed(self) -> bool:
        return (self.area_max, self.point_max) != (self.default_area_max, self.default_point_max)


def house_limits() -> list[HouseRow]:
    """Every product's ceiling in every house area, as in force, beside the shipped default."""
    rows = []
    for product in Product:
        label, current = LABELS[product], protocol(product.value)
        for area in HOUSE_AREAS:
            default = HOUSE_DEFAULTS[product][area]
            on_label = Area(area) if area in set(Area) else None
            rows.append(
                HouseRow(
                    product=product,
                    area=area,
                    label_max=label.area_max(on_label) if on_label else None,
                    area_max=current.area_limit(product, area),
                    point_max=current.point_limit(product, area),
                    default_area_max=default.area_max,
                    default_point_max=default.point_max,
                )
            )
    return rows


def _units_or_none(value, name: str, errors: dict) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        units = Decimal(str(value))
        if isinstance(value, bool) or not units.is_finite() or units <= 0:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors[name] = ["Give a positive number of units, or leave it empty for the default."]
        return None
    if units > HOUSE_MAX_BOUND or units != units.quantize(Decimal("0.01")):
        errors[name] = [f"Give at most {HOUSE_MAX_BOUND} units, to two decimal places."]
        return None
    return units


def set_house_dose(
    actor: Actor, product, area, units, reason: str, *, point_max=None, now=None
) -> ProtocolChange:
    """The medical director sets the clinic's house maximum for a product's area (a label area,
    never above the label, or an off-label one) and the most in one point; None puts back the
    shipped default. The label itself never changes."""
    if not actor.can(Capability.SET_PROTOCOL):
        raise Forbidden("Only the medical director sets the clinic's house maximums.")
    errors: dict[str, list[str]] = {}
    label = (
        LABELS.get(Product(product))
        if isinstance(product, str) and product in set(Product)
        else None
    )
    if label is None:
        errors["product"] = ["Choose one of the neuromodulators."]
    if not isinstance(area, str) or area not in HOUSE_AREAS:
        errors["area"] = ["Choose one of the treatment areas."]
    value = _units_or_none(units, "house_max", errors)
    point = _units_or_none(point_max, "point_max", errors)
    if label is not None and "area" not in errors:
        defaults = HOUSE_DEFAULTS[label.product][area]
        on_label = Area(area) if area in set(Area) else None
        most = label.area_max(on_label) if on_label in label.doses else None
        if value is not None and most is not None and value > most:
            errors["house_max"] = [
                f"The label's {most.normalize():f} U is the ceiling here: a house maximum "
                "can only be lower."
            ]
        if point is not None and "house_max" not in errors and point > (value or defaults.area_max):
            errors["point_max"] = ["The most in one point cannot be above the area's maximum."]
    reason = " ".join((reason or "").split()) if isinstance(reason, str) else ""
    if not 5 <= len(reason) <= 300 or CONTROL.search(reason):
        errors["reason"] = ["Say why, in 5 to 300 characters: the change is kept."]
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        change = ProtocolChange.objects.create(
            product=product,
            area=area,
            house_max=value,
            point_max=point,
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
            detail={
                "house_max": str(value) if value else None,
                "point_max": str(point) if point else None,
                "reason": reason,
            },
        )
    return change


# ---------------------------------------------------------------- what the guard reads


def history(patient, before: datetime, *, session=None) -> tuple[dosing.PastSession, ...]:
    """Earlier toxin sessions: this clinic's locked records (units per product and day), and
    what the patient reported in their latest intake (any product, any use, with its units when
    they gave them), less what they reported of our own records. `session` (an appointment id)
    is left out: an amendment belongs to its session, not after it."""
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
            r["record__locked_at"].astimezone(clinic_zone(patient)).date(),
            r["record__product"],
            r["units"],
        )
        for r in rows
    ]
    charted = {(s.day, s.product) for s in sessions}
    latest = latest_intake(patient)
    for entry in latest.answers.get("recent_toxin", []) if latest else []:
        day = date.fromisoformat(entry["date"])
        named = product_named(entry["product"])
        if named is not None and (day, named.value) in charted:
            continue  # the patient told us of a treatment we charted ourselves
        units = entry.get("units")
        sessions.append(
            dosing.PastSession(
                day,
                entry["product"],
                Decimal(str(units)) if units not in (None, "") else None,
                reported=True,
            )
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
    platysma_bands: tuple[int, int] | None = None,
    vials: list[Vial] | tuple[Vial, ...] = (),
) -> Context:
    """The plan the guard checks: points ({area, units}) of `product` at `at`, with the
    patient's decision, consent and history when a patient is given (without one, the label,
    the protocol, the vial and `history_given` only), and the points already signed in the
    same session (`session`: the appointment) counted towards its totals."""
    decision = consent = None
    # Without a patient the decision is not checked (`clearance_checked`): every area passes it.
    cleared, consented = frozenset({*LABELS[Product(product)].doses, *HOUSE_AREAS}), True
    consented_off_label = None
    past = history_given
    if patient is not None:
        day = at.astimezone(clinic_zone(patient)).date()
        decision, cleared = clearance(patient, product, day)
        consent = current_consent(patient, ConsentKind.NEUROMODULATOR, day)
        consented = consent is not None
        consented_off_label = frozenset(consent.off_label_areas if consent else ())
        past = past + history(patient, at, session=session)
    several = vial_states(vials) if len(vials) > 1 else ()
    vial = vials[0] if len(vials) == 1 else vial
    vial_state = vial_states([vial])[0] if vial is not None else None
    given = ()
    if session is not None:
        given = InjectionPoint.objects.filter(
            record__appointment_id=session,
            record__status=TreatmentRecord.Status.LOCKED,
            record__product=product,
        ).values_list("area", "units")
    plan = dosing.Plan(
        product=Product(product),
        points=tuple(
            dosing.Point(ChartArea(p["area"]), p["units"], p.get("total", False)) for p in points
        ),
        given=tuple(dosing.Point(ChartArea(a), u) for a, u in given),
        at=at,
        history=past,
        vial=vial_state,
        vials=several,
        cleared=cleared,
        consented=consented,
        consented_off_label=consented_off_label,
        platysma_bands=platysma_bands,
    )
    return Context(plan, decision, consent, patient is not None)


def bands_of(record: TreatmentRecord):
    """The platysma bands a record is checked with: an amendment that records no bands of its
    own is checked with its original's."""
    return record.platysma_bands or (record.amends.platysma_bands if record.amends_id else None)


def vial_states(vials) -> tuple[dosing.VialState, ...]:
    return tuple(
        dosing.VialState(
            product=Product(v.lot.product),
            units_left=v.units_left,
            expires_on=v.lot.expires_on,
            reconstituted_at=v.reconstituted_at,
            units_per_01ml=v.units_per_01ml,
        )
        for v in vials
    )


def record_vials(record: TreatmentRecord) -> list[Vial]:
    """The vials a record draws from, in their order (a record charted before several vials
    were possible has only its `vial`)."""
    listed = [
        rv.vial
        for rv in RecordVial.objects.filter(record=record)
        .select_related("vial__lot__location")
        .order_by("position")
    ]
    if listed:
        return listed
    return [record.vial] if record.vial_id else []


def context(record: TreatmentRecord, points, at: datetime, vial) -> Context:
    """`vial`: one vial, or the record's vials in their order."""
    listed = isinstance(vial, (list, tuple))
    bands = bands_of(record)
    return plan_for(
        record.product,
        points,
        at,
        patient=record.patient,
        vial=None if listed else vial,
        vials=list(vial) if listed else [],
        session=record.appointment_id,
        platysma_bands=bands,
    )


def guard(ctx: Context) -> dosing.Check:
    product = ctx.plan.product.value
    return dosing.check(LABELS[Product(product)], ctx.plan, protocol(product))


def check(record: TreatmentRecord, *, at: datetime | None = None) -> dosing.Check:
    at = at or timezone.now()
    points = [{"area": p.area, "units": p.units} for p in record.points.all()]
    return guard(context(record, points, at, record_vials(record)))


# ---------------------------------------------------------------- one verdict


def verdict(
    product: str,
    points,
    at: datetime,
    *,
    patient=None,
    vial: Vial | None = None,
    vials: list[Vial] | tuple[Vial, ...] = (),
    record: TreatmentRecord | None = None,
    history_given: tuple[dosing.PastSession, ...] = (),
    platysma_bands: tuple[int, int] | None = None,
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
        if platysma_bands is None:
            platysma_bands = bands_of(record)
    ctx = plan_for(
        product,
        points,
        at,
        patient=patient,
        vial=vial,
        vials=vials,
        session=record.appointment_id if record is not None else None,
        history_given=history_given,
        platysma_bands=platysma_bands,
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
            object_type="treatment",
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
        cosigned = _cosignature_for(current, points, result) if result.ceilings else None
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
            detail={
                "locked": True,
                "total": str(result.total),
                "lot": ", ".join(dict.fromkeys(v.lot.lot_number for v in vials)),
                "cosignature": str(cosigned.public_id) if cosigned else None,
            },
        )
        signals.treatment_signed.send(TreatmentRecord, record=current, now=now)
    return current


def _reason_for_visit(record: TreatmentRecord) -> str | None:
    """Why a visit not checked in was charted (an amendment reads its original's)."""
    return record.charting_reason or (record.amends.charting_reason if record.amends_id else None)


# ---------------------------------------------------------------- co-signature


def plan_sha256(record: TreatmentRecord, points) -> str:
    """What a co-signature covers: the product, each point's area and units, the bands."""
    units = sorted(f"{p.area}:{Decimal(p.units).normalize():f}" for p in points)
    text = "|".join([record.product, *units, f"bands:{record.platysma_bands}"])
    return hashlib.sha256(text.encode()).hexdigest()


def _ceiling_keys(findings) -> set[tuple[str, str]]:
    return {(f["code"], f["area"]) if isinstance(f, dict) else (f.code, f.area) for f in findings}


def _cosignature_for(record: TreatmentRecord, points, result: dosing.Check):
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
    return _cosignature_for(record, list(record.points.all()), result)


def cosign(actor: Actor, record: TreatmentRecord, *, note: str = "", now=None) -> CoSignature:
    """The medical director co-signs a draft whose plan is above a ceiling (the label's dose or
    a house maximum): the co-signature covers the plan as it stands now; a change to the points
    or the bands needs a new one. A typed reason never stands in for it."""
    if actor.staff is None or actor.role != Role.MEDICAL_DIRECTOR:
        raise Forbidden("Only the medical director co-signs a dose above the ceiling.")
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
        )
        audit.record_patient(
            actor,
            Action.CREATE,
            current.patient,
            object_type="treatment-cosignature",
            object_id=current.public_id,
            detail={"ceilings": [f.code for f in result.ceilings]},
        )
    return cosigned


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
