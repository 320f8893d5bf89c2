"""The forms of the owner's price pages, the desk's close and the prepaid pages: they parse types
only; the services (`prices.py`, `close.py`, `packages.py`, `memberships.py`) decide what is
allowed, field by field."""

from django import forms

from glabella.billing.models import Promotion
from glabella.catalogue.products import PRODUCT_NAMES

PRODUCTS = [(str(k), v) for k, v in PRODUCT_NAMES.items()]
AMOUNT = forms.TextInput(attrs={"inputmode": "decimal", "size": 10, "autocomplete": "off"})
UNITS = forms.TextInput(attrs={"inputmode": "decimal", "size": 6, "autocomplete": "off"})


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


# ---------------------------------------------------------------- prepaid plans (the owner's)


class PackagePlanForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200, required=False)
    product = forms.ChoiceField(
        label="Units of a product",
        choices=[("", "None: visits of a service"), *PRODUCTS],
        required=False,
    )
    service = forms.TypedChoiceField(
        label="Or visits of a service", coerce=int, required=False, empty_value=None
    )
    units = forms.CharField(label="Units, or visits", max_length=12, required=False, widget=UNITS)
    price = forms.CharField(label="Price ($)", max_length=20, required=False, widget=AMOUNT)
    valid_days = forms.CharField(
        label="Good for (days from when it is paid)",
        max_length=6,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 6}),
    )

    def __init__(self, *args, services=(), **kwargs):
        kwargs.setdefault("auto_id", "package-%s")
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [
            ("", "None: units of a product"),
            *((s.pk, s.name) for s in services),
        ]


class MembershipPlanForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200, required=False)
    monthly_fee = forms.CharField(
        label="Monthly fee ($)", max_length=20, required=False, widget=AMOUNT
    )
    percent_off = forms.CharField(
        label="Members' percent off the list price (optional)",
        max_length=10,
        required=False,
        widget=AMOUNT,
    )
    credit_product = forms.ChoiceField(
        label="Monthly credit in (optional)",
        choices=[("", "No monthly credit"), *PRODUCTS],
        required=False,
    )
    monthly_credit = forms.CharField(
        label="Units of credit each month (optional)", max_length=12, required=False, widget=UNITS
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "membership-%s")
        super().__init__(*args, **kwargs)


class PlanOnSaleForm(forms.Form):
    """Stop selling a plan, or sell it again (no field a person fills in: the buttons say)."""

    kind = forms.ChoiceField(choices=[("package", "Package"), ("membership", "Membership")])
    plan = forms.IntegerField(min_value=1)
    on_sale = forms.TypedChoiceField(
        choices=[("yes", "On sale"), ("no", "Not on sale")], coerce=lambda v: v == "yes"
    )


# ---------------------------------------------------------------- a patient's (the desk's)


class EnrolForm(forms.Form):
    plan = forms.TypedChoiceField(label="Membership", coerce=int, required=False, empty_value=None)
    location = forms.TypedChoiceField(
        label="Location", coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, plans=(), locations=(), **kwargs):
        kwargs.setdefault("auto_id", "enrol-%s")
        super().__init__(*args, **kwargs)
        self.fields["plan"].choices = [
            ("", "Choose a membership"),
            *((p.pk, f"{p.name} (${p.monthly_fee:,.2f} a month)") for p in plans),
        ]
        self.fields["location"].choices = [(loc.pk, loc.name) for loc in locations]


class CancelMembershipForm(forms.Form):
    reason = forms.CharField(
        label="Why is it canceled? (optional)",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "cancel-%s")
        super().__init__(*args, **kwargs)


class PackageAdjustForm(forms.Form):
    units = forms.CharField(
        label="Units to add (or take off, with a minus: -5)",
        max_length=12,
        required=False,
        widget=UNITS,
    )
    reason = forms.CharField(
        label="Reason", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    refund = forms.BooleanField(label="Units given back for a refunded treatment", required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "adjust-%s")
        super().__init__(*args, **kwargs)


class MembershipAdjustForm(forms.Form):
    units = forms.CharField(
        label="Units of credit to add (or take off, with a minus: -5)",
        max_length=12,
        required=False,
        widget=UNITS,
    )
    reason = forms.CharField(
        label="Reason", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "adjust-%s")
        super().__init__(*args, **kwargs)
