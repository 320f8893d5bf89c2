from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "glabella.demo"
    label = "demo"
    verbose_name = "Demo and scale data"
