"""The second-factor step after the password, and setting a second factor up (an authenticator
app with its QR code, a passkey, backup codes). Staff only; the rules are in core.two_factor."""

from functools import wraps
from urllib.parse import urlencode

import django_otp
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from glabella.core import two_factor
from glabella.core.access import actor_from_request
from glabella.core.pages import forbidden, refusal_on

# The session key under which an app's secret waits for its first code.
APP_SECRET_SESSION = "two_factor_app_secret"  # noqa: S105 - a key name, not a secret


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
        error_messages={"required": "Enter the code."},
    )


class AppCodeForm(CodeForm):
    code = forms.CharField(
        label="The six-digit code your app shows now",
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        error_messages={"required": "Enter the code your app shows."},
    )


def staff_signed_in(view):
    """Signed-in staff (second factor passed or not); others are sent to sign in or told no."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        actor = actor_from_request(request)
        if not actor.is_staff:
            return forbidden(request)
        request.actor = actor
        return never_cache(view)(request, *args, **kwargs)

    return wrapper


def _next(request) -> str:
    """Where to go once the second factor is passed: the page asked for, if it is ours."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    own_pages = {reverse("core:second-factor"), reverse("core:sign-in")}
    if (
        wanted
        and wanted.split("?")[0] not in own_pages
        and url_has_allowed_host_and_scheme(
            wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return wanted
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(name: str, request) -> str:
    wanted = request.POST.get("next") or request.GET.get("next")
    return reverse(name) + ("?" + urlencode({"next": wanted}) if wanted else "")


@require_http_methods(["GET", "POST"])
@staff_signed_in
def second_factor(request):
    user = request.user
    if two_factor.is_verified(user):
        return redirect(_next(request))
    if not two_factor.has_second_factor(user):
        return redirect(_with_next("core:two-factor-setup", request))
    form = CodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            with refusal_on(form) as refused:
                passed = two_factor.check_code(request.actor, user, form.cleaned_data["code"])
            if not refused:
                django_otp.login(request, passed.device)
                if passed.kind == "backup":
                    messages.warning(
                        request,
                        f"You signed in with a backup code; it will not work again. "
                        f"{passed.backup_codes_left} left.",
                    )
                return redirect(_next(request))
            status = refused.status
        else:
            status = 422
    factors = two_factor.factors_of(user)
    return render(
        request,
        "core/second_factor.html",
        {
            "form": form,
            "next": request.POST.get("next") or request.GET.get("next", ""),
            "factors": factors,
        },
        status=status,
    )


@require_GET
@staff_signed_in
def setup(request):
    user = request.user
    if not two_factor.may_set_up(user):
        return redirect(_with_next("core:second-factor", request))
    return render(
        request,
        "core/two_factor_setup.html",
        {
            "factors": two_factor.factors_of(user),
            "verified": two_factor.is_verified(user),
            "required": two_factor.required_for(request.actor),
            "next": request.GET.get("next", ""),
        },
    )


@require_http_methods(["GET", "POST"])
@staff_signed_in
def app(request):
    user = request.user
    if not two_factor.may_set_up(user):
        return redirect(_with_next("core:second-factor", request))
    secret = request.session.get(APP_SECRET_SESSION)
    if not secret:
        secret = request.session[APP_SECRET_SESSION] = two_factor.new_app_secret()
    form = AppCodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            with refusal_on(form) as refused:
                device, codes = two_factor.confirm_app(
                    request.actor, user, secret, form.cleaned_data["code"]
                )
            if not refused:
                del request.session[APP_SECRET_SESSION]
                django_otp.login(request, device)
                return _show_codes(request, codes, set_up="app")
            status = refused.status
        else:
            status = 422
    return render(
        request,
        "core/two_factor_app.html",
        {"form": form, "setup": two_factor.app_setup(user, secret), "next": _next(request)},
        status=status,
    )


@require_GET
@staff_signed_in
def passkey(request):
    if not two_factor.may_set_up(request.user):
        return redirect(_with_next("core:second-factor", request))
    return render(request, "core/two_factor_passkey.html", {"next": _next(request)})


@require_http_methods(["GET", "POST"])
@staff_signed_in
def backup_codes(request):
    user = request.user
    if not two_factor.is_verified(user):
        return redirect(_with_next("core:second-factor", request))
    if request.method == "POST":
        return _show_codes(request, two_factor.make_backup_codes(request.actor, user))
    return render(
        request,
        "core/two_factor_backup_codes.html",
        {"codes_left": two_factor.backup_codes_left(user), "next": _next(request)},
    )


def _show_codes(request, codes: list[str], set_up: str = ""):
    """The new backup codes, shown on this one answer and never again (kept as digests)."""
    return render(
        request,
        "core/two_factor_codes_shown.html",
        {"codes": codes, "set_up": set_up, "next": _next(request)},
    )


# --- the passkey ceremonies (django-otp-webauthn's JSON views), for signed-in staff only ----


def passkey_ceremony(view, *, records: str = ""):
    """django-otp-webauthn's view, answered only after the password step and only for staff;
    `records`: "enrolment" writes the passkey set up, "authentication" the passkey signed in
    with or refused."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return JsonResponse(
                {"detail": "Sign in with your password first.", "code": "not_authenticated"},
                status=401,
            )
        actor = actor_from_request(request)
        if not actor.is_staff:
            return JsonResponse(
                {"detail": "Passkeys are for staff sign-in.", "code": "forbidden"}, status=403
            )
        response = view(request, *args, **kwargs)
        if records == "enrolment" and response.status_code == 200:
            two_factor.record_passkey(actor, request.user, outcome="enrolled")
        elif records == "authentication":
            outcome = "passed" if response.status_code == 200 else "refused"
            two_factor.record_passkey(actor, request.user, outcome=outcome)
        return response

    return wrapper
