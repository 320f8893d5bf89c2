from django.urls import path, re_path

from glabella.fhir import bulk_views, views

app_name = "fhir"

ID = r"[A-Za-z0-9\-.]{1,64}"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    # Bulk Data export (glabella.fhir.bulk): kick-off, status, files.
    path("$export", bulk_views.system_export, name="export"),
    path("Patient/$export", bulk_views.patients_export, name="patients-export"),
    re_path(
        rf"^Patient/(?P<patient_id>{ID})/\$export$",
        bulk_views.patient_export,
        name="patient-export",
    ),
    re_path(rf"^Group/(?P<group_id>{ID})/\$export$", bulk_views.group_export, name="group-export"),
    re_path(rf"^\$export-status/(?P<job_id>{ID})$", bulk_views.export_status, name="export-status"),
    re_path(
        rf"^\$export-file/(?P<job_id>{ID})/(?P<file_id>{ID})$",
        bulk_views.export_file,
        name="export-file",
    ),
    re_path(r"^(?P<resource_type>[A-Z][A-Za-z]{1,63})$", views.search, name="search"),
    re_path(
        rf"^(?P<resource_type>[A-Z][A-Za-z]{{1,63}})/(?P<resource_id>{ID})$",
        views.read,
        name="read",
    ),
]
