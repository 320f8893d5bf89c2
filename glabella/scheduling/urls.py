from django.urls import path

from glabella.scheduling import (
    calendar_views,
    hours_views,
    public_views,
    treat_views,
    views,
    waitlist_views,
)

app_name = "scheduling"

urlpatterns = [
    path("book/", public_views.book, name="book"),
    path("book/manage/<str:token>/", public_views.manage, name="manage"),
    path("book/manage/<str:token>/visit.ics", public_views.visit_ics, name="manage-ics"),
    path("staff/calendar/", calendar_views.calendar, name="calendar"),
    path("staff/calendar/book/", views.staff_book, name="staff-book"),
    path("staff/calendar/new/", calendar_views.book_at, name="book-at"),
    path(
        "staff/calendar/visits/<uuid:public_id>/move/",
        calendar_views.move_visit,
        name="move-visit",
    ),
    path(
        "staff/calendar/visits/<uuid:public_id>/cancel/",
        calendar_views.cancel_visit,
        name="cancel-visit",
    ),
    path("staff/waitlist/", waitlist_views.waitlist_page, name="waitlist"),
    path("staff/waitlist/<uuid:public_id>/offer/", waitlist_views.offer, name="waitlist-offer"),
    path("staff/waitlist/<uuid:public_id>/remove/", waitlist_views.remove, name="waitlist-remove"),
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
    # providers' hours and time off (issue 19)
    path("staff/hours/", hours_views.index, name="hours"),
    path("staff/hours/<uuid:public_id>/", hours_views.person, name="hours-for"),
    path("staff/hours/<uuid:public_id>/time-off/", hours_views.time_off, name="time-off"),
]
