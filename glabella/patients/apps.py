from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "glabella.patients"
    label = "patients"
    verbose_name = "Patients"
