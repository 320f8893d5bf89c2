"""Pages for screening: the patient's forms (by link, on the clinic tablet, or from the portal),
the staff's screening page, decision, policies and consent texts, and the public self-check.

Thin: each view parses, calls one service, and renders. The patient's forms never show earlier
answers: a link can be forwarded, so it lets one fill in and sign, not read the record.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core import signing
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from glabella.clinic.clock import clinic_today, clinic_zone
from glabella.core import audit, tablet
from glabella.core import signing as reauth
from glabella.core.access import client_ip
from glabella.core.decorators import patient_page, staff_page
from glabella.core.errors import Conflict, DomainError, Throttled, ValidationFailed
from glabella.core.forms import apply_errors
from glabella.core.language import current, speaking
from glabella.core.pages import refusal_on
from glabella.core.rendering import render_in
from glabella.core.roles import Capability
from glabella.patients import history as patient_history
from glabella.patients import services as patient_services
from glabella.patients.models import Patient
from glabella.scheduling import treat_now
from glabella.screening import (
    consents,
    decisions,
    evaluation,
    fitting,
    intake,
    links,
    policy,
    public,
)
from glabella.screening.forms import (
    ConsentDocumentForm,
    ConsentForm,
    DecisionForm,
    IntakeForm,
    PolicyForm,
    ReviewForm,
    SelfCheckForm,
    initial_from,
)
from glabella.screening.models import (
    CandidacyDecision,
    ConsentDocument,
    ConsentKind,
    SignedConsent,
    Via,
)
from glabella.screening.recommend import ADVICE, recommend
from glabella.screening.rules import Outcome

Action = audit.Action


def _show(request, template, context, status=200, patient=None):
    """Renders with the clinic's zone active, so that times show on the clinic's clock."""
    patient = patient or context.get("patient")
    return render_in(request, template, context, clinic_zone(patient), status)


def _posted(request):
    """The form data if this is a POST (even an empty one, which must show its errors)."""
    return request.POST if request.method == "POST" else None


# ---------------------------------------------------------------- the patient's forms


def _forms_patient(request, token: str):
    """(patient, mode, actor) for a forms link; 404 for a bad or expired one."""
    try:
        mode, public_id = links.read_forms_token(token)
    except signing.BadSignature:
        raise Http404(_("This link is not valid or has expired.")) from None
    patient = Patient.objects.filter(public_id=public_id).first()
    if patient is None:
        raise Http404
    actor = links.forms_actor(patient, mode, client_ip(request))
    return patient, mode, actor


def _forms_context(token, patient, mode, **extra) -> dict:
    return {
        "token": token,
        "patient_first_name": patient.preferred_name or patient.given_name,
        "tablet": mode == Via.TABLET,
        **extra,
    }


@require_GET
def forms_hub(request, token):
    patient, mode, actor = _forms_patient(request, token)
    today = clinic_today(patient)
    latest = intake.latest_intake(patient)
    audit.record_patient(actor, Action.READ, patient, object_type=audit.Kind.FORMS)
    # Only the consents that fit the visits ahead; forms given at the desk count as any other.
    asked = fitting.asked_kinds(patient, timezone.now())
    zone = clinic_zone(patient)
    context = _forms_context(
        token,
        patient,
        mode,
        intake_done=latest.submitted_at if latest else None,
        intake_given=fitting.intake_given(latest, zone),
        # The texts in the page's language (hers, on the link she was sent), else English.
        consents=fitting.forms_overview(patient, today, asked, current(), zone),
        consent_valid_months=settings.CONSENT_VALID_MONTHS,
    )
    return _show(request, "screening/forms_hub.html", context, patient=patient)


@require_http_methods(["GET", "POST"])
def forms_intake(request, token):
    patient, mode, actor = _forms_patient(request, token)
    form = IntakeForm(_posted(request))
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                intake.submit_intake(actor, patient, form.to_raw(), via=mode)
            except ValidationFailed as exc:
                form.show_errors(exc.fields)
            else:
                messages.success(request, _("Thank you: your answers are with the clinic."))
                return redirect("screening:forms", token=token)
    context = _forms_context(token, patient, mode, form=form)
    audit.record_patient(actor, Action.READ, patient, object_type=audit.Kind.INTAKE)
    return _show(request, "screening/forms_intake.html", context, status, patient)


@require_http_methods(["GET", "POST"])
def forms_consent(request, token, kind):
    patient, mode, actor = _forms_patient(request, token)
    if kind not in ConsentKind.values:
        raise Http404
    # The newest text in the page's language (hers, on the link she was sent, or the tablet
    # handed over in it), else the English one, which the page then says.
    language = current()
    document = consents.document_for(kind, language)
    if document is None:
        raise Http404
    text = consents.consent_text(document, patient, clinic_today(patient))
    guides = consents.medication_guides() if kind == ConsentKind.NEUROMODULATOR else None
    form = ConsentForm(_posted(request), initial={"shown": text.text_sha256}, guides=guides)
    status, error = 200, None
    if request.method == "POST":
        status = 422
        if form.is_valid():
            with refusal_on(kinds=(ValidationFailed, Conflict)) as refused:
                consents.sign_consent(
                    actor,
                    patient,
                    document,
                    typed_name=form.cleaned_data["typed_name"],
                    strokes=form.cleaned_data["strokes"],
                    adopt_typed=form.cleaned_data["adopt_typed"],
                    shown_sha256=form.cleaned_data["shown"],
                    via=mode,
                    user_agent=request.headers.get("User-Agent", ""),
                    medication_guide=form.cleaned_data.get("medication_guide"),
                )
            apply_errors(form, refused.fields)
            if isinstance(refused.error, Conflict):
                status, error = 409, refused.message
            if not refused:
                messages.success(
                    request, _("Signed: %(title)s. Thank you.") % {"title": document.title}
                )
                return redirect("screening:forms", token=token)
        else:
            error = _("The form was incomplete; please try again.")
    context = _forms_context(
        token,
        patient,
        mode,
        form=form,
        document=document,
        body=text.body,
        error=error,
        version_line=consents.version_line(document.version, document.language),
        not_in_language=document.language != language,
    )
    audit.record_patient(actor, Action.READ, patient, object_type=audit.Kind.CONSENT_DOCUMENT)
    return _show(request, "screening/forms_consent.html", context, status, patient)


@require_GET
def forms_consent_pdf(request, token, consent_id):
    patient, _mode, actor = _forms_patient(request, token)
    consent = SignedConsent.objects.filter(public_id=consent_id, patient=patient).first()
    if consent is None:
        raise Http404
    return _pdf_response(actor, consent)


@require_GET
@patient_page
def portal_forms(request):
    """A signed-in patient's forms: the same pages, opened with a link made for them now."""
    patient = request.user.patient_record
    return redirect("screening:forms", token=links.forms_token(patient, Via.PORTAL))


def _pdf_response(actor, consent: SignedConsent) -> HttpResponse:
    audit.record_patient(
        actor,
        Action.EXPORT,
        consent.patient,
        object_type=audit.Kind.CONSENT,
        object_id=consent.public_id,
    )
    response = HttpResponse(bytes(consent.pdf), content_type="application/pdf")
    signed_on = timezone.localtime(consent.signed_at).date().isoformat()  # the clinic's day
    response["Content-Disposition"] = (
        f'attachment; filename="consent-{consent.document.kind}-{signed_on}.pdf"'
    )
    return response


# ---------------------------------------------------------------- staff


def _clinical_patient(request, public_id) -> Patient:
    return patient_history.open_patient_clinical(request.actor, public_id)


@require_GET
@staff_page(Capability.VIEW_CLINICAL)
def patient_screening(request, public_id):
    patient = _clinical_patient(request, public_id)
    today = clinic_today(patient)
    latest = intake.latest_intake(patient)
    verdicts = evaluation.evaluate_patient(patient, today)
    offered = decisions.offered_products()
    decision, state = decisions.current_decision(patient, today)
    history = list(
        CandidacyDecision.objects.restrict(request.actor)
        .filter(patient=patient)
        .select_related("signed_by")
        .prefetch_related("lines")
        .order_by("-signed_at", "-id")[:20]
    )
    unrecognised = {r.text: r for v in verdicts.values() for r in v.unrecognised}
    context = {
        "patient": patient,
        "latest": latest,
        "answers": _answers_view(latest),
        "verdicts": [(p, verdicts[p]) for p in offered],
        "unrecognised": list(unrecognised.values()),
        "decision": decision,
        "state": state,
        "history": history,
        "consents": consents.consent_overview(patient, today),
        "suggestions": recommend(latest.answers.get("concerns", []), frozenset(offered))
        if latest
        else (),
        "advice": ADVICE,
        "may_sign": request.actor.can(Capability.SIGN_DECISION),
        "may_enter": request.actor.can(Capability.CHANGE_CLINICAL),
        # A decision signed during today's consultation: the visit may go on as the treatment.
        "treat_rows": treat_now.consultations_of_the_day(timezone.now(), patient=patient),
    }
    return _show(request, "screening/patient.html", context)


def _answers_view(response) -> list[tuple[str, str]]:
    if response is None:
        return []
    definition = response.questionnaire.definition
    given = response.answers.get("answers", {})
    words = {True: "Yes", False: "No", None: "Not sure"}
    return [(q["text"], words[given.get(q["key"])]) for q in definition["questions"]]


@require_http_methods(["GET", "POST"])
@staff_page(Capability.CHANGE_CLINICAL)
def staff_intake(request, public_id):
    patient = patient_history.open_patient_clinical(request.actor, public_id, action="change")
    latest = intake.latest_intake(patient)
    form = IntakeForm(_posted(request), initial=initial_from(latest.answers) if latest else {})
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                intake.submit_intake(request.actor, patient, form.to_raw(), via=Via.STAFF)
            except ValidationFailed as exc:
                form.show_errors(exc.fields)
            else:
                messages.success(request, "The answers are recorded.")
                return redirect("screening:patient", public_id=patient.public_id)
    context = {"patient": patient, "form": form, "staff": True}
    return _show(request, "screening/staff_intake.html", context, status=status)


@require_http_methods(["GET", "POST"])
@staff_page(Capability.SIGN_DECISION)
def sign_decision(request, public_id):
    patient = _clinical_patient(request, public_id)
    today = clinic_today(patient)
    offered = decisions.offered_products()
    verdicts = evaluation.evaluate_patient(patient, today)
    shown = evaluation.signature_key(evaluation.signature_of(verdicts))
    ruled_out = {p for p in offered if verdicts[p].outcome == Outcome.NOT_ELIGIBLE}
    options = {"products": offered, "contraindicated": ruled_out}
    form = DecisionForm(_posted(request), initial={"shown": shown}, **options)
    status, error, secret_errors = 200, None, []
    if request.method == "POST":
        status = 422
        lines = form.to_lines() if form.is_valid() else []
        if form.is_valid():  # to_lines refuses a half-filled off-label row on its field
            try:
                # The signer's PIN or password, checked now (core.signing); its refusal goes
                # on its own field, and nothing is signed.
                proof = reauth.typed(request.POST.get("secret"))  # checked by the service
                decisions.sign_decision(
                    request.actor,
                    patient,
                    lines,
                    proof=proof,
                    note=form.cleaned_data["note"],
                    shown=form.cleaned_data["shown"],
                )
            except ValidationFailed as exc:
                secret_errors = exc.fields.pop(reauth.FIELD, [])
                form.show_errors(exc.fields, lines)
            except Throttled as exc:
                status, secret_errors = exc.status, [exc.message]
            except DomainError as exc:
                status, error = exc.status, exc.message
                form = DecisionForm(initial={"shown": shown}, **options)
            else:
                messages.success(request, "Decision signed.")
                return redirect("screening:patient", public_id=patient.public_id)
    context = {
        "patient": patient,
        "form": form,
        "verdicts": {p.value: verdicts[p] for p in offered},
        "error": error,
        "has_intake": intake.latest_intake(patient) is not None,
        "attestation": decisions.attestation(request.actor.staff),
        "secret_errors": secret_errors,
    }
    return _show(request, "screening/decision.html", context, status=status)


@require_http_methods(["GET", "POST"])
@staff_page(Capability.VIEW_PATIENT)
def patient_forms(request, public_id):
    """The desk's view of a patient's forms: done or not, send the link, hand over the tablet."""
    action = "change" if request.method == "POST" else "view"
    patient = patient_services.open_patient(request.actor, public_id, action=action)
    if request.method == "POST":
        what = request.POST.get("action")
        if what == "send":
            sent = links.send_forms_link(request.actor, patient)
            if sent:
                messages.success(request, "The forms link is on its way to the patient.")
            else:
                messages.error(request, "The patient has no email address or text consent.")
            return redirect("screening:patient-forms", public_id=patient.public_id)
        if what == "tablet":
            audit.record_patient(
                request.actor, Action.CREATE, patient, object_type=audit.Kind.FORMS_TABLET
            )
            with speaking(patient):  # the tablet opens in the patient's language
                url = reverse("screening:forms", args=[links.forms_token(patient, Via.TABLET)])
            # The tablet goes to the patient signed out, locked to their forms until a staff
            # member unlocks it with their PIN or password (core/tablet.py).
            handed_by = request.actor.label
            logout(request)
            tablet.lock(request, path=url, patient_public_id=patient.public_id, by=handed_by)
            return redirect(url)
        messages.error(request, "Choose to send the link or to hand over the tablet.")
        return _show(request, "screening/patient_forms.html", _desk_context(patient), status=422)
    return _show(request, "screening/patient_forms.html", _desk_context(patient))


def _desk_context(patient) -> dict:
    today = clinic_today(patient)
    latest = intake.latest_intake(patient)
    return {
        "patient": patient,
        "intake_done": latest.submitted_at if latest else None,
        "consents": consents.consent_overview(patient, today),
        "tablet_minutes": settings.TABLET_LINK_MINUTES,
    }


@require_GET
@staff_page(Capability.VIEW_PATIENT)
def consent_pdf(request, consent_id):
    consent = consents.open_consent(request.actor, consent_id)
    return _pdf_response(request.actor, consent)


@require_POST
@staff_page(Capability.CHANGE_PATIENT)
def withdraw_consent(request, consent_id):
    consent = consents.open_consent(request.actor, consent_id)
    try:
        consents.withdraw_consent(
            request.actor, consent, reason=request.POST.get("reason", ""), via=Via.STAFF
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The consent is withdrawn.")
    return redirect("screening:patient-forms", public_id=consent.patient.public_id)


@require_http_methods(["GET", "POST"])
@staff_page(Capability.VIEW_CLINICAL)
def policies(request):
    """Clinic-policy switches, and which label precautions need review; one form posts at a
    time (`what`: policy or review)."""
    posted = _posted(request)
    review_posted = posted is not None and posted.get("what") == "review"
    form = PolicyForm(None if review_posted else posted)
    review_form = ReviewForm(posted if review_posted else None)
    status = 200
    if request.method == "POST":
        status = 422
        target = review_form if review_posted else form
        if target.is_valid():
            data = target.cleaned_data
            # Refused for the role: the middleware answers 403, and any other refusal at its own
            # status (this page used to turn every refusal into 403).
            with refusal_on(target) as refused:
                if review_posted:
                    policy.set_review(
                        request.actor, data["rule"], data["needs_review"] == "1", data["reason"]
                    )
                else:
                    policy.set_policy(
                        request.actor, data["rule"], data["enabled"] == "1", data["reason"]
                    )
            status = refused.status if refused else status
            if not refused:
                messages.success(request, "The setting is changed, and the change is recorded.")
                return redirect("screening:policies")
    context = {
        "states": policy.policy_states(),
        "reviews": policy.review_states(),
        "form": form,
        "review_form": review_form,
        "may_change": request.actor.can(Capability.SET_SCREENING_POLICY),
    }
    return _show(request, "screening/policies.html", context, status=status)


@require_http_methods(["GET", "POST"])
@staff_page(Capability.VIEW_PATIENT)
def consent_documents(request):
    form = ConsentDocumentForm(_posted(request))
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            with refusal_on(form) as refused:  # Forbidden: the middleware's 403 page
                doc = consents.publish_consent(
                    request.actor,
                    form.cleaned_data["kind"],
                    form.cleaned_data["title"],
                    form.cleaned_data["body"],
                    language=form.cleaned_data["language"] or "en",
                )
            status = refused.status if refused else status
            if not refused:
                language = doc.get_language_display()
                messages.success(
                    request, f"Published: {doc.title}, version {doc.version} in {language}."
                )
                return redirect("screening:consent-documents")
    context = {
        "documents": ConsentDocument.objects.order_by("kind", "language", "-version"),
        "current": {d.pk for d in consents.newest_documents().values()},
        "form": form,
        "may_publish": request.actor.can(Capability.MANAGE_CONSENT_FORMS),
    }
    return _show(request, "screening/consent_documents.html", context, status=status)


# ---------------------------------------------------------------- public


@require_http_methods(["GET", "POST"])
def self_check(request):
    """Anonymous: nothing is stored, and the answers are not logged."""
    form = SelfCheckForm(_posted(request))
    result = None
    status = 200
    if request.method == "POST":
        valid = form.is_valid()
        with refusal_on(form, kinds=(Throttled,)) as refused:
            result = public.public_self_check(
                client_ip(request), form.cleaned_data if valid else None
            )
        if refused:
            return render(
                request, "screening/self_check.html", {"form": form}, status=refused.status
            )
        status = 200 if valid else 422
    return render(
        request, "screening/self_check.html", {"form": form, "result": result}, status=status
    )
