"""Staff pages for patients (search, record, register, edit), the access log of patient data
(whole, or one patient's), and the patient's own page."""

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from glabella.clinic.clock import clinic_zone, local_zone
from glabella.core.decorators import patient_page, staff_page
from glabella.core.errors import ValidationFailed
from glabella.core.pages import refusal_on
from glabella.core.rendering import render_in
from glabella.core.replica import reading_from_replica
from glabella.core.roles import Capability
from glabella.patients import history, looked, notes, sections, services
from glabella.patients.changes import change_history
from glabella.patients.forms import (
    CLINICAL_FORMS,
    PageForm,
    PatientForm,
    ReproductiveStatusForm,
    StaffNoteForm,
)


@vary_on_headers("HX-Request")  # the same URL answers HTMX with a fragment
@require_GET
@staff_page(Capability.VIEW_PATIENT)
def search(request):
    query = request.GET.get("q", "").strip()[:100]
    results = services.search_patients(request.actor, query) if query else []
    template = (
        "patients/_results.html" if request.headers.get("HX-Request") else "patients/search.html"
    )
    return render(request, template, {"query": query, "results": results})


@require_http_methods(["GET", "POST"])
@staff_page(Capability.CHANGE_PATIENT)
def register(request):
    form = PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusal_on(form, kinds=(ValidationFailed,)) as refused:
            patient = services.register_patient(request.actor, form.cleaned_data)
        if not refused:
            messages.success(request, f"{patient.full_name} is registered.")
            return redirect("patients:record", public_id=patient.public_id)
    status = 422 if request.method == "POST" else 200
    return render(request, "patients/form.html", {"form": form, "patient": None}, status=status)


@require_GET
@staff_page(Capability.VIEW_PATIENT)
def record(request, public_id):
    """The desk's hub: details, allergies at the top, staff notes, and the sections the apps
    above add (visits, forms, decisions, treatments, photos, messages), each as the actor may."""
    patient = services.open_patient(request.actor, public_id)
    return render(request, "patients/record.html", _record_context(request, patient))


@require_POST
@staff_page(Capability.CHANGE_PATIENT)
def add_note(request, public_id):
    patient = services.open_patient(request.actor, public_id, action="change")
    form = StaffNoteForm(request.POST)
    if form.is_valid():
        with refusal_on(form, kinds=(ValidationFailed,)) as refused:
            notes.add_note(request.actor, patient, form.cleaned_data["text"])
        if not refused:
            messages.success(request, "Note added.")
            return redirect(f"{reverse('patients:record', args=[patient.public_id])}#notes")
    services.log_shown(request.actor, patient)  # the page shown again is a read
    return render(
        request,
        "patients/record.html",
        _record_context(request, patient, note_form=form),
        status=422,
    )


@require_http_methods(["GET", "POST"])
@staff_page(Capability.CHANGE_PATIENT)
def edit(request, public_id):
    patient = services.open_patient(request.actor, public_id, action="change")
    initial = {name: getattr(patient, name) for name in PatientForm.base_fields}
    form = PatientForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        with refusal_on(form, kinds=(ValidationFailed,)) as refused:
            changed = services.update_patient(request.actor, patient, form.cleaned_data)
        if not refused:
            messages.success(request, "Saved." if changed else "Nothing had changed.")
            return redirect("patients:record", public_id=patient.public_id)
    status = 422 if request.method == "POST" else 200
    services.log_shown(request.actor, patient)  # the form shows the patient's details
    return render(request, "patients/form.html", {"form": form, "patient": patient}, status=status)


@require_GET
@staff_page(Capability.VIEW_PATIENT)
def changes(request, public_id):
    """Every change to the patient's record: who, when, old and new values."""
    patient = services.open_patient(request.actor, public_id)
    found = change_history(request.actor, patient)
    context = {"patient": patient, "changes": found}
    return render_in(request, "patients/changes.html", context, local_zone())


@require_POST
@staff_page(Capability.CHANGE_CLINICAL)
def update_status(request, public_id):
    patient = services.open_patient(request.actor, public_id, action="change")
    form = ReproductiveStatusForm(request.POST)
    if form.is_valid():
        with refusal_on(form, kinds=(ValidationFailed,)) as refused:
            services.update_patient(request.actor, patient, form.cleaned_data)
        if not refused:
            messages.success(request, "Pregnancy and breastfeeding status saved.")
            return redirect("patients:record", public_id=patient.public_id)
    return _record_with_errors(request, patient, status_form=form)


@require_POST
@staff_page(Capability.CHANGE_CLINICAL)
def add_entry(request, public_id, kind):
    if kind not in CLINICAL_FORMS:
        raise Http404
    patient = services.open_patient(request.actor, public_id, action="change")
    form = CLINICAL_FORMS[kind](request.POST)
    if form.is_valid():
        with refusal_on(form, kinds=(ValidationFailed,)) as refused:
            history.add_clinical_entry(request.actor, patient, kind, form.cleaned_data)
        if not refused:
            messages.success(request, f"{kind.capitalize()} recorded.")
            return redirect("patients:record", public_id=patient.public_id)
    return _record_with_errors(request, patient, kind=kind, form=form)


@require_POST
@staff_page(Capability.CHANGE_CLINICAL)
def set_entry_active(request, public_id, kind, entry_id):
    if kind not in CLINICAL_FORMS:
        raise Http404
    patient = services.open_patient(request.actor, public_id, action="change")
    if request.POST.get("active") not in {"0", "1"}:
        return HttpResponseBadRequest("active must be 0 or 1")
    active = request.POST["active"] == "1"
    history.set_clinical_entry_active(request.actor, patient, kind, entry_id, active)
    messages.success(request, "Marked as current." if active else "Marked as no longer current.")
    return redirect("patients:record", public_id=patient.public_id)


CLINICAL_TITLES = [
    ("allergy", "Allergies"),
    ("condition", "Conditions"),
    ("medication", "Medications"),
]


def _clinical_context(request, patient, *, kind=None, form=None, status_form=None) -> dict:
    clinical_forms = {k: f() for k, f in CLINICAL_FORMS.items()}
    if kind:
        clinical_forms[kind] = form
    return {
        "clinical": history.clinical_entries(request.actor, patient),
        "clinical_titles": CLINICAL_TITLES,
        "clinical_forms": clinical_forms,
        "status_form": status_form
        or ReproductiveStatusForm(
            initial={
                "pregnancy_status": patient.pregnancy_status,
                "breastfeeding_status": patient.breastfeeding_status,
            }
        ),
    }


def _record_context(request, patient, *, note_form=None, **clinical) -> dict:
    """Everything the record page draws; `clinical` are the forms to show again with errors."""
    shown_notes, older_notes = notes.recent_notes(request.actor, patient)
    context = {
        "patient": patient,
        "notes": shown_notes,
        "older_notes": older_notes,
        "note_form": note_form or StaffNoteForm(),
        "sections": sections.gather(request.actor, patient, timezone.now()),
    }
    if request.actor.can(Capability.VIEW_CLINICAL):
        context.update(_clinical_context(request, patient, **clinical))
    return context


def _record_with_errors(request, patient, *, kind=None, form=None, status_form=None):
    services.log_shown(request.actor, patient)  # the page shown again is a read
    context = _record_context(request, patient, kind=kind, form=form, status_form=status_form)
    return render(request, "patients/record.html", context, status=422)


@require_GET
@patient_page
def portal_me(request):
    """The signed-in patient's own details."""
    patient = services.open_patient(request.actor, request.user.patient_record.public_id)
    return render(request, "patients/portal_me.html", {"patient": patient})


AUDIT_PAGE_SIZE = 50


@require_GET
@staff_page(Capability.VIEW_AUDIT)
@reading_from_replica()
def access_log(request):
    """The whole access log, newest first; ?patient=<public id> narrows it to one patient."""
    rows = looked.of_clinic(request.actor).select_related("user").order_by("-at", "-id")
    patient = None
    patient_ref = request.GET.get("patient", "").strip()
    if patient_ref:
        patient = services.open_patient(request.actor, _uuid_or_404(patient_ref))
        rows = looked.rows_about(patient.public_id).select_related("user")
    wanted = PageForm(request.GET)
    if not wanted.is_valid():
        context = {"page": [], "patient": patient, "form": wanted}
        return render_in(request, "patients/access_log.html", context, local_zone(), 422)
    page = Paginator(rows, AUDIT_PAGE_SIZE).get_page(wanted.cleaned_data["page"])
    looked.log_page_shown(request.actor, page.object_list)
    context = {"page": page, "patient": patient, "form": wanted}
    return render_in(request, "patients/access_log.html", context, local_zone())


@require_GET
@patient_page
def portal_who_looked(request):
    """The signed-in patient's own page: who at the clinic viewed or changed their record."""
    patient = request.user.patient_record
    wanted = PageForm(request.GET)
    if not wanted.is_valid():
        context = {"page": None, "lines": [], "form": wanted}
        zone = clinic_zone(patient)
        return render_in(request, "patients/portal_who_looked.html", context, zone, 422)
    rows = looked.looks_at(patient)
    page = Paginator(rows, AUDIT_PAGE_SIZE).get_page(wanted.cleaned_data["page"])
    lines = looked.who_looked(request.actor, patient, page.object_list)
    context = {"page": page, "lines": lines, "form": wanted}
    return render_in(request, "patients/portal_who_looked.html", context, clinic_zone(patient))


def _uuid_or_404(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise Http404 from None
