"""The patient's page for her apps' tokens: the tokens she made (when, last used, until when),
a form to make one (its secret shown once, with the FHIR API's address and an example), and
revoking one. `core.tokens` decides and audits; a token of anyone else's is not found."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from glabella.clinic.clock import clinic_zone
from glabella.core import tokens
from glabella.core.decorators import patient_page
from glabella.core.errors import Conflict
from glabella.core.pages import refusal_on
from glabella.core.rendering import render_in
from glabella.portal.forms import AppTokenForm


def fhir_base() -> str:
    """The FHIR API's address, as the URL conf places it (the portal does not import the fhir
    app, its sibling): SITE_URL + /fhir/R4."""
    return settings.SITE_URL + reverse("fhir:metadata").removesuffix("/metadata")


@require_http_methods(["GET", "POST"])
@patient_page
def app_tokens(request):
    form = AppTokenForm(request.POST or None)
    status, raw, issued = 200, None, None
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            with refusal_on(form) as refused:
                issued, raw = tokens.issue_for_patient(request.actor, data["name"], data["days"])
            if not refused:
                status = 201
                form = AppTokenForm()
    patient = request.user.patient_record
    context = {
        "form": form,
        "raw": raw,
        "issued": issued,
        "tokens": tokens.listing_own(request.actor),
        "now": timezone.now(),
        "base": fhir_base(),
    }
    return render_in(request, "portal/app_tokens.html", context, clinic_zone(patient), status)


@require_POST
@patient_page
def app_token_revoke(request, public_id):
    token = tokens.listing_own(request.actor).filter(public_id=public_id).first()
    with refusal_on(kinds=(Conflict,)) as refused:
        tokens.revoke_own(request.actor, token)  # none of hers: not found
    if refused:
        messages.error(request, refused.message)  # revoked already: said on her list
    else:
        messages.success(
            request, _("“%(name)s” is revoked: it stops working now.") % {"name": token.name}
        )
    return redirect("portal:app-tokens")
