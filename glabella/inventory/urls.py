from django.urls import path

from glabella.inventory import lot_views, views

app_name = "inventory"
urlpatterns = [
    path("staff/stock/", views.stock, name="stock"),
    path("staff/stock/lots/<uuid:public_id>/", lot_views.lot, name="lot"),
    path(
        "staff/stock/lots/<uuid:public_id>/vials/<slug:action>/",
        lot_views.lot_action,
        name="lot-action",
    ),
    path(
        "staff/stock/vials/<uuid:public_id>/reconstitution/",
        views.reconstitution,
        name="reconstitution",
    ),
    path(
        "staff/stock/vials/<uuid:public_id>/<slug:action>/",
        views.vial_action,
        name="vial-action",
    ),
]
