"""What billing listens to.

- treatments' `treatment_signed`: a signed treatment opens its invoice with the units charted.
- treatments' `chart_notices`: the signed chart tells the injector where its invoice stands
  (waiting at the desk, checked out, voided), with no amount.
- its own `invoice_settled`: packages sold on an invoice paid in full become usable.
- patients' `record_sections`: the patient's invoices, and her packages and membership, for
  the desk.
"""

from django.dispatch import receiver

from glabella.billing import desk, invoices, packages
from glabella.billing.record_sections import invoices_section, prepaid_section
from glabella.billing.signals import invoice_settled
from glabella.patients.signals import record_sections
from glabella.treatments.signals import chart_notices, treatment_signed


@receiver(treatment_signed, dispatch_uid="billing.open_invoice")
def open_invoice(sender, record, now, **kwargs) -> None:
    invoices.open_for_treatment(record, now)


@receiver(chart_notices, dispatch_uid="billing.chart_notices")
def invoice_notice(sender, actor, record, **kwargs) -> str:
    return desk.clinician_word(record) if record.locked else ""


@receiver(record_sections, dispatch_uid="billing.record_sections")
def add_invoices(sender, actor, patient, now, **kwargs):
    return invoices_section(actor, patient, now)


@receiver(record_sections, dispatch_uid="billing.record_prepaid")
def prepaid(sender, actor, patient, now, **kwargs):
    return prepaid_section(actor, patient, now)


@receiver(invoice_settled, dispatch_uid="billing.activate_packages")
def activate_packages(sender, invoice, now, actor, **kwargs) -> None:
    packages.on_settled(invoice, now, actor)
