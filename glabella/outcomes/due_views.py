"""The due list: patients whose last treatment is wearing off, with nothing booked; book one, or
invite one or all of them back now (`staff_invites`)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from glabella.catalogue.products import PRODUCT_NAMES
from glabella.clinic.models import Location
from glabella.core.decorators import staff_page
from glabella.core.errors import ValidationFailed
from glabella.core.pages import refusal_on
from glabella.core.rendering import render_in
from glabella.core.roles import Capability
from glabella.outcomes import invitations, services, staff_invites
from glabella.outcomes.models import Invitation

DEFAULT_AHEAD = 14
MAX_AHEAD = 90


class InviteAllForm(forms.Form):
    location = forms.SlugField(error_messages={"required": "Choose a location."})
    ahead = forms.IntegerField(
        min_value=0,
        max_value=MAX_AHEAD,
        error_messages={"required": "Say how many days ahead.", "invalid": "Use a whole number."},
    )

    def clean_location(self):
        found = Location.objects.filter(active=True, slug=self.cleaned_data["location"]).first()
        if found is None:
            raise forms.ValidationError("Choose one of the clinic's locations.")
        return found


class InviteForm(InviteAllForm):
    treatment = forms.UUIDField(
        error_messages={
            "required": "Choose the patient to invite.",
            "invalid": "Choose the patient to invite.",
        }
    )


@require_GET
@staff_page(Capability.VIEW_PATIENT)
def due(request):
    """Patients due at a location in the next two weeks (or overdue), one click to book."""
    locations = list(Location.objects.filter(active=True).order_by("name"))
    slug = request.GET.get("location") or ""
    location = next((loc for loc in locations if loc.slug == slug), None) or (
        locations[0] if locations else None
    )
    if location is None:
        raise Http404
    try:
        ahead = min(max(int(request.GET.get("ahead", DEFAULT_AHEAD)), 0), MAX_AHEAD)
    except ValueError:
        ahead = DEFAULT_AHEAD
    return _page(request, locations, location, ahead)


def _page(request, locations, location, ahead, *, form=None, status=200):
    today = timezone.now().astimezone(location.zone).date()
    rows = services.due(request.actor, location, today, ahead=ahead)
    sent = dict(
        Invitation.objects.filter(treatment_id__in=[r.treatment_id for r in rows]).values_list(
            "treatment_id", "status"
        )
    )
    statuses = dict(Invitation.Status.choices)
    shown = []
    for r in rows:
        invited = sent.get(r.treatment_id)
        shown.append(
            {
                "f": r,
                "invited": statuses.get(invited, "") if invited else "",
                "product": PRODUCT_NAMES.get(r.product, r.product),
                "why_not": staff_invites.why_not(r, invited),
            }
        )
    context = {
        "locations": locations,
        "location": location,
        "ahead": ahead,
        "rows": shown,
        "to_invite": sum(1 for row in shown if not row["why_not"]),
        "service": invitations.default_service(),
        "today": today,
        "form": form,
        "may_invite": request.actor.can(Capability.CHANGE_PATIENT),
    }
    return render_in(request, "outcomes/due.html", context, location.zone, status)


def _refused(request, form):
    """The list again, at 422, with the form's errors at the top; nothing was written."""
    locations = list(Location.objects.filter(active=True).order_by("name"))
    if not locations:
        raise Http404
    location = form.cleaned_data.get("location") if hasattr(form, "cleaned_data") else None
    if not isinstance(location, Location):
        location = locations[0]
    ahead = form.cleaned_data.get("ahead") if hasattr(form, "cleaned_data") else None
    ahead = ahead if isinstance(ahead, int) else DEFAULT_AHEAD
    return _page(request, locations, location, ahead, form=form, status=422)


def _back(location, ahead):
    return redirect(f"{reverse('outcomes:due')}?location={location.slug}&ahead={ahead}")


@require_POST
@staff_page(Capability.CHANGE_PATIENT)
def invite(request):
    form = InviteForm(request.POST)
    if form.is_valid():
        location, ahead = form.cleaned_data["location"], form.cleaned_data["ahead"]
        today = timezone.now().astimezone(location.zone).date()
        with refusal_on(form, kinds=(ValidationFailed,)) as refused:
            sent = staff_invites.invite_one(
                request.actor, location, form.cleaned_data["treatment"], today=today
            )
        if not refused:
            messages.success(request, f"{sent.patient.full_name} is invited back.")
            return _back(location, ahead)
    return _refused(request, form)


@require_POST
@staff_page(Capability.CHANGE_PATIENT)
def invite_all(request):
    form = InviteAllForm(request.POST)
    if not form.is_valid():
        return _refused(request, form)
    location, ahead = form.cleaned_data["location"], form.cleaned_data["ahead"]
    today = timezone.now().astimezone(location.zone).date()
    result = staff_invites.invite_all(request.actor, location, today=today, ahead=ahead)
    if result.invited:
        n = len(result.invited)
        messages.success(request, f"Invited {n} patient{'s' if n != 1 else ''} back.")
    elif not result.no_consent:
        messages.success(request, "Nobody on this list is waiting for an invitation.")
    if result.no_consent:
        messages.error(
            request,
            "Not invited, with no consent to messages (call them instead): "
            + ", ".join(result.no_consent)
            + ".",
        )
    return _back(location, ahead)
