from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "glabella.core"
    label = "core"
    verbose_name = "Access and audit"
