"""The public and portal forms: type parsing only; the services decide what is allowed."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from glabella.clinic.models import Location
from glabella.core.language import NATIVE
from glabella.patients.models import Channel


class AreaForm(forms.Form):
    area = forms.CharField(
        label=_("Your city or ZIP code"),
        required=False,  # the service says what is missing, in its words
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "text"}),
    )


class ContactForm(forms.Form):
    # Lengths and choices are the service's to check, with its messages.
    name = forms.CharField(label=_("Your name"), required=False)
    email = forms.CharField(
        label=_("Email"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Phone (optional)"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    location = forms.CharField(label=_("Location"), required=False, widget=forms.Select)
    message = forms.CharField(
        label=_("Your message"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": 3000}),
        help_text=_("Please do not send medical details here; we will call you back."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].widget.choices = [("", _("Any location"))] + [
            (loc.slug, loc.name) for loc in Location.objects.filter(active=True).order_by("name")
        ]


class SignInForm(forms.Form):
    email = forms.CharField(
        label=_("Email"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "username"}),
    )
    method = forms.ChoiceField(
        label=_("How would you like to sign in?"),
        choices=[("link", _("Email me a link")), ("password", _("Use my password"))],
        initial="link",
        required=False,  # none chosen: the link
        widget=forms.RadioSelect,
    )
    password = forms.CharField(
        label=_("Password (only if you chose one)"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PreferencesForm(forms.Form):
    preferred_channel = forms.ChoiceField(
        label=_("For appointments and care, reach me by"),
        choices=Channel.choices,
        widget=forms.RadioSelect,
    )
    # Each language named in itself: a patient who reads only one of them finds hers.
    language = forms.ChoiceField(
        label=_("Write to me and give me my documents in"),
        choices=[(code, NATIVE.get(code, name)) for code, name in settings.LANGUAGES],
        required=False,  # none chosen: the one on her record stays
        widget=forms.RadioSelect,
    )
    email_consent = forms.BooleanField(label=_("Email may be used"), required=False)
    sms_consent = forms.BooleanField(label=_("Text messages may be used"), required=False)
    marketing_consent = forms.BooleanField(
        label=_("Send me news and offers now and then (separate from care messages)"),
        required=False,
    )


class PasswordForm(forms.Form):
    password = forms.CharField(
        label=_("New password"),
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    repeat = forms.CharField(
        label=_("The same again"),
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class SiteTextForm(forms.Form):
    title = forms.CharField(label="Title", required=False)
    description = forms.CharField(
        label="Summary for search engines", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    body = forms.CharField(
        label="Text",
        required=False,
        widget=forms.Textarea(attrs={"rows": 24}),
        help_text="A blank line starts a paragraph; '## ' starts a heading; '- ' a list item.",
    )


class ReplyForm(forms.Form):
    """The desk's answer to a website message; what may be sent is the service's to judge."""

    channel = forms.ChoiceField(
        label="Send by",
        required=False,
        choices=[("email", "Email"), ("sms", "Text message")],
        widget=forms.RadioSelect,
    )
    body = forms.CharField(
        label="Answer",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 3000}),
    )


class TextAnswerForm(forms.Form):
    """The desk's text back to a patient who texted the clinic."""

    body = forms.CharField(
        label="Text back",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 480}),
    )


class AppTokenForm(forms.Form):
    """A token for one of the patient's apps: its name and how many days it works (the service
    checks both, in its words)."""

    name = forms.CharField(
        label=_("Which app is it for?"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": 100, "autocomplete": "off"}),
    )
    days = forms.IntegerField(
        label=_("Works for (days)"),
        required=False,  # none: the usual life
        widget=forms.NumberInput(attrs={"min": 1}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        longest = settings.API_TOKEN_MAX_DAYS
        self.fields["days"].initial = settings.API_TOKEN_DAYS
        self.fields["days"].widget.attrs["max"] = longest
        self.fields["days"].help_text = _("From 1 to %(days)d days.") % {"days": longest}
