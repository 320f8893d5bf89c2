"""Staff pages for stock: a location's lots and alerts, receiving a delivery, and a lot's vials
with their actions (reconstitute, waste, discard). Thin: forms parse, the services decide."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from glabella.catalogue.labels import DILUENTS, LABEL_DILUENT, LABELS
from glabella.catalogue.products import PRODUCT_NAMES, Product
from glabella.clinic.models import Location
from glabella.core import forms as house
from glabella.core.decorators import staff_page
from glabella.core.errors import DomainError, ValidationFailed, describe
from glabella.core.forms import apply_errors
from glabella.core.pages import refusal_on
from glabella.core.rendering import render_in
from glabella.core.roles import Capability
from glabella.inventory import services
from glabella.inventory.models import Lot, Vial

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReceiveForm(forms.Form):
    """Parses types only; what a delivery needs is the service's to say, all at once."""

    product = forms.ChoiceField(choices=list(PRODUCT_NAMES.items()))
    lot_number = forms.CharField(max_length=40, required=False)
    expires_on = house.DateField(widget=DATE, label="Expiry date", required=False)
    vial_units = forms.TypedChoiceField(
        coerce=int,
        choices=[(n, f"{n} U") for n in (50, 100, 200, 300, 500)],
        label="Units per vial",
    )
    vials_received = forms.IntegerField(label="Vials", required=False)
    ndc = forms.CharField(max_length=20, required=False, label="NDC")
    supplier = forms.CharField(max_length=150, required=False)
    invoice = forms.CharField(max_length=60, required=False)
    unit_cost = forms.DecimalField(
        min_value=0, decimal_places=2, required=False, label="Price per vial"
    )
    received_on = house.DateField(widget=DATE, required=False, label="Received on")
    seal_checked = forms.BooleanField(required=False, label="The seal is intact")
    licence_checked = forms.BooleanField(
        required=False, label="The carton carries the US license number"
    )


def _location(request) -> Location:
    locations = list(Location.objects.filter(active=True).order_by("name"))
    if not locations:
        raise Http404
    wanted = request.GET.get("location") or request.POST.get("location")
    return next((loc for loc in locations if loc.slug == wanted), locations[0])


@require_http_methods(["GET", "POST"])
@staff_page(Capability.VIEW_CLINIC)
def stock(request):
    location = _location(request)
    form = ReceiveForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if not request.actor.can(Capability.MANAGE_STOCK):
            return render(request, "core/forbidden.html", status=403)
        status = 422
        if form.is_valid():
            data = dict(form.cleaned_data)
            data["unit_cost"] = data.get("unit_cost") or 0
            with refusal_on(form, kinds=(ValidationFailed,)) as refused:
                lot = services.receive(request.actor, location, data)
            if not refused:
                messages.success(request, f"Received: {lot}, {lot.vials_received} vials.")
                return redirect(f"{request.path}?location={location.slug}")
    open_states = Q(vials__state__in=Vial.OPEN)
    lots = (
        Lot.objects.restrict(request.actor)
        .filter(location=location)
        .annotate(
            open_vials=Count("vials", filter=open_states),
            sealed=Count("vials", filter=Q(vials__state=Vial.State.SEALED)),
            in_use=Count("vials", filter=Q(vials__state=Vial.State.RECONSTITUTED)),
            units_left=Sum("vials__units_left", filter=open_states),
        )
        .order_by("expires_on", "lot_number")
    )
    context = {
        "location": location,
        "locations": Location.objects.filter(active=True).order_by("name"),
        "lots": [lot for lot in lots if lot.open_vials],
        "closed": [lot for lot in lots if not lot.open_vials][:50],
        "alerts": services.alerts(location),
        "form": form,
        "may_manage": request.actor.can(Capability.MANAGE_STOCK),
    }
    return render_in(request, "inventory/stock.html", context, location.zone, status)


@require_POST
@staff_page(Capability.MANAGE_STOCK)
def vial_action(request, public_id, action):
    vial = (
        Vial.objects.restrict(request.actor)
        .select_related("lot__location")
        .filter(public_id=public_id)
        .first()
    )
    if vial is None or action not in {"reconstitute", "waste", "discard"}:
        raise Http404
    try:
        if action == "reconstitute":
            services.reconstitute(
                request.actor,
                vial,
                request.POST.get("diluent_ml", ""),
                diluent=request.POST.get("diluent", LABEL_DILUENT.key),
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, f"Vial {vial.number} reconstituted.")
        elif action == "waste":
            services.waste(
                request.actor, vial, request.POST.get("units", ""), request.POST.get("reason", "")
            )
            messages.success(request, f"Waste recorded from vial {vial.number}.")
        else:
            services.discard(request.actor, vial, request.POST.get("reason", ""))
            messages.success(request, f"Vial {vial.number} discarded.")
    except DomainError as exc:
        text = describe(exc)
        messages.error(request, f"Vial {vial.number}: {text}")
    return redirect("inventory:lot", public_id=vial.lot.public_id)


OTHER = "other"


class ReconstitutionForm(forms.Form):
    """The diluent and a volume from the label's list (or another, with a reason): parses types
    only; the service decides."""

    diluent = forms.ChoiceField(choices=[(d.key, d.name) for d in DILUENTS])
    volume = forms.ChoiceField(widget=forms.RadioSelect, label="Diluent volume")
    other_ml = forms.CharField(
        required=False,
        max_length=12,
        label="Another volume (mL)",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 5}),
    )
    reason = forms.CharField(
        required=False, max_length=300, label="Reason, for a diluent or volume off the label"
    )

    def __init__(self, *args, size, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["volume"].choices = [
            (
                f"{ml.normalize():f}",
                f"{ml.normalize():f} mL: {size.units_per_01ml(ml).normalize():f} U per 0.1 mL "
                f"(label)",
            )
            for ml in size.diluent_ml
        ] + [(OTHER, "Another volume")]


@require_http_methods(["GET", "POST"])
@staff_page(Capability.MANAGE_STOCK)
def reconstitution(request, public_id):
    """A sealed vial's reconstitution: the diluent and volume chosen from the label's list, the
    concentration each gives, and a warning with a reason for anything off the label."""
    vial = (
        Vial.objects.restrict(request.actor)
        .select_related("lot__location")
        .filter(public_id=public_id)
        .first()
    )
    if vial is None:
        raise Http404
    label = LABELS[Product(vial.lot.product)]
    size = label.vial(vial.lot.vial_units)
    if size is None:
        raise Http404
    form = ReconstitutionForm(request.POST or None, size=size)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            ml = data["other_ml"] if data["volume"] == OTHER else data["volume"]
            try:
                done = services.reconstitute(
                    request.actor, vial, ml, diluent=data["diluent"], reason=data["reason"]
                )
            except ValidationFailed as exc:
                fields = dict(exc.fields)
                if data["volume"] == OTHER and "diluent_ml" in fields:
                    fields["other_ml"] = fields.pop("diluent_ml")
                apply_errors(form, fields)
            else:
                step = done.unit_step.normalize()
                messages.success(
                    request,
                    f"Vial {done.number} reconstituted: {done.units_per_01ml.normalize():f} U "
                    f"per 0.1 mL, charted in steps of {step:f} U.",
                )
                return redirect("inventory:lot", public_id=vial.lot.public_id)
    low, high = size.volume_range
    context = {
        "vial": vial,
        "lot": vial.lot,
        "label": label,
        "label_diluent": LABEL_DILUENT.name,
        "form": form,
        "range": (low.normalize(), high.normalize()),
    }
    zone = vial.lot.location.zone
    return render_in(request, "inventory/reconstitution.html", context, zone, status)
