from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "glabella.portal"
    label = "portal"
    verbose_name = "Public pages and the patient portal"
