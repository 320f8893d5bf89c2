from django.apps import AppConfig


class TreatmentsConfig(AppConfig):
    name = "glabella.treatments"
    label = "treatments"
    verbose_name = "Treatments"

    def ready(self) -> None:
        # Listens to patients' record_sections: the treatments on the patient record.
        from glabella.treatments import receivers  # noqa: F401
