"""Sign-in, and the home page that sends each person where they work."""

from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from glabella.core.access import actor_from_request
from glabella.core.forms import SignInForm


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
