"""What billing listens to.

- treatments' `treatment_signed`: a signed treatment opens its invoice with the units charted.
- scheduling's `booking_policy`: the clinic's cancellation policy on the booking pages (with
  the deposit or saved card only while card payments are on).
- scheduling's `payment_for_visit`: the confirmation page's deposit or card step (`cards.py`).
- patients' `record_sections`: the card on file and the fees the desk may review.
"""

from django.dispatch import receiver

from glabella.billing import cards, invoices
from glabella.patients.signals import record_sections
from glabella.scheduling.signals import booking_policy, payment_for_visit
from glabella.treatments.signals import treatment_signed


@receiver(treatment_signed, dispatch_uid="billing.open_invoice")
def open_invoice(sender, record, now, **kwargs) -> None:
    invoices.open_for_treatment(record, now)


@receiver(booking_policy, dispatch_uid="billing.booking_policy")
def answer_booking_policy(sender, service, location, **kwargs) -> dict | None:
    return cards.policy(service, location)


@receiver(payment_for_visit, dispatch_uid="billing.payment_for_visit")
def answer_payment_for_visit(sender, appointment, now, **kwargs) -> dict | None:
    return cards.payment_step(appointment, now)


@receiver(record_sections, dispatch_uid="billing.card_on_file")
def card_on_file_section(sender, actor, patient, now, **kwargs):
    return cards.record_section(actor, patient, now)
