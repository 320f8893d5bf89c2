"""Forms for the booking pages: they parse what was typed; the services decide what is allowed."""

from datetime import date

from django import forms

from glabella.clinic.models import Location, Service
from glabella.core import forms as house
from glabella.patients.models import Channel

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class FindTimesForm(forms.Form):
    """Step one of online booking: where, what and which day (all from the query string)."""

    area = forms.CharField(label="Your city or ZIP code", max_length=100, required=False)
    location = forms.ModelChoiceField(
        queryset=Location.objects.filter(active=True), to_field_name="slug", required=False
    )
    service = forms.ModelChoiceField(
        queryset=Service.objects.filter(active=True, bookable_online=True),
        to_field_name="slug",
        required=False,
        empty_label=None,
    )
    day = house.DateField(widget=DATE_INPUT, required=False)


class DetailsForm(forms.Form):
    """Step two: who is coming. A time was chosen on the page before."""

    location = forms.ModelChoiceField(
        queryset=Location.objects.filter(active=True),
        to_field_name="slug",
        widget=forms.HiddenInput,
    )
    service = forms.ModelChoiceField(
        queryset=Service.objects.filter(active=True),
        to_field_name="slug",
        widget=forms.HiddenInput,
    )
    start = house.DateTimeField(widget=forms.HiddenInput)
    given_name = forms.CharField(label="First name", max_length=100)
    family_name = forms.CharField(label="Last name", max_length=100)
    birth_date = house.DateField(label="Date of birth", widget=DATE_INPUT)
    email = forms.CharField(
        max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    phone = forms.CharField(
        label="Mobile phone", max_length=30, widget=forms.TextInput(attrs={"type": "tel"})
    )
    postal_code = forms.CharField(label="Home ZIP code", max_length=10)
    preferred_channel = forms.ChoiceField(
        label="Send my confirmation and reminders by",
        choices=Channel.choices,
        widget=forms.RadioSelect,
        initial=Channel.EMAIL,
    )

    def clean_start(self):
        start = self.cleaned_data["start"]
        if start is not None and start.tzinfo is None:
            raise forms.ValidationError("Choose a time from the list.")
        return start


class MoveForm(forms.Form):
    start = house.DateTimeField()


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=300, required=False)


class DayForm(forms.Form):
    day = house.DateField(widget=DATE_INPUT, required=False)

    def day_or(self, default: date) -> date:
        return (self.cleaned_data.get("day") if self.is_valid() else None) or default
