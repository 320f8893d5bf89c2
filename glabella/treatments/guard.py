"""What the dose guard reads, and its run on a plan: the patient's earlier toxin sessions (this
clinic's locked records and what they reported at intake), screening's decision and consent,
the vials' state, the points already signed in the same session, the clinic's protocol; then
`dosing.check` on them. A draft record's plan is checked with its saved points and vials."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from glabella.catalogue.areas import ChartArea
from glabella.catalogue.labels import HOUSE_AREAS, LABELS, product_named
from glabella.catalogue.products import Product
from glabella.clinic.clock import clinic_zone
from glabella.inventory.models import Vial
from glabella.screening.consents import current_consent
from glabella.screening.decisions import clearance
from glabella.screening.intake import latest_intake
from glabella.screening.models import ConsentKind
from glabella.treatments import dosing
from glabella.treatments.models import InjectionPoint, RecordVial, TreatmentRecord
from glabella.treatments.protocol import protocol

HISTORY_DAYS = 400  # far enough back for every check the guard makes


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
