from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "glabella.clinic"
    label = "clinic"
    verbose_name = "Clinic"

    def ready(self) -> None:
        from glabella.clinic import receivers  # noqa: F401  (answers brand_requested)

        # Each hour: staff licences about to expire are reminded, on the clinic's calendar.
        from glabella.clinic.clock import local_today
        from glabella.core import licences, periodic

        def licence_reminders(now):
            return licences.send_reminders(now, local_today(now=now))

        periodic.register("licence_reminders", licence_reminders)
