"""The waitlist page for staff: who waits for what, offer a free time, take someone off with a
reason. Patients join through the API (`POST /api/v1/scheduling/waitlist`) or from the desk."""

from datetime import timedelta

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from glabella.clinic.models import Location
from glabella.core.access import get_restricted_or_404
from glabella.core.audit import Action, Kind, record_listing, record_patient
from glabella.core.decorators import staff_page
from glabella.core.errors import DomainError
from glabella.core.pages import refusal_on
from glabella.core.rendering import render_in
from glabella.core.roles import Capability
from glabella.scheduling import waitlist
from glabella.scheduling.calendar_forms import OfferForm, RemoveEntryForm
from glabella.scheduling.models import WaitlistEntry

RECENTLY_REMOVED_DAYS = 30


@require_GET
@staff_page(Capability.VIEW_PATIENT)
def waitlist_page(request):
    locations = Location.objects.filter(active=True).order_by("name")
    slug = request.GET.get("location")
    location = (locations.filter(slug=slug).first() if slug else None) or locations.first()
    if location is None:
        raise Http404
    entries = list(waitlist.open_entries(request.actor, location))
    since = timezone.now() - timedelta(days=RECENTLY_REMOVED_DAYS)
    removed = list(
        WaitlistEntry.objects.restrict(request.actor)
        .filter(location=location, state=WaitlistEntry.State.WITHDRAWN, removed_at__gte=since)
        .select_related("patient", "service")
        .order_by("-removed_at")[:50]
    )
    record_listing(request.actor, Kind.WAITLIST, [e.patient.public_id for e in entries + removed])
    context = {
        "location": location,
        "locations": locations,
        "entries": entries,
        "removed": removed,
        "can_act": request.actor.can(Capability.CHANGE_PATIENT),
        "calendar_url": f"{reverse('scheduling:calendar')}?location={location.slug}",
    }
    return render_in(request, "scheduling/waitlist.html", context, location.zone)


def _entry(request, public_id) -> WaitlistEntry:
    entry = get_restricted_or_404(
        WaitlistEntry.objects.select_related("patient", "service", "provider", "location"),
        request.actor,
        "change",
        public_id=public_id,
    )
    record_patient(
        request.actor,
        Action.READ,
        entry.patient,
        object_type=Kind.WAITLIST,
        object_id=entry.public_id,
    )
    return entry


def _back(entry) -> str:
    return f"{reverse('scheduling:waitlist')}?location={entry.location.slug}"


@require_http_methods(["GET", "POST"])
@staff_page(Capability.CHANGE_PATIENT)
def offer(request, public_id):
    """Offer one of the free times in the patient's window; they hear by text or email."""
    entry = _entry(request, public_id)
    now = timezone.now()
    status = 200
    form = OfferForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            with refusal_on(form, kinds=(DomainError,)) as refused:
                waitlist.offer_time(request.actor, entry, form.cleaned_data["start"], now=now)
            if not refused:
                messages.success(request, f"{entry.patient.full_name} has been offered the time.")
                return redirect(_back(entry))
        status = 422
    times = [
        (slot.start.isoformat(), slot.start.astimezone(entry.location.zone))
        for slot in waitlist.times_to_offer(entry, now)
    ]
    context = {"entry": entry, "form": form, "times": times, "back": _back(entry)}
    return render_in(
        request, "scheduling/waitlist_offer.html", context, entry.location.zone, status
    )


@require_http_methods(["GET", "POST"])
@staff_page(Capability.CHANGE_PATIENT)
def remove(request, public_id):
    """Take the patient off the waitlist, with the reason."""
    entry = _entry(request, public_id)
    status = 200
    form = RemoveEntryForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            with refusal_on(form, kinds=(DomainError,)) as refused:
                waitlist.remove_entry(request.actor, entry, reason=form.cleaned_data["reason"])
            if not refused:
                messages.success(request, f"{entry.patient.full_name} is off the waitlist.")
                return redirect(_back(entry))
        status = 422
    context = {"entry": entry, "form": form, "back": _back(entry)}
    return render_in(
        request, "scheduling/waitlist_remove.html", context, entry.location.zone, status
    )
