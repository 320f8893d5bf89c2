from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "glabella.screening"
    label = "screening"
    verbose_name = "Candidacy screening"

    def ready(self) -> None:
        # A neuromodulator booking needs a current candidacy decision: scheduling asks its
        # prerequisite hooks, and screening adds its own (scheduling never imports screening).
        from glabella.scheduling import hooks
        from glabella.screening.decisions import require_treatment_clearance
        from glabella.screening.links import after_booking

        hooks.register_prerequisite(require_treatment_clearance)
        hooks.register_after_booking(after_booking)
