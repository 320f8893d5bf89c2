from django.urls import path

from glabella.clinic import team_views, views

app_name = "clinic"
urlpatterns = [
    path("staff/clinic/", views.overview, name="overview"),
    path("staff/clinic/on-call/", views.on_call, name="on-call"),
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
