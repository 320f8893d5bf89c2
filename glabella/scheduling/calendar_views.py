"""The staff calendar as a time grid, and what the desk does on it: book a tapped free time
(after a confirm), move a visit (the Move page, or a drag that opens it filled in), cancel with
a reason. The check-in, no-show and complete buttons post to `views.act`."""

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from glabella.clinic.models import Location, OpeningHours, Service
from glabella.core.access import get_restricted_or_404
from glabella.core.audit import Action, Kind, record, record_listing, record_patient
from glabella.core.bounds import day_in_range
from glabella.core.decorators import staff_page
from glabella.core.errors import DomainError
from glabella.core.models import StaffMember
from glabella.core.pages import refusal_on
from glabella.core.rendering import render_in
from glabella.core.roles import Capability
from glabella.patients.models import Patient
from glabella.patients.services import search_patients
from glabella.scheduling import bookings, calendar_grid, notices, search, signals, treat_now
from glabella.scheduling.availability import to_instant
from glabella.scheduling.calendar_forms import (
    BookAtForm,
    CancelVisitForm,
    GridForm,
    MoveVisitForm,
    providers_at,
)
from glabella.scheduling.models import Appointment
from glabella.scheduling.visit_actions import VisitAction, refusal

FREE_LIMIT = 3000


def day_url(location, day, **extra) -> str:
    query = "&".join(f"{k}={v}" for k, v in extra.items() if v)
    return f"{reverse('scheduling:calendar')}?location={location.slug}&day={day}" + (
        f"&{query}" if query else ""
    )


@vary_on_headers("HX-Request")
@require_GET
@staff_page(Capability.VIEW_PATIENT)
def calendar(request):
    """A location's day (providers as columns) or one provider's week (days as columns)."""
    form = GridForm(request.GET or None)
    locations = Location.objects.filter(active=True).order_by("name")
    location = form.value("location") or locations.first()
    if location is None:
        raise Http404
    zone = location.zone
    now = timezone.now()
    today = now.astimezone(zone).date()
    day = form.value("day", today)
    week = form.value("view") == "week"
    providers = list(providers_at(location))
    provider = form.value("provider")
    if week:
        provider = provider or (providers[0] if providers else None)
        first = day - timedelta(days=day.weekday())
        days = [first + timedelta(days=i) for i in range(7)]
    else:
        first, days = day, [day]
    start = to_instant(days[0], time(0), zone)
    end = to_instant(days[-1] + timedelta(days=1), time(0), zone)
    visits = (
        Appointment.objects.restrict(request.actor)
        .attending(start, end)
        .filter(location=location)
        .order_by("starts_at")
    )
    if week and provider is not None:
        visits = visits.filter(provider=provider)
    rows = list(visits.values_list(*calendar_grid.VALUES))
    record_listing(request.actor, Kind.CALENDAR, (row[8] for row in rows))
    if not week:  # someone no longer on the location's staff still has visits here
        missing = {row[1] for row in rows} - {p.pk for p in providers}
        if missing:
            providers += list(StaffMember.objects.filter(pk__in=missing).order_by("full_name"))
    if week:
        columns = [
            calendar_grid.Column(key=d, heading=f"{d:%a} {d:%b} {d.day}", day=d, provider=provider)
            for d in days
        ]
    else:
        columns = [
            calendar_grid.Column(key=p.pk, heading=p.full_name, day=day, provider=p)
            for p in providers
        ]
    service = form.value("service") or search.default_service()
    can_book = request.actor.can(Capability.CHANGE_PATIENT)
    free: dict[tuple, set[datetime]] = {}
    if can_book and service is not None and (providers if not week else provider):
        for slot in search.search_slots(
            service,
            [location],
            first_day=days[0],
            last_day=days[-1],
            now=now,
            provider=provider if week else None,
            limit=FREE_LIMIT,
            online=False,
            one_per_time=False,
        ):
            local_day = slot.start.astimezone(zone).date()
            key = local_day if week else slot.provider_id
            free.setdefault((key, local_day), set()).add(slot.start)
    describe = {}
    visit_facts = [
        {"public_id": r[0], "patient_id": r[7], "service_kind": r[6], "starts_at": r[2]}
        for r in rows
    ]
    for _, answer in signals.describe_visits.send(
        Appointment, appointments=visit_facts, today=today, zone=zone
    ):
        for public_id, facts in (answer or {}).items():
            describe.setdefault(public_id, {}).update(facts)
    hours = OpeningHours.objects.filter(location=location).values_list("weekday", "opens", "closes")
    span = calendar_grid.hours_span(list(hours), days, [(r[2], r[3]) for r in rows], zone)
    grid = calendar_grid.build(
        columns=columns,
        rows=rows,
        free=free,
        describe=describe,
        span=span,
        zone=zone,
        now=now,
        week=week,
    )
    if not week and day == today and can_book:  # a decision signed in a consultation: treat now
        treat_now.mark_treatable([b for c in grid.columns for b in c.blocks], location, now)
    record(
        request.actor,
        Action.READ,
        Kind.CALENDAR,
        location.slug,
        detail={"from": str(days[0]), "to": str(days[-1]), "appointments": len(rows)},
    )
    step = timedelta(days=7 if week else 1)
    context = {
        "location": location,
        "locations": locations,
        "day": day,
        "days": days,
        "view": "week" if week else "day",
        "today": today,
        "previous": first - step,
        "next": first + step,
        "providers": providers,
        "provider": provider,
        "grid": grid,
        "can_act": can_book,
        "booking_service": service,
        "services": Service.objects.filter(active=True).order_by("name"),
        "book_url": reverse("scheduling:book-at"),
    }
    template = (
        "scheduling/_grid.html" if request.headers.get("HX-Request") else "scheduling/grid.html"
    )
    return render_in(request, template, context, zone)


def _instant(text: str):
    try:
        value = parse_datetime(text or "")
    except ValueError:
        return None
    if value is None or value.tzinfo is None or not day_in_range(value):
        return None
    return value


@require_http_methods(["GET", "POST"])
@staff_page(Capability.CHANGE_PATIENT)
def book_at(request):
    """The confirm step after tapping a free time: choose the patient, check the service and the
    provider, then book."""
    params = request.POST if request.method == "POST" else request.GET
    locations = Location.objects.filter(active=True).order_by("name")
    location = locations.filter(slug=params.get("location", "")).first() or locations.first()
    if location is None:
        raise Http404
    zone = location.zone
    now = timezone.now()
    status = 200
    if request.method == "POST":
        form = BookAtForm(request.POST, location=location, actor=request.actor)
        valid = form.is_valid()
        if valid:
            data = form.cleaned_data
            with refusal_on(form) as refused:
                appointment = bookings.book(
                    request.actor,
                    service=data["service"],
                    location=location,
                    start=data["start"],
                    patient=data["patient"],
                    provider=data["provider"],
                    now=now,
                )
            if not refused:
                messages.success(
                    request,
                    f"Booked {appointment.patient.full_name} for {notices.when(appointment)}.",
                )
                return redirect(day_url(location, appointment.local_start.date()))
        status = 422
    else:
        form = BookAtForm(
            initial={
                "location": location.slug,
                "service": params.get("service") or getattr(search.default_service(), "slug", None),
                "provider": params.get("provider"),
                "start": params.get("start"),
                "patient": params.get("patient"),
            },
            location=location,
        )
    start = _instant(params.get("start", ""))
    patient = _chosen_patient(request, params.get("patient"))
    query = (params.get("q") or "").strip()[:100]
    found = search_patients(request.actor, query) if query and patient is None else []
    keep = {k: params.get(k) for k in ("location", "start", "provider", "service") if params.get(k)}
    context = {
        "form": form,
        "location": location,
        "start": start.astimezone(zone) if start else None,
        "patient": patient,
        "query": query,
        "found": found,
        "keep": keep,
        "back": day_url(location, start.astimezone(zone).date() if start else ""),
    }
    return render_in(request, "scheduling/book_at.html", context, zone, status)


def _chosen_patient(request, public_id):
    if not public_id:
        return None
    try:
        patient = Patient.objects.restrict(request.actor).filter(public_id=public_id).first()
    except (ValueError, DjangoValidationError):  # a malformed id is no patient
        return None
    if patient is not None:
        record_patient(request.actor, Action.READ, patient, object_type=Kind.CALENDAR)
    return patient


def _visit(request, public_id):
    return get_restricted_or_404(
        Appointment.objects.select_related("location", "patient", "service", "provider"),
        request.actor,
        "change",
        public_id=public_id,
    )


@require_http_methods(["GET", "POST"])
@staff_page(Capability.CHANGE_PATIENT)
def move_visit(request, public_id):
    """Move or reschedule a visit: a new day, time or provider. A visit dragged on the grid lands
    here with the new time filled in, to be confirmed."""
    appointment = _visit(request, public_id)
    location, zone = appointment.location, appointment.location.zone
    record_patient(
        request.actor,
        Action.READ,
        appointment.patient,
        object_type=Kind.APPOINTMENT,
        object_id=appointment.public_id,
    )
    status = 200
    alternatives = []
    if request.method == "POST":
        form = MoveVisitForm(request.POST, location=location)
        if form.is_valid():
            data = form.cleaned_data
            start = to_instant(data["day"], data["time"], zone)
            with refusal_on(kinds=(DomainError,)) as refused:
                moved = bookings.reschedule(
                    request.actor, appointment, start=start, provider=data["provider"]
                )
            if not refused:
                messages.success(
                    request, f"{appointment.patient.full_name} moved to {notices.when(moved)}."
                )
                return redirect(day_url(location, moved.local_start.date()))
            _refusal_to_form(form, refused)
            alternatives = [
                s.start.astimezone(zone) for s in getattr(refused.error, "alternatives", [])
            ]
        status = 422
    else:
        dropped = _instant(request.GET.get("start", ""))
        local = (dropped or appointment.starts_at).astimezone(zone)
        form = MoveVisitForm(
            initial={
                "day": local.date(),
                "time": local.time(),
                "provider": request.GET.get("provider") or appointment.provider.public_id,
            },
            location=location,
        )
    context = {
        "appointment": appointment,
        "form": form,
        "location": location,
        "why_not": refusal(
            VisitAction.MOVE, appointment.status, appointment.starts_at, timezone.now(), zone
        ),
        "alternatives": alternatives[:6],
        "back": day_url(location, appointment.local_start.date()),
    }
    return render_in(request, "scheduling/move_visit.html", context, zone, status)


ON_THE_FORM = {"start": "time", "provider": "provider", "day": "day"}


def _refusal_to_form(form, refused) -> None:
    """The service names the instant `start`; the page asks for a day and a time."""
    if not refused.fields:
        form.add_error("time", refused.message)
    for name, messages_ in refused.fields.items():
        for message in messages_:
            form.add_error(ON_THE_FORM.get(name), message)


@require_http_methods(["GET", "POST"])
@staff_page(Capability.CHANGE_PATIENT)
def cancel_visit(request, public_id):
    """Cancel a visit with its reason, by the clinic or as the patient's call."""
    appointment = _visit(request, public_id)
    record_patient(
        request.actor,
        Action.READ,
        appointment.patient,
        object_type=Kind.APPOINTMENT,
        object_id=appointment.public_id,
    )
    status = 200
    if request.method == "POST":
        form = CancelVisitForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            with refusal_on(form, kinds=(DomainError,)) as refused:
                handler = (
                    bookings.cancel_for_patient if data["by"] == "patient" else bookings.cancel
                )
                handler(request.actor, appointment, reason=data["reason"])
            if not refused:
                messages.success(request, f"{appointment.patient.full_name}: visit canceled.")
                return redirect(day_url(appointment.location, appointment.local_start.date()))
        status = 422
    else:
        form = CancelVisitForm()
    context = {
        "appointment": appointment,
        "form": form,
        "location": appointment.location,
        "back": day_url(appointment.location, appointment.local_start.date()),
    }
    return render_in(
        request, "scheduling/cancel_visit.html", context, appointment.location.zone, status
    )
