"""Receipts of a finalized invoice: the PDF (laid out with `core.pdf`: the clinic's name and
phone in every page's footer, the invoice's number, its lines, tax, total, the payments with a
card's last four, the refunds and the balance) and the email the desk queues through the
outbox.

Both are written in the patient's language (`speaking(patient)`), whoever asks for them.

The email carries the receipt's lines in its body and says the PDF is available from the
clinic: the outbox keeps attachments as text (JSON), so a PDF is not attached (decision 0033).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from glabella.billing import desk, invoices, money
from glabella.billing.desk import InvoiceView
from glabella.billing.models import Invoice, Membership, PatientPackage
from glabella.core import audit, brand, styles
from glabella.core.access import Actor
from glabella.core.db import write_transaction
from glabella.core.errors import Conflict, NotFound, ValidationFailed
from glabella.core.language import speaking
from glabella.core.pdf import MARGIN, PAGE_W, Pages, text_width, wrap
from glabella.core.roles import Capability
from glabella.messaging.models import Channel, Message
from glabella.messaging.outbox import queue_message
from glabella.patients.services import require_capability

TOPIC = "receipt"
RIGHT = PAGE_W - MARGIN


def money_text(amount) -> str:
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def _quantity(value) -> str:
    return f"{value.normalize():f}"


def line_text(line) -> str:
    if line.kind == "units":
        return _("%(what)s: %(quantity)s at %(price)s") % {
            "what": line.description,
            "quantity": _quantity(line.quantity),
            "price": money_text(line.unit_price),
        }
    if line.code:
        return _("%(what)s (code %(code)s)") % {"what": line.description, "code": line.code}
    return line.description


def payment_text(row: desk.PaymentRow, zone) -> str:
    return f"{row.how}, {styles.instant(row.payment.taken_at, zone)}"


def summary(view: InvoiceView, zone) -> list[tuple[str, str]]:
    """The receipt as (label, amount) rows: what the PDF and the email both say."""
    rows = [(line_text(line), money_text(line.amount)) for line in view.lines]
    rows.append((_("Subtotal"), money_text(view.totals.charges)))
    if view.totals.discounts:
        rows.append((_("Discounts"), money_text(-view.totals.discounts)))
    tax = _("Sales tax (%(percent)s%%)") % {"percent": view.tax_percent}
    rows.append((tax, money_text(view.totals.tax)))
    rows.append((_("Total"), money_text(view.totals.total)))
    for row in view.payments:
        paid = _("Paid: %(how)s") % {"how": payment_text(row, zone)}
        rows.append((paid, money_text(row.payment.amount)))
        for given in row.refunds:
            when = styles.instant(given.refunded_at, zone)
            back = _("Refunded, %(when)s: %(reason)s") % {"when": when, "reason": given.reason}
            rows.append((back, money_text(-given.amount)))
    rows.append((_("Balance due"), money_text(view.balance)))
    return rows


def render_pdf(view: InvoiceView) -> bytes:
    invoice = view.invoice
    zone = invoice.location.zone
    clinic = brand.current()
    number = {"number": invoice.number}
    pages = Pages(_("Receipt %(number)s") % number, _("Invoice %(number)s") % number)
    pages.text(clinic.name, font="F2", size=12, gap=2)
    pages.text(invoice.location.name, size=9.5, gap=10)
    pages.text(_("Receipt for invoice %(number)s") % number, font="F2", size=16, gap=4)
    patient = invoice.patient
    who = {"name": f"{patient.given_name} {patient.family_name}"}
    pages.text(_("Patient: %(name)s") % who, size=10)
    day = {"day": styles.instant(invoice.finalized_at, zone)}
    pages.text(_("Date: %(day)s") % day, size=10, gap=12)
    for label, amount in summary(view, zone):
        strong = label in (_("Total"), _("Balance due"))
        font = "F2" if strong else "F1"
        pages.room(16)
        lines = wrap(label, font, 10, RIGHT - MARGIN - 90)
        for n, text in enumerate(lines):
            pages.room(14)
            pages.y -= 14
            pages.show(MARGIN, pages.y, text, font, 10)
            if n == 0:
                pages.show(RIGHT - text_width(amount, font, 10), pages.y, amount, font, 10)
        if strong:
            pages.y -= 4
    note = invoices.settings_of(invoice.organisation).receipt_note
    if note:
        pages.y -= 10
        pages.text(note, size=9.5)
    return pages.bytes()


def receipt_for(actor: Actor, invoice: Invoice) -> bytes:
    """The PDF of a finalized invoice for the desk; its export logged."""
    if invoice.status != Invoice.Status.FINALIZED:
        raise Conflict("Only a finalized invoice has a receipt; take a payment first.")
    view = desk.read_invoice(actor, invoice, audit.Action.EXPORT)
    with timezone.override(invoice.location.zone), speaking(invoice.patient):
        return render_pdf(view)


def email_body(view: InvoiceView) -> str:
    invoice = view.invoice
    zone = invoice.location.zone
    clinic = brand.current()
    rows = "\n".join(f"{label}: {amount}" for label, amount in summary(view, zone))
    return _(
        "Hello %(name)s,\n\nHere is your receipt from %(clinic)s for invoice %(number)s "
        "(%(day)s, %(location)s).\n\n%(rows)s\n\nThe receipt as a PDF is available from the "
        "clinic, and in your patient portal if you have an account."
    ) % {
        "name": invoice.patient.given_name,
        "clinic": clinic.name,
        "number": invoice.number,
        "day": styles.day(invoice.finalized_at, zone),
        "location": invoice.location.name,
        "rows": rows,
    }


def email_receipt(actor: Actor, invoice: Invoice, now: datetime | None = None) -> Message:
    """Queues the receipt by email to the patient (the outbox sends it); logged."""
    require_capability(actor, Capability.TAKE_PAYMENT, "send receipts")
    if invoice.status != Invoice.Status.FINALIZED:
        raise ValidationFailed({"invoice": ["Only a finalized invoice has a receipt to send."]})
    patient = invoice.patient
    if not patient.email:
        raise ValidationFailed(
            {"email": ["The patient has no email address on the record; add one first."]}
        )
    now = now or timezone.now()
    with speaking(patient):  # the receipt in her language
        view = desk.describe(invoice)
        subject = _("Your receipt from %(clinic)s") % {"clinic": brand.current().name}
        body = email_body(view)
    with write_transaction():
        message = queue_message(
            patient=patient,
            channel=Channel.EMAIL,
            to=patient.email,
            topic=TOPIC,
            subject=subject,
            body=body,
            about=f"invoice:{invoice.public_id}",
            now=now,
        )
        audit.record_patient(
            actor,
            audit.Action.EXPORT,
            patient,
            object_type=audit.Kind.INVOICE,
            object_id=invoice.public_id,
            detail={"receipt": invoice.number, "sent": "email"},
        )
    return message


# ---------------------------------------------------------------- the patient's own


@dataclass(frozen=True)
class OwnReceipt:
    invoice: Invoice
    day: date  # the day it was paid, on its location's clock
    total: Decimal
    paid: Decimal
    refunded: Decimal

    @property
    def owed(self) -> Decimal:
        """What is still to pay: money given back is not owed again."""
        return max(money.ZERO, money.cents(self.total - self.paid))


def own_receipts(actor: Actor, patient, limit: int = 50) -> list[OwnReceipt]:
    """The patient's finalized invoices, newest first, with what each came to, what was paid,
    what was given back: what the portal lists (read through the access door: her own and
    nothing else). The read is logged."""
    rows = list(
        Invoice.objects.restrict(actor, "view")
        .filter(patient=patient, status=Invoice.Status.FINALIZED)
        .select_related("location")
        .order_by("-finalized_at", "-id")[:limit]
    )
    audit.record_patient(actor, audit.Action.READ, patient, object_type=audit.Kind.INVOICE)
    sums = desk.amounts(rows)
    return [
        OwnReceipt(
            invoice,
            invoice.finalized_at.astimezone(invoice.location.zone).date(),
            sums[invoice.pk].total,
            sums[invoice.pk].paid,
            sums[invoice.pk].refunded,
        )
        for invoice in rows
    ]


def own_receipt_pdf(actor: Actor, public_id) -> tuple[Invoice, bytes]:
    """The PDF of one of the patient's own finalized invoices (NotFound for any other); its
    export logged."""
    invoice = (
        Invoice.objects.restrict(actor, "view")
        .select_related("patient", "location", "organisation")
        .filter(public_id=public_id, status=Invoice.Status.FINALIZED)
        .first()
    )
    if invoice is None:
        raise NotFound("There is no such receipt.")
    audit.record_patient(
        actor,
        audit.Action.EXPORT,
        invoice.patient,
        object_type=audit.Kind.INVOICE,
        object_id=invoice.public_id,
        detail={"receipt": invoice.number},
    )
    with timezone.override(invoice.location.zone), speaking(invoice.patient):
        return invoice, render_pdf(desk.describe(invoice))


def own_prepaid(actor: Actor, patient) -> tuple[list[PatientPackage], Membership | None]:
    """The patient's packages that are paid for (active or used up, not expired) and her
    membership unless canceled: what the portal shows beside her receipts."""
    held = list(
        PatientPackage.objects.restrict(actor, "view")
        .filter(patient=patient, status__in=("active", "used_up"))
        .select_related("plan", "plan__service")
        .order_by("expires_on", "id")[:20]
    )
    member = (
        Membership.objects.restrict(actor, "view")
        .filter(patient=patient)
        .exclude(status=Membership.Status.CANCELLED)
        .select_related("plan")
        .first()
    )
    audit.record_patient(actor, audit.Action.READ, patient, object_type=audit.Kind.PACKAGE)
    audit.record_patient(actor, audit.Action.READ, patient, object_type=audit.Kind.MEMBERSHIP)
    return held, member
