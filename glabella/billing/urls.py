from django.urls import path

from glabella.billing import checkout_views as views

app_name = "billing"
urlpatterns = [
    path("staff/billing/", views.checkout, name="checkout"),
    path("staff/billing/invoices/<uuid:public_id>/", views.invoice, name="invoice"),
    path("staff/billing/invoices/<uuid:public_id>/receipt.pdf", views.receipt, name="receipt"),
    path(
        "staff/billing/invoices/<uuid:public_id>/<slug:action>/",
        views.invoice_action,
        name="invoice-action",
    ),
    path("staff/billing/payments/<uuid:public_id>/refund/", views.refund, name="refund"),
]
