"""Forms shared by every app's pages: sign-in, and putting a service's refusal on a form."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from glabella.core.errors import DomainError


class SignInForm(AuthenticationForm):
    username = forms.CharField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    error_messages = {
        "invalid_login": "That email and password do not match an account.",
        "inactive": "This account is switched off; ask the clinic's administrator.",
    }


class SigningPinForm(forms.Form):
    """A staff member's own signing PIN, typed twice, confirmed with their password."""

    pin = forms.CharField(
        label="New signing PIN (4 to 8 digits)",
        max_length=8,
        strip=False,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    again = forms.CharField(
        label="The same PIN again",
        max_length=8,
        strip=False,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    password = forms.CharField(
        label="Your password",
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class TabletReleaseForm(forms.Form):
    """A staff member unlocks the tablet a patient had: their email and signing PIN or password."""

    email = forms.CharField(
        label="Staff email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    secret = forms.CharField(
        label="Your signing PIN or password",
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )


def show_refusal(form: forms.Form, exc: DomainError) -> int:
    """Puts a service's refusal on the form (field by field, or a throttled email on its field,
    or at the top) and returns the status to answer with."""
    fields = getattr(exc, "fields", None)
    if fields:
        apply_errors(form, fields)
    else:
        field = getattr(exc, "field", None)
        form.add_error(field if field in form.fields else None, exc.message)
    return exc.status


def apply_errors(form: forms.Form, fields: dict[str, list[str]]) -> None:
    """Puts a service's field errors on the form, where the person will see them."""
    for name, messages in fields.items():
        for message in messages:
            form.add_error(name if name in form.fields else None, message)
