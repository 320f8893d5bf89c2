"""The patient's booking pages: online booking (a week of free times, with any provider or a
chosen one), and the manage-my-booking link (the confirmation: add to a calendar, fill in the
forms now, move with a confirm, cancel)."""

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from glabella.clinic.models import Location, Service
from glabella.clinic.services import locations_serving
from glabella.core.access import actor_from_request, client_ip
from glabella.core.audit import Action, Kind, record_patient
from glabella.core.errors import DomainError, ValidationFailed, describe
from glabella.core.language import speaking
from glabella.core.pages import refusal_on
from glabella.scheduling import bookings, calendars, notices, online, search, signals
from glabella.scheduling.forms import (
    CancelForm,
    DetailsForm,
    FindTimesForm,
    MoveChoiceForm,
    MoveForm,
)
from glabella.scheduling.models import Appointment, Status
from glabella.scheduling.views import _local_times, _parse_instant, _render_at

WEEK = 7
SLOTS_PER_DAY = 40


def _week_of_slots(service, location, first_day, now, *, provider=None, patient=None, ignore=None):
    """The free times of seven days from `first_day`, one per start time, in the location's
    zone: [(day, [(slot, local start)])], every day listed (a day without times too)."""
    slots = search.search_slots(
        service,
        [location],
        first_day=first_day,
        last_day=first_day + timedelta(days=WEEK - 1),
        now=now,
        provider=provider,
        patient=patient,
        limit=WEEK * SLOTS_PER_DAY,
        ignore=ignore,
    )
    days = {first_day + timedelta(days=n): [] for n in range(WEEK)}
    for slot, local in _local_times(slots, location.zone):
        if ignore is not None and slot.start == ignore.starts_at:
            continue  # its own time is no move
        days.setdefault(local.date(), []).append((slot, local))
    return list(days.items())


def _week_context(week) -> dict:
    """The week and the day shown open: the first with a free time."""
    return {"week": week, "open_day": next((day for day, slots in week if slots), None)}


def _first_week(service, location, today, now, provider):
    """The first day of the week to show when none was asked: today, or the first day with a
    free time within a month."""
    upcoming = search.search_slots(
        service,
        [location],
        first_day=today,
        last_day=today + timedelta(days=30),
        now=now,
        provider=provider,
        limit=1,
    )
    return upcoming[0].start.astimezone(location.zone).date() if upcoming else today


def _answer(signal, **kwargs):
    """The first answer any app gives to one of scheduling's questions (None: nobody)."""
    return next((answer for _, answer in signal.send(Appointment, **kwargs) if answer), None)


def _policy(service, location):
    """The clinic's cancellation policy for this visit, from whoever takes payments."""
    if service is None or location is None:
        return None
    return _answer(signals.booking_policy, service=service, location=location)


def _query(**params) -> str:
    return "?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


@vary_on_headers("HX-Request")  # the same URL answers HTMX with a fragment
@require_http_methods(["GET", "POST"])
def book(request):
    """Online booking of a consultation, no account needed: where, with whom and when, then
    who is coming."""
    now = timezone.now()
    if request.method == "POST":
        return _book_post(request, now)
    find = FindTimesForm(request.GET or None)
    valid = find.is_valid()
    data = getattr(find, "cleaned_data", {})
    status = 200 if valid or not request.GET else 422
    area = (data.get("area") or "").strip()
    location = data.get("location")
    services = list(Service.objects.filter(active=True, bookable_online=True).order_by("name"))
    service = data.get("service") or (services[0] if services else None)
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
        "services": services,
        "locations": Location.objects.filter(active=True).order_by("name"),
    }
    if location is not None and service is not None:
        status = _add_week(context, data, find, service, location, now) or status
    chosen = request.GET.get("start")
    if chosen and location is not None and service is not None and status == 200:
        provider = context["provider"]
        context["details"] = DetailsForm(
            initial={
                "location": location.slug,
                "service": service.slug,
                "start": chosen,
                "provider": provider.public_id if provider else None,
            }
        )
        context["chosen"] = _parse_instant(chosen, location)
        context["policy"] = _policy(service, location)
    template = (
        "scheduling/_times.html" if request.headers.get("HX-Request") else "scheduling/book.html"
    )
    return _render_at(request, template, context, location, status)


def _add_week(context, data, find, service, location, now) -> int | None:
    """The providers to choose from and a week of free times; 422 when the provider asked for
    does not perform the service there."""
    today = now.astimezone(location.zone).date()
    providers = search.eligible_providers(service, location, today)
    asked = data.get("provider")
    provider = next((p for p in providers if p.public_id == asked), None)
    status = None
    if asked is not None and provider is None:
        find.add_error(
            "provider",
            _("Choose one of the providers who offer %(service)s here, or any.")
            % {"service": service.shown_name},
        )
        status = 422
    last = today + timedelta(days=service.horizon_days)
    day = data.get("day") or _first_week(service, location, today, now, provider)
    day = min(max(day, today), last)
    common = dict(
        location=location.slug,
        service=service.slug,
        provider=provider.public_id if provider else None,
    )
    context.update(
        provider=provider,
        providers=providers,
        **_week_context(_week_of_slots(service, location, day, now, provider=provider)),
        day=day,
        today=today,
        slot_query=_query(**common),
        previous_week=(
            _query(**common, day=max(day - timedelta(days=WEEK), today)) if day > today else None
        ),
        next_week=(
            _query(**common, day=day + timedelta(days=WEEK))
            if day + timedelta(days=WEEK) <= last
            else None
        ),
    )
    return status


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
            request, _("You are booked. We have sent the time, the place and this page's link.")
        )
        # The forms link is offered on this browser only, to whoever just booked; the manage
        # link in an email or a calendar entry does not open the patient's forms.
        request.session[JUST_BOOKED] = str(appointment.public_id)
        return redirect("scheduling:manage", token=notices.manage_token(appointment))
    status = refused.status if refused else 422
    alternatives = getattr(refused.error, "alternatives", [])
    cleaned = getattr(form, "cleaned_data", {})
    location = cleaned.get("location")
    zone = location.zone if location else None
    context = {
        "details": form,
        "location": location,
        "service": cleaned.get("service"),
        "provider": cleaned.get("provider"),
        "alternatives": _local_times(alternatives, zone) if zone else [],
        "chosen": _parse_instant(request.POST.get("start", ""), location) if location else None,
        "locations": Location.objects.filter(active=True).order_by("name"),
        "find": FindTimesForm(),
        "policy": _policy(cleaned.get("service"), location),
    }
    return _render_at(request, "scheduling/book.html", context, location, status)


# ---------------------------------------------------------------- the manage link


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


JUST_BOOKED = "glabella_just_booked"


def _forms_step(request, appointment, now) -> dict | None:
    """What the forms app answers about this visit's forms (None: nobody answered). The signed
    forms link is given only to the browser that just made the booking; anyone else holding the
    manage link is told the link is in the email."""
    if appointment.status != Status.BOOKED:
        return None
    answers = signals.forms_for_visit.send(Appointment, appointment=appointment, now=now)
    answer = next((answer for _, answer in answers if answer), None)
    if answer and request.session.get(JUST_BOOKED) != str(appointment.public_id):
        answer = {**answer, "url": None}
    return answer


@require_http_methods(["GET", "POST"])
def manage(request, token):
    """The link in every confirmation: see that one booking, add it to a calendar, fill in the
    forms, move it (a tapped time is confirmed first) or cancel it."""
    appointment = _appointment_from_token(token)
    actor = online.manage_actor(appointment, client_ip(request))
    now = timezone.now()
    status = 200
    error = None
    choice = MoveChoiceForm(request.GET or None)
    if request.method == "POST":
        action = request.POST.get("action")
        with refusal_on(kinds=(DomainError,)) as refused:
            if action == "cancel":
                form = CancelForm(request.POST)
                reason = form.cleaned_data["reason"] if form.is_valid() else ""
                bookings.cancel(actor, appointment, reason=reason, now=now)
                messages.success(request, _("Your appointment is canceled."))
            elif action == "move":
                form = MoveForm(request.POST)
                if not form.is_valid():
                    raise ValidationFailed({"start": [_("Choose a new time from the list.")]})
                bookings.reschedule(actor, appointment, start=form.cleaned_data["start"], now=now)
                messages.success(request, _("Your appointment has moved."))
            else:
                raise ValidationFailed({"action": [_("Choose to move or to cancel.")]})
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
        if choice.is_bound and not choice.is_valid():
            status, error = 422, _("Choose a new time from the list.")
    picked = getattr(choice, "cleaned_data", {})
    zone = appointment.location.zone
    today = now.astimezone(zone).date()
    day = max(picked.get("day") or appointment.local_start.date(), today)
    may_change = appointment.status == Status.BOOKED and appointment.starts_at - now >= timedelta(
        hours=appointment.location.cancellation_window_hours
    )
    week = []
    if may_change:
        week = _week_of_slots(
            appointment.service,
            appointment.location,
            day,
            now,
            patient=appointment.patient,
            ignore=appointment,
        )
    move_to = picked.get("move_to")
    context = {
        "appointment": appointment,
        "token": token,
        "error": error,
        "when": notices.when(appointment),
        "place": notices.place(appointment),
        "may_change": may_change,
        "day": day,
        **_week_context(week),
        "slot_query": _query(day=day),
        "next_week": _query(day=day + timedelta(days=WEEK)),
        "previous_week": (
            _query(day=max(day - timedelta(days=WEEK), today)) if day > today else None
        ),
        "move_to": move_to.astimezone(zone) if move_to and may_change else None,
        "forms": _forms_step(request, appointment, now),
        "policy": _policy(appointment.service, appointment.location),
        "payment": (
            _answer(signals.payment_for_visit, appointment=appointment, now=now)
            if appointment.status == Status.BOOKED
            else None
        ),
        "calendar_file": reverse("scheduling:manage-ics", args=[token]),
    }
    return _render_at(request, "scheduling/manage.html", context, appointment.location, status)


@require_GET
def visit_ics(request, token):
    """This one visit as a calendar file (time, place and the manage link, nothing clinical),
    served by the clinic's own site, in the patient's language (as the one in her email)."""
    appointment = _appointment_from_token(token)
    actor = online.manage_actor(appointment, client_ip(request))
    record_patient(
        actor,
        Action.READ,
        appointment.patient,
        object_type=Kind.APPOINTMENT,
        object_id=appointment.public_id,
        detail={"calendar_file": True},
    )
    with speaking(appointment.patient):  # the file's words and its link in her language
        link = notices.manage_url(appointment)
    body = calendars.patient_ics(appointment, link, timezone.now())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="appointment.ics"'
    return response
