from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "glabella.fhir"
    label = "fhir"
    verbose_name = "FHIR API"

    def ready(self):
        # Each module registers the resources it builds.
        from glabella.fhir import resources  # noqa: F401
