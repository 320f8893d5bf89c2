"""A lot's page: its facts, its vials in one table, and one form each to reconstitute a sealed
vial, record waste from a reconstituted one and discard one, the vial picked from a list (a lot of
thirty vials is one page of three forms, not thirty stacked ones).

Thin: the forms parse, the stock services decide; a refusal is shown on its field with 422 and
nothing written.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from glabella.catalogue.labels import LABEL_DILUENT, LABELS
from glabella.catalogue.products import Product
from glabella.core.decorators import staff_page
from glabella.core.errors import ValidationFailed
from glabella.core.forms import apply_errors
from glabella.core.rendering import render_in
from glabella.core.roles import Capability
from glabella.inventory import services
from glabella.inventory.models import Lot, Vial
from glabella.inventory.views import OTHER, ReconstitutionForm


def _vial_choices(vials) -> list[tuple[str, str]]:
    return [(str(v.public_id), f"Vial {v.number}") for v in vials]


class LotReconstitutionForm(ReconstitutionForm):
    vial = forms.ChoiceField(label="Sealed vial")
    field_order = ["vial", "diluent", "volume", "other_ml", "reason"]

    def __init__(self, *args, vials, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vial"].choices = _vial_choices(vials)
        self.fields["vial"].error_messages["invalid_choice"] = "Choose a sealed vial of this lot."
        self.order_fields(self.field_order)


class WasteForm(forms.Form):
    vial = forms.ChoiceField(label="Reconstituted vial")
    units = forms.CharField(
        max_length=12,
        label="Units wasted",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 5}),
    )
    reason = forms.CharField(max_length=300, label="Why")

    def __init__(self, *args, vials, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vial"].choices = _vial_choices(vials)
        self.fields["vial"].error_messages["invalid_choice"] = (
            "Choose a reconstituted vial of this lot."
        )


class DiscardForm(forms.Form):
    vial = forms.ChoiceField(label="Vial to discard")
    reason = forms.CharField(max_length=300, label="Reason to discard")

    def __init__(self, *args, vials, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vial"].choices = _vial_choices(vials)
        self.fields["vial"].error_messages["invalid_choice"] = "Choose an open vial of this lot."


def _lot(request, public_id) -> Lot:
    lot = (
        Lot.objects.restrict(request.actor)
        .select_related("location", "received_by")
        .filter(public_id=public_id)
        .first()
    )
    if lot is None:
        raise Http404
    return lot


def _forms(lot: Lot, vials: list[Vial], data=None, action: str = "") -> dict:
    size = LABELS[Product(lot.product)].vial(lot.vial_units)
    sealed = [v for v in vials if v.state == Vial.State.SEALED]
    reconstituted = [v for v in vials if v.state == Vial.State.RECONSTITUTED]
    opened = [v for v in vials if v.state in Vial.OPEN]
    return {
        "reconstitute_form": LotReconstitutionForm(
            data if action == "reconstitute" else None, vials=sealed, size=size, prefix="r"
        )
        if size is not None and sealed
        else None,
        "waste_form": WasteForm(
            data if action == "waste" else None, vials=reconstituted, prefix="w"
        )
        if reconstituted
        else None,
        "discard_form": DiscardForm(data if action == "discard" else None, vials=opened, prefix="d")
        if opened
        else None,
    }


def _show(request, lot: Lot, vials: list[Vial], page_forms: dict, status: int = 200):
    counts = {state: sum(1 for v in vials if v.state == state) for state in Vial.State}
    context = {
        "lot": lot,
        "vials": vials,
        "counts": [(Vial.State(s).label, n) for s, n in counts.items() if n],
        "may_manage": request.actor.can(Capability.MANAGE_STOCK),
        "may_recall": request.actor.can(Capability.VIEW_CLINICAL),
        "label_diluent": LABEL_DILUENT.name,
        **page_forms,
    }
    return render_in(request, "inventory/lot.html", context, lot.location.zone, status)


@require_GET
@staff_page(Capability.VIEW_CLINIC)
def lot(request, public_id):
    current = _lot(request, public_id)
    vials = list(current.vials.order_by("number"))
    return _show(request, current, vials, _forms(current, vials))


ACTIONS = ("reconstitute", "waste", "discard")


@require_POST
@staff_page(Capability.MANAGE_STOCK)
def lot_action(request, public_id, action):
    """Reconstitute, waste or discard the vial picked on the lot's page."""
    if action not in ACTIONS:
        raise Http404
    current = _lot(request, public_id)
    vials = list(current.vials.order_by("number"))
    page_forms = _forms(current, vials, request.POST, action)
    form = page_forms[f"{action}_form"]
    if form is None:  # nothing of this lot can take the action now
        messages.error(request, "No vial of this lot can take that action now.")
        return redirect("inventory:lot", public_id=current.public_id)
    if form.is_valid():
        data = form.cleaned_data
        vial = next(v for v in vials if str(v.public_id) == data["vial"])
        try:
            if action == "reconstitute":
                ml = data["other_ml"] if data["volume"] == OTHER else data["volume"]
                done = services.reconstitute(
                    request.actor, vial, ml, diluent=data["diluent"], reason=data["reason"]
                )
                text = (
                    f"Vial {done.number} reconstituted: {done.units_per_01ml.normalize():f} U "
                    f"per 0.1 mL, charted in steps of {done.unit_step.normalize():f} U."
                )
            elif action == "waste":
                services.waste(request.actor, vial, data["units"], data["reason"])
                text = f"Waste recorded from vial {vial.number}."
            else:
                services.discard(request.actor, vial, data["reason"])
                text = f"Vial {vial.number} discarded."
        except ValidationFailed as exc:
            fields = dict(exc.fields)
            if action == "reconstitute" and "diluent_ml" in fields:
                target = "other_ml" if data["volume"] == OTHER else "volume"
                fields[target] = fields.pop("diluent_ml")
            apply_errors(form, fields)
        else:
            messages.success(request, text)
            return redirect("inventory:lot", public_id=current.public_id)
    return _show(request, current, vials, page_forms, status=422)
