from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "glabella.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes"
