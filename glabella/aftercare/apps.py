from django.apps import AppConfig


class AftercareConfig(AppConfig):
    name = "glabella.aftercare"
    label = "aftercare"
    verbose_name = "Aftercare"

    def ready(self) -> None:
        # A signed treatment sends its aftercare instructions and schedules its check-ins:
        # treatments calls its hooks, and never imports aftercare.
        from glabella.aftercare import alerts, check_ins
        from glabella.treatments import hooks

        hooks.register_after_lock(check_ins.after_treatment)
        # Each minute: a check-in a day overdue is reminded once; one past its link is missed.
        from glabella.messaging.delivery import register_periodic

        register_periodic("check_ins_followed_up", check_ins.remind_and_mark_missed)
        # Each minute: an alert nobody acknowledged in time goes to the medical director, then
        # the owner.
        register_periodic("alerts_escalated", alerts.escalate_unacknowledged)
