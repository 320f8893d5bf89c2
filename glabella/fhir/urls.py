from django.urls import path, re_path

from glabella.fhir import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    re_path(r"^(?P<resource_type>[A-Z][A-Za-z]{1,63})$", views.search, name="search"),
    re_path(
        r"^(?P<resource_type>[A-Z][A-Za-z]{1,63})/(?P<resource_id>[A-Za-z0-9\-.]{1,64})$",
        views.read,
        name="read",
    ),
]
