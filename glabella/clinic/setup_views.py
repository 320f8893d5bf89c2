"""The owner's set-up pages: the clinic's identity and brand, locations (details, opening
hours, closed days, towns and ZIP codes, rooms), services and booking policies; and the brand's
stylesheet and logo every page links. Thin: forms parse, `clinic.setup` decides and audits."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from glabella.clinic import setup
from glabella.clinic.clock import local_today
from glabella.clinic.models import ClosedDay, Location, Organisation, Room, Service
from glabella.clinic.setup_forms import (
    AreasForm,
    ClosedDayForm,
    HoursForm,
    IdentityForm,
    LocationForm,
    PoliciesForm,
    RoomForm,
    ServiceForm,
)
from glabella.core import brand
from glabella.core.decorators import staff_page
from glabella.core.errors import NotFound
from glabella.core.pages import refusal_on
from glabella.core.roles import Capability


def _location(public_id) -> Location:
    found = Location.objects.filter(public_id=public_id).select_related("organisation").first()
    if found is None:
        raise NotFound("No such location.")
    return found


def _service(public_id) -> Service:
    found = Service.objects.filter(public_id=public_id).first()
    if found is None:
        raise NotFound("No such service.")
    return found


def _save(request, form, action) -> int | None:
    """Runs `action()` when the form parses; None when it saved, else the page's status."""
    if not form.is_valid():
        return 422
    with refusal_on(form) as refused:
        action()
    return refused.status if refused else None


@require_GET
@staff_page(Capability.MANAGE_CLINIC)
def home(request):
    locations = Location.objects.prefetch_related("opening_hours", "service_areas", "rooms")
    context = {
        "org": setup.organisation(),
        "locations": locations,
        "services": Service.objects.prefetch_related("rooms"),
    }
    return render(request, "clinic/setup/home.html", context)


@require_http_methods(["GET", "POST"])
@staff_page(Capability.MANAGE_CLINIC)
def identity(request):
    org = setup.organisation()
    initial = (
        {
            "name": org.name,
            "phone": org.phone,
            "sender_name": org.sender_name,
            "sender_email": org.sender_email,
            "main_color": org.main_color,
            "text_color": org.text_color,
        }
        if org
        else {"main_color": brand.Brand.main_color, "text_color": brand.Brand.text_color}
    )
    form = IdentityForm(request.POST or None, request.FILES or None, initial=initial)
    status = 200
    if request.method == "POST":
        logo = form.files.get("logo")

        def action():
            setup.save_identity(
                request.actor,
                form.details(),
                # No more than one byte past the limit is read: the service refuses the size.
                logo=logo.read(setup.MAX_LOGO_BYTES + 1) if logo else None,
                remove_logo=form.cleaned_data["remove_logo"],
            )

        status = _save(request, form, action)
        if status is None:
            messages.success(request, "The clinic's details are saved.")
            return redirect("clinic:setup-identity")
    return render(request, "clinic/setup/identity.html", {"form": form, "org": org}, status=status)


def _location_page(request, location, status=200, **bound):
    forms = {
        "details": LocationForm(initial=LocationForm.initial_for(location)),
        "hours": HoursForm(initial=HoursForm.initial_for(location)),
        "areas": AreasForm(
            initial={"areas": "\n".join(a.label for a in location.service_areas.all())}
        ),
        "closed": ClosedDayForm(),
        "room": RoomForm(),
    }
    forms.update(bound)
    today = local_today(location)
    context = {
        "location": location,
        **forms,
        "closed_days": location.closed_days.filter(day__gte=today),
        "rooms": [
            (
                r,
                RoomForm(
                    initial={"room": r.public_id, "name": r.name, "active": r.active},
                    prefix=str(r.public_id),
                ),
            )
            for r in location.rooms.all()
        ],
        "bound_room": bound.get("room_edit"),
    }
    return render(request, "clinic/setup/location.html", context, status=status)


@require_http_methods(["GET", "POST"])
@staff_page(Capability.MANAGE_CLINIC)
def location_new(request):
    form = LocationForm(request.POST or None, initial={"time_zone": "America/Los_Angeles"})
    status = 200
    if request.method == "POST":
        made = []
        status = _save(
            request,
            form,
            lambda: made.append(setup.save_location(request.actor, None, form.cleaned_data)),
        )
        if status is None:
            messages.success(
                request, f"{made[0].name} is added. Now set its opening hours and the areas served."
            )
            return redirect("clinic:setup-location", public_id=made[0].public_id)
    return render(request, "clinic/setup/location_new.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@staff_page(Capability.MANAGE_CLINIC)
def location(request, public_id):
    loc = _location(public_id)
    if request.method == "GET":
        return _location_page(request, loc)
    form = LocationForm(request.POST)
    status = _save(
        request, form, lambda: setup.save_location(request.actor, loc, form.cleaned_data)
    )
    if status is None:
        messages.success(request, f"{loc.name}'s details are saved.")
        return redirect("clinic:setup-location", public_id=loc.public_id)
    loc.refresh_from_db()
    return _location_page(request, loc, status, details=form)


@require_POST
@staff_page(Capability.MANAGE_CLINIC)
def location_hours(request, public_id):
    loc = _location(public_id)
    form = HoursForm(request.POST)
    status = _save(request, form, lambda: setup.set_opening_hours(request.actor, loc, form.week()))
    if status is None:
        messages.success(request, f"{loc.name}'s opening hours are saved.")
        return redirect("clinic:setup-location", public_id=loc.public_id)
    return _location_page(request, loc, status, hours=form)


@require_POST
@staff_page(Capability.MANAGE_CLINIC)
def location_areas(request, public_id):
    loc = _location(public_id)
    form = AreasForm(request.POST)
    status = _save(
        request,
        form,
        lambda: setup.set_service_areas(request.actor, loc, form.cleaned_data["areas"]),
    )
    if status is None:
        messages.success(request, f"The towns and ZIP codes {loc.name} serves are saved.")
        return redirect("clinic:setup-location", public_id=loc.public_id)
    return _location_page(request, loc, status, areas=form)


@require_POST
@staff_page(Capability.MANAGE_CLINIC)
def location_closed(request, public_id):
    loc = _location(public_id)
    remove = request.POST.get("remove")
    if remove:
        closed = ClosedDay.objects.filter(location=loc, public_id=_uuid(remove)).first()
        if closed is None:
            raise NotFound("No such closed day.")
        setup.remove_closed_day(request.actor, closed)
        messages.success(request, f"{loc.name} is open again on {closed.day:%b} {closed.day.day}.")
        return redirect("clinic:setup-location", public_id=loc.public_id)
    form = ClosedDayForm(request.POST)
    status = _save(
        request,
        form,
        lambda: setup.add_closed_day(
            request.actor,
            loc,
            form.cleaned_data["day"],
            form.cleaned_data["reason"],
            today=local_today(loc),
        ),
    )
    if status is None:
        messages.success(request, f"{loc.name} is closed on that day: nobody can book it.")
        return redirect("clinic:setup-location", public_id=loc.public_id)
    return _location_page(request, loc, status, closed=form)


@require_POST
@staff_page(Capability.MANAGE_CLINIC)
def location_rooms(request, public_id):
    loc = _location(public_id)
    prefix = request.POST.get("prefix") or None
    form = RoomForm(request.POST, prefix=prefix)
    room = None
    if form.is_valid() and form.cleaned_data["room"]:
        room = Room.objects.filter(location=loc, public_id=form.cleaned_data["room"]).first()
        if room is None:
            raise NotFound("No such room.")
    active = form.cleaned_data.get("active", True) if room else True
    status = _save(
        request,
        form,
        lambda: setup.save_room(request.actor, loc, room, form.cleaned_data["name"], active),
    )
    if status is None:
        messages.success(request, "The room is saved.")
        return redirect("clinic:setup-location", public_id=loc.public_id)
    return _location_page(
        request, loc, status, **({"room_edit": form} if prefix else {"room": form})
    )


def _uuid(value):
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _service_page(request, form, service, status):
    return render(
        request, "clinic/setup/service.html", {"form": form, "service": service}, status=status
    )


@require_http_methods(["GET", "POST"])
@staff_page(Capability.MANAGE_CLINIC)
def service_new(request):
    form = ServiceForm(request.POST or None)
    status = 200
    if request.method == "POST":
        made = []
        status = _save(
            request,
            form,
            lambda: made.append(
                setup.save_service(request.actor, None, form.details(), form.chosen_rooms())
            ),
        )
        if status is None:
            messages.success(request, f"{made[0].name} is added.")
            return redirect("clinic:setup")
    return _service_page(request, form, None, status)


@require_http_methods(["GET", "POST"])
@staff_page(Capability.MANAGE_CLINIC)
def service(request, public_id):
    svc = _service(public_id)
    form = ServiceForm(request.POST or None, initial=ServiceForm.initial_for(svc))
    status = 200
    if request.method == "POST":
        status = _save(
            request,
            form,
            lambda: setup.save_service(request.actor, svc, form.details(), form.chosen_rooms()),
        )
        if status is None:
            messages.success(request, f"{svc.name} is saved.")
            return redirect("clinic:setup")
    return _service_page(request, form, svc, status)


@require_http_methods(["GET", "POST"])
@staff_page(Capability.MANAGE_CLINIC)
def policies(request):
    locations = Location.objects.filter(active=True)
    services = Service.objects.filter(active=True)
    form = PoliciesForm(request.POST or None, locations=locations, services=services)
    status = 200
    if request.method == "POST":
        status = _save(
            request,
            form,
            lambda: setup.set_booking_policies(request.actor, form.windows(), form.rules()),
        )
        if status is None:
            messages.success(request, "The booking policies are saved.")
            return redirect("clinic:setup-policies")
    return render(request, "clinic/setup/policies.html", {"form": form}, status=status)


# ------------------------------------------------------------------------------ the brand


@require_GET
def brand_css(request):
    """The clinic's colors as the stylesheet's variables (a file, so the CSP needs no inline
    style). Linked with the colors in its query, so a change is a new address."""
    current = brand.current()
    css = (
        f":root {{\n  --accent: {current.main_color};\n  --accent-ink: {current.text_color};\n}}\n"
    )
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400" if request.GET else "no-cache"
    return response


@require_GET
def brand_logo(request):
    org = Organisation.objects.order_by("id").only("logo", "logo_type", "logo_version").first()
    if org is None or not org.logo_type:
        raise Http404("No logo.")
    response = HttpResponse(bytes(org.logo), content_type=org.logo_type)
    response["Cache-Control"] = "public, max-age=86400" if request.GET else "no-cache"
    response["X-Content-Type-Options"] = "nosniff"
    return response
