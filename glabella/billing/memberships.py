"""Memberships: a monthly fee, member prices, and a monthly credit of units of one product.

The owner sets the plans (`create_plan`); the desk enrols a patient (`enrol`) at a location,
which grants the first month at once. Each calendar month in that location's zone the
scheduler's `renew_due` grants the month's credit (a `credit` row) and opens the fee's invoice
(a `fee` row) for every active membership: the pair is unique per membership and month in the
database, so a second run in the same month, or two workers at once, do nothing more. Unused
credit carries over while the membership lasts. A paused membership is neither charged nor
credited; resuming grants the month if it has not had it; cancelling ends it for good and its
credit lapses. Member prices are applied as an invoice is opened (`invoices.unit_price`), and
credit pays units at checkout (`redeem`, a payment of method "membership"). Every change is a
ledger row; the credit balance always equals their sum.
The owner stops enrolling in a plan, or opens it again (`set_plan_active`); its members stay.
The owner adjusts a member's credit with a reason (`adjust`), never below zero.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from glabella.billing import desk, invoices, money, packages, payments
from glabella.billing.models import (
    Invoice,
    InvoiceLine,
    Membership,
    MembershipEntry,
    MembershipPlan,
    Payment,
)
from glabella.catalogue.products import PRODUCT_NAMES
from glabella.clinic.clock import local_today
from glabella.core import audit
from glabella.core.access import Actor, system_actor
from glabella.core.db import write_transaction
from glabella.core.errors import Conflict, ValidationFailed
from glabella.core.roles import Capability
from glabella.patients.services import require_capability

Status = Membership.Status
Entry = MembershipEntry.Kind


def _log(actor: Actor, membership: Membership, action, **detail) -> None:
    audit.record_patient(
        actor,
        action,
        membership.patient,
        object_type=audit.Kind.MEMBERSHIP,
        object_id=membership.public_id,
        detail=detail or None,
    )


def month_of(day: date) -> date:
    return day.replace(day=1)


def ledger_sum(membership: Membership) -> Decimal:
    return membership.entries.aggregate(s=Sum("units"))["s"] or Decimal("0")


# ---------------------------------------------------------------- the owner's plans


def create_plan(
    actor: Actor,
    organisation,
    *,
    name: object,
    monthly_fee: object,
    percent_off: object = "",
    credit_product: object = "",
    monthly_credit: object = "",
) -> MembershipPlan:
    require_capability(actor, Capability.SET_PRICES, "set up memberships")
    errors: dict[str, list[str]] = {}
    words = packages.plan_name(
        MembershipPlan, organisation, name, "membership", "Glow Club", errors
    )
    fee = percent = credit = None
    try:
        fee = invoices.parse_amount(monthly_fee, "monthly_fee")
    except ValidationFailed as bad:
        errors.update(bad.fields)
    if str(percent_off or "").strip():
        try:
            percent = invoices.parse_amount(percent_off, "percent_off", maximum=Decimal("100"))
        except ValidationFailed as bad:
            errors.update(bad.fields)
    product = str(credit_product or "")
    if str(monthly_credit or "").strip() and str(monthly_credit).strip() != "0":
        try:
            credit = invoices.parse_units(monthly_credit, "monthly_credit")
        except ValidationFailed as bad:
            errors.update(bad.fields)
        if product not in {str(p) for p in PRODUCT_NAMES}:
            errors["credit_product"] = ["Choose the product the monthly credit is in."]
    elif product and product not in {str(p) for p in PRODUCT_NAMES}:
        errors["credit_product"] = ["Choose a product from the list."]
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        plan = MembershipPlan.objects.create(
            organisation=organisation,
            name=words,
            monthly_fee=fee,
            percent_off=percent,
            credit_product=product if credit else "",
            monthly_credit=credit or Decimal("0"),
        )
        audit.record(
            actor, audit.Action.CREATE, audit.Kind.MEMBERSHIP, plan.pk, detail={"plan": words}
        )
    return plan


def set_plan_active(actor: Actor, plan: MembershipPlan, active: bool) -> MembershipPlan:
    """Stops enrolling in a membership (`active` False) or opens it again. Its members stay
    members: renewed, paused, resumed and cancelled as before."""
    require_capability(actor, Capability.SET_PRICES, "set up memberships")
    with write_transaction():
        MembershipPlan.objects.filter(pk=plan.pk).update(active=bool(active))
        audit.record(
            actor,
            audit.Action.UPDATE,
            audit.Kind.MEMBERSHIP,
            plan.pk,
            detail={"plan": plan.name, "on_sale": bool(active)},
        )
    plan.active = bool(active)
    return plan


# ---------------------------------------------------------------- the month


def _grant_month(actor: Actor, locked: Membership, period: date, now: datetime) -> bool:
    """Inside a write transaction with the membership locked: the month's credit and its
    fee's invoice, unless the month had them. True if granted."""
    if MembershipEntry.objects.filter(
        membership=locked, kind=Entry.CREDIT_GRANTED, period=period
    ).exists():
        return False
    plan = locked.plan
    credit = plan.monthly_credit
    after = locked.credit_balance + credit
    try:
        with transaction.atomic():  # the unique month is the last word if two runs meet
            MembershipEntry.objects.create(
                membership=locked,
                kind=Entry.CREDIT_GRANTED,
                units=credit,
                balance_after=after,
                period=period,
                by=actor.staff,
                at=now,
            )
            invoice = Invoice.objects.create(
                organisation=plan.organisation,
                location=locked.location,
                patient=locked.patient,
                currency=invoices.settings_of(plan.organisation).currency,
                tax_percent=invoices.tax_percent(locked.location),
                created_at=now,
            )
            InvoiceLine.objects.create(
                invoice=invoice,
                position=0,
                kind=InvoiceLine.Kind.SERVICE,
                description=f"Membership: {plan.name}, {period:%B %Y}",
                quantity=Decimal("1"),
                unit_price=plan.monthly_fee,
                amount=money.cents(plan.monthly_fee),
            )
            MembershipEntry.objects.create(
                membership=locked,
                kind=Entry.FEE_CHARGED,
                balance_after=after,
                period=period,
                amount=plan.monthly_fee,
                invoice=invoice,
                by=actor.staff,
                at=now,
            )
    except IntegrityError:
        return False
    Membership.objects.filter(pk=locked.pk).update(credit_balance=after)
    locked.credit_balance = after
    _log(
        actor,
        locked,
        audit.Action.UPDATE,
        month=f"{period:%Y-%m}",
        credit=str(credit),
        invoice=str(invoice.public_id),
    )
    return True


def _locked(membership: Membership) -> Membership:
    return Membership.objects.select_for_update().select_related("plan").get(pk=membership.pk)


def renew_due(now: datetime | None = None) -> int:
    """The scheduler's monthly renewal (it runs once a minute; a month is granted once):
    every active membership that has not had this month, in its location's zone, gets it.
    Returns how many were granted."""
    now = now or timezone.now()
    actor = system_actor("membership renewal")
    granted = 0
    live = Membership.objects.filter(status=Status.ACTIVE).select_related("location")
    # The month each location is in now; the memberships that already had it are skipped.
    for membership in live:
        period = month_of(local_today(membership.location, now))
        if MembershipEntry.objects.filter(
            membership=membership, kind=Entry.CREDIT_GRANTED, period=period
        ).exists():
            continue
        with write_transaction():
            locked = _locked(membership)
            if locked.status == Status.ACTIVE and _grant_month(actor, locked, period, now):
                granted += 1
    return granted


# ---------------------------------------------------------------- the desk


def enrol(
    actor: Actor, patient, plan: MembershipPlan, location, now: datetime | None = None
) -> Membership:
    """Starts a membership today at `location`: the first month's credit and fee at once."""
    require_capability(actor, Capability.TAKE_PAYMENT, "enroll members")
    errors: dict[str, list[str]] = {}
    if plan is None or not plan.active:
        errors["plan"] = ["Choose one of the clinic's memberships."]
    elif location is None or location.organisation_id != plan.organisation_id:
        errors["location"] = ["Choose one of the clinic's locations."]
    if errors:
        raise ValidationFailed(errors)
    now = now or timezone.now()
    today = local_today(location, now)
    with write_transaction():
        already = ValidationFailed({"plan": ["This patient is a member already."]})
        if Membership.objects.filter(patient=patient).exclude(status=Status.CANCELLED).exists():
            raise already
        try:
            with transaction.atomic():  # two desks at once: the one live membership is unique
                membership = Membership.objects.create(
                    patient=patient, plan=plan, location=location, started_on=today
                )
        except IntegrityError:
            raise already from None
        _log(actor, membership, audit.Action.CREATE, plan=plan.name)
        _grant_month(actor, _locked(membership), month_of(today), now)
    return membership


def _change_status(actor, membership, now, *, allowed, status, kind, field, **detail):
    require_capability(actor, Capability.TAKE_PAYMENT, "change memberships")
    now = now or timezone.now()
    with write_transaction():
        locked = _locked(membership)
        if locked.status not in allowed:
            raise Conflict(f"This membership is {locked.get_status_display().lower()}.")
        today = local_today(locked.location, now)
        units = -locked.credit_balance if kind == Entry.CANCELLED else Decimal("0")
        changes = {"status": status, "credit_balance": locked.credit_balance + units}
        if field:
            changes[field] = today
        if kind == Entry.RESUMED:
            changes["paused_on"] = None
        Membership.objects.filter(pk=locked.pk).update(**changes)
        MembershipEntry.objects.create(
            membership=locked,
            kind=kind,
            units=units,
            balance_after=locked.credit_balance + units,
            by=actor.staff,
            at=now,
            reason=detail.pop("reason", ""),
        )
        _log(actor, locked, audit.Action.UPDATE, status=status, on=str(today))
        if kind == Entry.RESUMED:
            locked = _locked(membership)
            _grant_month(actor, locked, month_of(today), now)
    return Membership.objects.get(pk=membership.pk)


def pause(actor: Actor, membership: Membership, now: datetime | None = None) -> Membership:
    """No fee and no credit while paused; the credit already granted stays."""
    return _change_status(
        actor,
        membership,
        now,
        allowed=(Status.ACTIVE,),
        status=Status.PAUSED,
        kind=Entry.PAUSED,
        field="paused_on",
    )


def resume(actor: Actor, membership: Membership, now: datetime | None = None) -> Membership:
    """Active again; this month's credit and fee if the month has not had them."""
    return _change_status(
        actor,
        membership,
        now,
        allowed=(Status.PAUSED,),
        status=Status.ACTIVE,
        kind=Entry.RESUMED,
        field=None,
    )


def cancel(
    actor: Actor, membership: Membership, reason: object = "", now: datetime | None = None
) -> Membership:
    """Ends the membership for good: no more fees, and the unused credit lapses."""
    why = " ".join(str(reason or "").split())
    if len(why) > invoices.REASON_MAX:
        raise ValidationFailed({"reason": [f"Use at most {invoices.REASON_MAX} characters."]})
    return _change_status(
        actor,
        membership,
        now,
        allowed=(Status.ACTIVE, Status.PAUSED),
        status=Status.CANCELLED,
        kind=Entry.CANCELLED,
        field="cancelled_on",
        reason=why,
    )


FEE_FIRST = "The membership's monthly fee is not paid yet: take it first, then spend the credit."


def redeem(
    actor: Actor,
    invoice: Invoice,
    membership: Membership,
    line_id: object,
    units: object,
    now: datetime | None = None,
) -> MembershipEntry:
    """Pays `units` of a line of the plan's credit product from the member's credit: a
    payment of method "membership" worth the units at the line's price (at most what is owed)
    and a `spent` row, under the invoice's and then the membership's row lock."""
    require_capability(actor, Capability.TAKE_PAYMENT, "redeem membership credit")
    amount = invoices.parse_units(units, "units")
    now = now or timezone.now()
    if membership is None or membership.patient_id != invoice.patient_id:
        raise ValidationFailed({"membership": ["Choose this patient's membership."]})
    with write_transaction():
        current = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if current.status == Invoice.Status.VOID:
            raise Conflict("This invoice was voided; it takes no payment.")
        plan = membership.plan
        if not plan.credit_product:
            raise ValidationFailed({"membership": ["This membership gives no unit credit."]})
        line = packages.line_for_redeeming(current, line_id, product=plan.credit_product)
        left_on_line = line.quantity - packages.redeemed_on(line)
        if amount > left_on_line:
            raise ValidationFailed(
                {
                    "units": [
                        f"Only {packages.units_text(left_on_line)} units of this line are left "
                        "to pay."
                    ]
                }
            )
        locked = _locked(membership)
        if locked.status != Status.ACTIVE:
            raise ValidationFailed(
                {"membership": [f"This membership is {locked.get_status_display().lower()}."]}
            )
        if desk.fees_owed(locked):
            raise ValidationFailed({"membership": [FEE_FIRST]})
        if amount > locked.credit_balance:
            raise ValidationFailed(
                {
                    "units": [
                        f"Only {packages.units_text(locked.credit_balance)} units of credit are "
                        "left."
                    ]
                }
            )
        current = payments.locked_for_payment(actor, current, now)
        owed = invoices.balance_of(current)
        if owed <= 0:
            raise ValidationFailed({"units": ["Nothing is owed on this invoice."]})
        value = min(money.line_amount(amount, line.unit_price), owed)
        payment = payments.record_locked(
            actor, current, Payment.Method.MEMBERSHIP, value, now, reference=str(locked.public_id)
        )
        after = locked.credit_balance - amount
        Membership.objects.filter(pk=locked.pk).update(credit_balance=after)
        entry = MembershipEntry.objects.create(
            membership=locked,
            kind=Entry.CREDIT_SPENT,
            units=-amount,
            balance_after=after,
            invoice=current,
            invoice_line=line,
            payment=payment,
            by=actor.staff,
            at=now,
        )
        _log(actor, locked, audit.Action.UPDATE, spent=str(amount), invoice=current.number)
    return entry


# ---------------------------------------------------------------- the owner's corrections


def adjust(
    actor: Actor,
    membership: Membership,
    units: object,
    reason: object,
    now: datetime | None = None,
) -> MembershipEntry:
    """Adds units to (positive) or takes them off (negative) a member's credit, with a reason:
    credit given back after a treatment paid from it was refunded, or a correction. Never below
    zero; a canceled membership's credit has lapsed and is not adjusted."""
    require_capability(actor, Capability.REFUND, "adjust membership credit")
    amount = packages.signed_units(units)
    why = " ".join(str(reason or "").split())
    if not why:
        raise ValidationFailed({"reason": ["Say why the credit changes."]})
    if len(why) > invoices.REASON_MAX:
        raise ValidationFailed({"reason": [f"Use at most {invoices.REASON_MAX} characters."]})
    now = now or timezone.now()
    with write_transaction():
        locked = _locked(membership)
        if locked.status == Status.CANCELLED:
            raise Conflict("This membership is canceled; its credit has lapsed.")
        if not locked.plan.credit_product:
            raise ValidationFailed({"units": ["This membership gives no unit credit."]})
        after = locked.credit_balance + amount
        if after < 0:
            raise ValidationFailed(
                {
                    "units": [
                        f"Only {packages.units_text(locked.credit_balance)} units of credit are "
                        "left."
                    ]
                }
            )
        Membership.objects.filter(pk=locked.pk).update(credit_balance=after)
        entry = MembershipEntry.objects.create(
            membership=locked,
            kind=Entry.ADJUSTED,
            units=amount,
            balance_after=after,
            reason=why,
            by=actor.staff,
            at=now,
        )
        _log(actor, locked, audit.Action.UPDATE, adjusted=str(amount), reason=why)
    return entry


def on_voided(invoice: Invoice, number: str, now: datetime, actor: Actor) -> None:
    """`signals.invoice_voided`, inside its transaction: a month's fee invoice voided takes back
    the credit granted with it, as far as it is unspent (never below zero), as a ledger row with
    the reason."""
    fee = (
        MembershipEntry.objects.filter(invoice=invoice, kind=Entry.FEE_CHARGED)
        .select_related("membership")
        .first()
    )
    if fee is None:
        return
    member = _locked(fee.membership)
    granted = (
        MembershipEntry.objects.filter(
            membership=member, kind=Entry.CREDIT_GRANTED, period=fee.period
        )
        .values_list("units", flat=True)
        .first()
    ) or Decimal("0")
    back = min(granted, member.credit_balance)
    if back <= 0:
        return
    after = member.credit_balance - back
    Membership.objects.filter(pk=member.pk).update(credit_balance=after)
    MembershipEntry.objects.create(
        membership=member,
        kind=Entry.ADJUSTED,
        units=-back,
        balance_after=after,
        reason=f"The month's fee was not paid: invoice {number} voided",
        by=actor.staff,
        at=now,
    )
    _log(actor, member, audit.Action.UPDATE, adjusted=str(-back), invoice_voided=number)
