"""The visit action "Treat in this visit": the consultation's page to go on as the treatment.

GET shows the consultation and either the treatments its provider may give or why the visit may
not go on as one (asked of `treat_now.refusal`, the question the write asks again); POST calls
`treat_now.treat_now` and goes on to where the action was taken from (the chart's day list, the
calendar, the screening page), or to the chart's day list.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from glabella.core.access import get_restricted_or_404
from glabella.core.audit import Action, Kind, record_patient
from glabella.core.decorators import staff_page
from glabella.core.errors import DomainError
from glabella.core.rendering import render_in
from glabella.core.roles import Capability
from glabella.scheduling import treat_now
from glabella.scheduling.models import Appointment


class TreatNowForm(forms.Form):
    service = forms.ChoiceField(label="Treatment")

    def __init__(self, *args, services=(), refused="", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [
            (s.slug, f"{s.name} ({s.duration_minutes} min)") for s in services
        ]
        self.fields["service"].error_messages["invalid_choice"] = refused


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("treatments:day")


@require_http_methods(["GET", "POST"])
@staff_page(Capability.CHANGE_PATIENT)
def treat_in_visit(request, public_id):
    consultation = get_restricted_or_404(
        Appointment.objects.select_related("location", "service", "patient", "provider", "room"),
        request.actor,
        "change",
        public_id=public_id,
    )
    services = treat_now.treatment_services(consultation)
    form = TreatNowForm(
        request.POST or None, services=services, refused=treat_now.wrong_service(consultation)
    )
    status, errors = 200, {}
    if request.method == "POST":
        status = 422
        if form.is_valid():
            chosen = next(s for s in services if s.slug == form.cleaned_data["service"])
            try:
                treat_now.treat_now(request.actor, consultation, service=chosen)
            except DomainError as exc:
                status = exc.status
                errors = dict(getattr(exc, "fields", None) or {"appointment": [exc.message]})
                for message in errors.pop("service", []):
                    form.add_error("service", message)
            else:
                messages.success(
                    request,
                    f"{consultation.patient.full_name} goes on to {chosen.name} in this visit: "
                    "the consultation is completed and the treatment checked in.",
                )
                return redirect(_next(request))
    else:
        record_patient(
            request.actor,
            Action.READ,
            consultation.patient,
            object_type=Kind.APPOINTMENT,
            object_id=consultation.public_id,
        )
    context = {
        "consultation": consultation,
        "form": form,
        "why": treat_now.refusal(consultation, timezone.now()),
        "errors": errors,
        "next": _next(request),
    }
    return render_in(
        request, "scheduling/treat_now.html", context, consultation.location.zone, status
    )
