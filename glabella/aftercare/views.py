"""The patient's check-in (reached by a signed link), and the staff follow-up board."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from glabella.aftercare import (
    check_ins,
    follow_up_board,
    instructions,
    medwatch,
    patient_advice,
    reports,
    triage,
)
from glabella.aftercare import safety as safety_report
from glabella.aftercare.forms import CheckInForm
from glabella.aftercare.models import (
    AREAS,
    AdverseEvent,
    Alert,
    CheckIn,
    Report,
    ReportPhoto,
    Sent,
)
from glabella.catalogue.products import PRODUCT_NAMES
from glabella.clinic.clock import clinic_zone, local_zone
from glabella.core import audit
from glabella.core.access import get_restricted_or_404
from glabella.core.bounds import parse_day
from glabella.core.decorators import patient_page, staff_page
from glabella.core.errors import Conflict, DomainError, ValidationFailed, describe
from glabella.core.forms import apply_errors
from glabella.core.pages import refusal_on
from glabella.core.rendering import private_bytes, render_in
from glabella.core.replica import reading_from_replica
from glabella.core.roles import Capability
from glabella.treatments.models import TreatmentRecord


@require_http_methods(["GET", "POST"])
def check_in(request, token):
    """A check-in reached by the signed link in the patient's message."""
    try:
        public_id = check_ins.read_check_in_token(token)
    except signing.BadSignature:
        raise Http404("This link is not valid or has expired.") from None
    current = CheckIn.objects.select_related("patient", "treatment").get(public_id=public_id)
    if current.status == CheckIn.Status.SUBMITTED:
        return render(request, "aftercare/answered.html", {})
    return _answer(
        request,
        current.treatment,
        current.day,
        lambda raw, photo: reports.submit(current, raw, photo=photo),
    )


def _answer(request, treatment, day: int, send):
    """The check-in form: shown, checked, and on success `send(answers)` and the advice shown."""
    posted = request.method == "POST"
    form = CheckInForm(request.POST if posted else None, request.FILES if posted else None, day=day)
    status = 200
    if posted:
        status = 422
        if form.is_valid():
            try:
                report = send(form.to_raw(), form.photo_bytes())
            except ValidationFailed as exc:
                apply_errors(form, exc.fields)  # symptoms span several fields: shown at the top
            except Conflict:
                return render(request, "aftercare/answered.html", {})
            else:
                context = {"report": report, "answer": patient_advice.answer_for(report)}
                return render_in(
                    request, "aftercare/result.html", context, clinic_zone(treatment.patient)
                )
    patient = treatment.patient
    context = {"form": form, "day": day, "first_name": patient.preferred_name or patient.given_name}
    return render_in(request, "aftercare/check_in.html", context, clinic_zone(patient), status)


# ---------------------------------------------------------------- the patient's portal


def _own_treatments(actor):
    return (
        TreatmentRecord.objects.restrict(actor)
        .filter(locked_at__isnull=False, amends__isnull=True)
        .select_related("patient", "appointment__location__organisation")
    )


@require_GET
@patient_page
def portal_aftercare(request):
    """The patient's treatments of the last year: the aftercare they were sent, their check-ins,
    and a way to tell us how they are."""
    now = timezone.now()
    since = now - timedelta(days=365)
    treatments = list(_own_treatments(request.actor).filter(locked_at__gte=since)[:20])
    sent = {
        s.treatment_id: s
        for s in Sent.objects.restrict(request.actor)
        .filter(treatment__in=treatments)
        .prefetch_related("texts")
    }
    check_ins = CheckIn.objects.restrict(request.actor).filter(treatment__in=treatments)
    rows = []
    for record in treatments:
        texts = sent.get(record.pk)
        rows.append(
            {
                "record": record,
                "aftercare": instructions.fill(
                    sorted(texts.texts.all(), key=lambda t: (t.area != "", t.area)),
                    instructions.values_for(record),
                )
                if texts
                else None,
                "check_ins": [c for c in check_ins if c.treatment_id == record.pk],
                "may_report": reports.may_report_on(record, now),
            }
        )
    audit.record_patient(
        request.actor,
        audit.Action.READ,
        request.user.patient_record,
        object_type=audit.Kind.AFTERCARE,
    )
    zone = clinic_zone(request.user.patient_record)
    return render_in(request, "aftercare/portal.html", {"rows": rows, "now": now}, zone)


@require_http_methods(["GET", "POST"])
@patient_page
def portal_report(request, treatment_id):
    """The check-in form from the portal, for one of the patient's own treatments."""
    record = _own_treatments(request.actor).filter(public_id=treatment_id).first()
    now = timezone.now()
    if record is None or not reports.may_report_on(record, now):
        raise Http404
    return _answer(
        request,
        record,
        reports.days_since(record, now),
        lambda raw, photo: reports.report_between(request.actor, record, raw, photo=photo, now=now),
    )


# ---------------------------------------------------------------- the aftercare texts


@require_http_methods(["GET", "POST"])
@staff_page(Capability.VIEW_PATIENT)
def texts(request):
    """The clinic's aftercare texts, and (for those who manage them) a new version of one."""
    may_edit = request.actor.can(Capability.MANAGE_CONSENT_FORMS)
    errors, status, posted = {}, 200, {}
    if request.method == "POST":
        if not may_edit:
            return render(request, "core/forbidden.html", status=403)
        posted = request.POST
        with refusal_on(kinds=(ValidationFailed,)) as refused:
            text = instructions.publish(
                request.actor,
                product=posted.get("product", ""),
                area=posted.get("area", ""),
                title=posted.get("title", ""),
                body=posted.get("body", ""),
                active=posted.get("withdraw") != "yes",
                language=posted.get("language", instructions.ENGLISH),
            )
        errors, status = refused.fields, refused.status
        if not refused:
            language = instructions.LANGUAGES[text.language]
            messages.success(
                request,
                f"Version {text.version} in {language} published."
                if text.active
                else f"The {language} text withdrawn.",
            )
            return redirect("aftercare:texts")
    editing = {
        "product": request.GET.get("product", ""),
        "area": request.GET.get("area", ""),
        "language": request.GET.get("language", instructions.ENGLISH),
    }
    if editing["language"] not in instructions.LANGUAGES:
        editing["language"] = instructions.ENGLISH
    current = instructions.current(editing["product"], editing["area"], editing["language"])
    english = editing["language"] == instructions.ENGLISH
    if current is None and not editing["product"] and not editing["area"] and english:
        current = instructions.ensure_default()
    # Beside a text in another language, the English one it should say the same as.
    beside = None
    if not english:
        beside = instructions.current(editing["product"], editing["area"])
        if beside is None and not editing["product"] and not editing["area"]:
            beside = instructions.ensure_default()
    context = {
        "rows": instructions.overview(),
        "may_edit": may_edit,
        "errors": errors,
        "posted": posted,
        "editing": editing,
        "current": current,
        "english": beside,
        "products": PRODUCT_NAMES,
        "areas": AREAS,
        "languages": instructions.LANGUAGES,
        "fields": instructions.FIELDS,
    }
    return render(request, "aftercare/texts.html", context, status=status)


@require_GET
@staff_page(Capability.VIEW_CLINICAL)
def board(request):
    alerts = follow_up_board.open_alerts(request.actor)
    missed = list(
        CheckIn.objects.restrict(request.actor)
        .filter(status=CheckIn.Status.MISSED)
        .select_related("patient", "treatment")
        .order_by("-due_at")[:50]
    )
    shown = [a.patient.public_id for a in alerts] + [c.patient.public_id for c in missed]
    audit.record_listing(request.actor, audit.Kind.FOLLOW_UP_BOARD, shown)
    now = timezone.now()
    context = {
        "alerts": follow_up_board.waiting(alerts, now),
        "missed": missed,
        "now": now,
        "may_act": request.actor.can(Capability.CHANGE_CLINICAL),
    }
    # Times on the clinic's clock (the first location's), not the server's UTC.
    return render_in(request, "aftercare/board.html", context, local_zone())


@require_POST
@staff_page(Capability.CHANGE_CLINICAL)
def acknowledge(request, alert_id):
    alert = get_restricted_or_404(Alert.objects.all(), request.actor, public_id=alert_id)
    try:
        follow_up_board.acknowledge(
            request.actor,
            alert,
            contact=request.POST.get("contact", ""),
            advice=request.POST.get("advice", ""),
            outcome=request.POST.get("outcome", ""),
        )
    except DomainError as exc:
        messages.error(request, describe(exc))
    else:
        messages.success(request, "Acknowledged and recorded.")
    return redirect("aftercare:board")


@require_GET
@staff_page(Capability.VIEW_CLINICAL)
def follow_up(request, treatment_id):
    """Everything that followed one treatment: check-ins, what the patient reported (with any
    photo), alerts and their outcome, and adverse events."""
    record = get_restricted_or_404(
        TreatmentRecord.objects.select_related("patient"), request.actor, public_id=treatment_id
    )
    reports = list(
        Report.objects.restrict(request.actor)
        .filter(treatment=record)
        .select_related("check_in", "alert__acknowledged_by", "photo")
        .prefetch_related("alert__notices")
        .defer("photo__data")
    )
    audit.record_patient(
        request.actor,
        audit.Action.READ,
        record.patient,
        object_type=audit.Kind.AFTERCARE_FOLLOW_UP,
        object_id=record.public_id,
    )
    context = {
        "record": record,
        "check_ins": CheckIn.objects.restrict(request.actor).filter(treatment=record),
        "reports": reports,
        "events": AdverseEvent.objects.restrict(request.actor).filter(treatment=record),
        "symptom_names": {s.code: s.label for s in triage.SYMPTOMS},
        "may_act": request.actor.can(Capability.CHANGE_CLINICAL),
    }
    zone = clinic_zone(record.patient)
    return render_in(request, "aftercare/follow_up.html", context, zone)


@require_GET
@staff_page(Capability.VIEW_CLINICAL)
def photo(request, public_id):
    """A photo a patient sent, for clinicians only; never cached by the browser or a proxy."""
    found = get_restricted_or_404(
        ReportPhoto.objects.select_related("patient"), request.actor, public_id=public_id
    )
    audit.record_patient(
        request.actor,
        audit.Action.READ,
        found.patient,
        object_type=audit.Kind.AFTERCARE_PHOTO,
        object_id=found.public_id,
    )
    return private_bytes(found.data, found.content_type)


# ---------------------------------------------------------------- adverse events


@require_http_methods(["GET", "POST"])
@staff_page(Capability.CHANGE_CLINICAL)
def new_event(request, treatment_id):
    """A clinician's adverse event record, from a treatment (and the check-in report that raised
    it, when opened from the follow-up board)."""
    treatment = get_restricted_or_404(
        TreatmentRecord.objects.select_related("patient"),
        request.actor,
        public_id=treatment_id,
        locked_at__isnull=False,
    )
    report_id = request.POST.get("report") or request.GET.get("report") or ""
    report = (
        Report.objects.restrict(request.actor).filter(public_id=report_id).first()
        if _is_uuid(report_id)
        else None
    )
    errors, status = {}, 200
    if request.method == "POST":
        posted = request.POST
        form3500_fields = _posted_form3500(posted)
        with refusal_on(kinds=(ValidationFailed,)) as refused:
            event = medwatch.open_event(
                request.actor,
                treatment,
                {
                    "description": posted.get("description", ""),
                    "onset_on": posted.get("onset_on", ""),
                    "causality": posted.get("causality"),
                    "source": posted.get("source"),
                    "weight_kg": posted.get("weight_kg"),
                    "resolved": {"yes": True, "no": False}.get(posted.get("resolved", "")),
                    **form3500_fields,
                },
                report=report,
            )
        errors, status = refused.fields, refused.status
        if not refused:
            return redirect("aftercare:event", public_id=event.public_id)
        values = {k: posted.get(k, "") for k in posted} | {
            "outcomes": posted.getlist("outcomes"),
            "relevant_tests": form3500_fields["relevant_tests"],
        }
    else:
        values = medwatch.draft(treatment, report)
    # The form is filled from the patient's treatment (and report): a read of their record.
    audit.record_patient(
        request.actor,
        audit.Action.READ,
        treatment.patient,
        object_type=audit.Kind.TREATMENT,
        object_id=treatment.public_id,
    )
    context = {
        "treatment": treatment,
        "report": report,
        "errors": errors,
        "outcomes": AdverseEvent.Outcome.choices,
        "causality": AdverseEvent.Causality.choices,
        "challenge": AdverseEvent.Challenge.choices,
        "sources": [("check-in", "A check-in"), ("call", "A call"), ("visit", "A visit")],
        "values": values,
        # The rows given, and room for two more.
        "test_rows": values["relevant_tests"] + [{}, {}],
    }
    return render(request, "aftercare/new_event.html", context, status=status)


def _posted_form3500(posted) -> dict:
    """Form 3500's fields as the page posts them: tests as rows (rows left wholly empty are
    not rows), history one item a line."""
    rows = zip(
        posted.getlist("test_name"),
        posted.getlist("test_result"),
        posted.getlist("test_on"),
        strict=False,
    )
    return {
        "outcomes": posted.getlist("outcomes"),
        "died_on": posted.get("died_on", ""),
        "relevant_tests": [
            {"test": name, "result": result, "on": on}
            for name, result, on in rows
            if name.strip() or result.strip() or on.strip()
        ],
        "relevant_history": posted.get("relevant_history", "").splitlines(),
        "dechallenge": posted.get("dechallenge", ""),
        "rechallenge": posted.get("rechallenge", ""),
        "product_returned_on": posted.get("product_returned_on", ""),
    }


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@require_http_methods(["GET", "POST"])
@staff_page(Capability.VIEW_CLINICAL)
def event(request, public_id):
    found = get_restricted_or_404(
        AdverseEvent.objects.select_related(
            "treatment__vial__lot", "treatment__appointment__location", "patient"
        ),
        request.actor,
        public_id=public_id,
    )
    errors, status = {}, 200
    if request.method == "POST" and request.POST.get("action") == "follow-up":
        posted = request.POST
        values = _posted_form3500(posted) | {
            "resolved": {"yes": True, "no": False}.get(posted.get("resolved", ""))
        }
        try:
            medwatch.revise_event(request.actor, found, values)
        except ValidationFailed as exc:
            errors, status = exc.fields, 422
            follow_up = {k: posted.get(k, "") for k in posted} | {
                "outcomes": posted.getlist("outcomes"),
                "relevant_tests": values["relevant_tests"],
            }
        else:
            messages.success(request, "Follow-up recorded.")
            return redirect("aftercare:event", public_id=found.public_id)
    elif request.method == "POST":
        try:
            on = parse_day(request.POST.get("on", ""))
        except ValueError:
            on = None
        try:
            medwatch.mark_reported(request.actor, found, request.POST.get("to", ""), on)
        except DomainError as exc:
            messages.error(request, describe(exc))
        else:
            messages.success(request, "Recorded as reported.")
        return redirect("aftercare:event", public_id=found.public_id)
    kind = request.GET.get("format")
    if kind in ("json", "pdf"):
        audit.record_patient(
            request.actor,
            audit.Action.EXPORT,
            found.patient,
            object_type=audit.Kind.ADVERSE_EVENT,
            object_id=found.public_id,
            detail={"format": kind},
        )
        if kind == "json":
            body = json.dumps(medwatch.export(found), indent=2)
            response = HttpResponse(body, content_type="application/json")
        else:
            response = HttpResponse(medwatch.export_pdf(found), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="medwatch-{found.public_id}.{kind}"'
        )
        return response
    if not errors:
        follow_up = medwatch.follow_up_values(found)
    context = {
        "event": found,
        "sections": medwatch.sections(medwatch.export(found)),
        "errors": errors,
        "values": follow_up,
        "outcomes": AdverseEvent.Outcome.choices,
        "challenge": AdverseEvent.Challenge.choices,
        "test_rows": follow_up["relevant_tests"] + [{}, {}],
    }
    return render(request, "aftercare/event.html", context, status=status)


@require_GET
@staff_page(Capability.VIEW_CLINICAL)
@reading_from_replica()
def safety(request):
    """Side-effect rates by product, area, injector, dose band and lot, and lots that stand out."""

    def day(name):
        try:
            return parse_day(request.GET.get(name, ""))
        except ValueError:
            return None

    since, until = day("since"), day("until")
    found = safety_report.rows(since, until, organisation_id=request.actor.organisation_id)
    context = {
        "since": since,
        "until": until,
        "treated": len(found),
        "tables": [
            (title, safety_report.rates(found, by))
            for title, by in (
                ("Product", "product"),
                ("Area", "area"),
                ("Injector", "injector"),
                ("Dose", "dose"),
                ("Lot", "lot"),
            )
        ],
        "flagged": safety_report.flagged(found),
    }
    return render(request, "aftercare/safety.html", context)
