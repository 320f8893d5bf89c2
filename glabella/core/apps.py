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
        # Accounts and second factors change only on the audited pages (the Team pages, the
        # two-step sign-in set-up): Django admin shows none of them. Admin's ready() has
        # registered them by now (it comes first in INSTALLED_APPS).
        from django.contrib import admin
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        from glabella.core import receivers  # noqa: F401
        from glabella.core.two_factor import admin_hidden_models

        for model in (get_user_model(), Group, *admin_hidden_models()):
            if admin.site.is_registered(model):
                admin.site.unregister(model)
