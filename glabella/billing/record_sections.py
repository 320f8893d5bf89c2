"""Billing's section of the patient record (patients' `record_sections`): the patient's latest
invoices with their totals and what each still owes, linked to the desk's invoice page. Only for
those who take payments (clinicians see no amounts). Four queries, whatever the history."""

from __future__ import annotations

from datetime import datetime

from glabella.billing import desk
from glabella.core.access import Actor
from glabella.core.roles import Capability
from glabella.patients.models import Patient
from glabella.patients.sections import Section


def invoices_section(actor: Actor, patient: Patient, now: datetime) -> Section | None:
    if not actor.can(Capability.TAKE_PAYMENT):
        return None
    rows, more = desk.patient_invoices(actor, patient)
    return Section(
        key="invoices",
        title="Invoices",
        order=45,
        template="billing/record_invoices.html",
        context={"rows": rows, "more": more},
    )
