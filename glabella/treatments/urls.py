from django.urls import path

from glabella.treatments import clinic_views, vial_views, views

app_name = "treatments"
urlpatterns = [
    path("staff/treatments/", views.day, name="day"),
    path("staff/treatments/reports/", clinic_views.reports, name="reports"),
    path("staff/treatments/protocol/", clinic_views.protocol, name="protocol"),
    path("staff/treatments/start/<uuid:appointment_id>/", views.start, name="start"),
    path("staff/treatments/<uuid:public_id>/", views.record, name="record"),
    path("staff/treatments/<uuid:public_id>/check/", views.check, name="check"),
    path("staff/treatments/<uuid:public_id>/vials/", vial_views.vials, name="vials"),
    path("staff/treatments/<uuid:public_id>/note.pdf", views.note_pdf, name="note-pdf"),
    path("staff/stock/lots/<uuid:lot_id>/recall/", clinic_views.recall, name="recall"),
]
