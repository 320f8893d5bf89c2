"""What the prepaid tests share: an invoice of product units, a package bought and paid, and a
membership whose monthly fees are paid (its credit is spent only then)."""

from glabella.billing import invoices, packages, payments
from glabella.billing.models import Invoice, MembershipEntry, PatientPackage


def units_invoice(desk, patient, clinic, units="20", product="botox_cosmetic") -> Invoice:
    invoice = invoices.open_invoice(desk, patient, clinic)
    invoices.add_units(desk, invoice, product, units)
    return invoice


def bought(desk, patient, clinic, plan) -> PatientPackage:
    """The package sold and paid in full in cash (through the services)."""
    invoice = invoices.open_invoice(desk, patient, clinic)
    package = packages.sell(desk, invoice, plan)
    payments.take_payment(desk, invoice, method="cash", amount=str(plan.price))
    return PatientPackage.objects.get(pk=package.pk)


def fees_paid(desk, membership):
    """The membership's monthly fees taken in cash at the desk; returns the membership."""
    fees = MembershipEntry.objects.filter(membership=membership, kind="fee").values("invoice")
    for invoice in Invoice.objects.filter(pk__in=fees, status="open"):
        owed = invoices.balance_of(invoice)
        payments.take_payment(desk, invoice, method="cash", amount=str(owed))
    return membership
