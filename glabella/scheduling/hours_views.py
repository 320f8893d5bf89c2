"""Providers' weekly hours, breaks and time off: the owner's page for anyone, a provider's
for themself. Time off over booked visits lists them and asks to confirm or go back."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from glabella.clinic.clock import local_today, local_zone
from glabella.core.audit import Kind, record_listing
from glabella.core.decorators import staff_page
from glabella.core.errors import NotFound, ValidationFailed
from glabella.core.models import StaffMember
from glabella.core.pages import forbidden, refusal_on
from glabella.core.rendering import render_in
from glabella.core.roles import Capability
from glabella.scheduling import hours
from glabella.scheduling.hours_forms import TimeOffForm, WeekForm
from glabella.scheduling.models import ScheduleException, WeeklyHours


def _person(actor, public_id) -> StaffMember:
    staff = StaffMember.objects.filter(public_id=public_id, active=True).first()
    if staff is None:
        raise NotFound("No such staff member.")
    return staff


@require_GET
@staff_page(Capability.VIEW_CLINIC)
def index(request):
    people = hours.providers(request.actor)
    if not people:
        return forbidden(request, "Only the owner and the clinicians set working hours.")
    if len(people) == 1 and not request.actor.can(Capability.MANAGE_CLINIC):
        return redirect("scheduling:hours-for", public_id=people[0].public_id)
    return render(request, "scheduling/hours/index.html", {"people": people})


def _page(request, staff, status=200, week=None, time_off=None):
    locations = list(staff.locations.filter(active=True).order_by("name"))
    chosen = request.GET.get("location") or request.POST.get("location_id") or ""
    location = next((loc for loc in locations if str(loc.public_id) == chosen), None)
    location = location or (locations[0] if locations else None)
    rows = WeeklyHours.objects.filter(staff=staff, location=location) if location else []
    week = week or WeekForm(initial=WeekForm.initial_for(rows))
    today = local_today(location)
    context = {
        "staff": staff,
        "locations": locations,
        "location": location,
        "week": week,
        "time_off": time_off or TimeOffForm(locations=locations),
        "upcoming": ScheduleException.objects.filter(
            staff=staff, day__gte=today, kind=ScheduleException.Kind.TIME_OFF
        ).select_related("location"),
        "is_me": request.actor.staff is not None and request.actor.staff.pk == staff.pk,
    }
    return render_in(
        request, "scheduling/hours/person.html", context, local_zone(location), status=status
    )


@require_http_methods(["GET", "POST"])
@staff_page(Capability.VIEW_CLINIC)
def person(request, public_id):
    staff = _person(request.actor, public_id)
    if not hours.may_edit(request.actor, staff):
        return forbidden(request, "Only the owner, or the provider themself, sets these hours.")
    if request.method == "GET":
        return _page(request, staff)
    form = WeekForm(request.POST)
    location = staff.locations.filter(public_id=_uuid(request.POST.get("location_id"))).first()
    if location is None:
        form.add_error(None, f"Choose one of the locations {staff.full_name} works at.")
    if not form.is_valid():
        return _page(request, staff, 422, week=form)
    with refusal_on(form) as refused:
        hours.set_week(request.actor, staff, location, form.week())
    if refused:
        return _page(request, staff, refused.status, week=form)
    messages.success(request, f"{staff.full_name}'s week at {location.name} is saved.")
    return redirect(f"{request.path}?location={location.public_id}")


@require_POST
@staff_page(Capability.VIEW_CLINIC)
def time_off(request, public_id):
    staff = _person(request.actor, public_id)
    if not hours.may_edit(request.actor, staff):
        return forbidden(request, "Only the owner, or the provider themself, sets time off.")
    remove = request.POST.get("remove")
    if remove:
        found = ScheduleException.objects.filter(staff=staff, pk=_int(remove)).first()
        if found is None:
            raise NotFound("No such time off.")
        hours.remove_time_off(request.actor, staff, found)
        messages.success(request, "The time off is removed.")
        return redirect("scheduling:hours-for", public_id=staff.public_id)
    locations = list(staff.locations.filter(active=True).order_by("name"))
    form = TimeOffForm(request.POST, locations=locations)
    if not form.is_valid():
        return _page(request, staff, 422, time_off=form)
    first = form.cleaned_data["first_day"]
    location = form.details()["location"]
    with refusal_on(form, kinds=(ValidationFailed,)) as refused:
        try:
            made = hours.add_time_off(
                request.actor,
                staff,
                **form.details(),
                today=local_today(location),
                confirmed=form.cleaned_data["confirmed"],
            )
        except hours.VisitsInside as warning:
            record_listing(
                request.actor, Kind.CALENDAR, (v.patient.public_id for v in warning.visits)
            )
            context = {"staff": staff, "form": form, "warning": warning, "visits": warning.visits}
            return render_in(
                request, "scheduling/hours/confirm.html", context, local_zone(location), status=409
            )
    if refused:
        return _page(request, staff, refused.status, time_off=form)
    messages.success(
        request,
        f"Time off saved for {staff.full_name}: {len(made)} day{'s' if len(made) != 1 else ''} "
        f"from {first:%b} {first.day}.",
    )
    return redirect("scheduling:hours-for", public_id=staff.public_id)


def _uuid(value):
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
