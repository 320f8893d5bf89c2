from django.apps import AppConfig


class TreatmentsConfig(AppConfig):
    name = "glabella.treatments"
    label = "treatments"
    verbose_name = "Treatments"
