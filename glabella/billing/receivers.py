"""What billing listens to.

- treatments' `treatment_signed`: a signed treatment opens its invoice with the units charted.
"""

from django.dispatch import receiver

from glabella.billing import invoices
from glabella.treatments.signals import treatment_signed


@receiver(treatment_signed, dispatch_uid="billing.open_invoice")
def open_invoice(sender, record, now, **kwargs) -> None:
    invoices.open_for_treatment(record, now)
