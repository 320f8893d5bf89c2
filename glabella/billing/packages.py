"""Prepaid packages: units of a product (or visits of a service) sold for a price, redeemed at
checkout.

The owner sets the plans (`create_plan`). The desk sells one (`sell`) as a line on an open
invoice; the package is pending, with nothing in it, until that invoice is paid in full
(`activate_paid`, answering `signals.invoice_settled`): then its units are credited (a
`bought` row) and its days of validity start. At checkout the desk redeems units (`redeem`)
against a line of the same product or service: a payment of method "package" worth the units
at the line's price, and a `redeemed` row, under the invoice's and then the package's row lock,
so twenty desks at once never take the balance below zero (the check constraint is the
backstop). The owner adjusts a balance with a reason (`adjust`); the scheduler expires
packages past their date (`expire_due`). The balance always equals the sum of the ledger.
The owner stops selling a plan, or sells it again (`set_plan_active`); packages sold stay good.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from glabella.billing import invoices, money, payments
from glabella.billing.models import (
    MAX_VALID_DAYS,
    Invoice,
    InvoiceLine,
    MembershipEntry,
    PackageEntry,
    PackagePlan,
    PatientPackage,
    Payment,
)
from glabella.catalogue.products import PRODUCT_NAMES, Product
from glabella.clinic.clock import local_today
from glabella.core import audit
from glabella.core.access import Actor, system_actor
from glabella.core.db import write_transaction
from glabella.core.errors import Conflict, ValidationFailed
from glabella.core.roles import Capability
from glabella.patients.services import require_capability

Status = PatientPackage.Status
Entry = PackageEntry.Kind
NAME_MAX = 100


def _log(actor: Actor, package: PatientPackage, action, **detail) -> None:
    audit.record_patient(
        actor,
        action,
        package.patient,
        object_type=audit.Kind.PACKAGE,
        object_id=package.public_id,
        detail=detail or None,
    )


def _whole_days(value: object, field: str, maximum: int) -> int:
    try:
        days = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationFailed({field: ["Enter a whole number of days, such as 365."]}) from None
    if not 1 <= days <= maximum:
        raise ValidationFailed({field: [f"Enter between 1 and {maximum:,} days."]})
    return days


def signed_units(value: object, field: str = "units") -> Decimal:
    try:
        units = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed({field: ["Enter a number of units, such as -5 or 10."]}) from None
    if not units.is_finite():
        raise ValidationFailed({field: ["Enter a number of units, such as -5 or 10."]})
    if units == 0:
        raise ValidationFailed({field: ["Enter a number of units other than zero."]})
    # The bound first: quantizing 1e30 to the hundredth raises rather than answers.
    if units.copy_abs() > money.MAX_UNITS:  # abs() would round, and overflow at 1e1000000
        raise ValidationFailed({field: [f"Enter at most {money.MAX_UNITS:,} units."]})
    if units != units.quantize(Decimal("0.01")):
        raise ValidationFailed({field: ["Use at most two decimal places."]})
    return units


def units_text(value: Decimal) -> str:
    """Units as people write them: 10, 2.5 (never 10.00)."""
    return f"{Decimal(value).normalize():f}"


# ---------------------------------------------------------------- the owner's plans


def plan_name(model, organisation, name: object, what: str, example: str, errors: dict) -> str:
    """A plan's name in single spaces; a missing, long or taken one is put on `errors`."""
    words = " ".join(str(name or "").split())
    if not words:
        errors["name"] = [f"Name the {what}, such as “{example}”."]
    elif len(words) > NAME_MAX:
        errors["name"] = [f"Use at most {NAME_MAX} characters."]
    elif model.objects.filter(organisation=organisation, name=words).exists():
        errors["name"] = [f"The clinic has a {what} of this name already."]
    return words


def create_plan(
    actor: Actor,
    organisation,
    *,
    name: object,
    units: object,
    price: object,
    valid_days: object,
    product: object = "",
    service=None,
) -> PackagePlan:
    """A package the clinic sells: `units` of `product`, or `units` visits of `service`."""
    require_capability(actor, Capability.SET_PRICES, "set up packages")
    errors: dict[str, list[str]] = {}
    words = plan_name(PackagePlan, organisation, name, "package", "Botox 100", errors)
    product = str(product or "")
    if bool(product) == (service is not None):
        errors["product"] = ["Choose a product or a service, one of the two."]
    elif product and product not in {str(p) for p in PRODUCT_NAMES}:
        errors["product"] = ["Choose a product from the list."]
    elif service is not None and service.organisation_id != organisation.pk:
        errors["service"] = ["Choose one of the clinic's services."]
    for parse in (
        lambda: invoices.parse_units(units, "units"),
        lambda: invoices.parse_amount(price, "price"),
        lambda: _whole_days(valid_days, "valid_days", MAX_VALID_DAYS),
    ):
        try:
            parse()
        except ValidationFailed as bad:
            errors.update(bad.fields)
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        plan = PackagePlan.objects.create(
            organisation=organisation,
            name=words,
            product=product,
            service=service,
            units=invoices.parse_units(units, "units"),
            price=invoices.parse_amount(price, "price"),
            valid_days=_whole_days(valid_days, "valid_days", MAX_VALID_DAYS),
        )
        audit.record(
            actor, audit.Action.CREATE, audit.Kind.PACKAGE, plan.pk, detail={"plan": words}
        )
    return plan


def set_plan_active(actor: Actor, plan: PackagePlan, active: bool) -> PackagePlan:
    """Stops selling a package (`active` False) or puts it on sale again. Packages already sold
    stay good: they keep their balance and their days."""
    require_capability(actor, Capability.SET_PRICES, "set up packages")
    with write_transaction():
        PackagePlan.objects.filter(pk=plan.pk).update(active=bool(active))
        audit.record(
            actor,
            audit.Action.UPDATE,
            audit.Kind.PACKAGE,
            plan.pk,
            detail={"plan": plan.name, "on_sale": bool(active)},
        )
    plan.active = bool(active)
    return plan


# ---------------------------------------------------------------- reading


def ledger_sum(package: PatientPackage) -> Decimal:
    return package.entries.aggregate(s=Sum("units"))["s"] or Decimal("0")


def usable(patient, *, today, product: str = "", service=None) -> list[PatientPackage]:
    """The patient's packages she may redeem from today, soonest to expire first."""
    found = PatientPackage.objects.filter(
        patient=patient, status=Status.ACTIVE, balance__gt=0, expires_on__gte=today
    ).select_related("plan")
    if product:
        found = found.filter(plan__product=product)
    if service is not None:
        found = found.filter(plan__service=service)
    return list(found.order_by("expires_on", "id"))


def redeemed_on(line: InvoiceLine) -> Decimal:
    """Units of `line` already paid from packages and memberships."""
    by_package = PackageEntry.objects.filter(invoice_line=line).aggregate(s=Sum("units"))["s"]
    by_membership = MembershipEntry.objects.filter(invoice_line=line).aggregate(s=Sum("units"))["s"]
    return -((by_package or Decimal("0")) + (by_membership or Decimal("0")))


# ---------------------------------------------------------------- selling


def sell(actor: Actor, invoice: Invoice, plan: PackagePlan, now: datetime | None = None):
    """Adds the package's price as a line on the open invoice; the package is pending until
    that invoice is paid in full."""
    require_capability(actor, Capability.TAKE_PAYMENT, "sell packages")
    if plan is None or plan.organisation_id != invoice.organisation_id or not plan.active:
        raise ValidationFailed({"plan": ["Choose one of the clinic's packages on sale."]})
    now = now or timezone.now()
    with write_transaction():
        current = invoices._locked(invoice)
        top = current.lines.aggregate(m=Max("position"))["m"]
        line = InvoiceLine.objects.create(
            invoice=current,
            position=0 if top is None else top + 1,
            kind=InvoiceLine.Kind.SERVICE,
            description=f"Prepaid package: {plan.name}",
            quantity=Decimal("1"),
            unit_price=plan.price,
            amount=money.cents(plan.price),
        )
        package = PatientPackage.objects.create(
            patient=current.patient,
            plan=plan,
            units=plan.units,
            invoice=current,
            invoice_line=line,
            sold_at=now,
        )
        _log(actor, package, audit.Action.CREATE, invoice=str(current.public_id), plan=plan.name)
        invoices._log(actor, current, audit.Action.UPDATE, added="package")
    return package


def activate_paid(actor: Actor, invoice: Invoice, now: datetime) -> int:
    """Inside the transaction that settled `invoice`: its pending packages are credited with
    their units and good for their plan's days from the clinic's today. Returns how many."""
    today = local_today(invoice.location, now)
    done = 0
    for package in PatientPackage.objects.select_for_update().filter(
        invoice=invoice, status=Status.PENDING
    ):
        days = package.plan.valid_days
        PatientPackage.objects.filter(pk=package.pk).update(
            status=Status.ACTIVE,
            balance=package.units,
            activated_on=today,
            expires_on=today + timedelta(days=days),
        )
        PackageEntry.objects.create(
            package=package,
            kind=Entry.BOUGHT,
            units=package.units,
            balance_after=package.units,
            by=actor.staff,
            at=now,
            reason=f"Paid on invoice {invoice.number}",
        )
        _log(actor, package, audit.Action.UPDATE, activated=str(today), units=str(package.units))
        done += 1
    return done


# ---------------------------------------------------------------- redeeming


def _locked_package(package: PatientPackage) -> PatientPackage:
    """The package's row, locked until the caller's transaction ends (SQLite: writers are
    serial)."""
    return PatientPackage.objects.select_for_update().select_related("plan").get(pk=package.pk)


def _take(
    actor: Actor,
    package: PatientPackage,
    amount: Decimal,
    *,
    kind: str,
    now: datetime,
    line: InvoiceLine | None = None,
    payment: Payment | None = None,
    reason: str = "",
) -> PackageEntry:
    """Inside a write transaction with `package` locked: changes its balance by `amount` and
    writes the ledger row; never below zero, never above what was bought."""
    after = package.balance + amount
    if after < 0:
        raise ValidationFailed(
            {"units": [f"Only {units_text(package.balance)} units are left in this package."]}
        )
    if after > package.units:
        raise ValidationFailed(
            {"units": [f"A package holds at most the {units_text(package.units)} units bought."]}
        )
    status = package.status
    if status in (Status.ACTIVE, Status.USED_UP):
        status = Status.USED_UP if after == 0 else Status.ACTIVE
    PatientPackage.objects.filter(pk=package.pk).update(balance=after, status=status)
    package.balance, package.status = after, status
    return PackageEntry.objects.create(
        package=package,
        kind=kind,
        units=amount,
        balance_after=after,
        invoice_line=line,
        payment=payment,
        reason=reason,
        by=actor.staff,
        at=now,
    )


def line_for_redeeming(current: Invoice, line_id: object, *, product: str = "", service=None):
    """The invoice line units are redeemed against: units of `product`, or `service`."""
    try:
        key = int(str(line_id))
    except (TypeError, ValueError):
        key = None
    line = current.lines.filter(pk=key).first() if key is not None else None
    if product:
        fits = line is not None and line.kind == InvoiceLine.Kind.UNITS and line.product == product
        wanted = f"a line of {Product(product).label} units"
    else:
        fits = line is not None and line.kind == InvoiceLine.Kind.SERVICE
        fits = fits and service is not None and line.service_id == service.pk
        wanted = f"a line of {service.name if service else 'the service'}"
    if not fits:
        raise ValidationFailed({"line": [f"Choose {wanted} on this invoice."]})
    return line


def redeem(
    actor: Actor,
    invoice: Invoice,
    package: PatientPackage,
    line_id: object,
    units: object,
    now: datetime | None = None,
) -> PackageEntry:
    """Pays `units` of an invoice line from the patient's package: a payment of method
    "package" worth the units at the line's price (at most what is still owed) and the
    ledger's `redeemed` row. The first payment finalizes the invoice, as any payment does."""
    require_capability(actor, Capability.TAKE_PAYMENT, "redeem packages")
    amount = invoices.parse_units(units, "units")
    now = now or timezone.now()
    if package is None or package.patient_id != invoice.patient_id:
        raise ValidationFailed({"package": ["Choose one of this patient's packages."]})
    with write_transaction():
        current = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if current.status == Invoice.Status.VOID:
            raise Conflict("This invoice was voided; it takes no payment.")
        plan = package.plan
        line = line_for_redeeming(current, line_id, product=plan.product, service=plan.service)
        left_on_line = line.quantity - redeemed_on(line)
        if amount > left_on_line:
            raise ValidationFailed(
                {"units": [f"Only {units_text(left_on_line)} units of this line are left to pay."]}
            )
        locked = _locked_package(package)
        today = local_today(current.location, now)
        if locked.status == Status.PENDING:
            raise ValidationFailed(
                {"package": ["This package is not paid yet; it is usable once its invoice is."]}
            )
        if locked.status == Status.EXPIRED or (locked.expires_on and locked.expires_on < today):
            raise ValidationFailed({"package": ["This package has expired."]})
        if amount > locked.balance:
            raise ValidationFailed(
                {"units": [f"Only {units_text(locked.balance)} units are left in this package."]}
            )
        current = payments.locked_for_payment(actor, current, now)
        owed = invoices.balance_of(current)
        if owed <= 0:
            raise ValidationFailed({"units": ["Nothing is owed on this invoice."]})
        value = min(money.line_amount(amount, line.unit_price), owed)
        payment = None
        if value > 0:
            payment = payments.record_locked(
                actor, current, Payment.Method.PACKAGE, value, now, reference=str(locked.public_id)
            )
        entry = _take(
            actor, locked, -amount, kind=Entry.REDEEMED, now=now, line=line, payment=payment
        )
        _log(actor, locked, audit.Action.UPDATE, redeemed=str(amount), invoice=current.number)
    return entry


# ---------------------------------------------------------------- the owner's corrections


def adjust(
    actor: Actor,
    package: PatientPackage,
    units: object,
    reason: object,
    *,
    refund: bool = False,
    now: datetime | None = None,
) -> PackageEntry:
    """Adds units to (positive) or takes them off (negative) a package, with a reason: units
    given back after a redemption refunded, or a correction. Never below zero, never above
    what was bought."""
    require_capability(actor, Capability.REFUND, "adjust packages")
    amount = signed_units(units)
    why = " ".join(str(reason or "").split())
    if not why:
        raise ValidationFailed({"reason": ["Say why the balance changes."]})
    if len(why) > invoices.REASON_MAX:
        raise ValidationFailed({"reason": [f"Use at most {invoices.REASON_MAX} characters."]})
    now = now or timezone.now()
    with write_transaction():
        locked = _locked_package(package)
        if locked.status not in (Status.ACTIVE, Status.USED_UP):
            raise ValidationFailed({"package": ["Only a paid package that has not expired."]})
        entry = _take(
            actor,
            locked,
            amount,
            kind=Entry.REFUNDED if refund else Entry.ADJUSTED,
            now=now,
            reason=why,
        )
        _log(actor, locked, audit.Action.UPDATE, adjusted=str(amount), reason=why)
    return entry


# ---------------------------------------------------------------- the scheduler


def expire_due(now: datetime | None = None) -> int:
    """Active packages past their last day lapse: their balance goes out as an `expired` row.
    Returns how many (the scheduler runs it once a minute)."""
    now = now or timezone.now()
    actor = system_actor("package expiry")
    done = 0
    candidates = PatientPackage.objects.filter(
        status__in=(Status.ACTIVE, Status.USED_UP), expires_on__lt=now.date() + timedelta(days=1)
    ).select_related("invoice__location")
    for package in candidates:
        if package.expires_on >= local_today(package.invoice.location, now):
            continue
        with write_transaction():
            locked = _locked_package(package)
            if locked.status not in (Status.ACTIVE, Status.USED_UP):
                continue
            if locked.balance > 0:
                _take(actor, locked, -locked.balance, kind=Entry.EXPIRED, now=now)
            PatientPackage.objects.filter(pk=locked.pk).update(status=Status.EXPIRED)
            _log(actor, locked, audit.Action.UPDATE, expired=str(locked.expires_on))
            done += 1
    return done


def on_settled(invoice: Invoice, now: datetime, actor: Actor) -> int:
    """`signals.invoice_settled`: inside its transaction."""
    with transaction.atomic():
        return activate_paid(actor, invoice, now)


def on_voided(invoice: Invoice, number: str, now: datetime, actor: Actor) -> None:
    """`signals.invoice_voided`, inside its transaction: a package sold on the invoice was never
    paid; it goes with the sale, as when its line is removed."""
    for package in PatientPackage.objects.filter(invoice=invoice, status=Status.PENDING):
        _log(actor, package, audit.Action.DELETE, invoice_voided=number)
        package.delete()
