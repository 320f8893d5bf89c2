from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "glabella.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        # Appointments and waitlist entries on the patient's change-history page.
        from glabella.scheduling.history import register_sources

        register_sources()
        # Listens to patients' record_sections: the visits on the patient record.
        from glabella.scheduling import receivers  # noqa: F401
