from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "glabella.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"
