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
        # Their outbox's lag and failed deliveries, for /healthz and /metrics.
        from glabella.core import health

        health.register(
            "outbox_lag_seconds",
            delivery.lag,
            "Seconds the oldest due, undelivered row of an outbox has waited.",
            outbox="webhooks",
        )
        health.register(
            "webhook_deliveries_failed", delivery.failed, "Webhook deliveries that failed for good."
        )
