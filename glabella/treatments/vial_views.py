"""The chart's vial panel: the location's open vials of the record's product, why there is none,
and reconstituting a sealed one there (an HTMX partial; without JavaScript, its own page).

Thin: `chart_vials` says what is open and why not, and reconstitutes through the stock service.
After a reconstitution the partial also brings the chart's vial menu again (an out-of-band swap),
with the new vial chosen, so nothing typed on the chart is lost.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from glabella.core import audit
from glabella.core.decorators import staff_page
from glabella.core.errors import DomainError, ValidationFailed
from glabella.core.rendering import render_in
from glabella.core.roles import Capability
from glabella.treatments import chart_vials, charting
from glabella.treatments.forms import DraftForm


def panel(record, *, chosen: str = "", menu=None, may: bool = True) -> dict:
    """What the vial panel shows for this record: its menu, the sealed vial chosen to
    reconstitute, and the label's volumes for that vial's size."""
    menu = menu or chart_vials.menu(record)
    vial = next((v for v in menu.sealed if str(v.public_id) == chosen), None) or next(
        iter(menu.sealed), None
    )
    return {
        "vial_menu": menu,
        "sealed_choice": vial,
        "volumes": chart_vials.volumes(vial) if vial is not None else [],
        "sealed_rows": [(v, menu.sealed_counts.get(v.lot_id, 0)) for v in menu.sealed],
        "may_reconstitute": may,
    }


@require_http_methods(["GET", "POST"])
@staff_page(Capability.CHART)
def vials(request, public_id):
    actor = request.actor
    try:
        record = charting.open_record(actor, public_id)
    except DomainError:
        raise Http404 from None
    # Whoever charts may look; only the injector charting this draft reconstitutes for it.
    may = not record.locked and record.injector_id == getattr(actor.staff, "pk", None)
    if request.method == "POST" and not may:
        return render(request, "core/forbidden.html", status=403)
    status, errors, done = 200, {}, None
    chosen = request.POST.get("sealed_vial") or request.GET.get("sealed_vial") or ""
    if request.method == "POST":
        try:
            done = chart_vials.reconstitute_for(
                actor, record, chosen, request.POST.get("diluent_ml", "")
            )
        except ValidationFailed as exc:
            status, errors = 422, exc.fields
        else:
            text = (
                f"Vial {done.number} of lot {done.lot.lot_number} reconstituted: "
                f"{done.units_per_01ml.normalize():f} U per 0.1 mL."
            )
            if not request.headers.get("HX-Request"):
                messages.success(request, text)
                return redirect("treatments:record", public_id=record.public_id)
    else:
        audit.record_patient(
            actor,
            audit.Action.READ,
            record.patient,
            object_type=audit.Kind.TREATMENT,
            object_id=record.public_id,
            detail={"part": "vials"},
        )
    context = {
        **panel(record, chosen=chosen if errors or request.method == "GET" else "", may=may),
        "record": record,
        "vial_errors": errors,
        "chosen_ml": request.POST.get("diluent_ml", ""),
        "done": done,
        "done_text": text if done else "",
    }
    if done is not None:  # the chart's vial menu again, the new vial chosen
        context["vial_oob"] = True
        context["draft_form"] = DraftForm(
            initial={"vial": str(done.public_id)}, vials=context["vial_menu"].open
        )
    template = (
        "treatments/_vials.html" if request.headers.get("HX-Request") else "treatments/vials.html"
    )
    return render_in(request, template, context, record.appointment.location.zone, status)
