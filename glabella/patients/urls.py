from django.urls import path

from glabella.patients import views

app_name = "patients"
urlpatterns = [
    path("staff/patients/", views.search, name="search"),
    path("staff/patients/new/", views.register, name="register"),
    path("staff/patients/<uuid:public_id>/", views.record, name="record"),
    path("staff/patients/<uuid:public_id>/edit/", views.edit, name="edit"),
    path("staff/patients/<uuid:public_id>/status/", views.update_status, name="status"),
    path("staff/patients/<uuid:public_id>/changes/", views.changes, name="changes"),
    path("staff/patients/<uuid:public_id>/notes/", views.add_note, name="add-note"),
    path("staff/patients/<uuid:public_id>/<slug:kind>/", views.add_entry, name="add-entry"),
    path(
        "staff/patients/<uuid:public_id>/<slug:kind>/<uuid:entry_id>/active/",
        views.set_entry_active,
        name="entry-active",
    ),
    path("staff/access-log/", views.access_log, name="access-log"),
    path("portal/me/", views.portal_me, name="portal-me"),
    path("portal/me/who-looked/", views.portal_who_looked, name="portal-who-looked"),
]
