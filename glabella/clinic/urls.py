from django.urls import path

from glabella.clinic import views

app_name = "clinic"
urlpatterns = [
    path("staff/clinic/", views.overview, name="overview"),
    path("staff/clinic/on-call/", views.on_call, name="on-call"),
]
