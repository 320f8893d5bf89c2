"""Sign-in, password reset and change, and the home page that sends each person where they work."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from glabella.core import brand, passwords, signing, tablet
from glabella.core.access import actor_for, actor_from_request, client_ip
from glabella.core.decorators import staff_page
from glabella.core.forms import (
    SignInForm,
    SigningPinForm,
    StaffPasswordResetForm,
    TabletReleaseForm,
)
from glabella.core.pages import refusal_on
from glabella.core.roles import Capability


class SignInView(auth_views.LoginView):
    template_name = "core/sign_in.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        # Like every other form here: a refused submission is a 4xx, with the fields named;
        # a locked account or address is 429 (axes's middleware keeps this page).
        status = 429 if form.is_locked else 422
        return self.render_to_response(self.get_context_data(form=form), status=status)


@require_GET
def home(request):
    if not request.user.is_authenticated:
        return redirect("core:sign-in")
    actor = actor_from_request(request)
    if actor.is_staff:
        return redirect(settings.STAFF_HOME)  # today's schedule
    if actor.is_patient:
        return redirect("portal:me")
    return render(request, "core/forbidden.html", status=403)


@require_POST
@staff_page(Capability.VIEW_CLINIC)
def still_here(request):
    """The idle warning's "stay signed in" button: the request itself is the activity."""
    return HttpResponse(status=204)


class PasswordResetView(auth_views.PasswordResetView):
    """Asks for a staff member's email and sends a one-time link (the same page whether or not
    an account has that address)."""

    template_name = "core/password_reset.html"
    email_template_name = "core/password_reset_email.txt"
    subject_template_name = "core/password_reset_subject.txt"
    form_class = StaffPasswordResetForm
    success_url = reverse_lazy("core:password-reset-sent")

    @property
    def extra_email_context(self):
        return {"site_url": settings.SITE_URL, "minutes": settings.PASSWORD_RESET_TIMEOUT // 60}

    @property
    def from_email(self) -> str:
        return brand.current().from_email  # the clinic's sender, as its other emails

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **self.extra_email_context}

    def form_valid(self, form):
        actor = actor_from_request(self.request)
        with refusal_on(form) as refused:
            passwords.request_reset(actor, form.cleaned_data["email"])
        if refused:
            return self.render_to_response(self.get_context_data(form=form), status=refused.status)
        return super().form_valid(form)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=422)


class PasswordResetSentView(auth_views.PasswordResetDoneView):
    template_name = "core/password_reset_sent.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The emailed link: a new password, checked by the site's password rules; the link then
    stops working (its token was made from the old password)."""

    template_name = "core/password_reset_confirm.html"
    success_url = reverse_lazy("core:sign-in")

    def render_to_response(self, context, **kwargs):
        if not context.get("validlink"):
            kwargs["status"] = 410  # used, too old or altered
        return super().render_to_response(context, **kwargs)

    def form_valid(self, form):
        actor = actor_for(form.user, ip=client_ip(self.request))
        passwords.set_password(actor, form.user, form.cleaned_data["new_password1"], how="reset")
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        messages.success(self.request, "Your new password is set. Sign in with it.")
        return HttpResponseRedirect(self.get_success_url())

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=422)


@method_decorator(staff_page(Capability.VIEW_CLINIC), name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    """A signed-in staff member changes their password; their other sessions end, this one
    goes on."""

    template_name = "core/password_change.html"
    success_url = reverse_lazy("core:home")

    def form_valid(self, form):
        actor = actor_from_request(self.request)
        passwords.set_password(actor, form.user, form.cleaned_data["new_password1"], how="change")
        update_session_auth_hash(self.request, form.user)
        messages.success(
            self.request,
            "Your password is changed. You stay signed in here; everywhere else, you are "
            "signed out.",
        )
        return HttpResponseRedirect(self.get_success_url())

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=422)


@require_http_methods(["GET", "POST"])
@staff_page(Capability.SIGN_DECISION)
def signing_pin(request):
    """A clinician sets their own signing PIN, typed instead of the password when signing."""
    form = SigningPinForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            with refusal_on(form) as refused:
                signing.set_pin(request.actor, **form.cleaned_data)
            if not refused:
                messages.success(request, "Your signing PIN is set.")
                return redirect("core:signing-pin")
            status = refused.status
    context = {"form": form, "has_pin": signing.has_pin(request.actor.staff)}
    return render(request, "core/signing_pin.html", context, status=status)


@require_http_methods(["GET", "POST"])
def tablet_release(request):
    """On the tablet handed to a patient: a staff member unlocks it (core/tablet.py)."""
    held = tablet.locked_to(request)
    form = TabletReleaseForm(request.POST or None)
    status = 200
    if request.method == "POST" and held is not None:
        status = 422
        if form.is_valid():
            with refusal_on(form) as refused:
                tablet.release(request, **form.cleaned_data)
            if not refused:
                messages.success(request, "The tablet is unlocked and the patient's forms closed.")
                return redirect("core:sign-in")
            status = refused.status
    context = {"form": form, "held": held, "forms_path": held["path"] if held else None}
    return render(request, "core/tablet_release.html", context, status=status)
