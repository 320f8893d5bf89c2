from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "glabella.fhir"
    label = "fhir"
    verbose_name = "FHIR API"

    def ready(self):
        from glabella.core import periodic

        # Each module registers the resources it builds.
        from glabella.fhir import resources  # noqa: F401
        from glabella.fhir.bulk import sweep

        # Bulk exports past their hours lose their files; a dead worker's export fails.
        periodic.register("fhir_exports_expired", sweep)
