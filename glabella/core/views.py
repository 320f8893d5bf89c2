"""Sign-in, and the home page that sends each person where they work."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from glabella.core import signing, tablet
from glabella.core.access import actor_from_request
from glabella.core.decorators import staff_page
from glabella.core.forms import SignInForm, SigningPinForm, TabletReleaseForm
from glabella.core.pages import refusal_on
from glabella.core.roles import Capability


class SignInView(auth_views.LoginView):
    template_name = "core/sign_in.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        # Like every other form here: a refused submission is a 4xx, with the fields named.
        return self.render_to_response(self.get_context_data(form=form), status=422)


@require_GET
def home(request):
    if not request.user.is_authenticated:
        return redirect("core:sign-in")
    actor = actor_from_request(request)
    if actor.is_staff:
        return redirect("patients:search")
    if actor.is_patient:
        return redirect("portal:me")
    return render(request, "core/forbidden.html", status=403)


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
