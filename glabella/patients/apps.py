from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "glabella.patients"
    label = "patients"
    verbose_name = "Patients"

    def ready(self) -> None:
        # The patient's details and clinical entries on the change-history page.
        from glabella.patients.changes import register_sources

        register_sources()
