"""Staff pages about treatments across the clinic rather than one visit: who was treated from
a lot (and the recall notice), the reports, and the house maximums the medical director sets."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods

from glabella.catalogue.products import Product
from glabella.clinic.models import Location
from glabella.core import audit
from glabella.core.decorators import staff_page
from glabella.core.errors import ValidationFailed
from glabella.core.pages import refusal_on
from glabella.core.replica import reading_from_replica
from glabella.core.roles import Capability
from glabella.inventory.models import Lot
from glabella.treatments import protocol as house
from glabella.treatments import recall as lot_recall
from glabella.treatments.models import ProtocolChange
from glabella.treatments.views import show


@require_http_methods(["GET", "POST"])
@staff_page(Capability.VIEW_CLINICAL)
def recall(request, lot_id):
    """Who was treated from a lot; as CSV; and the recall notice to all of them."""
    lot = (
        Lot.objects.restrict(request.actor)
        .select_related("location")
        .filter(public_id=lot_id)
        .first()
    )
    if lot is None:
        raise Http404
    if request.method == "POST":
        queued = lot_recall.notify_recall(request.actor, lot)
        messages.success(request, f"Recall notices queued for {queued} patients.")
        return redirect("treatments:recall", lot_id=lot.public_id)
    treated = lot_recall.recall(lot)
    export = request.GET.get("format") == "csv"
    audit.record_listing(
        request.actor,
        audit.Kind.RECALL,
        (t.patient_public_id for t in treated),
        action=audit.Action.EXPORT if export else audit.Action.READ,
        object_id=lot.public_id,
        detail={"count": len(treated)},
    )
    if export:
        response = HttpResponse(lot_recall.recall_csv(treated), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="recall-{lot.lot_number}.csv"'
        return response
    context = {
        "lot": lot,
        "treated": treated,
        "may_notify": request.actor.can(Capability.MANAGE_STOCK),
    }
    return show(request, "treatments/recall.html", context, location=lot.location)


@require_GET
@staff_page(Capability.VIEW_CLINICAL)
@reading_from_replica()
def reports(request):
    """Units by month, product, area and injector; waste; the value of sealed stock."""
    from glabella.treatments.reports import figures, months, units_csv

    locations = list(Location.objects.filter(active=True).order_by("name"))
    location = next((loc for loc in locations if loc.slug == request.GET.get("location")), None)
    found = figures(location, organisation_id=request.actor.organisation_id)
    if request.GET.get("format") == "csv":
        response = HttpResponse(units_csv(found.units_by), content_type="text/csv")
        name = f"units-{location.slug if location else 'all-locations'}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    # One month of the units table per page, newest first; the totals of every month above it.
    by_month = months(found.units_by)
    page = Paginator(by_month, 1).get_page(request.GET.get("page"))
    context = {
        "figures": found,
        "months": by_month,
        "page": page,
        "shown": page.object_list[0] if page.object_list else None,
        "locations": locations,
        "location": location,
        "names": {p.value: p.label for p in Product},
    }
    return show(request, "treatments/reports.html", context, location=location)


@require_http_methods(["GET", "POST"])
@staff_page(Capability.VIEW_CLINICAL)
def protocol(request):
    """The clinic's house maximums per product and area, label and off-label, in a session and
    in one point (the medical director sets them; the shipped defaults are clinic policy)."""
    status, errors = 200, {}
    if request.method == "POST":
        with refusal_on(kinds=(ValidationFailed,)) as refused:
            house.set_house_dose(
                request.actor,
                request.POST.get("product"),
                request.POST.get("area"),
                request.POST.get("house_max") or None,
                request.POST.get("reason", ""),
                point_max=request.POST.get("point_max") or None,
            )
        if not refused:
            messages.success(request, "The house maximum is recorded.")
            return redirect("treatments:protocol")
        errors, status = refused.fields, refused.status
    context = {
        "rows": house.house_limits(),
        "errors": errors,
        "may_change": request.actor.can(Capability.SET_PROTOCOL),
        "history": ProtocolChange.objects.order_by("-at", "-id")[:30],
    }
    return show(request, "treatments/protocol.html", context, status)
