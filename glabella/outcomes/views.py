"""Outcome pages: the monthly movement question and the invitation's booking page (reached by
signed links), and for staff a patient's photos and outcome timeline, the due list and the
practice's analytics."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core import signing
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from glabella.catalogue.products import PRODUCT_NAMES
from glabella.clinic.clock import clinic_zone
from glabella.core import audit
from glabella.core.access import get_restricted_or_404, link_actor
from glabella.core.bounds import parse_day, parse_instant
from glabella.core.decorators import staff_page
from glabella.core.errors import Conflict, DomainError, ValidationFailed, describe
from glabella.core.pages import refusal_on
from glabella.core.rendering import private_bytes, render_in
from glabella.core.replica import reading_from_replica
from glabella.core.roles import Capability
from glabella.outcomes import analytics, charts, durations, invitations, photos, services
from glabella.outcomes.models import MovementCheck, Photo, View
from glabella.outcomes.scores import AREAS, GRADES
from glabella.patients.models import Patient
from glabella.scheduling import search
from glabella.scheduling.models import Appointment
from glabella.screening.consents import current_consent
from glabella.treatments.models import TreatmentRecord

# ---------------------------------------------------------------- the monthly question


@require_http_methods(["GET", "POST"])
def movement(request, token):
    """ "Can you frown fully again?": one tap per treated area."""
    try:
        check = durations.read_movement_token(token)
    except signing.BadSignature:
        raise Http404("This link is not valid or has expired.") from None
    if check.status != MovementCheck.Status.SCHEDULED:
        return render(request, "outcomes/movement_done.html", {"check": check})
    areas = durations.open_areas(check)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        raw = {a: request.POST.get(a, "") for a in areas}
        raw["returned_on"] = request.POST.get("returned_on", "")
        actor = link_actor("patient-link", "patient (movement link)", check.patient_id)
        try:
            durations.answer(check, raw, actor=actor)
        except ValidationFailed as exc:
            errors, status = exc.fields, 422
        except Conflict:
            return render(request, "outcomes/movement_done.html", {"check": check})
        else:
            return render(request, "outcomes/movement_done.html", {"check": check, "thanks": True})
    context = {
        "check": check,
        "questions": [(a, durations.question(a), request.POST.get(a, "")) for a in areas],
        "errors": errors,
        "returned_on": request.POST.get("returned_on", ""),
        "first_name": check.patient.preferred_name or check.patient.given_name,
    }
    return render(request, "outcomes/movement.html", context, status=status)


# ---------------------------------------------------------------- the invitation's booking


@require_http_methods(["GET", "POST"])
def book_again(request, token):
    """The invitation's link: free times with the patient's usual injector (or anyone) at their
    usual location, from the forecast's invite date on."""
    try:
        invitation = invitations.read_token(token)
    except signing.BadSignature:
        raise Http404("This link is not valid or has expired.") from None
    location, service = invitation.location, invitation.service
    now = timezone.now()
    today = now.astimezone(location.zone).date()
    earliest = invitations.slots_from(invitation, today)
    anyone = request.GET.get("any") == "1" or request.POST.get("any") == "1"
    provider = None if anyone else invitation.injector
    error = ""
    status = 200
    if request.method == "POST" and invitation.appointment_id is None and service is not None:
        try:
            start = parse_instant(request.POST.get("start", ""))
            if start.tzinfo is None:
                raise ValueError
        except ValueError:
            error, status = _("Choose a time from the list."), 422
        else:
            if start.astimezone(location.zone).date() < earliest:
                error, status = _("Choose a time from the list."), 422
            else:
                try:
                    appointment = invitations.book(invitation, start, provider, now)
                except DomainError as exc:
                    error, status = describe(exc), exc.status
                else:
                    context = {"appointment": appointment}
                    return render_in(request, "outcomes/booked.html", context, location.zone)
    if invitation.appointment_id is not None:
        appointment = Appointment.objects.get(pk=invitation.appointment_id)
        context = {"appointment": appointment}
        return render_in(request, "outcomes/booked.html", context, location.zone)
    try:
        day = parse_day(request.GET.get("day", "")) if request.GET.get("day") else None
    except ValueError:
        day = None
    day = max(day or earliest, earliest)
    slots = []
    if service is not None:
        slots = search.search_slots(
            service,
            [location],
            first_day=day,
            last_day=day + timedelta(days=30),
            now=now,
            provider=provider,
            patient=invitation.patient,
            limit=12,
        )
    context = {
        "invitation": invitation,
        "slots": [(s, s.start.astimezone(location.zone)) for s in slots],
        "anyone": anyone,
        "error": error,
        "day": day,
        "earliest": earliest,
        "first_name": invitation.patient.preferred_name or invitation.patient.given_name,
    }
    return render(request, "outcomes/book_again.html", context, status=status)


# ---------------------------------------------------------------- photos


def _patient(request, public_id) -> Patient:
    return get_restricted_or_404(Patient.objects.all(), request.actor, public_id=public_id)


@require_http_methods(["GET", "POST"])
@staff_page(Capability.VIEW_CLINICAL)
def patient_photos(request, public_id):
    """A patient's clinical photos, before beside after per treatment and view, and (for a
    clinician, under the patient's photo consent) a photo to add from the tablet's camera."""
    patient = _patient(request, public_id)
    zone = clinic_zone(patient)
    today = timezone.now().astimezone(zone).date()
    treatments = list(
        TreatmentRecord.objects.restrict(request.actor)
        .filter(patient=patient, amends__isnull=True)
        .select_related("appointment")
        .order_by("-appointment__starts_at")[:20]
    )
    errors: dict[str, list[str]] = {}
    status = 200
    may_take = request.actor.can(Capability.CHANGE_CLINICAL)
    if request.method == "POST":
        if not may_take:
            return render(request, "core/forbidden.html", status=403)
        record = next(
            (t for t in treatments if str(t.public_id) == request.POST.get("treatment")), None
        )
        upload = request.FILES.get("photo")
        with refusal_on(kinds=(ValidationFailed,)) as refused:
            if record is None:
                raise ValidationFailed(
                    {"treatment": ["Choose the treatment the photo belongs to."]}
                )
            photos.take(
                request.actor,
                record,
                view=request.POST.get("view", ""),
                taken_on=request.POST.get("taken_on", ""),
                raw=upload.read() if upload else None,
            )
        errors, status = refused.fields, refused.status
        if not refused:
            messages.success(request, "Photo saved.")
            return redirect(reverse("outcomes:photos", args=[patient.public_id]))
    found = list(photos.listed(request.actor, patient))
    audit.record_listing(request.actor, audit.Kind.CLINICAL_PHOTO, [patient.public_id])
    context = {
        "patient": patient,
        "pairs": photos.side_by_side(found),
        "treatments": treatments,
        "views": View.choices,
        "consent": current_consent(patient, "photo", today),
        "may_take": may_take,
        "errors": errors,
        "posted": request.POST,
        "today": today,
    }
    return render_in(request, "outcomes/photos.html", context, zone, status)


def _serve(request, public_id, field: str):
    found = get_restricted_or_404(
        Photo.objects.select_related("patient").only("public_id", "patient", field),
        request.actor,
        public_id=public_id,
    )
    audit.record_patient(
        request.actor,
        audit.Action.READ,
        found.patient,
        object_type=audit.Kind.CLINICAL_PHOTO,
        object_id=found.public_id,
        detail={"size": field},
    )
    return private_bytes(getattr(found, field), "image/jpeg")


@require_GET
@staff_page(Capability.VIEW_CLINICAL)
def photo(request, public_id):
    """One clinical photo, for clinicians only; never cached by the browser or a proxy."""
    return _serve(request, public_id, "data")


@require_GET
@staff_page(Capability.VIEW_CLINICAL)
def thumbnail(request, public_id):
    return _serve(request, public_id, "thumbnail")


# ---------------------------------------------------------------- a patient's outcomes


@require_http_methods(["GET", "POST"])
@staff_page(Capability.VIEW_CLINICAL)
def patient_outcomes(request, public_id):
    """The patient's timeline: treatments and units, each area's duration, grades, and the
    current forecast with its interval; below, the same as tables, and (for a clinician) the
    day's wrinkle grades to record."""
    patient = _patient(request, public_id)
    zone = clinic_zone(patient)
    today = timezone.now().astimezone(zone).date()
    errors: dict[str, list[str]] = {}
    status = 200
    treatments = list(
        TreatmentRecord.objects.restrict(request.actor)
        .filter(patient=patient, amends__isnull=True)
        .select_related("appointment", "patient")
        .order_by("-appointment__starts_at")[:20]
    )
    may_grade = request.actor.can(Capability.CHANGE_CLINICAL)
    if request.method == "POST":
        if not may_grade:
            return render(request, "core/forbidden.html", status=403)
        chosen = request.POST.get("treatment")
        record = next((t for t in treatments if str(t.public_id) == chosen), None)
        with refusal_on(kinds=(ValidationFailed,)) as refused:
            if record is None:
                raise ValidationFailed({"treatment": ["Choose the treatment these grades judge."]})
            services.record(request.actor, record, _grading_from(request.POST))
        errors, status = refused.fields, refused.status
        if not refused:
            messages.success(request, "Grades recorded.")
            return redirect(reverse("outcomes:patient", args=[patient.public_id]))
    timeline = services.timeline(request.actor, patient)
    chart = charts.timeline(
        timeline.treated, timeline.spans, timeline.predicted, timeline.points, today=today
    )
    context = {
        "patient": patient,
        "chart": mark_safe(chart),  # noqa: S308 - built by charts.timeline, every text escaped
        "timeline": timeline,
        "today": today,
        "treatments": treatments,
        "may_grade": may_grade,
        "grading_fields": GRADING_FIELDS,
        "grades": GRADES,
        "errors": errors,
        "posted": request.POST,
    }
    return render_in(request, "outcomes/patient.html", context, zone, status)


# Per area, the four grades a day may hold: (field name, area, state, rater, label).
GRADING_FIELDS = [
    (f"{area}-{state}-{rater}", area, state, rater, f"{label}: {state}, by the {rater}")
    for area, label in AREAS.items()
    for state in ("contraction", "rest")
    for rater in ("injector", "patient")
]


def _grading_from(post) -> dict:
    """The form's fields as the service's grading: the grades chosen (blank ones left out)."""
    grades = []
    for name, area, state, rater, _label in GRADING_FIELDS:
        value = post.get(name, "")
        if value != "":
            grade = int(value) if value.isdigit() else value
            grades.append({"area": area, "state": state, "rater": rater, "grade": grade})
    return {"scored_on": post.get("scored_on", ""), "grades": grades}


# ---------------------------------------------------------------- the due list


# The due list, its invite and invite all: due_views.py.


# ---------------------------------------------------------------- practice analytics


@require_GET
@staff_page(Capability.VIEW_CLINICAL)
@reading_from_replica()
def practice(request):
    today = timezone.now().astimezone(clinic_zone()).date()
    try:
        since = parse_day(request.GET.get("since", ""))
    except ValueError:
        since = analytics.default_since(today)
    since = min(since, today)
    result = analytics.practice(request.actor, since, today)
    sections = []
    for name, title in (("product", "Product"), ("area", "Area"), ("injector", "Injector")):
        groups = result.by[name]
        sections.append(
            {
                "title": title,
                "responders": mark_safe(  # noqa: S308 - charts escape every text
                    charts.bars(
                        [charts.Bar(g.label, g.responders, f"(n = {g.graded})") for g in groups],
                        maximum=100,
                        unit="%",
                        title=f"Responder rate by {title.lower()}",
                    )
                ),
                "durations": mark_safe(  # noqa: S308 - charts escape every text
                    charts.bars(
                        [
                            charts.Bar(g.label, g.median_days, f"d (n = {g.courses})")
                            for g in groups
                        ],
                        maximum=max([g.median_days or 0 for g in groups] + [180]),
                        title=f"Median duration by {title.lower()}",
                    )
                ),
            }
        )
    context = {"result": result, "sections": sections, "since": since, "products": PRODUCT_NAMES}
    return render(request, "outcomes/practice.html", context)
