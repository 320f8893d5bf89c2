from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "glabella.messaging"
    label = "messaging"
    verbose_name = "Messaging"
