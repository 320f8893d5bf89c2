"""What screening listens to (it sends no signal of its own).

- scheduling's `booking_requested`: a neuromodulator booking needs a current candidacy decision;
  the receiver raises ValidationFailed when there is none, which refuses the booking.
- scheduling's `appointment_booked`: a booked consultation sends the forms link.
- scheduling's `describe_visits`: the calendar's blocks show whether each visit's forms are done.
- patients' `record_sections`: the forms and consents, and the candidacy decisions, on the
  patient record (`record_sections.py`).
- scheduling's `forms_for_visit`: the confirmation page's "fill in your forms now" step (the
  link, and whether anything is left for the booked service's kind).
- scheduling's `treatment_clearance_asked`: whether a decision signed during a consultation
  lets the visit go on as a treatment (`visit_clearance.py`); answers, never raises.

Receivers connect here, on import by ScreeningConfig.ready (scheduling never imports screening);
they are module-level functions, so the signals' weak references hold.
"""

from django.dispatch import receiver

from glabella.patients.signals import record_sections
from glabella.scheduling.signals import (
    appointment_booked,
    booking_requested,
    describe_visits,
    forms_for_visit,
    treatment_clearance_asked,
)
from glabella.screening import decisions, links, visit_clearance, visit_forms
from glabella.screening import record_sections as sections


@receiver(booking_requested, dispatch_uid="screening.require_treatment_clearance")
def require_treatment_clearance(sender, service, patient, start, **kwargs) -> None:
    decisions.require_treatment_clearance(service, patient, start)


@receiver(appointment_booked, dispatch_uid="screening.after_booking")
def send_forms_link(sender, appointment, now, **kwargs) -> None:
    links.after_booking(appointment, now)


@receiver(describe_visits, dispatch_uid="screening.forms_status")
def forms_status(sender, appointments, today, zone=None, **kwargs) -> dict:
    if zone is None:
        return visit_forms.forms_status(appointments, today)
    return visit_forms.forms_status(appointments, today, zone)


@receiver(record_sections, dispatch_uid="screening.record_sections")
def add_record_sections(sender, actor, patient, now, **kwargs) -> list:
    return [
        s
        for s in (
            sections.forms_section(actor, patient, now),
            sections.decisions_section(actor, patient, now),
        )
        if s is not None
    ]


@receiver(forms_for_visit, dispatch_uid="screening.forms_for_visit")
def answer_forms_for_visit(sender, appointment, now, **kwargs) -> dict:
    return links.forms_for_visit(appointment, now)


@receiver(treatment_clearance_asked, dispatch_uid="screening.visit_clearance")
def decision_for_visit(sender, appointment, now, **kwargs) -> str | None:
    return visit_clearance.refusal(appointment, now)
