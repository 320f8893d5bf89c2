"""The whole URL conf plus pages made up for the audit tests: one shows a patient without logging
it (tests/test_audit_walk.py must catch it), one shows a patient and logs it (the walk passes),
one refuses with Forbidden (answered by core.pages.RefusalMiddleware, which logs it)."""

from django.http import HttpResponse
from django.urls import path

from glabella.core import audit
from glabella.core.decorators import staff_page
from glabella.core.errors import Forbidden
from glabella.core.roles import Capability
from glabella.patients.models import Patient
from glabella.urls import urlpatterns as real


@staff_page(Capability.VIEW_PATIENT)
def leaky(request):
    patient = Patient.objects.order_by("id").first()
    return HttpResponse(f"<p>{patient.given_name} {patient.family_name}</p>")


@staff_page(Capability.VIEW_PATIENT)
def logged(request):
    patient = Patient.objects.order_by("id").first()
    audit.record_patient(request.actor, audit.Action.READ, patient)
    return HttpResponse(f"<p>{patient.given_name} {patient.family_name}</p>")


@staff_page(Capability.VIEW_PATIENT)
def refuses(request):
    raise Forbidden("Not for your role.")


urlpatterns = [
    path("staff/refuses/", refuses, name="refuses"),
    path("staff/leaky/", leaky, name="leaky"),
    path("staff/logged/", logged, name="logged"),
    *real,
]
