from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "glabella.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes"

    def ready(self) -> None:
        # Listens to treatments' treatment_signed (a signed treatment, or an amendment, refreshes
        # its forecast) and aftercare's report_recorded (the day-14 answer "the effect shows"
        # records the onset of the treatment's courses); neither app imports outcomes.
        from glabella.core import periodic
        from glabella.outcomes import durations, invitations, receivers, refit  # noqa: F401

        # Each minute: expired monthly questions (the next one scheduled), the nightly refit of
        # the duration model; every quarter hour, invitations back that are due.
        periodic.register("movement_checks_followed_up", durations.follow_up_missed)
        periodic.register("duration_model_refit", refit.nightly_refit)
        periodic.register("invitations_sent", invitations.every_quarter_hour)
