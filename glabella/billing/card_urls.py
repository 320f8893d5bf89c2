from django.urls import path

from glabella.billing import card_views

app_name = "cards"
urlpatterns = [
    path("book/manage/<str:token>/card/", card_views.start, name="start"),
    path("book/card/<uuid:public_id>/", card_views.checkout_return, name="return"),
    path("stripe/webhook/", card_views.webhook, name="webhook"),
    path("staff/visits/<uuid:public_id>/fee/", card_views.fee, name="fee"),
    path("staff/billing/cancellation-policy/", card_views.policy, name="policy"),
]
