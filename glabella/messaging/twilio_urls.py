"""Twilio's callbacks, outside the language prefixes (Twilio signs the one address it calls)."""

from django.urls import path

from glabella.messaging import twilio_views

app_name = "texts"

urlpatterns = [
    path("inbound/", twilio_views.inbound, name="inbound"),
    path("status/", twilio_views.status, name="service-status"),
    path("status/<uuid:public_id>/", twilio_views.status, name="status"),
]
