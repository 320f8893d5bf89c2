"""What screening listens to (it sends no signal of its own).

- scheduling's `booking_requested`: a neuromodulator booking needs a current candidacy decision;
  the receiver raises ValidationFailed when there is none, which refuses the booking.
- scheduling's `appointment_booked`: a booked consultation sends the forms link.
- scheduling's `forms_for_visit`: the confirmation page's "fill in your forms now" step (the
  link, and whether anything is left for the booked service's kind).

Receivers connect here, on import by ScreeningConfig.ready (scheduling never imports screening);
they are module-level functions, so the signals' weak references hold.
"""

from django.dispatch import receiver

from glabella.scheduling.signals import appointment_booked, booking_requested, forms_for_visit
from glabella.screening import decisions, links


@receiver(booking_requested, dispatch_uid="screening.require_treatment_clearance")
def require_treatment_clearance(sender, service, patient, start, **kwargs) -> None:
    decisions.require_treatment_clearance(service, patient, start)


@receiver(appointment_booked, dispatch_uid="screening.after_booking")
def send_forms_link(sender, appointment, now, **kwargs) -> None:
    links.after_booking(appointment, now)


@receiver(forms_for_visit, dispatch_uid="screening.forms_for_visit")
def answer_forms_for_visit(sender, appointment, now, **kwargs) -> dict:
    return links.forms_for_visit(appointment, now)
