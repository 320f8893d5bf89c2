"""What the desk reads at checkout: an invoice as its page shows it (lines, totals, payments
with their refunds, the balance), the location's open invoices of the day, a patient's
invoices on the record, and the word a clinician gets about a treatment's invoice (no amounts).

Every read a person sees writes its access-log row here; the writes are in `invoices.py`,
`payments.py` and `receipts.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Sum

from glabella.billing import invoices, money, packages, payments
from glabella.billing.models import (
    Invoice,
    InvoiceLine,
    Membership,
    MembershipEntry,
    PackageEntry,
    PatientPackage,
    Payment,
    Refund,
)
from glabella.core import audit, styles
from glabella.core.access import Actor
from glabella.core.errors import NotFound
from glabella.core.roles import Capability
from glabella.patients.services import require_capability

SHOWN = 50


@dataclass(frozen=True)
class PaymentRow:
    payment: Payment
    refunds: list[Refund]
    refundable: Decimal
    how: str = ""  # how it was paid, as the page and the receipt say it


@dataclass(frozen=True)
class InvoiceView:
    invoice: Invoice
    lines: list[InvoiceLine]
    totals: money.Totals
    payments: list[PaymentRow] = field(default_factory=list)
    paid: Decimal = money.ZERO
    refunded: Decimal = money.ZERO
    balance: Decimal = money.ZERO

    @property
    def tax_percent(self) -> str:
        """The invoice's tax rate as people write it: 7.25, 10, 0."""
        return f"{self.invoice.tax_percent.normalize():f}"

    @property
    def charted_lines(self) -> list[InvoiceLine]:
        return [line for line in self.lines if line.charted_units is not None]

    @property
    def removable(self) -> list[InvoiceLine]:
        return [line for line in self.lines if line.charted_units is None]


def find_invoice(actor: Actor, public_id, action: str = "view") -> Invoice:
    """The invoice `actor` may see (NotFound for any other, or a malformed id)."""
    found = (
        Invoice.objects.restrict(actor, action)
        .select_related("patient", "location", "appointment", "organisation")
        .filter(public_id=public_id)
        .first()
    )
    if found is None:
        raise NotFound("There is no such invoice.")
    return found


def find_payment(actor: Actor, public_id) -> Payment:
    found = (
        Payment.objects.restrict(actor, "view")
        .select_related("invoice__patient", "invoice__location")
        .filter(public_id=public_id)
        .first()
    )
    if found is None:
        raise NotFound("There is no such payment.")
    return found


def _units(value: Decimal) -> str:
    return f"{Decimal(value).normalize():f}"


def payment_words(
    payment: Payment,
    prepaid: dict[int, tuple[str, Decimal]],
    deposits: dict[int, str] | None = None,
) -> str:
    """How a payment was made, in the desk's words: the card's last four and authorization,
    the gift card's last four, the package or membership and how many units it gave
    (`prepaid`: payment id -> (plan's name, units)), or the day the deposit applied was paid
    online (`deposits`: payment id -> that day, in the location's words)."""
    method = Payment.Method
    if payment.method == method.DEPOSIT:
        day = (deposits or {}).get(payment.pk)
        return f"Deposit paid online on {day}" if day else payment.get_method_display()
    if payment.method == method.CARD:
        return f"Card ending {payment.card_last4}, authorization {payment.authorization}"
    if payment.method == method.ONLINE_CARD:
        return f"Card online, ending {payment.card_last4}" if payment.card_last4 else "Card online"
    if payment.method == method.GIFT_CARD and payment.reference:
        return f"Gift card ending {payment.reference[-4:]}"
    if payment.pk in prepaid:
        name, units = prepaid[payment.pk]
        what = "Package" if payment.method == method.PACKAGE else "Membership credit"
        return f"{what}: {name}, {_units(units)} units"
    return payment.get_method_display()


def _prepaid_of(paid_rows: list[Payment]) -> dict[int, tuple[str, Decimal]]:
    prepaid_methods = (Payment.Method.PACKAGE, Payment.Method.MEMBERSHIP)
    ids = [p.pk for p in paid_rows if p.method in prepaid_methods]
    if not ids:
        return {}
    found = {}
    for entry in PackageEntry.objects.filter(payment_id__in=ids).select_related("package__plan"):
        found[entry.payment_id] = (entry.package.plan.name, -entry.units)
    for entry in MembershipEntry.objects.filter(payment_id__in=ids).select_related(
        "membership__plan"
    ):
        found[entry.payment_id] = (entry.membership.plan.name, -entry.units)
    return found


def _deposits_of(paid_rows: list[Payment], zone) -> dict[int, str]:
    """For each deposit applied, the day its online card payment was taken, in `zone`."""
    applied = {p.pk: p.reference for p in paid_rows if p.method == Payment.Method.DEPOSIT}
    if not applied:
        return {}
    taken = dict(
        Payment.objects.filter(public_id__in=list(applied.values())).values_list(
            "public_id", "taken_at"
        )
    )
    found = {}
    for pk, reference in applied.items():
        when = next((at for key, at in taken.items() if str(key) == reference), None)
        if when is not None:
            found[pk] = styles.day(when, zone)
    return found


def describe(invoice: Invoice) -> InvoiceView:
    """The invoice as a page or a receipt shows it (a fixed number of queries)."""
    lines = invoices.lines_of(invoice)
    paid_rows = list(Payment.objects.filter(invoice=invoice).select_related("taken_by"))
    refunds = list(Refund.objects.filter(payment__invoice=invoice).order_by("refunded_at", "id"))
    prepaid = _prepaid_of(paid_rows)
    deposits = _deposits_of(paid_rows, invoice.location.zone)
    rows = []
    for payment in paid_rows:
        given = [r for r in refunds if r.payment_id == payment.pk]
        left = money.refundable(payment.amount, [r.amount for r in given])
        if payment.method in (Payment.Method.PACKAGE, Payment.Method.MEMBERSHIP):
            left = money.ZERO  # units go back to the package as an adjustment, not as money
        elif payment.method == Payment.Method.ONLINE_CARD and left > 0:
            left = max(money.ZERO, left - payments.applied_of(payment))  # a deposit applied
        words = payment_words(payment, prepaid, deposits)
        rows.append(PaymentRow(payment, given, left, words))
    paid = money.cents(sum((p.amount for p in paid_rows), money.ZERO))
    refunded = money.cents(sum((r.amount for r in refunds), money.ZERO))
    found = invoices.totals_of(invoice, lines)
    return InvoiceView(
        invoice=invoice,
        lines=lines,
        totals=found,
        payments=rows,
        paid=paid,
        refunded=refunded,
        balance=money.balance(found.total, [paid], [refunded]),
    )


def read_invoice(actor: Actor, invoice: Invoice, action=audit.Action.READ) -> InvoiceView:
    """The invoice's page (or receipt) for the desk, its read logged."""
    require_capability(actor, Capability.TAKE_PAYMENT, "see invoices")
    audit.record_patient(
        actor, action, invoice.patient, object_type=audit.Kind.INVOICE, object_id=invoice.public_id
    )
    return describe(invoice)


@dataclass(frozen=True)
class Prepaid:
    """What the patient may pay from at checkout: her packages usable today (soonest to expire
    first) and her active membership with credit left (`fee_owed`: a monthly fee of it is not
    paid yet, so its credit waits)."""

    packages: list[PatientPackage]
    membership: Membership | None
    fee_owed: bool = False

    def __bool__(self) -> bool:
        return bool(self.packages) or self.membership is not None


def prepaid_for(invoice: Invoice, today) -> Prepaid:
    """The patient's packages and membership the desk may redeem from on `invoice` today."""
    held = packages.usable(invoice.patient, today=today)
    member = (
        Membership.objects.filter(
            patient=invoice.patient, status=Membership.Status.ACTIVE, credit_balance__gt=0
        )
        .exclude(plan__credit_product="")
        .select_related("plan")
        .first()
    )
    return Prepaid(held, member, member is not None and fees_owed(member))


def fees_owed(membership: Membership) -> bool:
    """Whether a monthly fee of the membership is still owed (its invoice open, or finalized and
    not paid in full): its credit is spent only once the fees that granted it are paid."""
    fees = MembershipEntry.objects.filter(
        membership=membership, kind=MembershipEntry.Kind.FEE_CHARGED
    ).values("invoice")
    rows = list(Invoice.objects.filter(pk__in=fees).exclude(status=Invoice.Status.VOID))
    return any(owed.balance > 0 for owed in amounts(rows).values())


def day_bounds(zone, day) -> tuple[datetime, datetime]:
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)


def checkout_list(actor: Actor, location, day) -> dict:
    """The location's invoices at the desk: today's open ones, any left open from earlier days,
    and those finalized today; one access-log row naming their patients."""
    require_capability(actor, Capability.TAKE_PAYMENT, "see invoices")
    start, end = day_bounds(location.zone, day)
    mine = (
        Invoice.objects.restrict(actor, "view")
        .filter(location=location)
        .select_related("patient", "appointment__provider")
    )
    opened = mine.filter(status=Invoice.Status.OPEN)
    today = list(
        opened.filter(created_at__gte=start, created_at__lt=end).order_by("created_at")[: SHOWN * 4]
    )
    earlier = list(opened.filter(created_at__lt=start).order_by("-created_at")[:SHOWN])
    finalized = list(
        mine.filter(
            status=Invoice.Status.FINALIZED, finalized_at__gte=start, finalized_at__lt=end
        ).order_by("-finalized_at")[:SHOWN]
    )
    shown = [*today, *earlier, *finalized]
    if shown:
        audit.record_listing(actor, audit.Kind.INVOICE, [i.patient.public_id for i in shown])
    owed = balances(shown)
    return {
        "today": [(i, *owed[i.pk]) for i in today],
        "earlier": [(i, *owed[i.pk]) for i in earlier],
        "finalized": [(i, *owed[i.pk]) for i in finalized],
    }


@dataclass(frozen=True)
class Owed:
    """An invoice's money at a glance: what it comes to, was paid, was refunded, still owes."""

    total: Decimal
    paid: Decimal
    refunded: Decimal
    balance: Decimal


def amounts(rows: list[Invoice]) -> dict[int, Owed]:
    """Each invoice's total, paid, refunded and balance, in three queries whatever their
    number (the open ones' totals from their lines now, the others' as stored)."""
    ids = [i.pk for i in rows]
    lines: dict[int, list[money.Charge]] = {}
    for inv_id, amount, taxable in InvoiceLine.objects.filter(
        invoice_id__in=[i.pk for i in rows if i.is_open]
    ).values_list("invoice_id", "amount", "taxable"):
        lines.setdefault(inv_id, []).append(money.Charge(amount, taxable))
    paid = dict(
        Payment.objects.filter(invoice_id__in=ids)
        .values("invoice_id")
        .annotate(s=Sum("amount"))
        .values_list("invoice_id", "s")
    )
    back = dict(
        Refund.objects.filter(payment__invoice_id__in=ids)
        .values("payment__invoice_id")
        .annotate(s=Sum("amount"))
        .values_list("payment__invoice_id", "s")
    )
    found = {}
    for inv in rows:
        total = (
            money.totals(lines.get(inv.pk, []), inv.tax_percent).total if inv.is_open else inv.total
        )
        given = money.cents(paid.get(inv.pk) or money.ZERO)
        returned = money.cents(back.get(inv.pk) or money.ZERO)
        found[inv.pk] = Owed(total, given, returned, money.balance(total, [given], [returned]))
    return found


def balances(rows: list[Invoice]) -> dict[int, tuple[Decimal, Decimal]]:
    """Each invoice's total and what it still owes, in three queries whatever their number."""
    return {pk: (o.total, o.balance) for pk, o in amounts(rows).items()}


def patient_invoices(actor: Actor, patient, limit: int = 10) -> tuple[list[tuple], bool]:
    """A patient's latest invoices with what each still owes (the record's section)."""
    rows = list(
        Invoice.objects.restrict(actor, "view")
        .filter(patient=patient)
        .select_related("location")
        .order_by("-created_at", "-id")[: limit + 1]
    )
    owed = balances(rows[:limit])
    return [(inv, *owed[inv.pk]) for inv in rows[:limit]], len(rows) > limit


def clinician_word(record) -> str:
    """What the chart tells the injector about the treatment's invoice: where it stands, with
    no amount and no card."""
    status = Invoice.objects.filter(treatment=record).values_list("status", flat=True).first()
    return {
        Invoice.Status.OPEN: "The invoice for this treatment is waiting at the desk.",
        Invoice.Status.FINALIZED: "The desk has checked this treatment out.",
        Invoice.Status.VOID: "The desk voided this treatment's invoice.",
    }.get(status, "")
