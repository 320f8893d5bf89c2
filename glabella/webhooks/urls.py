from django.urls import path

from glabella.webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("staff/clinic/webhooks/", views.endpoints, name="list"),
    path("staff/clinic/webhooks/new/", views.new, name="new"),
    path(
        "staff/clinic/webhooks/deliveries/<uuid:public_id>/resend/",
        views.resend,
        name="resend",
    ),
    path("staff/clinic/webhooks/<uuid:public_id>/", views.endpoint, name="endpoint"),
    path(
        "staff/clinic/webhooks/<uuid:public_id>/<slug:action>/",
        views.endpoint_action,
        name="endpoint-action",
    ),
]
