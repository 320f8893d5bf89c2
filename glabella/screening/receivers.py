"""What screening listens to (it sends no signal of its own).

- scheduling's `booking_requested`: a neuromodulator booking needs a current candidacy decision;
  the receiver raises ValidationFailed when there is none, which refuses the booking.
- scheduling's `appointment_booked`: a booked consultation sends the forms link.
- scheduling's `treatment_clearance_asked`: whether a decision signed during a consultation
  lets the visit go on as a treatment (`visit_clearance.py`); answers, never raises.

Receivers connect here, on import by ScreeningConfig.ready (scheduling never imports screening);
they are module-level functions, so the signals' weak references hold.
"""

from django.dispatch import receiver

from glabella.scheduling.signals import (
    appointment_booked,
    booking_requested,
    treatment_clearance_asked,
)
from glabella.screening import decisions, links, visit_clearance


@receiver(booking_requested, dispatch_uid="screening.require_treatment_clearance")
def require_treatment_clearance(sender, service, patient, start, **kwargs) -> None:
    decisions.require_treatment_clearance(service, patient, start)


@receiver(appointment_booked, dispatch_uid="screening.after_booking")
def send_forms_link(sender, appointment, now, **kwargs) -> None:
    links.after_booking(appointment, now)


@receiver(treatment_clearance_asked, dispatch_uid="screening.visit_clearance")
def decision_for_visit(sender, appointment, now, **kwargs) -> str | None:
    return visit_clearance.refusal(appointment, now)
