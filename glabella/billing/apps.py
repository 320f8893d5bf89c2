from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "glabella.billing"
    label = "billing"
    verbose_name = "Money"

    def ready(self) -> None:
        # A signed treatment opens its invoice (billing.receivers answers treatment_signed);
        # an invoice paid in full makes the packages sold on it usable.
        from glabella.billing import receivers  # noqa: F401
        from glabella.billing.memberships import renew_due
        from glabella.billing.packages import expire_due
        from glabella.core import periodic

        # Once a minute: packages past their last day lapse; memberships that have not had
        # this month in their location's zone get its credit and its fee's invoice.
        periodic.register("packages_expired", expire_due)
        periodic.register("memberships_renewed", renew_due)
