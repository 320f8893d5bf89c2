from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "glabella.clinic"
    label = "clinic"
    verbose_name = "Clinic"
