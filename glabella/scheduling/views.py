"""The staff calendar, booking from it, visit actions and calendar feeds (the patient's booking
pages are in `public_views.py`)."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from glabella.clinic.models import Location, Service
from glabella.core.access import (
    actor_for,
    client_ip,
    get_restricted_or_404,
)
from glabella.core.audit import Action, Kind, record, record_patient
from glabella.core.bounds import day_in_range
from glabella.core.decorators import staff_page
from glabella.core.errors import DomainError, describe
from glabella.core.models import StaffMember
from glabella.core.pages import refusal_on
from glabella.core.rendering import render_in
from glabella.core.roles import Capability
from glabella.patients.models import Patient
from glabella.patients.services import search_patients
from glabella.scheduling import bookings, calendars, feeds, notices, search
from glabella.scheduling.forms import CancelForm, DayForm, MoveForm
from glabella.scheduling.models import Appointment, CalendarFeed
from glabella.scheduling.visit_actions import VisitAction

PUBLIC_PAGE_SLOTS = 40


def _slots_for_day(service, location, day, now, *, patient=None, ignore=None, online=True):
    return search.search_slots(
        service,
        [location],
        first_day=day,
        last_day=day,
        now=now,
        patient=patient,
        limit=PUBLIC_PAGE_SLOTS,
        online=online,
        ignore=ignore,
    )


def _local_times(slots, zone):
    return [(s, s.start.astimezone(zone)) for s in slots]


def _render_at(request, template, context, location, status=200):
    """Renders with the location's zone active, so the template's date and time filters show
    the clinic's wall-clock time, not UTC."""
    return render_in(request, template, context, location.zone if location else None, status)


def _parse_instant(text, location):
    try:
        value = parse_datetime(text)
    except ValueError:
        return None
    if value is None or value.tzinfo is None or not day_in_range(value):
        return None
    return value.astimezone(location.zone)


# ---------------------------------------------------------------- staff calendar


def _calendar_location(request):
    slug = request.GET.get("location") or request.POST.get("location")
    qs = Location.objects.filter(active=True).order_by("name")
    return (qs.filter(slug=slug).first() if slug else None) or qs.first()


@require_http_methods(["GET", "POST"])
@staff_page(Capability.CHANGE_PATIENT)
def staff_book(request):
    """Book any service for any patient: pick the patient, the service and a free time."""
    location = _calendar_location(request)
    if location is None:
        raise Http404
    now = timezone.now()
    params = request.POST if request.method == "POST" else request.GET
    service = Service.objects.filter(active=True, slug=params.get("service", "")).first()
    patient = None
    if params.get("patient"):
        try:
            patient = Patient.objects.restrict(request.actor).get(public_id=params["patient"])
        except (Patient.DoesNotExist, ValueError, DjangoValidationError):
            patient = None
    if patient is not None and request.method == "GET":  # the page names the chosen patient
        record_patient(request.actor, Action.READ, patient)
    query = (params.get("q") or "").strip()[:100]
    found = search_patients(request.actor, query) if query and patient is None else []
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        if patient is None:
            errors["patient"] = ["Choose the patient."]
        if service is None:
            errors["service"] = ["Choose a service."]
        form = MoveForm(request.POST)
        if not form.is_valid():
            errors["start"] = ["Choose a time from the list."]
        if not errors:
            with refusal_on(kinds=(DomainError,)) as refused:
                appointment = bookings.book(
                    request.actor,
                    service=service,
                    location=location,
                    start=form.cleaned_data["start"],
                    patient=patient,
                    provider=_provider(request.POST.get("provider")),
                    now=now,
                )
            errors = refused.fields or ({"start": [refused.message]} if refused else {})
            status = refused.status
            if not refused:
                messages.success(
                    request,
                    f"Booked {appointment.patient.full_name} for {notices.when(appointment)}.",
                )
                day = appointment.local_start.date()
                return redirect(
                    f"{reverse('scheduling:calendar')}?location={location.slug}&day={day}"
                )
        else:
            status = 422
    today = now.astimezone(location.zone).date()
    day = DayForm(params).day_or(today)
    slots = []
    if service is not None:
        slots = search.search_slots(
            service,
            [location],
            first_day=day,
            last_day=day,
            now=now,
            provider=_provider(params.get("provider")),
            patient=patient,
            limit=200,
            online=False,
        )
    chosen = _parse_instant(params.get("start", ""), location)
    provider = _provider(params.get("provider"))
    context = {
        "location": location,
        "service": service,
        "services": Service.objects.filter(active=True).order_by("name"),
        "patient": patient,
        "day": day,
        "slots": _local_times(slots, location.zone),
        "errors": errors,
        "chosen": chosen if chosen and any(s.start == chosen for s in slots) else None,
        "provider": provider,
        "query": query,
        "found": found,
    }
    return _render_at(request, "scheduling/staff_book.html", context, location, status)


def _provider(public_id):
    if not public_id:
        return None
    try:
        return StaffMember.objects.filter(public_id=public_id, active=True).first()
    except ValueError:
        return None


ACTIONS = {
    VisitAction.CHECK_IN: bookings.check_in,
    VisitAction.COMPLETE: bookings.complete,
    VisitAction.NO_SHOW: bookings.mark_no_show,
    VisitAction.CANCEL: bookings.cancel,
    VisitAction.PATIENT_CANCELLED: bookings.cancel_for_patient,
}


@require_POST
@staff_page(Capability.CHANGE_PATIENT)
def act(request, public_id, action):
    """Check in, complete, mark a no-show or cancel, from the calendar."""
    appointment = get_restricted_or_404(
        Appointment.objects.select_related("location", "patient"),
        request.actor,
        "change",
        public_id=public_id,
    )
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404
    with refusal_on(kinds=(DomainError,)) as refused:
        if action in ("cancel", "patient-cancelled"):
            form = CancelForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            handler(request.actor, appointment, reason=reason)
        else:
            handler(request.actor, appointment)
    if refused:
        messages.error(request, describe(refused.error))
    else:
        messages.success(
            request, f"{appointment.patient.full_name}: {action.replace('-', ' ')} recorded."
        )
    day = appointment.local_start.date()
    return redirect(
        f"{reverse('scheduling:calendar')}?location={appointment.location.slug}&day={day}"
    )


# ---------------------------------------------------------------- calendar feeds


@require_GET
def feed(request, token):
    """A provider's private iCalendar feed; the token is the only credential, so it is long,
    stored as a digest, and revocable."""
    found = (
        CalendarFeed.objects.select_related("staff__user")
        .filter(digest=CalendarFeed.digest_of(token), revoked_at__isnull=True)
        .first()
    )
    if found is None or not found.staff.active:
        raise Http404
    now = timezone.now()
    appointments = (
        Appointment.objects.live()
        .filter(provider=found.staff, starts_at__gte=now - timedelta(days=30))
        .filter(starts_at__lt=now + timedelta(days=180))
        .select_related("location", "service", "patient")
        .order_by("starts_at")
    )
    items = list(appointments)
    record(
        actor_for(found.staff.user, channel="api", ip=client_ip(request)),
        Action.READ,
        Kind.CALENDAR_FEED,
        found.pk,
        detail={"appointments": len(items)},
    )
    body = calendars.provider_feed(found.staff, items, now)
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")


@require_http_methods(["GET", "POST"])
@staff_page(Capability.VIEW_PATIENT)
def my_feed(request):
    """A staff member's own subscription link: shown once when made; a new one revokes the old."""
    staff = request.actor.staff
    url = error = None
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "revoke":
            feeds.revoke_feeds(request.actor)
            messages.success(request, "Your calendar link no longer works.")
            return redirect("scheduling:my-feed")
        if action == "issue":
            token = feeds.issue_feed(request.actor)
            url = request.build_absolute_uri(reverse("scheduling:feed", args=[token]))
        else:
            error, status = "Choose to make a new link or to stop the old one.", 422
    live = CalendarFeed.objects.filter(staff=staff, revoked_at__isnull=True).first()
    context = {"url": url, "live": live, "error": error}
    return render(request, "scheduling/my_feed.html", context, status=status)
