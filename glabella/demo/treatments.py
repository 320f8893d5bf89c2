"""Charted history for the demo: every completed neuromodulator appointment gets a signed
treatment record with its points, drawn from vials of lots received every two months, each vial
opened on its first day of use and written off when its time after reconstitution runs out; and
sealed stock on the shelf today. Deterministic and laid down once (nothing is added if any
treatment record exists).

The points follow the label patterns (BOTOX Cosmetic: frown lines, often crow's feet, sometimes
the forehead with the frown lines; Dysport and DAXXIFY: frown lines). History is written in
bulk, in the shape the charting service writes it; its records carry no decision or consent,
which the demo's history predates. Each carries the verdict it was signed under: the dose
guard's, worked out at the visit's time with the vial as it was then and the patient's earlier
demo sessions (the decision and consent taken as given, since the history predates them).
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F

from glabella.catalogue.areas import Area, ChartArea
from glabella.catalogue.labels import LABELS
from glabella.catalogue.products import Product
from glabella.core import signing
from glabella.core.models import StaffMember
from glabella.core.roles import Role
from glabella.inventory.models import Lot, Movement, Vial
from glabella.inventory.services import write_off_expired
from glabella.scheduling.models import Appointment, Status
from glabella.treatments import chart, dosing
from glabella.treatments.charting import SIGNED_WORDS
from glabella.treatments.models import InjectionPoint, RecordVial, TreatmentRecord

VIALS_PER_LOT = 30
LOT_EVERY_DAYS = 60
COST = {Product.BOTOX_COSMETIC: "620", Product.DYSPORT: "480", Product.DAXXIFY: "340"}
# A record draws from one vial, so a vial holds the largest session (64 U of BOTOX Cosmetic).
SIZE = {Product.BOTOX_COSMETIC: 100, Product.DYSPORT: 300, Product.DAXXIFY: 50}
DILUENT = {Product.BOTOX_COSMETIC: "2.5", Product.DYSPORT: "2.5", Product.DAXXIFY: "0.6"}


def _product_for(patient_id: int) -> Product:
    n = patient_id % 10
    return Product.DYSPORT if n in (7, 8) else Product.DAXXIFY if n == 9 else Product.BOTOX_COSMETIC


def _plan(product: Product, rng: random.Random) -> list[tuple[ChartArea, Decimal]]:
    label = LABELS[product]
    sites, per_site = label.pattern(Area.GLABELLAR)
    points = [(ChartArea.GLABELLAR, per_site)] * sites
    if product == Product.BOTOX_COSMETIC:
        if rng.random() < 0.4:
            points += [(ChartArea.LATERAL_CANTHAL_LEFT, Decimal(4))] * 3
            points += [(ChartArea.LATERAL_CANTHAL_RIGHT, Decimal(4))] * 3
        if rng.random() < 0.3:
            points += [(ChartArea.FOREHEAD, Decimal(4))] * 5
    return points


class _Shelf:
    """The lots and vials of one product at one location, opened in order."""

    def __init__(self, location, product: Product, receiver, first_day: date):
        self.location, self.product, self.receiver = location, product, receiver
        self.lots: list[Lot] = []
        self.vials: list[Vial] = []
        self.open: Vial | None = None
        self.next_lot_day = first_day
        self.movements: list[Movement] = []

    def _receive(self, day: date) -> None:
        lot = Lot.objects.create(
            location=self.location,
            product=self.product,
            lot_number=f"{self.product.value[:2].upper()}{day:%y%m%d}{self.location.pk}",
            expires_on=day + timedelta(days=240),
            vial_units=SIZE[self.product],
            vials_received=VIALS_PER_LOT,
            supplier="Authorized distributor",
            unit_cost=Decimal(COST[self.product]),
            received_on=day,
            received_by=self.receiver,
            seal_checked=True,
            licence_checked=True,
        )
        self.lots.append(lot)
        self.vials += Vial.objects.bulk_create(
            Vial(lot=lot, number=n, units_total=SIZE[self.product], units_left=SIZE[self.product])
            for n in range(1, VIALS_PER_LOT + 1)
        )
        self.next_lot_day = day + timedelta(days=LOT_EVERY_DAYS)

    def _close(self, when: datetime) -> None:
        vial = self.open
        if vial.units_left > 0:
            self.movements.append(
                Movement(
                    vial=vial,
                    kind=Movement.Kind.EXPIRED,
                    units=vial.units_left,
                    balance_after=0,
                    at=min(when, vial.discard_by),
                    reason="past its time after reconstitution",
                )
            )
            vial.units_left = Decimal(0)
            vial.state = Vial.State.EXPIRED
        else:
            vial.state = Vial.State.USED_UP
        vial.closed_at = min(when, vial.discard_by)
        self.open = None

    def _sealed(self, day: date) -> list[Vial]:
        """Sealed vials of lots still in date, oldest lot first."""
        return [v for v in self.vials if v.state == Vial.State.SEALED and v.lot.expires_on > day]

    def vial_for(self, at: datetime, units: Decimal, by) -> Vial:
        day = at.astimezone(self.location.zone).date()  # the shelf's day, not UTC's
        if self.open is not None and (at > self.open.discard_by or self.open.units_left < units):
            self._close(at)
        if self.open is None:
            if day >= self.next_lot_day or not self._sealed(day):
                self._receive(day)  # the regular delivery, or an order when the shelf is empty
            vial = self._sealed(day)[0]
            vial.state = Vial.State.RECONSTITUTED
            vial.reconstituted_at = at - timedelta(minutes=10)
            vial.reconstituted_by = by
            vial.diluent = "0.9% sodium chloride, preservative-free"
            vial.diluent_ml = Decimal(DILUENT[self.product])
            vial.units_per_01ml = (vial.units_total / vial.diluent_ml / 10).quantize(
                Decimal("0.01")
            )
            vial.discard_by = vial.reconstituted_at + timedelta(
                hours=LABELS[self.product].beyond_use_hours
            )
            self.open = vial
        return self.open


# The reason the demo's injector gave for a warning (sessions less than 90 days apart).
REASONS = {"interval": "The patient asked to come back sooner; the risks were discussed."}


def _verdict(product: Product, plan, at: datetime, vial: Vial, earlier) -> dosing.Check:
    """The dose guard's verdict as signing would have stored it at `at`, before the draw."""
    label = LABELS[product]
    return dosing.check(
        label,
        dosing.Plan(
            product=product,
            points=tuple(dosing.Point(area, units) for area, units in plan),
            at=at,
            history=tuple(earlier),
            vial=dosing.VialState(
                product=product,
                units_left=vial.units_left,
                expires_on=vial.lot.expires_on,
                reconstituted_at=vial.reconstituted_at,
            ),
            cleared=frozenset(label.doses),
            consented=True,
        ),
    )


def load_demo_treatments(today: date, seed: int = 1) -> int:
    if TreatmentRecord.objects.exists():
        return 0
    receiver = StaffMember.objects.filter(role=Role.MEDICAL_DIRECTOR).first()
    # Before today on each location's own clock, as the history marked visits completed (a
    # UTC date would leave out the evening visits of the day before).
    past = [
        appointment
        for appointment in Appointment.objects.filter(
            service__kind="neuromodulator", status=Status.COMPLETED
        )
        .select_related("location", "provider")
        .order_by("starts_at", "id")
        if appointment.local_start.date() < today
    ]
    if not past or receiver is None:
        return 0
    rng = random.Random(f"demo-treatments-{seed}")
    first_day = past[0].starts_at.date() - timedelta(days=3)
    shelves: dict[tuple[int, Product], _Shelf] = {}
    with transaction.atomic():
        records, plans = [], []
        sessions: dict[int, list[dosing.PastSession]] = defaultdict(list)
        for appointment in past:
            product = _product_for(appointment.patient_id)
            key = (appointment.location_id, product)
            shelf = shelves.get(key) or shelves.setdefault(
                key, _Shelf(appointment.location, product, receiver, first_day)
            )
            plan = _plan(product, rng)
            units = sum((u for _, u in plan), Decimal(0))
            vial = shelf.vial_for(appointment.starts_at, units, appointment.provider)
            verdict = _verdict(
                product, plan, appointment.starts_at, vial, sessions[appointment.patient_id]
            )
            local_day = appointment.starts_at.astimezone(appointment.location.zone).date()
            sessions[appointment.patient_id].append(
                dosing.PastSession(local_day, product.value, units)
            )
            vial.units_left -= units
            supervisor = (
                appointment.provider.supervising_prescriber
                if appointment.provider.credential == "RN"
                else None
            )
            records.append(
                TreatmentRecord(
                    appointment=appointment,
                    patient_id=appointment.patient_id,
                    injector=appointment.provider,
                    supervisor=supervisor,
                    product=product,
                    vial=vial,
                    created_at=appointment.starts_at,
                    guard=[
                        dict(code=f.code, level=f.level.value, message=f.message, area=f.area)
                        for f in verdict.findings
                    ],
                    guard_level=verdict.level.value,
                    reasons={
                        f.code: REASONS.get(f.code, "Discussed with the patient.")
                        for f in verdict.findings
                    },
                    # History is written, not signed page by page: it carries the words a
                    # signature on the chart page means.
                    attestation=signing.statement(appointment.provider, SIGNED_WORDS),
                )
            )
            plans.append((plan, vial, shelf, appointment))
        for shelf in shelves.values():
            if shelf.open is not None:
                shelf._close(datetime.combine(today, datetime.min.time(), shelf.location.zone))
        vials = [v for shelf in shelves.values() for v in shelf.vials]
        Vial.objects.bulk_update(
            vials,
            [
                "state",
                "units_left",
                "reconstituted_at",
                "reconstituted_by",
                "diluent",
                "diluent_ml",
                "units_per_01ml",
                "discard_by",
                "closed_at",
            ],
            batch_size=500,
        )
        records = TreatmentRecord.objects.bulk_create(records, batch_size=500)
        balances: dict[int, Decimal] = defaultdict(Decimal)
        draws, positions = [], []
        for record, (plan, vial, _shelf, appointment) in zip(records, plans, strict=True):
            balances.setdefault(vial.pk, Decimal(vial.units_total))
            counts: dict[ChartArea, int] = defaultdict(int)
            for area, units in plan:
                balances[vial.pk] -= units
                draws.append(
                    Movement(
                        vial=vial,
                        kind=Movement.Kind.DRAW,
                        units=units,
                        balance_after=max(balances[vial.pk], Decimal(0)),
                        at=appointment.starts_at,
                        by=appointment.provider,
                        patient_id=appointment.patient_id,
                    )
                )
                positions.append((record, area, units, chart.place(area, counts[area])))
                counts[area] += 1
        draws = Movement.objects.bulk_create(draws, batch_size=1000)
        InjectionPoint.objects.bulk_create(
            (
                InjectionPoint(
                    record=record,
                    area=area.value,
                    x=Decimal(str(x)),
                    y=Decimal(str(y)),
                    units=units,
                    movement=movement,
                )
                for (record, area, units, (x, y)), movement in zip(positions, draws, strict=True)
            ),
            batch_size=1000,
        )
        Movement.objects.bulk_create(
            [m for shelf in shelves.values() for m in shelf.movements], batch_size=1000
        )
        RecordVial.objects.bulk_create(
            (
                RecordVial(record=record, vial=vial, position=0)
                for record, (_, vial, *_) in zip(records, plans, strict=True)
            ),
            batch_size=1000,
        )
        TreatmentRecord.objects.filter(pk__in=[r.pk for r in records]).update(
            status=TreatmentRecord.Status.LOCKED, locked_at=F("created_at")
        )
        # Today's shelf: a fresh lot of each product at each location.
        for shelf in shelves.values():
            shelf._receive(today - timedelta(days=2))
    # What history left sealed in lots that have since expired is written off, as the
    # scheduler would have done.
    write_off_expired()
    return len(records)
