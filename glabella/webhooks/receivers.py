"""What webhooks listens to: every event an integration may subscribe to.

- scheduling's `appointment_booked`, `appointment_moved`, `appointment_cancelled`;
- treatments' `treatment_signed` (an amendment too, naming the record it amends);
- aftercare's `adverse_event_recorded`;
- billing's `invoice_settled` (paid in full, or nothing owed).

Each writes one delivery per active endpoint subscribed, in the sender's transaction (the outbox:
a rolled-back booking leaves no delivery). The listeners are kept in `LISTENERS`, so the
signals' weak references hold.
"""

import re

from django.db import transaction

from glabella.aftercare.signals import adverse_event_recorded
from glabella.billing.signals import invoice_settled
from glabella.scheduling.signals import (
    appointment_booked,
    appointment_cancelled,
    appointment_moved,
)
from glabella.treatments.signals import treatment_signed
from glabella.webhooks import events
from glabella.webhooks.services import queue_event


def clinic_of(kwargs: dict) -> int | None:
    """The clinic an event happened at: that of the appointment, record, event or invoice it
    is about (each names its clinic or its patient)."""
    for value in kwargs.values():
        if hasattr(value, "organisation_id"):
            return value.organisation_id
        if getattr(value, "patient_id", None) is not None:
            return value.patient.organisation_id
    return None


def _listener(event_type: str, data_of):
    def listener(sender, now, **kwargs) -> None:
        with transaction.atomic():
            queue_event(event_type, data_of(**kwargs), now, clinic_of(kwargs))

    listener.__name__ = listener.__qualname__ = "on_" + re.sub(r"\W", "_", event_type)
    return listener


# signal -> the event it is, and what the payload's data is made from (its kwargs).
HEARD = (
    (appointment_booked, events.APPOINTMENT_BOOKED, events.appointment_data),
    (appointment_moved, events.APPOINTMENT_MOVED, events.appointment_data),
    (appointment_cancelled, events.APPOINTMENT_CANCELLED, events.appointment_data),
    (treatment_signed, events.TREATMENT_SIGNED, events.treatment_data),
    (adverse_event_recorded, events.ADVERSE_EVENT_RECORDED, events.adverse_event_data),
    (invoice_settled, events.INVOICE_PAID, events.invoice_data),
)
# Held here: a signal keeps only a weak reference to its receivers.
LISTENERS = [_listener(event_type, data_of) for _, event_type, data_of in HEARD]
for (signal, event_type, _), listener in zip(HEARD, LISTENERS, strict=True):
    signal.connect(listener, dispatch_uid=f"webhooks.{event_type}")
