from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "glabella.messaging"
    label = "messaging"
    verbose_name = "Messaging"

    def ready(self) -> None:
        # Listens to core's account_locked: the alert to the locked account's owner.
        from glabella.messaging import heartbeat, receivers  # noqa: F401

        # The worker's heartbeat, the scheduler's last run, the outbox's lag: /healthz, /metrics.
        heartbeat.register_measures()
