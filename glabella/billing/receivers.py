"""What billing listens to.

- treatments' `treatment_signed`: a signed treatment opens its invoice with the units charted.
- its own `invoice_settled`: packages sold on an invoice paid in full become usable.
- patients' `record_sections`: the patient's packages and membership, for the desk.
"""

from django.dispatch import receiver

from glabella.billing import invoices, packages
from glabella.billing.record_sections import prepaid_section
from glabella.billing.signals import invoice_settled
from glabella.patients.signals import record_sections
from glabella.treatments.signals import treatment_signed


@receiver(treatment_signed, dispatch_uid="billing.open_invoice")
def open_invoice(sender, record, now, **kwargs) -> None:
    invoices.open_for_treatment(record, now)


@receiver(invoice_settled, dispatch_uid="billing.activate_packages")
def activate_packages(sender, invoice, now, actor, **kwargs) -> None:
    packages.on_settled(invoice, now, actor)


@receiver(record_sections, dispatch_uid="billing.record_sections")
def prepaid(sender, actor, patient, now, **kwargs):
    return prepaid_section(actor, patient, now)
