from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "glabella.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes"

    def ready(self) -> None:
        # A signed treatment (or an amendment) refreshes its forecast: treatments calls its
        # hooks and never imports outcomes.
        from glabella.outcomes import services
        from glabella.treatments import hooks

        hooks.register_after_lock(services.after_treatment)
        # The day-14 answer "the effect shows" records the onset of the treatment's courses.
        from glabella.aftercare import hooks as aftercare_hooks
        from glabella.outcomes import durations, invitations, refit

        aftercare_hooks.register_after_report(durations.after_report)
        # Each minute: expired monthly questions (the next one scheduled), the nightly refit of
        # the duration model; every quarter hour, invitations back that are due.
        from glabella.messaging.delivery import register_periodic

        register_periodic("movement_checks_followed_up", durations.follow_up_missed)
        register_periodic("duration_model_refit", refit.nightly_refit)
        register_periodic("invitations_sent", invitations.every_quarter_hour)
