from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "glabella.screening"
    label = "screening"
    verbose_name = "Candidacy screening"

    def ready(self) -> None:
        # Listens to scheduling's booking_requested (a neuromodulator booking needs a current
        # candidacy decision) and appointment_booked (a consultation sends the forms link).
        from glabella.screening import receivers  # noqa: F401  (connects the receivers)
