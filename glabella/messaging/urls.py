from django.urls import path

from glabella.messaging import views

app_name = "messaging"

urlpatterns = [
    path("staff/messages/", views.outbox, name="outbox"),
    path("staff/messages/<uuid:public_id>/retry/", views.retry, name="retry"),
]
