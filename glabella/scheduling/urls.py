from django.urls import path

from glabella.scheduling import public_views, views

app_name = "scheduling"

urlpatterns = [
    path("book/", public_views.book, name="book"),
    path("book/manage/<str:token>/", public_views.manage, name="manage"),
    path("book/manage/<str:token>/visit.ics", public_views.visit_ics, name="manage-ics"),
    path("staff/calendar/", views.calendar, name="calendar"),
    path("staff/calendar/book/", views.staff_book, name="staff-book"),
    path(
        "staff/appointments/<uuid:public_id>/<slug:action>/", views.act, name="appointment-action"
    ),
    path("staff/calendar/feed/", views.my_feed, name="my-feed"),
    path("calendar/<str:token>.ics", views.feed, name="feed"),
]
