"""The day's close (the desk: TAKE_PAYMENT) and the owner's money reports (VIEW_REVENUE):
revenue by product, provider and month, the reconciliation of units, each with its CSV. Thin:
forms parse, `close.py` and `reports.py` decide."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods

from glabella.billing import close, reports
from glabella.billing.models import DayClose, Payment
from glabella.billing.page_forms import CloseForm
from glabella.clinic.clock import local_today
from glabella.clinic.models import Location
from glabella.core.decorators import staff_page
from glabella.core.errors import ValidationFailed
from glabella.core.pages import refusal_on
from glabella.core.rendering import render_in
from glabella.core.replica import reading_from_replica
from glabella.core.roles import Capability

BY = {"product": "By product", "provider": "By provider", "month": "By month"}


def _locations() -> list[Location]:
    found = list(Location.objects.filter(active=True).order_by("name"))
    if not found:
        raise Http404("Add a location first.")
    return found


def _chosen(locations, slug) -> Location:
    return next((loc for loc in locations if loc.slug == slug), locations[0])


def _csv(body: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_http_methods(["GET", "POST"])
@staff_page(Capability.TAKE_PAYMENT)
def day(request):
    """A location's day: its takings by method, and the close recorded or the form to record it."""
    locations = _locations()
    source = request.POST if request.method == "POST" else request.GET
    location = _chosen(locations, source.get("location"))
    today = local_today(location)
    status = 200
    form = CloseForm()
    try:
        the_day = close.parse_day(source.get("day") or today, location)
    except ValidationFailed as exc:
        if request.method == "POST":
            form = CloseForm(request.POST)
            form.is_valid()
            form.add_error(None, exc.fields["day"][0])
            status = 422
        else:
            messages.error(request, exc.fields["day"][0])
        the_day = today
    else:
        if request.method == "POST":
            form = CloseForm(request.POST)
            status = 422
            if form.is_valid():
                data = form.cleaned_data
                with refusal_on(form) as refused:
                    close.close_day(
                        request.actor,
                        location,
                        the_day,
                        card=data["card"],
                        cash=data["cash"],
                        gift_card=data["gift_card"],
                        note=data["note"],
                    )
                if not refused:
                    messages.success(request, "The day is closed and its counts recorded.")
                    return redirect(
                        f"{request.path}?location={location.slug}&day={the_day.isoformat()}"
                    )
                status = refused.status
    found = close.takings(location, the_day)
    recorded = DayClose.objects.filter(location=location, day=the_day).first()
    methods = [
        {"label": label, "amount": found.of(value), "counted": value in close.COUNTED}
        for value, label in Payment.Method.choices
        if value not in close.PREPAID
    ]
    prepaid = [
        {"label": label, "amount": found.of(value)}
        for value, label in Payment.Method.choices
        if value in close.PREPAID and found.of(value)
    ]
    changed = recorded is not None and any(
        getattr(recorded, f"takings_{m}") != found.of(m) for m in close.COUNTED
    )
    context = {
        "locations": locations,
        "location": location,
        "day": the_day,
        "today": today,
        "takings": found,
        "methods": methods,
        "prepaid": prepaid,
        "recorded": recorded,
        "changed": changed,
        "form": form,
        "may_see_reports": request.actor.can(Capability.VIEW_REVENUE),
    }
    return render_in(request, "billing/close.html", context, location.zone, status)


@require_GET
@staff_page(Capability.VIEW_REVENUE)
@reading_from_replica()
def closes(request):
    locations = _locations()
    location = next((loc for loc in locations if loc.slug == request.GET.get("location")), None)
    context = {
        "locations": locations,
        "location": location,
        "closes": close.closes(request.actor, location),
    }
    return render_in(request, "billing/closes.html", context, location.zone if location else None)


@require_GET
@staff_page(Capability.VIEW_REVENUE)
@reading_from_replica()
def revenue(request):
    locations = _locations()
    location = next((loc for loc in locations if loc.slug == request.GET.get("location")), None)
    by = request.GET.get("by") if request.GET.get("by") in BY else "product"
    context = {"locations": locations, "location": location, "by": by, "views": BY}
    try:
        period = reports.parse_period(
            request.GET.get("start"),
            request.GET.get("end"),
            today=local_today(location),
            longest=reports.MAX_REPORT_DAYS,
        )
    except ValidationFailed as exc:
        context.update(
            errors=exc.fields, start=request.GET.get("start"), end=request.GET.get("end")
        )
        return render_in(request, "billing/revenue.html", context, None, 422)
    rows = reports.revenue(request.actor, by, period, location)
    prepaid = reports.prepaid_sold(request.actor, period, location)
    if request.GET.get("format") == "csv":
        name = f"revenue-by-{by}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
        return _csv(reports.revenue_csv(by, rows, prepaid), name)
    context.update(period=period, rows=rows, prepaid=prepaid, start=period.start, end=period.end)
    return render_in(request, "billing/revenue.html", context, location.zone if location else None)


@require_GET
@staff_page(Capability.VIEW_REVENUE)
@reading_from_replica()
def reconciliation(request):
    locations = _locations()
    location = _chosen(locations, request.GET.get("location"))
    context = {"locations": locations, "location": location}
    today = local_today(location)
    try:
        period = reports.parse_period(
            request.GET.get("start") or request.GET.get("end") or today.isoformat(),
            request.GET.get("end"),
            today=today,
            longest=reports.MAX_RECONCILE_DAYS,
        )
    except ValidationFailed as exc:
        context.update(
            errors=exc.fields, start=request.GET.get("start"), end=request.GET.get("end")
        )
        return render_in(request, "billing/reconciliation.html", context, location.zone, 422)
    found = reports.reconciliation(request.actor, location, period)
    if request.GET.get("format") == "csv":
        dates = f"{period.start.isoformat()}-{period.end.isoformat()}"
        name = f"reconciliation-{location.slug}-{dates}.csv"
        return _csv(reports.reconciliation_csv(found), name)
    rows = [
        {
            "difference": d,
            "treatment": found.treatments.get(d.treatment or ""),
            "invoice": found.invoices.get(d.invoice or ""),
            "patient": found.patients.get(d.patient),
        }
        for d in found.result.differences
    ]
    context.update(period=period, found=found, rows=rows, start=period.start, end=period.end)
    return render_in(request, "billing/reconciliation.html", context, location.zone)
