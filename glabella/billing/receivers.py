"""What billing listens to.

- treatments' `treatment_signed`: a signed treatment opens its invoice with the units charted.
- treatments' `chart_notices`: the signed chart tells the injector where its invoice stands
  (waiting at the desk, checked out, voided), with no amount.
- patients' `record_sections`: the patient's invoices on the record, for the desk.
"""

from django.dispatch import receiver

from glabella.billing import desk, invoices
from glabella.billing.record_sections import invoices_section
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
