from django.urls import path

from glabella.aftercare import views

app_name = "aftercare"
urlpatterns = [
    path("check-in/<str:token>/", views.check_in, name="check-in"),
    path("portal/aftercare/", views.portal_aftercare, name="portal"),
    path(
        "portal/aftercare/<uuid:treatment_id>/report/",
        views.portal_report,
        name="portal-report",
    ),
    path("staff/aftercare/texts/", views.texts, name="texts"),
    path("staff/follow-up/", views.board, name="board"),
    path("staff/follow-up/photos/<uuid:public_id>/", views.photo, name="photo"),
    path(
        "staff/treatments/<uuid:treatment_id>/follow-up/",
        views.follow_up,
        name="follow-up",
    ),
    path("staff/follow-up/safety/", views.safety, name="safety"),
    path("staff/follow-up/<uuid:alert_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path(
        "staff/treatments/<uuid:treatment_id>/adverse-event/",
        views.new_event,
        name="new-event",
    ),
    path("staff/adverse-events/<uuid:public_id>/", views.event, name="event"),
]
