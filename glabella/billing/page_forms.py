"""The forms of the owner's price pages and the desk's close: they parse types only; the
services (`prices.py`, `close.py`) decide what is allowed, field by field."""

from django import forms

from glabella.billing.models import Promotion
from glabella.catalogue.products import PRODUCT_NAMES


class PriceForm(forms.Form):
    product = forms.ChoiceField(choices=[(str(k), v) for k, v in PRODUCT_NAMES.items()])
    per_unit = forms.CharField(label="Price a unit ($)", max_length=20)
    member_per_unit = forms.CharField(
        label="Member price a unit ($, optional)", max_length=20, required=False
    )
    taxable = forms.BooleanField(label="Sales tax applies", required=False)


class SalesTaxForm(forms.Form):
    percent = forms.CharField(label="Sales tax (percent)", max_length=10)


class PromotionForm(forms.Form):
    code = forms.CharField(label="Code", max_length=30)
    description = forms.CharField(label="What the receipt says", max_length=200)
    kind = forms.ChoiceField(label="Kind", choices=Promotion.Kind.choices, widget=forms.RadioSelect)
    value = forms.CharField(label="Percent or amount off", max_length=20)
    starts_on = forms.CharField(
        label="First day", max_length=10, widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.CharField(
        label="Last day", max_length=10, widget=forms.DateInput(attrs={"type": "date"})
    )
    max_uses = forms.CharField(label="Most uses (blank: no limit)", max_length=10, required=False)
    active = forms.BooleanField(label="Active", required=False, initial=True)


class CloseForm(forms.Form):
    card = forms.CharField(
        label="Card: the terminal's batch total ($)", max_length=20, required=False
    )
    cash = forms.CharField(label="Cash: counted in the drawer ($)", max_length=20, required=False)
    gift_card = forms.CharField(
        label="Gift cards: the slips' total ($)", max_length=20, required=False
    )
    note = forms.CharField(
        label="Note (needed when the counts differ)",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
