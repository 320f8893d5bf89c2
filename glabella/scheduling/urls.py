from django.urls import path

from glabella.scheduling import treat_views, views

app_name = "scheduling"

urlpatterns = [
    path("book/", views.book, name="book"),
    path("book/manage/<str:token>/", views.manage, name="manage"),
    path("staff/calendar/", views.calendar, name="calendar"),
    path("staff/calendar/book/", views.staff_book, name="staff-book"),
    # Before the desk's actions below, whose <slug:action> would take this path.
    path(
        "staff/appointments/<uuid:public_id>/treat-now/",
        treat_views.treat_in_visit,
        name="treat-now",
    ),
    path(
        "staff/appointments/<uuid:public_id>/<slug:action>/", views.act, name="appointment-action"
    ),
    path("staff/calendar/feed/", views.my_feed, name="my-feed"),
    path("calendar/<str:token>.ics", views.feed, name="feed"),
]
