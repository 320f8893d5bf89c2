"""Forms of the staff calendar and the waitlist page: they parse what was typed or tapped; the
booking and waitlist services decide what is allowed."""

from django import forms

from glabella.clinic.models import Location, Service
from glabella.core import forms as house
from glabella.core.models import StaffMember
from glabella.patients.models import Patient

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_INPUT = forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M")
PROVIDER_ROLES = ("medical_director", "injector")


def providers_at(location):
    return StaffMember.objects.filter(
        active=True, role__in=PROVIDER_ROLES, locations=location
    ).order_by("full_name")


class ProviderChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.full_name}, {obj.credential}" if obj.credential else obj.full_name


class GridForm(forms.Form):
    """What the calendar shows (all from the query string; a bad value falls back)."""

    location = forms.ModelChoiceField(
        queryset=Location.objects.filter(active=True), to_field_name="slug", required=False
    )
    day = house.DateField(widget=DATE_INPUT, required=False)
    view = forms.ChoiceField(choices=[("day", "Day"), ("week", "Week")], required=False)
    service = forms.ModelChoiceField(
        queryset=Service.objects.filter(active=True), to_field_name="slug", required=False
    )
    provider = forms.ModelChoiceField(
        queryset=StaffMember.objects.filter(active=True, role__in=PROVIDER_ROLES),
        to_field_name="public_id",
        required=False,
    )

    def value(self, name, default=None):
        if not self.is_bound:
            return default
        self.is_valid()  # a bad value is left out of cleaned_data: the default stands
        return self.cleaned_data.get(name) or default


class BookAtForm(forms.Form):
    """The confirm step of a tap on a free time: who, what, with whom, when."""

    location = forms.ModelChoiceField(
        queryset=Location.objects.filter(active=True),
        to_field_name="slug",
        widget=forms.HiddenInput,
    )
    patient = forms.ModelChoiceField(
        queryset=Patient.objects.all(),
        to_field_name="public_id",
        widget=forms.HiddenInput,
        error_messages={"required": "Choose the patient.", "invalid_choice": "Choose the patient."},
    )
    service = forms.ModelChoiceField(
        queryset=Service.objects.filter(active=True).order_by("name"),
        to_field_name="slug",
        empty_label=None,
        error_messages={"required": "Choose a service.", "invalid_choice": "Choose a service."},
    )
    provider = ProviderChoice(
        queryset=StaffMember.objects.filter(active=True, role__in=PROVIDER_ROLES),
        to_field_name="public_id",
        empty_label=None,
        error_messages={
            "required": "Choose the provider.",
            "invalid_choice": "Choose the provider.",
        },
    )
    start = house.DateTimeField(
        widget=forms.HiddenInput,
        error_messages={"required": "Choose a time.", "invalid": "Choose a time."},
    )

    def __init__(self, *args, location=None, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        if location is not None:
            self.fields["provider"].queryset = providers_at(location)
        if actor is not None:  # only the patients this person may book for
            self.fields["patient"].queryset = Patient.objects.restrict(actor, "change")

    def clean_start(self):
        start = self.cleaned_data["start"]
        if start is not None and start.tzinfo is None:
            raise forms.ValidationError("Choose a time.")
        return start


class MoveVisitForm(forms.Form):
    """A visit's new day, time and provider (the Move page, or a drop on the grid)."""

    day = house.DateField(
        widget=DATE_INPUT, error_messages={"required": "Give the day.", "invalid": "Give a date."}
    )
    time = forms.TimeField(
        widget=TIME_INPUT,
        error_messages={"required": "Give the time.", "invalid": "Give a time like 10:30 AM."},
    )
    provider = ProviderChoice(
        queryset=StaffMember.objects.filter(active=True, role__in=PROVIDER_ROLES),
        to_field_name="public_id",
        empty_label=None,
        error_messages={
            "required": "Choose the provider.",
            "invalid_choice": "Choose the provider.",
        },
    )

    def __init__(self, *args, location=None, **kwargs):
        super().__init__(*args, **kwargs)
        if location is not None:
            self.fields["provider"].queryset = providers_at(location)


class CancelVisitForm(forms.Form):
    BY = [("clinic", "The clinic cancels"), ("patient", "The patient called to cancel")]

    by = forms.ChoiceField(
        label="Who cancels",
        choices=BY,
        initial="clinic",
        widget=forms.RadioSelect,
        error_messages={"required": "Say who cancels.", "invalid_choice": "Say who cancels."},
    )
    reason = forms.CharField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Give the reason for canceling.",
            "max_length": "Keep the reason to 300 characters.",
        },
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Give the reason for canceling.")
        return reason


class OfferForm(forms.Form):
    start = house.DateTimeField(
        error_messages={"required": "Choose a time to offer.", "invalid": "Choose a time to offer."}
    )


class RemoveEntryForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Give the reason for removing this patient from the waitlist.",
            "max_length": "Keep the reason to 300 characters.",
        },
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(
                "Give the reason for removing this patient from the waitlist."
            )
        return reason
