"""Forms for the staff pages: they parse what was typed; the services decide what is allowed."""

from django import forms
from django.conf import settings

from glabella.clinic.models import Location
from glabella.core import forms as house
from glabella.patients.models import (
    Allergy,
    BreastfeedingStatus,
    Channel,
    PregnancyStatus,
    Sex,
)

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PatientForm(forms.Form):
    given_name = forms.CharField(max_length=100)
    family_name = forms.CharField(max_length=100)
    preferred_name = forms.CharField(max_length=100, required=False)
    birth_date = house.DateField(label="Date of birth", widget=DATE_INPUT)
    sex = forms.ChoiceField(choices=Sex.choices, initial=Sex.UNKNOWN)
    phone = forms.CharField(
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    email = forms.CharField(
        max_length=254, required=False, widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    address_line1 = forms.CharField(label="Address", max_length=200, required=False)
    address_line2 = forms.CharField(label="Address (line 2)", max_length=200, required=False)
    city = forms.CharField(max_length=100, required=False)
    state = forms.CharField(max_length=2, required=False)
    postal_code = forms.CharField(label="ZIP code", max_length=10, required=False)
    emergency_contact_name = forms.CharField(max_length=150, required=False)
    emergency_contact_phone = forms.CharField(
        max_length=30, required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )
    preferred_location = forms.ModelChoiceField(
        queryset=Location.objects.filter(active=True), required=False, to_field_name="public_id"
    )
    preferred_channel = forms.ChoiceField(label="Preferred channel", choices=Channel.choices)
    language = forms.ChoiceField(
        label="Language for messages and documents",
        choices=settings.LANGUAGES,
        initial=settings.LANGUAGE_CODE,
        required=False,
    )
    email_consent = forms.BooleanField(label="Agrees to email", required=False)
    sms_consent = forms.BooleanField(label="Agrees to text messages", required=False)
    marketing_consent = forms.BooleanField(label="Agrees to offers and news", required=False)


class ReproductiveStatusForm(forms.Form):
    pregnancy_status = forms.ChoiceField(choices=PregnancyStatus.choices)
    breastfeeding_status = forms.ChoiceField(choices=BreastfeedingStatus.choices)


class AllergyForm(forms.Form):
    name = forms.CharField(label="Allergy to", max_length=150)
    reaction = forms.CharField(max_length=200, required=False)
    severity = forms.ChoiceField(choices=Allergy.Severity.choices, initial=Allergy.Severity.UNKNOWN)
    notes = forms.CharField(max_length=500, required=False)


class ConditionForm(forms.Form):
    name = forms.CharField(label="Condition", max_length=150)
    since = house.DateField(required=False, widget=DATE_INPUT)
    notes = forms.CharField(max_length=500, required=False)


class MedicationForm(forms.Form):
    name = forms.CharField(label="Medication", max_length=150)
    dose = forms.CharField(max_length=100, required=False)
    since = house.DateField(required=False, widget=DATE_INPUT)
    notes = forms.CharField(max_length=500, required=False)


class PageForm(forms.Form):
    """?page= on a long list: a page number, or nothing for the first page."""

    page = forms.IntegerField(
        min_value=1,
        max_value=1_000_000,
        required=False,
        error_messages={"invalid": "Use a page number: 1, 2, 3..."},
    )


CLINICAL_FORMS = {"allergy": AllergyForm, "condition": ConditionForm, "medication": MedicationForm}


class StaffNoteForm(forms.Form):
    # Length and content are the service's to judge (notes.add_note), so its words show.
    text = forms.CharField(
        label="Note",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
    )
