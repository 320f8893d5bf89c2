from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "glabella.core"
    label = "core"
    verbose_name = "Access and audit"

    def ready(self) -> None:
        # Each minute: the public forms' throttle counts past their window are swept.
        from django.db.backends.signals import connection_created

        from glabella.core import periodic, throttle
        from glabella.core.db import register_maintenance_function

        periodic.register("throttle_counts_swept", throttle.sweep)
        # SQLite: the function the access log's DELETE trigger asks (core/db.py).
        connection_created.connect(register_maintenance_function, dispatch_uid="glabella-audit")
        # Sign-ins, sign-outs, failures and lockouts to the access log (issue 18).
        from glabella.core import receivers  # noqa: F401
