"""Billing's section of the patient record (patients' `record_sections`): her prepaid packages
and her membership with their balances, for whoever takes payments. Two queries, whatever the
history; nothing when she holds neither."""

from __future__ import annotations

from datetime import datetime

from glabella.billing.models import Membership, PatientPackage
from glabella.billing.packages import units_text
from glabella.core.access import Actor
from glabella.core.roles import Capability
from glabella.patients.models import Patient
from glabella.patients.sections import Section

SHOWN = 10


def prepaid_section(actor: Actor, patient: Patient, now: datetime) -> Section | None:
    if not actor.can(Capability.TAKE_PAYMENT):
        return None
    held = list(
        PatientPackage.objects.restrict(actor, "view")
        .filter(patient=patient)
        .select_related("plan", "plan__service")
        .order_by("-sold_at", "-id")[: SHOWN + 1]
    )
    membership = (
        Membership.objects.restrict(actor, "view")
        .filter(patient=patient)
        .select_related("plan")
        .order_by("-started_on", "-id")
        .first()
    )
    if not held and membership is None:
        return None
    return Section(
        key="prepaid",
        title="Packages and membership",
        order=15,
        template="billing/record_prepaid.html",
        context={
            "packages": [_package(p) for p in held[:SHOWN]],
            "more": len(held) > SHOWN,
            "membership": membership,
            "credit": units_text(membership.credit_balance) if membership else "",
            "credit_product": membership.plan.get_credit_product_display() if membership else "",
        },
    )


def _package(package: PatientPackage) -> dict:
    plan = package.plan
    what = plan.get_product_display() if plan.product else plan.service.name
    return {
        "name": plan.name,
        "what": what,
        "unit": "units" if plan.product else "visits",
        "balance": units_text(package.balance),
        "bought": units_text(package.units),
        "status": package.get_status_display(),
        "expires_on": package.expires_on,
    }
