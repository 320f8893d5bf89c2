from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "glabella.portal"
    label = "portal"
    verbose_name = "Public pages and the patient portal"

    def ready(self):
        from glabella.core import throttle
        from glabella.messaging.delivery import register_periodic

        # The public forms' counts (core cannot know the scheduler, which lives in messaging).
        register_periodic("throttle_counts_swept", throttle.sweep)
