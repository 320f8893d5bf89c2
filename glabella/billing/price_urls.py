"""The owner's price pages, mounted at staff/billing/prices/."""

from django.urls import path

from glabella.billing import price_views

app_name = "prices"
urlpatterns = [
    path("", price_views.home, name="home"),
    path("products/", price_views.product_price, name="product"),
    path("sales-tax/<uuid:public_id>/", price_views.sales_tax, name="sales-tax"),
    path("packages/", price_views.package_plan, name="package-plan"),
    path("memberships/", price_views.membership_plan, name="membership-plan"),
    path("plans/on-sale/", price_views.plan_on_sale, name="plan-on-sale"),
    path("promotions/new/", price_views.promotion_new, name="promotion-new"),
    path("promotions/<str:code>/", price_views.promotion, name="promotion"),
]
