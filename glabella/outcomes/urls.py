from django.urls import path

from glabella.outcomes import due_views, views

app_name = "outcomes"
urlpatterns = [
    path("movement/<str:token>/", views.movement, name="movement"),
    path("book/again/<str:token>/", views.book_again, name="book-again"),
    path("staff/patients/<uuid:public_id>/photos/", views.patient_photos, name="photos"),
    path("staff/patients/<uuid:public_id>/outcomes/", views.patient_outcomes, name="patient"),
    path("staff/photos/<uuid:public_id>/", views.photo, name="photo"),
    path("staff/photos/<uuid:public_id>/thumbnail/", views.thumbnail, name="thumbnail"),
    path("staff/due/", due_views.due, name="due"),
    path("staff/due/invite/", due_views.invite, name="invite"),
    path("staff/due/invite-all/", due_views.invite_all, name="invite-all"),
    path("staff/outcomes/", views.practice, name="practice"),
]
