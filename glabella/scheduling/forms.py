"""Forms for the booking pages: they parse what was typed; the services decide what is allowed."""

from datetime import date

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from glabella.clinic.models import Location, Service
from glabella.core import forms as house
from glabella.core import language
from glabella.core.models import StaffMember
from glabella.patients.models import Channel

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class FindTimesForm(forms.Form):
    """Step one of online booking: where, what and which day (all from the query string)."""

    area = forms.CharField(label=_("Your city or ZIP code"), max_length=100, required=False)
    location = forms.ModelChoiceField(
        queryset=Location.objects.filter(active=True), to_field_name="slug", required=False
    )
    service = forms.ModelChoiceField(
        queryset=Service.objects.filter(active=True, bookable_online=True),
        to_field_name="slug",
        required=False,
        empty_label=None,
    )
    provider = forms.UUIDField(required=False)
    day = house.DateField(widget=DATE_INPUT, required=False)


SMS_WORDS = _(
    "Choosing text message below is your consent to texts from us at this number: your "
    "booking confirmation, reminders before your visit and the link to your forms, never "
    "anything about your treatment. Message and data rates may apply. Reply STOP to any text "
    "to stop them (HELP for help); we then write by email."
)
# How the booking form names the two ways to reach her (the record's own labels are the desk's).
CHANNELS = [(Channel.EMAIL, _("Email")), (Channel.SMS, _("Text message"))]


def _language_choices():
    """Each language named in itself, so that a reader of only one of them finds hers."""
    return [(code, language.NATIVE.get(code, name)) for code, name in settings.LANGUAGES]


def _typed(autocomplete: str, **attrs) -> dict:
    return {"autocomplete": autocomplete, **attrs}


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
    provider = forms.UUIDField(required=False, widget=forms.HiddenInput)
    given_name = forms.CharField(
        label=_("First name"),
        max_length=100,
        widget=forms.TextInput(attrs=_typed("given-name", autocapitalize="words")),
    )
    family_name = forms.CharField(
        label=_("Last name"),
        max_length=100,
        widget=forms.TextInput(attrs=_typed("family-name", autocapitalize="words")),
    )
    birth_date = house.DateField(
        label=_("Date of birth"),
        widget=forms.DateInput(attrs={"type": "date", **_typed("bday")}, format="%Y-%m-%d"),
    )
    email = forms.CharField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs=_typed("email", inputmode="email")),
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=30,
        widget=forms.TextInput(
            attrs=_typed(
                "tel", type="tel", inputmode="tel", **{"aria-describedby": "id_phone_hint"}
            )
        ),
        help_text=SMS_WORDS,
    )
    postal_code = forms.CharField(
        label=_("Home ZIP code"),
        max_length=10,
        widget=forms.TextInput(attrs=_typed("postal-code", inputmode="numeric")),
    )
    preferred_channel = forms.ChoiceField(
        label=_("Send my confirmation and reminders by"),
        choices=CHANNELS,
        widget=forms.RadioSelect,
        initial=Channel.EMAIL,
    )
    language = forms.ChoiceField(
        label=_("Language for your messages and forms"),
        choices=_language_choices,
        widget=forms.RadioSelect,
        required=False,  # unanswered: the page's language
        help_text=_("We write to you in this language: your confirmation, reminders and forms."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The page's language unless she chooses another.
        self.fields["language"].initial = language.current()

    def clean_language(self):
        return self.cleaned_data.get("language") or language.current()

    def clean_start(self):
        start = self.cleaned_data["start"]
        if start is not None and start.tzinfo is None:
            raise forms.ValidationError(_("Choose a time from the list."))
        return start

    def clean_provider(self):
        """The chosen provider (None: any); whether they perform the service there is the
        booking service's question."""
        public_id = self.cleaned_data.get("provider")
        if public_id is None:
            return None
        found = StaffMember.objects.filter(public_id=public_id, active=True).first()
        if found is None:
            raise forms.ValidationError(_("Choose one of the listed providers, or any provider."))
        return found


class MoveForm(forms.Form):
    start = house.DateTimeField()


class MoveChoiceForm(forms.Form):
    """The manage page's query string: which days to show, and a time tapped to move to
    (asked to confirm before anything moves)."""

    day = house.DateField(required=False)
    move_to = house.DateTimeField(required=False)

    def clean_move_to(self):
        value = self.cleaned_data.get("move_to")
        if value is not None and value.tzinfo is None:
            raise forms.ValidationError(_("Choose a new time from the list."))
        return value


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=300, required=False)


class DayForm(forms.Form):
    day = house.DateField(widget=DATE_INPUT, required=False)

    def day_or(self, default: date) -> date:
        return (self.cleaned_data.get("day") if self.is_valid() else None) or default
