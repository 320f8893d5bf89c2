from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "glabella.billing"
    label = "billing"
    verbose_name = "Money"

    def ready(self) -> None:
        # A signed treatment opens its invoice (billing.receivers answers treatment_signed).
        from glabella.billing import receivers  # noqa: F401
