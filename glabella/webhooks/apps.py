from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "glabella.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        # Listens to scheduling, treatments, aftercare and billing: each event writes its
        # deliveries in the transaction that caused it.
        from glabella.core import periodic
        from glabella.webhooks import delivery, receivers  # noqa: F401  (connects the receivers)

        # Each minute: due retries released, claims of a worker that died handed on.
        periodic.register("webhooks_released", delivery.upkeep)
