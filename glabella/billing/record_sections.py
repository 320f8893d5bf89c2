"""Billing's sections of the patient record (patients' `record_sections`), for whoever takes
payments (clinicians see no amounts): her latest invoices with their totals and what each still
owes, linked to the desk's invoice page (four queries, whatever the history); and her prepaid
packages and membership with their balances, each linked to its ledger, with enrolling, pausing,
resuming and canceling (five queries at most; nothing when she holds neither and the clinic
sells no package or membership)."""

from __future__ import annotations

from datetime import datetime

from glabella.billing import desk, prepaid
from glabella.billing.models import Membership, MembershipPlan, PackagePlan, PatientPackage
from glabella.billing.packages import units_text
from glabella.billing.page_forms import CancelMembershipForm, EnrolForm
from glabella.clinic import setup
from glabella.core.access import Actor
from glabella.core.roles import Capability
from glabella.patients.models import Patient
from glabella.patients.sections import Section

SHOWN = 10


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
    clinic = setup.organisation()  # one clinic an installation
    plans = list(MembershipPlan.objects.filter(organisation=clinic, active=True).order_by("name"))
    packages_on_sale = PackagePlan.objects.filter(organisation=clinic, active=True).exists()
    if not held and membership is None and not plans and not packages_on_sale:
        return None
    live = membership is not None and membership.status in prepaid.LIVE
    enrol = None
    if plans and not live:
        enrol = EnrolForm(
            plans=plans,
            locations=prepaid.locations(clinic),
            initial={"location": patient.preferred_location_id},
        )
    return Section(
        key="prepaid",
        title="Packages and membership",
        order=15,
        template="billing/record_prepaid.html",
        context={
            "patient_id": patient.public_id,
            "packages": [_package(p) for p in held[:SHOWN]],
            "more": len(held) > SHOWN,
            "membership": membership,
            "live": live,
            "credit": units_text(membership.credit_balance) if membership else "",
            "credit_product": membership.plan.get_credit_product_display() if membership else "",
            "enrol": enrol,
            "cancel": CancelMembershipForm() if live else None,
            "packages_on_sale": packages_on_sale,
        },
    )


def _package(package: PatientPackage) -> dict:
    plan = package.plan
    what = plan.get_product_display() if plan.product else plan.service.name
    return {
        "public_id": package.public_id,
        "name": plan.name,
        "what": what,
        "unit": "units" if plan.product else "visits",
        "balance": units_text(package.balance),
        "bought": units_text(package.units),
        "status": package.get_status_display(),
        "expires_on": package.expires_on,
    }
