from django.urls import path

from glabella.clinic import setup_views, team_views, views

app_name = "clinic"
urlpatterns = [
    path("staff/clinic/", views.overview, name="overview"),
    path("staff/clinic/on-call/", views.on_call, name="on-call"),
    # the owner's set-up (issue 19)
    path("staff/clinic/setup/", setup_views.home, name="setup"),
    path("staff/clinic/setup/identity/", setup_views.identity, name="setup-identity"),
    path("staff/clinic/setup/policies/", setup_views.policies, name="setup-policies"),
    path("staff/clinic/setup/locations/new/", setup_views.location_new, name="setup-location-new"),
    path(
        "staff/clinic/setup/locations/<uuid:public_id>/",
        setup_views.location,
        name="setup-location",
    ),
    path(
        "staff/clinic/setup/locations/<uuid:public_id>/hours/",
        setup_views.location_hours,
        name="setup-location-hours",
    ),
    path(
        "staff/clinic/setup/locations/<uuid:public_id>/areas/",
        setup_views.location_areas,
        name="setup-location-areas",
    ),
    path(
        "staff/clinic/setup/locations/<uuid:public_id>/closed-days/",
        setup_views.location_closed,
        name="setup-location-closed",
    ),
    path(
        "staff/clinic/setup/locations/<uuid:public_id>/rooms/",
        setup_views.location_rooms,
        name="setup-location-rooms",
    ),
    path("staff/clinic/setup/services/new/", setup_views.service_new, name="setup-service-new"),
    path(
        "staff/clinic/setup/services/<uuid:public_id>/",
        setup_views.service,
        name="setup-service",
    ),
    path("brand.css", setup_views.brand_css, name="brand-css"),
    path("brand/logo", setup_views.brand_logo, name="brand-logo"),
    # staff management (issue 18)
    path("staff/team/", team_views.team, name="team"),
    path("staff/team/invite/", team_views.invite, name="team-invite"),
    path("staff/team/api-tokens/", team_views.api_tokens, name="api-tokens"),
    path(
        "staff/team/api-tokens/<uuid:public_id>/revoke/",
        team_views.api_token_revoke,
        name="api-token-revoke",
    ),
    path("staff/team/clinical-access/", team_views.clinical_access, name="clinical-access"),
    path("staff/team/<uuid:public_id>/", team_views.member, name="team-member"),
    path(
        "staff/team/<uuid:public_id>/<slug:action>/",
        team_views.member_action,
        name="team-member-action",
    ),
    path("welcome/<str:uidb64>/<str:token>/", team_views.welcome, name="welcome"),
]
