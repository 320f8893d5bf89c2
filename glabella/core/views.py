"""Sign-in, the home page that sends each person where they work, and the access log pages."""

import uuid

from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from glabella.core.access import actor_from_request
from glabella.core.decorators import staff_page
from glabella.core.forms import SignInForm
from glabella.core.models import AccessLog
from glabella.core.roles import Capability

AUDIT_PAGE_SIZE = 50


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


@require_GET
@staff_page(Capability.VIEW_AUDIT)
def access_log(request):
    """The whole access log, newest first; ?patient=<public id> narrows it to one patient."""
    rows = AccessLog.objects.select_related("user").order_by("-at", "-id")
    patient = None
    patient_ref = request.GET.get("patient", "").strip()
    if patient_ref:
        from glabella.patients.services import open_patient

        patient = open_patient(request.actor, _uuid_or_404(patient_ref))
        rows = rows.filter(patient_public_id=patient.public_id)
    page = Paginator(rows, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "core/access_log.html", {"page": page, "patient": patient})


def _uuid_or_404(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise Http404 from None
