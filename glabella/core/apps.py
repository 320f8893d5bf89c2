from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "glabella.core"
    label = "core"
    verbose_name = "Access and audit"

    def ready(self) -> None:
        # Each minute: the public forms' throttle counts past their window are swept.
        from glabella.core import periodic, throttle

        periodic.register("throttle_counts_swept", throttle.sweep)
        # Sign-ins, sign-outs, failures and lockouts to the access log (issue 18).
        from glabella.core import receivers  # noqa: F401
