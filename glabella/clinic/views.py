"""The staff page that shows how the clinic is set up: locations, hours, areas, rooms, services."""

from django.db.models import Prefetch
from django.shortcuts import render
from django.views.decorators.http import require_GET

from glabella.clinic.models import Location, Room, Service
from glabella.core.decorators import staff_page
from glabella.core.models import StaffMember
from glabella.core.roles import Capability


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
