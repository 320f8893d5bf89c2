"""Forms shared by every app's pages: sign-in, and putting a service's refusal on a form."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from glabella.core import lockout
from glabella.core.access import actor_for
from glabella.core.bounds import DAY_MESSAGE, day_in_range
from glabella.core.errors import DomainError


class LockoutAware:
    """A sign-in form that says so when axes has locked the account or address (code `locked`,
    answered at 429), and counts an account the form refuses as a failed sign-in."""

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            if lockout.locked_out(self.request):
                raise ValidationError(lockout.locked_message(), code="locked") from None
            raise

    def refuse(self):
        """Refuses a right password for an account this form is not for, exactly like a wrong
        one, and counts it: the account's password cannot be tried here around its own form."""
        user_login_failed.send(
            sender=type(self),
            credentials={"username": self.cleaned_data.get("username")},
            request=self.request,
        )
        raise self.get_invalid_login_error()

    @property
    def is_locked(self) -> bool:
        return any(e.code == "locked" for e in self.errors.as_data().get("__all__", []))


class SignInForm(LockoutAware, AuthenticationForm):
    username = forms.CharField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    error_messages = {
        "invalid_login": "That email and password do not match an account.",
        "inactive": "This account is switched off; ask the clinic's administrator.",
    }

    def confirm_login_allowed(self, user):
        """Staff only: a patient's account (or a switched-off staff member's) is refused here
        with the same words as a wrong password."""
        super().confirm_login_allowed(user)
        if not (actor_for(user).is_staff or user.is_superuser):
            self.refuse()


class AdminSignInForm(LockoutAware, AdminAuthenticationForm):
    """The admin's sign-in, counted and locked like the others (only the owner gets past it)."""

    def confirm_login_allowed(self, user):
        if not user.is_staff:
            self.refuse()
        super().confirm_login_allowed(user)


class StaffPasswordResetForm(PasswordResetForm):
    """The reset link goes to staff only (patients sign in with an emailed link instead)."""

    email = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    def get_users(self, email):
        return (user for user in super().get_users(email) if actor_for(user).is_staff)


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


def _within_house_range(value) -> None:
    if value is not None and not day_in_range(value):
        raise forms.ValidationError(gettext(DAY_MESSAGE), code="out_of_range")


class DateField(forms.DateField):
    """A date held to the house range (core/bounds.py), so nothing after it overflows."""

    default_validators = [_within_house_range]


class DateTimeField(forms.DateTimeField):
    """An instant held to the house range, read in its own offset before any conversion."""

    default_validators = [_within_house_range]
