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
