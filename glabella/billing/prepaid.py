"""What the prepaid pages read: the clinic's plans (for the owner's price page and the desk's
enrolling), and a package or a membership with its whole ledger (every row: when, what, units,
the balance after, by whom, why, on which invoice).

Every read a person sees that names a patient writes its access-log row here; the writes are in
`packages.py` and `memberships.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from glabella.billing.models import (
    Invoice,
    Membership,
    MembershipEntry,
    MembershipPlan,
    PackageEntry,
    PackagePlan,
    PatientPackage,
)
from glabella.billing.packages import units_text
from glabella.clinic.models import Location
from glabella.core import audit
from glabella.core.access import Actor
from glabella.core.errors import NotFound
from glabella.core.roles import Capability
from glabella.patients.services import require_capability

LIVE = (Membership.Status.ACTIVE, Membership.Status.PAUSED)


# ---------------------------------------------------------------- the clinic's plans


def package_plans(organisation, *, on_sale_only: bool = False) -> list[PackagePlan]:
    """The clinic's packages, those on sale first, by name."""
    found = PackagePlan.objects.filter(organisation=organisation).select_related("service")
    if on_sale_only:
        found = found.filter(active=True)
    return list(found.order_by("-active", "name"))


def membership_plans(organisation, *, on_sale_only: bool = False) -> list[MembershipPlan]:
    """The clinic's memberships, those open to new members first, by name."""
    found = MembershipPlan.objects.filter(organisation=organisation)
    if on_sale_only:
        found = found.filter(active=True)
    return list(found.order_by("-active", "name"))


def find_plan(organisation, kind: str, pk: object) -> PackagePlan | MembershipPlan:
    """The clinic's package (`kind` "package") or membership plan `pk`; NotFound otherwise."""
    model = PackagePlan if kind == "package" else MembershipPlan
    found = model.objects.filter(organisation=organisation, pk=_int(pk)).first()
    if found is None:
        raise NotFound(f"There is no such {'package' if kind == 'package' else 'membership'}.")
    return found


def membership_plan(organisation, pk: object) -> MembershipPlan | None:
    """The clinic's membership `pk`, or None (`memberships.enrol` names the field)."""
    return MembershipPlan.objects.filter(organisation=organisation, pk=_int(pk)).first()


def locations(organisation) -> list[Location]:
    """The clinic's open locations, where a member may be enrolled."""
    return list(Location.objects.filter(organisation=organisation, active=True).order_by("name"))


def location(organisation, pk: object) -> Location | None:
    return Location.objects.filter(organisation=organisation, active=True, pk=_int(pk)).first()


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------- a patient's


def find_package(actor: Actor, public_id, action: str = "view") -> PatientPackage:
    """The package `actor` may see (NotFound for any other)."""
    found = (
        PatientPackage.objects.restrict(actor, action)
        .select_related("patient", "plan", "plan__service", "invoice", "invoice__location")
        .filter(public_id=public_id)
        .first()
    )
    if found is None:
        raise NotFound("There is no such package.")
    return found


def find_membership(actor: Actor, public_id, action: str = "view") -> Membership:
    """The membership `actor` may see (NotFound for any other)."""
    found = (
        Membership.objects.restrict(actor, action)
        .select_related("patient", "plan", "location")
        .filter(public_id=public_id)
        .first()
    )
    if found is None:
        raise NotFound("There is no such membership.")
    return found


def live_membership(patient) -> Membership | None:
    """The patient's membership that is active or paused, if any."""
    return (
        Membership.objects.filter(patient=patient, status__in=LIVE)
        .select_related("plan", "location")
        .first()
    )


def fee_invoice(membership: Membership) -> Invoice | None:
    """The invoice of the membership's latest monthly fee (enrolling opens the first)."""
    entry = (
        MembershipEntry.objects.filter(membership=membership, kind=MembershipEntry.Kind.FEE_CHARGED)
        .select_related("invoice")
        .order_by("-period", "-id")
        .first()
    )
    return entry.invoice if entry else None


@dataclass(frozen=True)
class LedgerRow:
    at: datetime
    what: str
    units: str  # signed, as people write it: +10, -5; empty when the row moved none
    balance_after: str
    by: str
    reason: str
    invoice: Invoice | None
    period: date | None = None
    amount: Decimal | None = None


def _signed(units: Decimal) -> str:
    if units == 0:
        return ""
    return f"+{units_text(units)}" if units > 0 else units_text(units)


def _by(entry) -> str:
    return entry.by.full_name if entry.by_id else "Automatically"


def _invoice_of(entry) -> Invoice | None:
    if getattr(entry, "invoice_id", None):
        return entry.invoice
    if entry.invoice_line_id:
        return entry.invoice_line.invoice
    if entry.payment_id:
        return entry.payment.invoice
    return None


def read_package(actor: Actor, package: PatientPackage) -> list[LedgerRow]:
    """The package's ledger, oldest first, its read logged."""
    require_capability(actor, Capability.TAKE_PAYMENT, "see packages")
    audit.record_patient(
        actor,
        audit.Action.READ,
        package.patient,
        object_type=audit.Kind.PACKAGE,
        object_id=package.public_id,
    )
    entries = PackageEntry.objects.filter(package=package).select_related(
        "by", "invoice_line__invoice", "payment__invoice"
    )
    rows = []
    for entry in entries.order_by("at", "id"):
        invoice = _invoice_of(entry)
        if invoice is None and entry.kind == PackageEntry.Kind.BOUGHT:
            invoice = package.invoice
        rows.append(
            LedgerRow(
                at=entry.at,
                what=entry.get_kind_display(),
                units=_signed(entry.units),
                balance_after=units_text(entry.balance_after),
                by=_by(entry),
                reason=entry.reason,
                invoice=invoice,
            )
        )
    return rows


def read_membership(actor: Actor, membership: Membership) -> list[LedgerRow]:
    """The membership's ledger, oldest first, its read logged."""
    require_capability(actor, Capability.TAKE_PAYMENT, "see memberships")
    audit.record_patient(
        actor,
        audit.Action.READ,
        membership.patient,
        object_type=audit.Kind.MEMBERSHIP,
        object_id=membership.public_id,
    )
    entries = MembershipEntry.objects.filter(membership=membership).select_related(
        "by", "invoice", "invoice_line__invoice", "payment__invoice"
    )
    return [
        LedgerRow(
            at=entry.at,
            what=entry.get_kind_display(),
            units=_signed(entry.units),
            balance_after=units_text(entry.balance_after),
            by=_by(entry),
            reason=entry.reason,
            invoice=_invoice_of(entry),
            period=entry.period,
            amount=entry.amount,
        )
        for entry in entries.order_by("at", "id")
    ]
