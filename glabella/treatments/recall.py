"""The recall of a lot: everyone treated from its vials (day, areas, units, how to reach them),
the list as CSV, and one notice to each asking them to call the clinic, in their language."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _

from glabella.catalogue.areas import any_area_name
from glabella.core import audit, phones, styles
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Forbidden
from glabella.core.language import current, speaking
from glabella.core.roles import Capability
from glabella.core.text import csv_cell
from glabella.inventory.models import Lot
from glabella.treatments.models import InjectionPoint

Action = audit.Action


@dataclass(frozen=True)
class Treated:
    patient_id: int
    patient_public_id: UUID
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
            "record__patient__public_id",
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
    zone = lot.location.zone  # the day of the treatment on the clinic's clock, not UTC's
    for r in rows:
        entry = by_record.setdefault(
            r["record_id"],
            {
                "patient_id": r["record__patient_id"],
                "patient_public_id": r["record__patient__public_id"],
                "name": f"{r['record__patient__given_name']} {r['record__patient__family_name']}",
                "phone": r["record__patient__phone"],
                "email": r["record__patient__email"],
                "treated_on": r["record__locked_at"].astimezone(zone).date(),
                "areas": {},
            },
        )
        entry["areas"][r["area"]] = entry["areas"].get(r["area"], Decimal(0)) + r["units"]
    return [Treated(**e, units=sum(e["areas"].values(), Decimal(0))) for e in by_record.values()]


def recall_csv(treated: list[Treated]) -> str:
    """The recall list as CSV: one row per treatment."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Patient", "Phone", "Email", "Treated on", "Units", "Areas"])
    for t in treated:
        areas = "; ".join(
            f"{any_area_name(area)} {units.normalize():f} U" for area, units in t.areas.items()
        )
        row = [
            t.name,
            phones.display(t.phone),
            t.email,
            styles.short_day(t.treated_on),
            f"{t.units.normalize():f}",
            areas,
        ]
        writer.writerow([csv_cell(cell) for cell in row])
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
    phone = phones.display(lot.location.phone)
    queued = 0
    with write_transaction():
        for t in treated:
            patient = patients[t.patient_id]
            with speaking(patient):
                body = _(
                    "Hello %(name)s,\n\nPlease call us on %(phone)s about the treatment you had "
                    "with us on %(day)s. It is important, and it will only take a few minutes."
                ) % {
                    "name": patient.preferred_name or patient.given_name,
                    "phone": phone,
                    "day": _treated_on(t.treated_on),
                }
                message = queue_to_patient(
                    patient,
                    topic="recall",
                    subject=_("Please call the clinic"),
                    body=body,
                    about=f"lot:{lot.public_id}",
                    dedupe_key=f"recall:{lot.public_id}:{patient.public_id}",
                    now=now,
                )
            queued += message is not None
        audit.record(
            actor,
            Action.CREATE,
            audit.Kind.RECALL_NOTICE,
            lot.public_id,
            detail={"treated": len(treated), "queued": queued},
        )
    return queued


def _treated_on(day: date) -> str:
    """The day in words without the weekday: December 1, 2026 / 1 de diciembre de 2026."""
    return date_format(day, TREATED_ON.get(current(), TREATED_ON["en"]))


TREATED_ON = {"en": "F j, Y", "es": r"j \d\e F \d\e Y"}
