"""The public site (the clinic's pages, the service-area check, contact), the patient portal
(sign-in, home, treatment history, photos, preferences, my data) and the staff pages that keep
them (the public pages' words, the contact inbox). Thin: each parses, calls a service, renders."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core import signing
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse, translate_url
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language_from_path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from glabella.billing import receipts as billing_receipts
from glabella.catalogue.products import LABEL_DOSES, PRODUCT_NAMES
from glabella.clinic.clock import clinic_zone
from glabella.core import audit
from glabella.core.access import (
    acting_organisation_id,
    actor_from_request,
    client_ip,
    get_restricted_or_404,
)
from glabella.core.decorators import patient_page, staff_page
from glabella.core.errors import DomainError, NotFound, ValidationFailed
from glabella.core.forms import show_refusal
from glabella.core.language import CODES, speaking
from glabella.core.pages import refusal_on
from glabella.core.rendering import private_bytes, render_in
from glabella.core.roles import Capability
from glabella.outcomes import invitations
from glabella.outcomes.models import Photo
from glabella.patients.services import (
    PREFERENCE_FIELDS,
    update_own_language,
    update_own_preferences,
)
from glabella.portal import content, records, services, structured
from glabella.portal.forms import (
    AreaForm,
    ContactForm,
    PasswordForm,
    PreferencesForm,
    SignInForm,
    SiteTextForm,
)

BACKEND = "django.contrib.auth.backends.ModelBackend"
MENU = ("how-it-works", "areas", "what-to-expect", "side-effects", "candidates", "compared", "faq")


def _public(request, template: str, context: dict, status: int = 200):
    """A public page: the site's menu, and each location as schema.org data."""
    texts = services.pages()
    locations = list(services.public_locations(acting_organisation_id()))
    context = {
        "menu": [(slug, texts[slug].nav) for slug in MENU],
        "locations": locations,
        "structured": structured.script([structured.clinic(loc) for loc in locations]),
        **context,
    }
    return render(request, template, context, status=status)


@require_GET
def home(request):
    texts = services.pages()
    cards = [(slug, texts[slug].nav, content.summary(texts[slug].body)) for slug in MENU]
    context = {"text": texts["home"], "body": content.render_body(texts["home"].body)}
    context.update(cards=cards, area_form=AreaForm())
    return _public(request, "portal/home.html", context)


@require_GET
def info(request, slug):
    if slug not in MENU:
        raise Http404
    text = services.page(slug)
    context = {"text": text, "body": content.render_body(text.body), "slug": slug}
    if slug == "areas":
        offered = {p.value for p in PRODUCT_NAMES}
        context["doses"] = [
            (PRODUCT_NAMES[d.product], d.area.label, d.dose_text, d.verify)
            for d in LABEL_DOSES
            if d.product.value in offered
        ]
    if slug == "candidates":
        context["self_check"] = reverse("screening:self-check")
    return _public(request, "portal/info.html", context)


@require_GET
def locations(request):
    return _public(request, "portal/locations.html", {"area_form": AreaForm()})


@require_GET
def service_area(request):
    """Type a city or ZIP code: served, by which location, or not."""
    form = AreaForm(request.GET or None)
    answer = None
    status = 200
    if form.is_bound and form.is_valid():  # text only: the service reads it
        with refusal_on(form, kinds=(ValidationFailed,)) as refused:
            answer = services.check_area(form.cleaned_data["area"])
        status = refused.status if refused else status
    return _public(
        request, "portal/service_area.html", {"area_form": form, "answer": answer}, status
    )


@require_http_methods(["GET", "POST"])
def contact(request):
    form = ContactForm(request.POST or None, initial={"location": request.GET.get("location")})
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            with refusal_on(form, kinds=(DomainError,)) as refused:
                services.receive_contact(
                    form.cleaned_data,
                    ip=client_ip(request),
                    organisation_id=acting_organisation_id(),
                )
            status = refused.status if refused else status
            if not refused:
                messages.success(request, _("Thank you. Your message is with our front desk."))
                return redirect("portal:contact")
    return _public(request, "portal/contact.html", {"form": form}, status)


# ---------------------------------------------------------------- signing in


@require_http_methods(["GET", "POST"])
def sign_in(request):
    if request.user.is_authenticated and actor_from_request(request).is_patient:
        return _portal_home(request.user.patient_record)
    form = SignInForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            with refusal_on(form, kinds=(DomainError,)) as refused:
                if data.get("method") == "password":
                    user = services.password_sign_in(request, data)
                    login(request, user, backend=BACKEND)
                    return _portal_home(user.patient_record)
                services.request_link(data, ip=client_ip(request))
            status = refused.status if refused else status
            if not refused:
                return _public(request, "portal/link_sent.html", {"email": data["email"]})
    return _public(request, "portal/sign_in.html", {"form": form}, status)


@require_http_methods(["GET", "POST"])
def sign_in_link(request, token):
    """The emailed link: a button, so that a mail scanner opening the link signs nobody in."""
    try:
        patient = services.read_link(token)
    except signing.BadSignature:
        return _public(request, "portal/link_used.html", {}, status=410)
    if request.method == "POST":
        login(request, services.user_for(patient), backend=BACKEND)
        return _portal_home(patient)
    first = patient.preferred_name or patient.given_name
    return _public(request, "portal/link.html", {"first_name": first})


def _portal_home(patient):
    """The portal's home in the patient's own language (/es/portal/ for Spanish), whatever page
    she signed in from."""
    with speaking(patient):
        return redirect(reverse("portal:me"))


# ---------------------------------------------------------------- the portal


def _mine(request):
    return request.user.patient_record


@require_GET
@patient_page
def me(request):
    """The portal's home: what is coming, what to do, and when the next treatment is likely."""
    patient = _mine(request)
    now = timezone.now()
    zone = clinic_zone(patient)
    visits = records.upcoming(request.actor, now)
    found = records.next_treatment(request.actor)
    audit.record_patient(
        request.actor, audit.Action.READ, patient, object_type=audit.Kind.PORTAL_HOME
    )
    context = {
        "patient": patient,
        "visits": visits,
        "forecast": found,
        "today": now.astimezone(zone).date(),
        "invite_opens": invitations.opens_on(found) if found else None,
    }
    return render_in(request, "portal/me.html", context, zone)


@require_POST
@patient_page
def book_next(request):
    """The booking link for the next treatment: the invitation, opened from the portal."""
    found = records.next_treatment(request.actor)
    if found is None:
        raise Http404
    invitation = invitations.open_from_portal(found, timezone.now())
    if invitation is None:
        messages.info(request, _("It is a little early to book; we will send you a link."))
        return redirect("portal:me")
    return redirect("outcomes:book-again", token=invitations.token(invitation))


@require_GET
@patient_page
def treatments(request):
    patient = _mine(request)
    sessions = records.history(request.actor, patient)
    return render_in(
        request, "portal/treatments.html", {"sessions": sessions}, clinic_zone(patient)
    )


@require_GET
@patient_page
def receipts(request):
    """The patient's receipts, each as a PDF, and what is left on her packages and membership."""
    patient = _mine(request)
    held, member = billing_receipts.own_prepaid(request.actor, patient)
    context = {
        "rows": billing_receipts.own_receipts(request.actor, patient),
        "packages": held,
        "membership": member,
    }
    return render_in(request, "portal/receipts.html", context, clinic_zone(patient))


@require_GET
@patient_page
def receipt(request, public_id):
    """One of the patient's own receipts as a PDF (404 for anyone else's)."""
    try:
        invoice, data = billing_receipts.own_receipt_pdf(request.actor, public_id)
    except NotFound:
        raise Http404 from None
    response = private_bytes(data, "application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{invoice.number}.pdf"'
    return response


@require_GET
@patient_page
def photos(request):
    patient = _mine(request)
    rows = records.photos(request.actor, patient)
    return render(request, "portal/photos.html", {"photos": rows})


@require_GET
@patient_page
def photo(request, public_id, size):
    """One of the patient's own photos (404 for anyone else's)."""
    field = {"full": "data", "thumbnail": "thumbnail"}.get(size)
    if field is None:
        raise Http404
    found = get_restricted_or_404(
        Photo.objects.only("public_id", "patient", field), request.actor, public_id=public_id
    )
    audit.record_patient(
        request.actor,
        audit.Action.READ,
        _mine(request),
        object_type=audit.Kind.CLINICAL_PHOTO,
        object_id=public_id,
    )
    return private_bytes(bytes(getattr(found, field)), "image/jpeg")


@require_http_methods(["GET", "POST"])
@patient_page
def preferences(request):
    patient = _mine(request)
    form = PreferencesForm(request.POST or None, initial=_preferences_of(patient))
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = dict(form.cleaned_data)
            data["language"] = data["language"] or patient.language  # none chosen: hers stays
            with refusal_on(form, kinds=(DomainError,)) as refused:
                update_own_preferences(request.actor, patient, data)
            status = refused.status if refused else status
            if not refused:
                with speaking(data["language"]):  # the page in her new language
                    messages.success(request, _("Saved. We will contact you as you chose."))
                    return redirect(reverse("portal:preferences"))
    return _preferences_page(request, patient, form, PasswordForm(), status)


def _preferences_of(patient) -> dict:
    return {name: getattr(patient, name) for name in PREFERENCE_FIELDS}


def _preferences_page(request, patient, form, password_form, status: int):
    context = {"form": form, "password_form": password_form, "patient": patient}
    return render(request, "portal/preferences.html", context, status=status)


@require_POST
@patient_page
def password(request):
    form = PasswordForm(request.POST)
    form.is_valid()
    try:
        services.set_password(request.actor, request.user, form.cleaned_data)
    except DomainError as exc:
        status = show_refusal(form, exc)
        patient = _mine(request)
        preferences_form = PreferencesForm(initial=_preferences_of(patient))
        return _preferences_page(request, patient, preferences_form, form, status)
    login(request, request.user, backend=BACKEND)
    messages.success(request, _("Your password is set. You can sign in with it or with a link."))
    return redirect("portal:preferences")


@require_GET
@patient_page
def my_data(request, fmt):
    if fmt not in ("json", "pdf"):
        raise Http404
    data = records.my_data(request.actor, _mine(request))
    if fmt == "json":
        body = json.dumps(data, indent=2, ensure_ascii=False).encode()
        response = private_bytes(body, "application/json")
    else:
        with speaking(_mine(request)):
            pdf = records.my_data_pdf(data, clinic_zone(_mine(request)))
        response = private_bytes(pdf, "application/pdf")
    response["Content-Disposition"] = f'attachment; filename="my-records.{fmt}"'
    return response


@require_POST
@patient_page
def language(request, code):
    """The portal's language switch (a form on every page she sees signed in): the language
    chosen is kept on the patient's record (her messages and documents follow it), then the same
    page is shown in it. It changes nothing but her own language."""
    if code not in CODES:
        raise Http404
    update_own_language(request.actor, _mine(request), code)
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        with speaking(code):
            return redirect(reverse("portal:me"))
    with translation.override(get_language_from_path(back) or settings.LANGUAGE_CODE):
        return redirect(translate_url(back, code))  # `back` read in its own language


# ---------------------------------------------------------------- staff: the site and the inbox


# The inbox and its answers: inbox_views.py.


def _edited_language(request) -> str:
    """The language version the owner looks at or edits (?language=es), English by default."""
    code = request.GET.get("language") or settings.LANGUAGE_CODE
    return code if code in CODES else settings.LANGUAGE_CODE


@require_GET
@staff_page(Capability.VIEW_CLINIC)
def site_pages(request):
    code = _edited_language(request)
    texts = services.pages(code)
    rows = [(slug, texts[slug]) for slug in ("home", *MENU)]
    context = {"rows": rows, "language": code, "languages": settings.LANGUAGES}
    return render(request, "portal/site_pages.html", context)


@require_http_methods(["GET", "POST"])
@staff_page(Capability.MANAGE_CLINIC)
def site_page(request, slug):
    if slug not in content.BY_SLUG:
        raise Http404
    code = _edited_language(request)
    text = services.page(slug, code)
    form = SiteTextForm(
        request.POST or None,
        initial={"title": text.title, "description": text.description, "body": text.body},
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            if request.POST.get("restore") == "1":
                default = content.defaults(code)[slug]
                data = {"title": default.title, "description": default.description}
                data["body"] = default.body
            with refusal_on(form, kinds=(DomainError,)) as refused:
                services.save_page(request.actor, slug, data, code)
            status = refused.status if refused else status
            if not refused:
                messages.success(request, "Saved; the public page shows the new text.")
                return redirect(reverse("portal:site-pages") + f"?language={code}")
    context = {
        "form": form,
        "slug": slug,
        "nav": content.BY_SLUG[slug].nav,
        "language": code,
        "language_name": dict(settings.LANGUAGES)[code],
        "languages": settings.LANGUAGES,
    }
    return render(request, "portal/site_page.html", context, status=status)
