"""The staff pages that show how the clinic is set up (locations, hours, areas, rooms, services)
and who is on call at each location (set by the owner or the medical director)."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from glabella.clinic import services as clinic_services
from glabella.clinic.models import Location, Room, Service
from glabella.core.access import get_restricted_or_404
from glabella.core.decorators import staff_page
from glabella.core.errors import DomainError, ValidationFailed, describe
from glabella.core.models import StaffMember
from glabella.core.roles import CLINICAL_ROLES, Capability


@require_GET
@staff_page(Capability.VIEW_CLINIC)
def overview(request):
    locations = Location.objects.restrict(request.actor, "view").prefetch_related(
        "opening_hours",
        "service_areas",
        Prefetch("rooms", queryset=Room.objects.filter(active=True)),
        Prefetch("staff", queryset=StaffMember.objects.filter(active=True)),
    )
    services = (
        Service.objects.restrict(request.actor, "view")
        .filter(active=True)
        .prefetch_related(Prefetch("rooms", queryset=Room.objects.select_related("location")))
    )
    return render(request, "clinic/overview.html", {"locations": locations, "services": services})


@require_http_methods(["GET", "POST"])
@staff_page(Capability.VIEW_CLINIC)
def on_call(request):
    """Who is on call at each location, with the email and mobile number an alert reaches."""
    may_set = clinic_services.may_set_on_call(request.actor)
    errors, status = {}, 200
    if request.method == "POST":
        if not may_set:
            return render(request, "core/forbidden.html", status=403)
        location = get_restricted_or_404(
            Location.objects.all(), request.actor, public_id=request.POST.get("location", "")
        )
        chosen = request.POST.getlist("staff")
        staff = list(
            StaffMember.objects.filter(public_id__in=_uuids(chosen)).select_related("user")
        )
        try:
            if len(staff) != len(set(chosen)):
                raise ValidationFailed({"on_call": ["Choose from the clinicians listed."]})
            clinic_services.set_on_call(request.actor, location, staff)
        except ValidationFailed as exc:
            errors = {"location": location.public_id, "on_call": exc.fields.get("on_call", [])}
            status = 422
        except DomainError as exc:
            messages.error(request, describe(exc))
        else:
            messages.success(request, f"On call at {location.name} saved.")
            return redirect("clinic:on-call")
    locations = Location.objects.restrict(request.actor, "view").filter(active=True)
    locations = locations.prefetch_related(
        Prefetch("on_call", queryset=StaffMember.objects.select_related("user"))
    )
    clinicians = StaffMember.objects.filter(active=True, role__in=CLINICAL_ROLES).select_related(
        "user"
    )
    context = {
        "locations": locations,
        "clinicians": clinicians,
        "may_set": may_set,
        "errors": errors,
        "escalation_minutes": settings.ALERT_ESCALATION_MINUTES,
    }
    return render(request, "clinic/on_call.html", context, status=status)


def _uuids(values: list[str]) -> list[str]:
    found = []
    for value in values:
        try:
            found.append(str(uuid.UUID(value)))
        except ValueError:
            found.append("")
    return [v for v in found if v]
