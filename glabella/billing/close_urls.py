"""The day's close and the money reports, mounted at staff/billing/."""

from django.urls import path

from glabella.billing import close_views

app_name = "close"
urlpatterns = [
    path("close/", close_views.day, name="day"),
    path("closes/", close_views.closes, name="closes"),
    path("reports/", close_views.revenue, name="revenue"),
    path("reconciliation/", close_views.reconciliation, name="reconciliation"),
]
