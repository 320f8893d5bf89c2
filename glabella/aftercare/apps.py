from django.apps import AppConfig

from glabella.core.roles import Capability


class AftercareConfig(AppConfig):
    name = "glabella.aftercare"
    label = "aftercare"
    verbose_name = "Aftercare"

    def ready(self) -> None:
        # Listens to treatments' treatment_signed: a signed treatment sends its aftercare
        # instructions and schedules its check-ins (treatments never imports aftercare).
        from glabella.aftercare import alerts, check_ins, receivers, triage  # noqa: F401  (connects the receivers)
        from glabella.core import periodic

        # Each minute: a check-in a day overdue is reminded once; one past its link is missed.
        periodic.register("check_ins_followed_up", check_ins.remind_and_mark_missed)
        # Each minute: an alert nobody acknowledged in time goes to the medical director, then
        # the owner.
        periodic.register("alerts_escalated", alerts.escalate_unacknowledged)
        # Alerts waiting for a clinician, counted for /metrics (counts only, no patient).
        from glabella.core import health

        for urgency in (triage.Urgency.URGENT, triage.Urgency.REVIEW):
            health.register(
                "alerts_waiting",
                alerts.waiting(urgency),
                "Aftercare alerts not acknowledged yet.",
                urgency=urgency.value,
            )
        # Adverse events and their follow-ups on the patient's change-history page.
        from glabella.aftercare.models import AdverseEvent
        from glabella.core import history

        history.register(
            history.Source(
                "adverse-event",
                Capability.VIEW_CLINICAL,
                lambda pk: AdverseEvent.history.filter(patient_id=pk).select_related(
                    "history_user__staff"
                ),
                lambda row: "Adverse event",
            )
        )
