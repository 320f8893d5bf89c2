"""What billing listens to.

- treatments' `treatment_signed`: a signed treatment opens its invoice with the units charted
  (the desk applies the visit's deposit paid online when it checks the visit out).
- treatments' `chart_notices`: the signed chart tells the injector where its invoice stands
  (waiting at the desk, checked out, voided), with no amount.
- its own `invoice_settled`: packages sold on an invoice paid in full become usable.
- its own `invoice_voided`: an unpaid package sold on it goes; a month's fee takes back its
  unspent credit.
- scheduling's `booking_policy`: the clinic's cancellation policy on the booking pages (with
  the deposit or saved card only while card payments are on).
- scheduling's `payment_for_visit`: the confirmation page's deposit or card step (`cards.py`).
- patients' `record_sections`: the patient's invoices, her packages and membership, and her
  card on file with the fees the desk may review, for the desk.
"""

from django.dispatch import receiver

from glabella.billing import cards, desk, invoices, memberships, packages
from glabella.billing.record_sections import invoices_section, prepaid_section
from glabella.billing.signals import invoice_settled, invoice_voided
from glabella.patients.signals import record_sections
from glabella.scheduling.signals import booking_policy, payment_for_visit
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


@receiver(record_sections, dispatch_uid="billing.card_on_file")
def card_on_file_section(sender, actor, patient, now, **kwargs):
    return cards.record_section(actor, patient, now)


@receiver(invoice_settled, dispatch_uid="billing.activate_packages")
def activate_packages(sender, invoice, now, actor, **kwargs) -> None:
    packages.on_settled(invoice, now, actor)


@receiver(invoice_voided, dispatch_uid="billing.voided_packages")
def drop_unpaid_packages(sender, invoice, number, now, actor, **kwargs) -> None:
    packages.on_voided(invoice, number, now, actor)


@receiver(invoice_voided, dispatch_uid="billing.voided_month")
def take_back_unpaid_month(sender, invoice, number, now, actor, **kwargs) -> None:
    memberships.on_voided(invoice, number, now, actor)


@receiver(booking_policy, dispatch_uid="billing.booking_policy")
def answer_booking_policy(sender, service, location, **kwargs) -> dict | None:
    return cards.policy(service, location)


@receiver(payment_for_visit, dispatch_uid="billing.payment_for_visit")
def answer_payment_for_visit(sender, appointment, now, **kwargs) -> dict | None:
    return cards.payment_step(appointment, now)
