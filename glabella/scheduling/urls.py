from django.urls import path

from glabella.scheduling import hours_views, views

app_name = "scheduling"

urlpatterns = [
    path("book/", views.book, name="book"),
    path("book/manage/<str:token>/", views.manage, name="manage"),
    path("staff/calendar/", views.calendar, name="calendar"),
    path("staff/calendar/book/", views.staff_book, name="staff-book"),
    path(
        "staff/appointments/<uuid:public_id>/<slug:action>/", views.act, name="appointment-action"
    ),
    path("staff/calendar/feed/", views.my_feed, name="my-feed"),
    path("calendar/<str:token>.ics", views.feed, name="feed"),
    # providers' hours and time off (issue 19)
    path("staff/hours/", hours_views.index, name="hours"),
    path("staff/hours/<uuid:public_id>/", hours_views.person, name="hours-for"),
    path("staff/hours/<uuid:public_id>/time-off/", hours_views.time_off, name="time-off"),
]
