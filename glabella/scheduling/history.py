"""The change history of a patient's appointments and waitlist entries, for the patients app's
change-history page (registered through core.history; patients never imports scheduling)."""

from django.utils import timezone

from glabella.clinic.clock import local_zone
from glabella.core import history
from glabella.core.roles import Capability
from glabella.scheduling.models import Appointment, WaitlistEntry


def _appointment_name(row) -> str:
    at = timezone.localtime(row.starts_at, local_zone())
    return f"Appointment on {at:%b} {at.day}, {at.year} at {at:%I:%M %p}".replace(" 0", " ")


def register_sources() -> None:
    history.register(
        history.Source(
            "appointment",
            Capability.VIEW_PATIENT,
            lambda pk: Appointment.history.filter(patient_id=pk).select_related(
                "history_user__staff"
            ),
            _appointment_name,
        )
    )
    history.register(
        history.Source(
            "waitlist",
            Capability.VIEW_PATIENT,
            lambda pk: WaitlistEntry.history.filter(patient_id=pk).select_related(
                "history_user__staff"
            ),
            lambda row: "Waitlist entry",
        )
    )
