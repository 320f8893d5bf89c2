"""The staff pages' forms: they parse types only; `core.staff` and `core.tokens` decide."""

from django import forms
from django.conf import settings
from django.contrib.auth.forms import SetPasswordForm
from django.core.validators import MaxValueValidator

from glabella.core import tokens
from glabella.core.models import StaffMember
from glabella.core.roles import PRESCRIBING_CREDENTIALS, Capability, Credential, Role


def _prescribers(exclude=None):
    found = StaffMember.objects.filter(
        active=True, credential__in=[c.value for c in PRESCRIBING_CREDENTIALS]
    )
    if exclude is not None:
        found = found.exclude(pk=exclude.pk)
    return [("", "None"), *((str(s.public_id), str(s)) for s in found)]


class StaffDetailsForm(forms.Form):
    full_name = forms.CharField(label="Full name", max_length=150)
    role = forms.ChoiceField(label="Role", choices=Role.choices)
    credential = forms.ChoiceField(
        label="Credential", choices=[("", "None"), *Credential.choices], required=False
    )
    licence_number = forms.CharField(label="License number", max_length=40, required=False)
    licence_state = forms.CharField(
        label="License state", max_length=2, required=False, help_text="Two letters, e.g. CA"
    )
    licence_expires = forms.DateField(
        label="License expires",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    supervising_prescriber = forms.ChoiceField(
        label="Supervising prescriber (for an RN injector)", required=False
    )
    mobile_phone = forms.CharField(
        label="Mobile phone", max_length=20, required=False, help_text="For urgent alerts on call"
    )

    def __init__(self, *args, staff=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supervising_prescriber"].choices = _prescribers(exclude=staff)

    def details(self) -> dict:
        """The cleaned data as `core.staff` takes it (the supervisor as a StaffMember)."""
        data = {k: v for k, v in self.cleaned_data.items() if k != "email"}
        chosen = data.get("supervising_prescriber")
        data["supervising_prescriber"] = (
            StaffMember.objects.filter(public_id=chosen).first() if chosen else None
        )
        return data

    @staticmethod
    def initial_for(staff: StaffMember) -> dict:
        return {
            "full_name": staff.full_name,
            "role": staff.role,
            "credential": staff.credential,
            "licence_number": staff.licence_number,
            "licence_state": staff.licence_state,
            "licence_expires": staff.licence_expires,
            "supervising_prescriber": (
                str(staff.supervising_prescriber.public_id) if staff.supervising_prescriber else ""
            ),
            "mobile_phone": staff.mobile_phone,
        }


class InviteForm(StaffDetailsForm):
    email = forms.EmailField(label="Email (their sign-in name)", max_length=150)
    field_order = ["email"]


class TokenForm(forms.Form):
    staff = forms.ChoiceField(label="Acts as")
    name = forms.CharField(label="What it is for", max_length=100)
    preset = forms.ChoiceField(
        label="May",
        choices=[
            (tokens.READ, "Read only (what the person may see)"),
            (tokens.WRITE, "Read and write (all the person's role may do)"),
            ("chosen", "Only what is ticked below"),
        ],
        widget=forms.RadioSelect,
        initial=tokens.READ,
    )
    scope = forms.MultipleChoiceField(
        label="Chosen permissions",
        choices=[(c.value, tokens.CAPABILITY_WORDS.get(c, c.name)) for c in Capability],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    days = forms.IntegerField(label="Works for (days)", min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        active = StaffMember.objects.filter(active=True, user__is_active=True)
        self.fields["staff"].choices = [(str(s.public_id), str(s)) for s in active]
        longest = settings.API_TOKEN_MAX_DAYS
        self.fields["days"].validators.append(MaxValueValidator(longest))
        self.fields["days"].widget.attrs.update({"min": 1, "max": longest})
        self.fields["days"].initial = settings.API_TOKEN_DAYS
        self.fields["days"].help_text = f"At most {longest}."


class WelcomeForm(SetPasswordForm):
    """The invited person's first password, checked by AUTH_PASSWORD_VALIDATORS."""
