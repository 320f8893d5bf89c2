"""The patient's check-in (reached by a signed link), and the staff follow-up board."""

from __future__ import annotations

from django.contrib import messages
from django.core import signing
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from glabella.aftercare import services
from glabella.aftercare.forms import CheckInForm
from glabella.aftercare.models import Alert, CheckIn
from glabella.core.decorators import staff_page
from glabella.core.errors import Conflict, DomainError, ValidationFailed
from glabella.core.roles import Capability
from glabella.screening.services import clinic_zone


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
                for name, msgs in exc.fields.items():
                    field = name if name in form.fields else None
                    if name == "symptoms":
                        field = None
                    for m in msgs:
                        form.add_error(field, m)
            except Conflict:
                return render(request, "aftercare/answered.html", {})
            else:
                location = current.treatment.appointment.location
                context = {"report": report, "phone": location.phone}
                return render(request, "aftercare/result.html", context)
    context = {"form": form, "check_in": current, "first_name": current.patient.given_name}
    with timezone.override(clinic_zone(current.patient)):
        return render(request, "aftercare/check_in.html", context, status=status)


@require_GET
@staff_page(Capability.VIEW_CLINICAL)
def board(request):
    now = timezone.now()
    context = {
        "alerts": services.open_alerts(),
        "missed": CheckIn.objects.filter(status=CheckIn.Status.MISSED)
        .select_related("patient", "treatment")
        .order_by("-due_at")[:50],
        "now": now,
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
        fields = getattr(exc, "fields", {}) or {}
        messages.error(request, " ".join(m for ms in fields.values() for m in ms) or exc.message)
    else:
        messages.success(request, "Acknowledged and recorded.")
    return redirect("aftercare:board")
