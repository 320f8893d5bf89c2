"""Screening's answer to scheduling's `treatment_clearance_asked`: was a candidacy decision signed
during this consultation that lets the visit go on as a treatment?

"During" means on the consultation's day at its location, no earlier than an hour before it began
(a prescriber may sign while the patient is being roomed). The decision must still be current (the
answers did not change since) and allow at least one product in one area; the treatment's booking
check (`decisions.require_treatment_clearance`) then holds it to the same decision.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from glabella.clinic.clock import clinic_today
from glabella.screening.decisions import current_decision

EARLY = timedelta(hours=1)


def refusal(appointment, now: datetime) -> str | None:
    decision, state = current_decision(appointment.patient, clinic_today(appointment.patient, now))
    if decision is None:
        return "No candidacy decision was signed during this consultation."
    zone = appointment.location.zone
    signed = decision.signed_at
    if (
        signed.astimezone(zone).date() != appointment.starts_at.astimezone(zone).date()
        or signed < appointment.starts_at - EARLY
    ):
        return "No candidacy decision was signed during this consultation."
    if not state.current:
        return "The decision signed during this consultation is no longer current."
    if not any(line.allowed for line in decision.lines.all()):
        return (
            "The decision signed during this consultation clears no treatment; ask the prescriber."
        )
    return None
