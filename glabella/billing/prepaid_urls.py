"""A patient's prepaid packages and membership, mounted at staff/billing/prepaid/."""

from django.urls import path

from glabella.billing import prepaid_views

app_name = "prepaid"
urlpatterns = [
    path("patients/<uuid:public_id>/enroll/", prepaid_views.enrol, name="enrol"),
    path("memberships/<uuid:public_id>/", prepaid_views.membership, name="membership"),
    path(
        "memberships/<uuid:public_id>/adjust/",
        prepaid_views.membership_adjust,
        name="membership-adjust",
    ),
    path(
        "memberships/<uuid:public_id>/<slug:action>/",
        prepaid_views.membership_action,
        name="membership-action",
    ),
    path("packages/<uuid:public_id>/", prepaid_views.package, name="package"),
    path("packages/<uuid:public_id>/adjust/", prepaid_views.package_adjust, name="package-adjust"),
]
