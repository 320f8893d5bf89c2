from django.urls import path

from glabella.screening import views

app_name = "screening"
urlpatterns = [
    path("forms/<str:token>/", views.forms_hub, name="forms"),
    path("forms/<str:token>/questions/", views.forms_intake, name="forms-intake"),
    path("forms/<str:token>/consent/<slug:kind>/", views.forms_consent, name="forms-consent"),
    path(
        "forms/<str:token>/signed/<uuid:consent_id>.pdf",
        views.forms_consent_pdf,
        name="forms-consent-pdf",
    ),
    path("portal/forms/", views.portal_forms, name="portal-forms"),
    path("self-check/", views.self_check, name="self-check"),
    path("staff/patients/<uuid:public_id>/screening/", views.patient_screening, name="patient"),
    path(
        "staff/patients/<uuid:public_id>/screening/intake/",
        views.staff_intake,
        name="staff-intake",
    ),
    path(
        "staff/patients/<uuid:public_id>/screening/decision/",
        views.sign_decision,
        name="sign-decision",
    ),
    path("staff/patients/<uuid:public_id>/forms/", views.patient_forms, name="patient-forms"),
    path("staff/consents/<uuid:consent_id>.pdf", views.consent_pdf, name="consent-pdf"),
    path(
        "staff/consents/<uuid:consent_id>/withdraw/",
        views.withdraw_consent,
        name="withdraw-consent",
    ),
    path("staff/screening/policies/", views.policies, name="policies"),
    path(
        "staff/screening/consent-documents/",
        views.consent_documents,
        name="consent-documents",
    ),
]
