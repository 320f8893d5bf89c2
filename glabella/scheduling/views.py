"""Public online booking, the manage-my-booking link, the staff calendar and calendar feeds."""

from datetime import time, timedelta
from uuid import UUID

from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from glabella.clinic.models import Location, Service
from glabella.clinic.services import locations_serving
from glabella.core.access import (
    actor_for,
    actor_from_request,
    client_ip,
    get_restricted_or_404,
)
from glabella.core.audit import Action, Kind, record, record_listing, record_patient
from glabella.core.bounds import day_in_range
from glabella.core.decorators import staff_page
from glabella.core.errors import DomainError, ValidationFailed, describe
from glabella.core.models import StaffMember
from glabella.core.pages import refusal_on
from glabella.core.rendering import render_in
from glabella.core.roles import Capability
from glabella.patients.models import Patient
from glabella.patients.services import search_patients
from glabella.scheduling import bookings, calendars, feeds, notices, online, search, treat_now
from glabella.scheduling.availability import to_instant
from glabella.scheduling.forms import CancelForm, DayForm, DetailsForm, FindTimesForm, MoveForm
from glabella.scheduling.models import Appointment, CalendarFeed, Status
from glabella.scheduling.visit_actions import LABELS, VisitAction, allowed

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


@vary_on_headers("HX-Request")  # the same URL answers HTMX with a fragment
@require_http_methods(["GET", "POST"])
def book(request):
    """Online booking of a consultation, no account needed: where and when, then who."""
    now = timezone.now()
    if request.method == "POST":
        return _book_post(request, now)
    find = FindTimesForm(request.GET or None)
    find.is_valid()
    data = getattr(find, "cleaned_data", {})
    area = (data.get("area") or "").strip()
    location = data.get("location")
    service = (
        data.get("service")
        or Service.objects.filter(active=True, bookable_online=True).order_by("name").first()
    )
    area_answer = None
    if area and location is None:
        serving = locations_serving(area)
        if len(serving) == 1:
            location = serving[0]
        elif serving:
            area_answer = serving
        else:
            area_answer = []
    context = {
        "find": find,
        "area": area,
        "area_answer": area_answer,
        "location": location,
        "service": service,
        "locations": Location.objects.filter(active=True).order_by("name"),
    }
    if location is not None and service is not None:
        today = now.astimezone(location.zone).date()
        day = data.get("day") or today
        day = min(max(day, today), today + timedelta(days=service.horizon_days))
        slots = _slots_for_day(service, location, day, now)
        if not slots and not data.get("day"):
            # Nothing left today: show the first day with free times.
            upcoming = search.search_slots(
                service,
                [location],
                first_day=day,
                last_day=day + timedelta(days=30),
                now=now,
                limit=1,
            )
            if upcoming:
                day = upcoming[0].start.astimezone(location.zone).date()
                slots = _slots_for_day(service, location, day, now)
        context.update(
            day=day,
            previous_day=day - timedelta(days=1) if day > today else None,
            next_day=day + timedelta(days=1),
            slots=_local_times(slots, location.zone),
            today=today,
        )
    chosen = request.GET.get("start")
    if chosen and location is not None and service is not None:
        context["details"] = DetailsForm(
            initial={"location": location.slug, "service": service.slug, "start": chosen}
        )
        context["chosen"] = _parse_instant(chosen, location)
    template = (
        "scheduling/_times.html" if request.headers.get("HX-Request") else "scheduling/book.html"
    )
    return _render_at(request, template, context, location)


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


def _book_post(request, now):
    form = DetailsForm(request.POST)
    valid = form.is_valid()
    with refusal_on(form) as refused:  # throttled, slot taken, fields refused
        appointment = online.book_from_public_page(
            actor_from_request(request),
            request.POST.get("email", ""),
            form.cleaned_data if valid else None,
            now=now,
        )
    if not refused and appointment is not None:
        messages.success(
            request, "You are booked. We have sent the time, the place and this page's link."
        )
        return redirect("scheduling:manage", token=notices.manage_token(appointment))
    status = refused.status if refused else 422
    alternatives = getattr(refused.error, "alternatives", [])
    location = form.cleaned_data.get("location") if hasattr(form, "cleaned_data") else None
    zone = location.zone if location else None
    context = {
        "details": form,
        "location": location,
        "service": form.cleaned_data.get("service") if hasattr(form, "cleaned_data") else None,
        "alternatives": _local_times(alternatives, zone) if zone else [],
        "chosen": _parse_instant(request.POST.get("start", ""), location) if location else None,
        "locations": Location.objects.filter(active=True).order_by("name"),
        "find": FindTimesForm(),
    }
    return _render_at(request, "scheduling/book.html", context, location, status)


def _appointment_from_token(token: str) -> Appointment:
    try:
        public_id = notices.read_manage_token(token)
    except signing.BadSignature:
        raise Http404 from None
    try:
        return Appointment.objects.select_related("location", "service", "patient").get(
            public_id=public_id
        )
    except (Appointment.DoesNotExist, ValueError):
        raise Http404 from None


@require_http_methods(["GET", "POST"])
def manage(request, token):
    """The link in every confirmation: see, move or cancel that one booking."""
    appointment = _appointment_from_token(token)
    actor = online.manage_actor(appointment, client_ip(request))
    now = timezone.now()
    status = 200
    error = None
    if request.method == "POST":
        action = request.POST.get("action")
        with refusal_on(kinds=(DomainError,)) as refused:
            if action == "cancel":
                form = CancelForm(request.POST)
                reason = form.cleaned_data["reason"] if form.is_valid() else ""
                bookings.cancel(actor, appointment, reason=reason, now=now)
                messages.success(request, "Your appointment is cancelled.")
            elif action == "move":
                form = MoveForm(request.POST)
                if not form.is_valid():
                    raise ValidationFailed({"start": ["Choose a new time from the list."]})
                bookings.reschedule(actor, appointment, start=form.cleaned_data["start"], now=now)
                messages.success(request, "Your appointment has moved.")
            else:
                raise ValidationFailed({"action": ["Choose to move or to cancel."]})
        if not refused:
            return redirect("scheduling:manage", token=token)
        status, error = refused.status, describe(refused.error)
        appointment.refresh_from_db()
    else:
        record_patient(
            actor,
            Action.READ,
            appointment.patient,
            object_type=Kind.APPOINTMENT,
            object_id=appointment.public_id,
        )
    zone = appointment.location.zone
    day_form = DayForm(request.GET or None)
    day = day_form.day_or(appointment.local_start.date())
    today = now.astimezone(zone).date()
    day = max(day, today)
    slots = []
    if appointment.status == Status.BOOKED:
        slots = [
            slot
            for slot in _slots_for_day(
                appointment.service,
                appointment.location,
                day,
                now,
                patient=appointment.patient,
                ignore=appointment,
            )
            if slot.start != appointment.starts_at  # its own time is no move
        ]
    context = {
        "appointment": appointment,
        "token": token,
        "error": error,
        "when": notices.when(appointment),
        "place": notices.place(appointment),
        "may_change": appointment.status == Status.BOOKED
        and appointment.starts_at - now
        >= timedelta(hours=appointment.location.cancellation_window_hours),
        "day": day,
        "next_day": day + timedelta(days=1),
        "previous_day": day - timedelta(days=1) if day > today else None,
        "slots": _local_times(slots, zone),
    }
    return _render_at(request, "scheduling/manage.html", context, appointment.location, status)


# ---------------------------------------------------------------- staff calendar


def _calendar_location(request):
    slug = request.GET.get("location") or request.POST.get("location")
    qs = Location.objects.filter(active=True).order_by("name")
    return (qs.filter(slug=slug).first() if slug else None) or qs.first()


@vary_on_headers("HX-Request")  # the same URL answers HTMX with a fragment
@require_GET
@staff_page(Capability.VIEW_PATIENT)
def calendar(request):
    """A location's day (providers as columns) or week, with today's appointments to act on."""
    location = _calendar_location(request)
    if location is None:
        raise Http404
    now = timezone.now()
    today = now.astimezone(location.zone).date()
    day = DayForm(request.GET or None).day_or(today)
    view = "week" if request.GET.get("view") == "week" else "day"
    first = day - timedelta(days=day.weekday()) if view == "week" else day
    last = first + timedelta(days=6 if view == "week" else 0)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    start = to_instant(first, time(0), location.zone)
    end = to_instant(last + timedelta(days=1), time(0), location.zone)
    rows = (
        Appointment.objects.restrict(request.actor)
        .attending(start, end)
        .filter(location=location)
        .order_by("starts_at")
        .values_list(
            "public_id",
            "provider_id",
            "starts_at",
            "ends_at",
            "status",
            "service__name",
            "patient__public_id",
            "patient__given_name",
            "patient__family_name",
            "room__name",
        )
    )
    record_listing(request.actor, Kind.CALENDAR, (row[6] for row in rows if row[6]))
    providers = list(
        location.staff.filter(active=True, role__in=["medical_director", "injector"]).order_by(
            "full_name"
        )
    )
    cells: dict[tuple, list] = {}
    seen_providers = set()
    action_base = _url_pattern("scheduling:appointment-action", "x").removesuffix("x/")
    patient_url = _url_pattern("patients:record")
    for row in rows:
        item = _calendar_item(row, location.zone, now, action_base, patient_url)
        seen_providers.add(row[1])
        cells.setdefault((item["day"], row[1]), []).append(item)
    missing = seen_providers - {p.pk for p in providers}
    if missing:  # someone no longer on the location's staff still has appointments here
        providers += list(StaffMember.objects.filter(pk__in=missing).order_by("full_name"))
    booking_service = (
        Service.objects.filter(active=True, slug=request.GET.get("service", "")).first()
        or Service.objects.filter(active=True, kind=Service.Kind.CONSULTATION).first()
    )
    free: dict[int, list] = {}
    if view == "day" and booking_service and request.actor.can(Capability.CHANGE_PATIENT):
        for slot in search.search_slots(
            booking_service,
            [location],
            first_day=day,
            last_day=day,
            now=now,
            limit=2000,
            online=False,
            one_per_time=False,
        ):
            free.setdefault(slot.provider_id, []).append(slot.start.astimezone(location.zone))
    grid = [
        (d, [(p, cells.get((d, p.pk), []), free.get(p.pk, [])) for p in providers]) for d in days
    ]
    appointments = [item for items in cells.values() for item in items]
    if view == "day" and day == today and request.actor.can(Capability.CHANGE_PATIENT):
        treat_now.mark_treatable(appointments, location, now)
    record(
        request.actor,
        Action.READ,
        Kind.CALENDAR,
        location.slug,
        detail={"from": str(first), "to": str(last), "appointments": len(appointments)},
    )
    context = {
        "location": location,
        "locations": Location.objects.filter(active=True).order_by("name"),
        "day": day,
        "days": days,
        "view": view,
        "today": today,
        "previous": first - timedelta(days=7 if view == "week" else 1),
        "next": first + timedelta(days=7 if view == "week" else 1),
        "providers": providers,
        "grid": grid,
        "appointments": appointments,
        "can_act": request.actor.can(Capability.CHANGE_PATIENT) and view == "day",
        "booking_service": booking_service,
        "services": Service.objects.filter(active=True).order_by("name"),
    }
    template = (
        "scheduling/_calendar.html"
        if request.headers.get("HX-Request")
        else "scheduling/calendar.html"
    )
    return _render_at(request, template, context, location)


STATUS_LABELS = dict(Status.choices)
_ZERO = UUID(int=0)


def _url_pattern(name: str, *args) -> str:
    """A URL with `{}` where the object's public id goes, reversed once per page."""
    return reverse(name, args=[_ZERO, *args]).replace(str(_ZERO), "{}")


def _calendar_item(row, zone, now, action_base: str, patient_url: str) -> dict:
    """One appointment as the calendar shows it, built from a values row: a full day of thirty
    providers is hundreds of these, so no model instances and no URL reversing per item."""
    public_id, _, starts_at, ends_at, status, service, patient_id, given, family, room = row
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    actions = [(a.value, LABELS[a]) for a in allowed(status, starts_at, now, zone)]
    return {
        "day": start.date(),
        "time": f"{start:%-I:%M}-{end:%-I:%M %p}",
        "service": service,
        "patient": f"{given} {family}",
        "patient_url": patient_url.format(patient_id),
        "room": room,
        "status": status,
        "status_label": STATUS_LABELS[status],
        "action_base": action_base.format(public_id),
        "actions": actions,
    }


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
