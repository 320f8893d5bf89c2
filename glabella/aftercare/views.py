"""The patient's check-in (reached by a signed link), and the staff follow-up board."""

from __future__ import annotations

import json
from datetime import date

from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from glabella.aftercare import medwatch, services
from glabella.aftercare import safety as safety_report
from glabella.aftercare.forms import CheckInForm
from glabella.aftercare.models import AdverseEvent, Alert, CheckIn
from glabella.core import audit
from glabella.core.decorators import staff_page
from glabella.core.errors import Conflict, DomainError, ValidationFailed, describe
from glabella.core.rendering import render_in
from glabella.core.roles import Capability
from glabella.patients.forms import apply_errors
from glabella.screening.services import clinic_zone
from glabella.treatments.models import TreatmentRecord


@require_http_methods(["GET", "POST"])
def check_in(request, token):
    try:
        public_id = services.read_check_in_token(token)
    except signing.BadSignature:
        raise Http404("This link is not valid or has expired.") from None
    current = CheckIn.objects.select_related("patient", "treatment").get(public_id=public_id)
    if current.status == CheckIn.Status.SUBMITTED:
        return render(request, "aftercare/answered.html", {})
    form = CheckInForm(request.POST if request.method == "POST" else None, day=current.day)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                report = services.submit(current, form.to_raw())
            except ValidationFailed as exc:
                apply_errors(form, exc.fields)  # symptoms span several fields: shown at the top
            except Conflict:
                return render(request, "aftercare/answered.html", {})
            else:
                location = current.treatment.appointment.location
                context = {"report": report, "phone": location.phone}
                return render(request, "aftercare/result.html", context)
    context = {"form": form, "check_in": current, "first_name": current.patient.given_name}
    zone = clinic_zone(current.patient)
    return render_in(request, "aftercare/check_in.html", context, zone, status)


@require_GET
@staff_page(Capability.VIEW_CLINICAL)
def board(request):
    alerts = services.open_alerts()
    missed = list(
        CheckIn.objects.filter(status=CheckIn.Status.MISSED)
        .select_related("patient", "treatment")
        .order_by("-due_at")[:50]
    )
    shown = [a.patient.public_id for a in alerts] + [c.patient.public_id for c in missed]
    audit.record_listing(request.actor, "follow-up-board", shown)
    context = {
        "alerts": alerts,
        "missed": missed,
        "now": timezone.now(),
        "may_act": request.actor.can(Capability.CHANGE_CLINICAL),
    }
    return render(request, "aftercare/board.html", context)


@require_POST
@staff_page(Capability.CHANGE_CLINICAL)
def acknowledge(request, alert_id):
    alert = Alert.objects.restrict(request.actor).filter(public_id=alert_id).first()
    if alert is None:
        raise Http404
    try:
        services.acknowledge(
            request.actor,
            alert,
            contact=request.POST.get("contact", ""),
            advice=request.POST.get("advice", ""),
            outcome=request.POST.get("outcome", ""),
        )
    except DomainError as exc:
        messages.error(request, describe(exc))
    else:
        messages.success(request, "Acknowledged and recorded.")
    return redirect("aftercare:board")


# ---------------------------------------------------------------- adverse events


@require_http_methods(["GET", "POST"])
@staff_page(Capability.CHANGE_CLINICAL)
def new_event(request, treatment_id):
    treatment = (
        TreatmentRecord.objects.restrict(request.actor)
        .select_related("patient")
        .filter(public_id=treatment_id)
        .first()
    )
    if treatment is None:
        raise Http404
    errors, status = {}, 200
    if request.method == "POST":
        resolved = {"yes": True, "no": False}.get(request.POST.get("resolved", ""))
        try:
            event = medwatch.open_event(
                request.actor,
                treatment,
                {
                    "description": request.POST.get("description", ""),
                    "onset_on": request.POST.get("onset_on", ""),
                    "outcomes": request.POST.getlist("outcomes"),
                    "causality": request.POST.get("causality"),
                    "source": request.POST.get("source"),
                    "weight_kg": request.POST.get("weight_kg"),
                    "resolved": resolved,
                },
            )
        except ValidationFailed as exc:
            errors, status = exc.fields, 422
        else:
            return redirect("aftercare:event", public_id=event.public_id)
    context = {
        "treatment": treatment,
        "errors": errors,
        "outcomes": AdverseEvent.Outcome.choices,
        "causality": AdverseEvent.Causality.choices,
        "posted": request.POST,
    }
    return render(request, "aftercare/new_event.html", context, status=status)


@require_http_methods(["GET", "POST"])
@staff_page(Capability.VIEW_CLINICAL)
def event(request, public_id):
    found = (
        AdverseEvent.objects.restrict(request.actor)
        .select_related("treatment__vial__lot", "treatment__appointment__location", "patient")
        .filter(public_id=public_id)
        .first()
    )
    if found is None:
        raise Http404
    if request.method == "POST":
        try:
            on = date.fromisoformat(request.POST.get("on", ""))
        except ValueError:
            on = None
        try:
            medwatch.mark_reported(request.actor, found, request.POST.get("to", ""), on)
        except DomainError as exc:
            messages.error(request, describe(exc))
        else:
            messages.success(request, "Recorded as reported.")
        return redirect("aftercare:event", public_id=found.public_id)
    kind = request.GET.get("format")
    if kind in ("json", "pdf"):
        audit.record_patient(
            request.actor,
            audit.Action.EXPORT,
            found.patient,
            object_type="adverse-event",
            object_id=found.public_id,
            detail={"format": kind},
        )
        if kind == "json":
            body = json.dumps(medwatch.export(found), indent=2)
            response = HttpResponse(body, content_type="application/json")
        else:
            response = HttpResponse(medwatch.export_pdf(found), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="medwatch-{found.public_id}.{kind}"'
        )
        return response
    context = {"event": found, "export": medwatch.export(found)}
    return render(request, "aftercare/event.html", context)


@require_GET
@staff_page(Capability.VIEW_CLINICAL)
def safety(request):
    """Side-effect rates by product, area, injector, dose band and lot, and lots that stand out."""

    def day(name):
        try:
            return date.fromisoformat(request.GET.get(name, ""))
        except ValueError:
            return None

    since, until = day("since"), day("until")
    found = safety_report.rows(since, until)
    context = {
        "since": since,
        "until": until,
        "treated": len(found),
        "tables": [
            (title, safety_report.rates(found, by))
            for title, by in (
                ("Product", "product"),
                ("Area", "area"),
                ("Injector", "injector"),
                ("Dose", "dose"),
                ("Lot", "lot"),
            )
        ],
        "flagged": safety_report.flagged(found),
    }
    return render(request, "aftercare/safety.html", context)
