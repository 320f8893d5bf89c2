"""The prepaid API's bodies and answers: plans, a patient's packages and membership with their
ledgers. Units and amounts travel as strings of decimals ("20.00", "99.00"), never as JSON
numbers; plans are named by their number, packages and memberships by their public id."""

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from ninja import Field, Schema

from glabella.billing import money
from glabella.billing.api_schemas import Strict
from glabella.billing.models import (
    Membership,
    MembershipEntry,
    MembershipPlan,
    PackageEntry,
    PackagePlan,
    PatientPackage,
)

UNITS_TEXT = 'A string of a decimal, to the hundredth, such as "20" or "2.5" (never a JSON number)'
ROW_ID = {"ge": 1, "le": 2**31 - 1}


def units_field(description: str = UNITS_TEXT):
    return Field(..., min_length=1, max_length=20, description=description)


def _units(value: Decimal) -> str:
    return f"{value.quantize(money.CENT):.2f}"


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else f"{money.cents(value):.2f}"


# ---------------------------------------------------------------- answers


class PackagePlanOut(Schema):
    id: int = Field(description="The plan's number, to sell it")
    name: str
    product: str = Field(description="The product its units are of; empty for visits")
    service: str | None = Field(description="For a package of visits: the service's slug")
    units: str = Field(description="Units (or visits) it holds")
    price: str
    valid_days: int = Field(description="Days it is good for, from the day it is paid")


class MembershipPlanOut(Schema):
    id: int = Field(description="The plan's number, to enroll in it")
    name: str
    monthly_fee: str
    percent_off: str | None = Field(
        description="Off the list price when a product has no member price"
    )
    credit_product: str = Field(description="The product the monthly credit is in; empty if none")
    monthly_credit: str = Field(description="Units of credit each month")


class PackageEntryOut(Schema):
    kind: str = Field(description="bought, redeemed, adjusted, refunded or expired")
    units: str = Field(description="Signed: in above zero, out below")
    balance_after: str
    invoice_line: int | None = Field(description="The line it paid, for a redemption")
    payment: UUID | None = Field(description="The payment of method package, for a redemption")
    reason: str
    by: str | None
    at: datetime


class PackageOut(Schema):
    id: UUID
    patient: UUID
    patient_name: str
    plan: int
    plan_name: str
    product: str
    service: str | None
    units: str = Field(description="Units (or visits) bought")
    balance: str = Field(description="Units (or visits) left")
    status: str = Field(description="pending (until its invoice is paid), active, used_up, expired")
    invoice: UUID = Field(description="The invoice it was sold on")
    sold_at: datetime
    activated_on: date | None
    expires_on: date | None = Field(description="Its last good day")


class PackageDetailOut(PackageOut):
    ledger: list[PackageEntryOut]


class MembershipEntryOut(Schema):
    kind: str = Field(description="credit, fee, spent, paused, resumed or cancelled")
    units: str = Field(description="Credit, signed: granted above zero, spent or lapsed below")
    balance_after: str
    period: date | None = Field(description="The month (its first day) of a credit or a fee")
    amount: str | None = Field(description="The month's fee")
    invoice: UUID | None = Field(description="The fee's invoice, or the invoice credit paid")
    invoice_line: int | None
    payment: UUID | None = Field(description="The payment of method membership, for credit spent")
    reason: str
    by: str | None
    at: datetime


class MembershipOut(Schema):
    id: UUID
    patient: UUID
    patient_name: str
    plan: int
    plan_name: str
    location: str = Field(description="The location's slug")
    status: str = Field(description="active, paused or cancelled")
    started_on: date
    paused_on: date | None
    cancelled_on: date | None
    credit_product: str
    credit_balance: str = Field(description="Units of credit left")


class MembershipDetailOut(MembershipOut):
    ledger: list[MembershipEntryOut]


def package_plan_out(plan: PackagePlan) -> dict:
    return {
        "id": plan.pk,
        "name": plan.name,
        "product": plan.product,
        "service": plan.service.slug if plan.service_id else None,
        "units": _units(plan.units),
        "price": _amount(plan.price),
        "valid_days": plan.valid_days,
    }


def membership_plan_out(plan: MembershipPlan) -> dict:
    return {
        "id": plan.pk,
        "name": plan.name,
        "monthly_fee": _amount(plan.monthly_fee),
        "percent_off": None if plan.percent_off is None else f"{plan.percent_off:.2f}",
        "credit_product": plan.credit_product,
        "monthly_credit": _units(plan.monthly_credit),
    }


def _by(entry) -> str | None:
    return entry.by.full_name if entry.by_id else None


def package_out(package: PatientPackage) -> dict:
    plan = package.plan
    return {
        "id": package.public_id,
        "patient": package.patient.public_id,
        "patient_name": package.patient.full_name,
        "plan": plan.pk,
        "plan_name": plan.name,
        "product": plan.product,
        "service": plan.service.slug if plan.service_id else None,
        "units": _units(package.units),
        "balance": _units(package.balance),
        "status": package.status,
        "invoice": package.invoice.public_id,
        "sold_at": package.sold_at,
        "activated_on": package.activated_on,
        "expires_on": package.expires_on,
    }


def package_entry_out(entry: PackageEntry) -> dict:
    return {
        "kind": entry.kind,
        "units": _units(entry.units),
        "balance_after": _units(entry.balance_after),
        "invoice_line": entry.invoice_line_id,
        "payment": entry.payment.public_id if entry.payment_id else None,
        "reason": entry.reason,
        "by": _by(entry),
        "at": entry.at,
    }


PACKAGE_RELATED = ("patient", "plan", "plan__service", "invoice")
MEMBERSHIP_RELATED = ("patient", "plan", "location")


def package_detail(package: PatientPackage) -> dict:
    """The package as it stands now, with its ledger in the order it was written."""
    fresh = PatientPackage.objects.select_related(*PACKAGE_RELATED).get(pk=package.pk)
    rows = fresh.entries.select_related("payment", "by").order_by("at", "id")
    return {**package_out(fresh), "ledger": [package_entry_out(e) for e in rows]}


def membership_out(membership: Membership) -> dict:
    plan = membership.plan
    return {
        "id": membership.public_id,
        "patient": membership.patient.public_id,
        "patient_name": membership.patient.full_name,
        "plan": plan.pk,
        "plan_name": plan.name,
        "location": membership.location.slug,
        "status": membership.status,
        "started_on": membership.started_on,
        "paused_on": membership.paused_on,
        "cancelled_on": membership.cancelled_on,
        "credit_product": plan.credit_product,
        "credit_balance": _units(membership.credit_balance),
    }


def membership_entry_out(entry: MembershipEntry) -> dict:
    return {
        "kind": entry.kind,
        "units": _units(entry.units),
        "balance_after": _units(entry.balance_after),
        "period": entry.period,
        "amount": _amount(entry.amount),
        "invoice": entry.invoice.public_id if entry.invoice_id else None,
        "invoice_line": entry.invoice_line_id,
        "payment": entry.payment.public_id if entry.payment_id else None,
        "reason": entry.reason,
        "by": _by(entry),
        "at": entry.at,
    }


def membership_detail(membership: Membership) -> dict:
    """The membership as it stands now, with its ledger in the order it was written."""
    fresh = Membership.objects.select_related(*MEMBERSHIP_RELATED).get(pk=membership.pk)
    rows = fresh.entries.select_related("invoice", "payment", "by").order_by("at", "id")
    return {**membership_out(fresh), "ledger": [membership_entry_out(e) for e in rows]}


# ---------------------------------------------------------------- bodies


class SaleIn(Strict):
    plan: int = Field(..., **ROW_ID, description="A package plan's id (GET package-plans)")


class PackageRedemptionIn(Strict):
    package: UUID = Field(description="One of this patient's packages")
    line: int = Field(..., **ROW_ID, description="The invoice line (of the package's product)")
    units: str = units_field('Units (or visits) to pay from the package, such as "20"')


class AdjustmentIn(Strict):
    units: str = units_field('Signed: "10" adds units, "-5" takes them off')
    reason: str = Field(min_length=1, max_length=300)
    refund: bool = Field(False, description="Units given back after a redemption was refunded")


class EnrolIn(Strict):
    patient: UUID
    plan: int = Field(..., **ROW_ID, description="A membership plan's id (GET membership-plans)")
    location: str = Field(max_length=50, description="Location slug: its clock sets the months")


class CancelIn(Strict):
    reason: str = Field("", max_length=300)


class MembershipRedemptionIn(Strict):
    membership: UUID = Field(description="This patient's membership")
    line: int = Field(..., **ROW_ID, description="The invoice line (of the credit's product)")
    units: str = units_field('Units of credit to spend, such as "10"')
