"""The names of /healthz and /metrics (answered by core.health_views.HealthMiddleware)."""

from django.urls import path

from glabella.core import health_views

app_name = "health"
urlpatterns = [
    path(health_views.HEALTHZ.lstrip("/"), health_views.healthz, name="healthz"),
    path(health_views.METRICS.lstrip("/"), health_views.metrics_page, name="metrics"),
]
