"""Forms for the charting page: they parse rows of points and the signing reasons; the services
decide what is allowed."""

from django import forms

from glabella.catalogue.areas import CHART_AREA_NAMES, NAMES, ChartArea

AREA_CHOICES = [(a.value, CHART_AREA_NAMES[a]) for a in ChartArea]


class PointForm(forms.Form):
    area = forms.ChoiceField(choices=[("", "Area"), *AREA_CHOICES], required=False)
    units = forms.CharField(
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 5}),
    )
    x = forms.CharField(required=False, widget=forms.HiddenInput)
    y = forms.CharField(required=False, widget=forms.HiddenInput)
    depth = forms.CharField(required=False, max_length=60)
    remove = forms.BooleanField(required=False, label="Remove")

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not data.get("area") and not data.get("units")


PointFormSet = forms.formset_factory(PointForm, extra=3, max_num=100, absolute_max=120)


BAND_CHOICES = [("", "Not recorded"), ("1", "1"), ("2", "2")]


class DraftForm(forms.Form):
    vial = forms.ChoiceField(required=False, label="Vial drawn from")
    vials = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Then from these vials, in this order, when it runs out",
    )
    notes_before = forms.CharField(
        required=False, label="Before", widget=forms.Textarea(attrs={"rows": 2})
    )
    notes_after = forms.CharField(
        required=False, label="After", widget=forms.Textarea(attrs={"rows": 2})
    )

    # Checked by the charting service (1 or 2 a side), which puts its message on the field.
    bands_left = forms.CharField(
        required=False,
        label=f"{NAMES['platysma'].plain}, patient's left",
        widget=forms.Select(choices=BAND_CHOICES),
    )
    bands_right = forms.CharField(
        required=False,
        label=f"{NAMES['platysma'].plain}, patient's right",
        widget=forms.Select(choices=BAND_CHOICES),
    )

    def __init__(self, *args, vials=(), **kwargs):
        super().__init__(*args, **kwargs)
        listed = [(str(v.public_id), _vial_text(v)) for v in vials]
        self.fields["vial"].choices = [("", "Choose the vial"), *listed]
        self.fields["vials"].choices = listed


def _vial_text(vial) -> str:
    text = f"Lot {vial.lot.lot_number}, vial {vial.number}: {vial.units_left.normalize():f} U left"
    if vial.units_per_01ml is not None:
        text += f", {vial.units_per_01ml.normalize():f} U per 0.1 mL"
    return text
