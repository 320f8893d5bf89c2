from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "glabella.portal"
    label = "portal"
    verbose_name = "Public pages and the patient portal"

    def ready(self) -> None:
        # Listens to patients' record_sections: the patient's website messages and answers.
        from glabella.portal import receivers  # noqa: F401
