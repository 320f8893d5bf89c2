"""Staff pages for charting: the day's treatments, and a treatment record with its face chart,
points, totals, the dose guard's findings, signing and amendments.

Thin: the page parses rows of points and calls the charting services; every rule is theirs. It
works without JavaScript (rows of points, and "add the label pattern" for an area); with it, a
tap or click on the chart adds a point where it lands and the totals follow as you type.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from glabella.catalogue.areas import CHART_AREA_NAMES, Area, ChartArea
from glabella.catalogue.labels import LABELS
from glabella.catalogue.products import Product
from glabella.clinic.clock import local_zone
from glabella.clinic.models import Location
from glabella.core import audit, signing
from glabella.core.decorators import staff_page
from glabella.core.errors import DomainError, Throttled, ValidationFailed, describe
from glabella.core.pages import refusal_on
from glabella.core.rendering import render_in
from glabella.core.roles import Capability, Role
from glabella.inventory.models import Vial
from glabella.scheduling import treat_now
from glabella.scheduling.forms import DayForm
from glabella.scheduling.models import Appointment
from glabella.screening.decisions import offered_products
from glabella.treatments import chart, chart_vials, charting, cosign, guard, verdict, vial_views
from glabella.treatments.forms import AREA_CHOICES, DraftForm, PointFormSet
from glabella.treatments.models import TreatmentRecord
from glabella.treatments.signals import chart_notices


def show(request, template, context, status=200, location=None):
    return render_in(request, template, context, local_zone(location), status)


@require_GET
@staff_page(Capability.VIEW_CLINICAL)
def day(request):
    """A location's neuromodulator appointments of a day, with their records."""
    locations = list(Location.objects.filter(active=True).order_by("name"))
    if not locations:
        raise Http404
    location = next(
        (loc for loc in locations if loc.slug == request.GET.get("location")), locations[0]
    )
    today = timezone.now().astimezone(location.zone).date()
    shown = DayForm(request.GET or None).day_or(today)
    return _show_day(request, locations, location, shown)


def _show_day(request, locations, location, shown, *, failed=None, errors=None, status=200):
    """The day's list; `failed` is the appointment whose charting was refused, with `errors`."""
    appointments = list(
        Appointment.objects.restrict(request.actor)
        .filter(
            location=location,
            service__kind="neuromodulator",
            starts_at__date__gte=shown - timedelta(days=1),
            starts_at__date__lte=shown + timedelta(days=1),
        )
        .select_related("patient", "provider")
        .order_by("starts_at")
    )
    appointments = [
        a for a in appointments if a.starts_at.astimezone(location.zone).date() == shown
    ]
    records = {
        r.appointment_id: r
        for r in TreatmentRecord.objects.filter(appointment__in=appointments, amends__isnull=True)
    }
    now = timezone.now()
    today = now.astimezone(location.zone).date()
    # Today's consultations that may go on as a treatment (a decision signed during them).
    consults = (
        treat_now.consultations_of_the_day(now, location=location, treatable=True)
        if shown == today
        else []
    )
    shown_patients = [a.patient for a in appointments] + [a.patient for a, _ in consults]
    audit.record_listing(
        request.actor,
        audit.Kind.APPOINTMENT_LIST,
        (p.public_id for p in shown_patients),
        object_id=shown.isoformat(),
        detail={"location": location.slug[:60], "page": "treatments"},
    )
    context = {
        "location": location,
        "locations": locations,
        "day": shown,
        "rows": [(a, records.get(a.pk)) for a in appointments],
        "treat_rows": consults,
        "products": [(p.value, p.label) for p in offered_products()],
        "may_chart": request.actor.can(Capability.CHART),
        "previous_day": shown - timedelta(days=1),
        "next_day": shown + timedelta(days=1),
        "chartable": ("booked", "checked_in", "completed"),
        "failed": failed,
        "errors": errors or {},
        "typed_reason": request.POST.get("reason", "") if failed else "",
    }
    return show(request, "treatments/day.html", context, status, location=location)


@require_POST
@staff_page(Capability.CHART)
def start(request, appointment_id):
    appointment = (
        Appointment.objects.restrict(request.actor)
        .select_related("service", "patient", "location")
        .filter(public_id=appointment_id)
        .first()
    )
    if appointment is None:
        raise Http404
    existing = TreatmentRecord.objects.filter(appointment=appointment, amends__isnull=True).first()
    if existing is not None:
        return redirect("treatments:record", public_id=existing.public_id)
    with refusal_on(kinds=(DomainError,)) as refused:
        record = charting.start(
            request.actor,
            appointment,
            request.POST.get("product", ""),
            reason=request.POST.get("reason", ""),
        )
    if not refused:
        return redirect("treatments:record", public_id=record.public_id)
    if not refused.fields:
        messages.error(request, describe(refused.error))
        return redirect("treatments:day")
    # The day's list again, with the message on the field of this appointment's row.
    location = appointment.location
    locations = list(Location.objects.filter(active=True).order_by("name"))
    shown = appointment.starts_at.astimezone(location.zone).date()
    return _show_day(
        request, locations, location, shown, failed=appointment, errors=refused.fields, status=422
    )


def _vials(record: TreatmentRecord) -> list[Vial]:
    """The open vials the chart may draw from (`chart_vials`: in date, within hours of use)."""
    return chart_vials.menu(record).open


def _more_vials(draft_form, vials: list[Vial]) -> list[Vial]:
    """The vials ticked to continue from, in the order they are listed (None: one that is not
    on the list)."""
    if "vials" in draft_form.errors:
        return None
    ticked = set(draft_form.cleaned_data.get("vials") or ())
    return [v for v in vials if str(v.public_id) in ticked]


def _rows_from(formset) -> tuple[list[dict], list[int]]:
    """The points the rows describe, and which row each came from (for its errors)."""
    rows, origin = [], []
    for i, form in enumerate(formset.forms):
        if not form.is_valid() or form.is_blank() or form.cleaned_data.get("remove"):
            continue
        data = form.cleaned_data
        area = data.get("area") or ""
        x, y = data.get("x"), data.get("y")
        if area in {a.value for a in ChartArea} and not (x and y):
            x, y = chart.place(ChartArea(area), sum(1 for r in rows if r["area"] == area))
        rows.append(
            {
                "area": area,
                "x": str(x) if x not in (None, "") else "",
                "y": str(y) if y not in (None, "") else "",
                "units": data.get("units") or "",
                "depth": data.get("depth") or "",
            }
        )
        origin.append(i)
    return rows, origin


def _put_errors(formset, draft_form, errors: dict, origin: list[int]) -> None:
    for name, msgs in errors.items():
        parts = name.split(".")
        if parts[0] == "points" and len(parts) > 1 and parts[1].isdigit():
            form = formset.forms[origin[int(parts[1])]]
            field = parts[2] if len(parts) > 2 and parts[2] in form.fields else None
            if field in ("x", "y"):
                field = None
            for m in msgs:
                form.add_error(field, m)
        elif parts[0] == "platysma_bands" and f"bands_{parts[-1]}" in draft_form.fields:
            for m in msgs:
                draft_form.add_error(f"bands_{parts[-1]}", m)
        elif parts[0] in draft_form.fields:
            for m in msgs:
                draft_form.add_error(parts[0], m)
        else:
            for m in msgs:
                draft_form.add_error(None, m)


def _bands_on_screen(product: str, data):
    """The platysma bands the draft form sends, as the charting service takes them: KEEP for a
    product whose label has no dose by bands, None when both are left blank. Anything but 1 or 2
    is passed on as typed, for the service to refuse on its field."""
    if not LABELS[Product(product)].band_doses:
        return charting.KEEP
    left, right = (str(data.get(f"bands_{side}", "")).strip() for side in ("left", "right"))
    if not left and not right:
        return None
    return {
        side: (int(value) if value in ("1", "2") else value or None)
        for side, value in (("left", left), ("right", right))
    }


def _initial_rows(record) -> list[dict]:
    return [
        {"area": p.area, "units": f"{p.units.normalize():f}", "x": p.x, "y": p.y, "depth": p.depth}
        for p in record.points.all()
    ]


@require_http_methods(["GET", "POST"])
@staff_page(Capability.VIEW_CLINICAL)
def record(request, public_id):
    actor = request.actor
    try:
        current = charting.open_record(actor, public_id)
    except DomainError:
        raise Http404 from None
    if request.method == "GET":
        audit.record_patient(
            actor,
            audit.Action.READ,
            current.patient,
            object_type=audit.Kind.TREATMENT,
            object_id=current.public_id,
        )
    may_chart = (
        actor.can(Capability.CHART)
        and not current.locked
        and current.injector_id == getattr(actor.staff, "pk", None)
    )
    menu = chart_vials.menu(current) if not current.locked else None
    vials = menu.open if menu else []
    formset = PointFormSet(initial=_initial_rows(current), prefix="p")
    draft_form = DraftForm(
        initial={
            "vial": str(current.vial.public_id) if current.vial_id else "",
            "vials": [str(v.public_id) for v in guard.record_vials(current)[1:]],
            "notes_before": current.notes_before,
            "notes_after": current.notes_after,
            "bands_left": current.platysma_bands_left or "",
            "bands_right": current.platysma_bands_right or "",
        },
        vials=vials,
    )
    status, sign_errors, cosign_errors = 200, {}, {}
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "cosign":  # the medical director's, who does not chart this record
            with refusal_on(kinds=(ValidationFailed, Throttled)) as refused:
                proof = signing.typed(request.POST.get("secret"))  # checked by the service
                cosign.cosign(actor, current, proof=proof, note=request.POST.get("note", ""))
            if not refused:
                messages.success(request, "Co-signed above the ceiling.")
                return redirect("treatments:record", public_id=current.public_id)
            cosign_errors = refused.fields or {signing.FIELD: [refused.message]}
            status = refused.status
        elif action == "amend":
            if not actor.can(Capability.CHART):
                return render(request, "core/forbidden.html", status=403)
            amendment = charting.amend(
                actor, current
            )  # a refusal: its message, and this page again
            return redirect("treatments:record", public_id=amendment.public_id)
        elif not may_chart:
            return render(request, "core/forbidden.html", status=403)
        elif action in ("save", "pattern"):
            formset = PointFormSet(request.POST, prefix="p")
            draft_form = DraftForm(request.POST, vials=vials)
            formset.is_valid()
            draft_form.is_valid()
            rows, origin = _rows_from(formset)
            if action == "pattern":
                rows += _pattern(current.product, request.POST.get("pattern_area", ""), rows)
            chosen = draft_form.cleaned_data.get("vial") if draft_form.is_valid() else ""
            vial = next((v for v in vials if str(v.public_id) == chosen), None)
            more = _more_vials(draft_form, vials)
            try:
                if more is None:
                    raise ValidationFailed({"vials": ["Choose the vials from the list."]})
                charting.save_draft(
                    actor,
                    current,
                    points=rows,
                    vial=vial,
                    vials=more,
                    notes_before=draft_form.cleaned_data.get("notes_before", ""),
                    notes_after=draft_form.cleaned_data.get("notes_after", ""),
                    platysma_bands=_bands_on_screen(current.product, request.POST),
                )
            except ValidationFailed as exc:
                _put_errors(formset, draft_form, exc.fields, origin)
                status = 422
            else:
                messages.success(request, "Saved.")
                return redirect("treatments:record", public_id=current.public_id)
        elif action == "sign":
            reasons = {
                key.removeprefix("reason_"): value
                for key, value in request.POST.items()
                if key.startswith("reason_")
            }
            with refusal_on(kinds=(DomainError,)) as refused:
                proof = signing.typed(request.POST.get("secret"))  # checked by the service
                charting.lock(actor, current, proof=proof, reasons=reasons)
            if not refused:
                messages.success(request, "Signed and locked.")
                return redirect("treatments:record", public_id=current.public_id)
            field = signing.FIELD if isinstance(refused.error, Throttled) else "guard"
            sign_errors = dict(refused.fields) or {field: [refused.message]}
            status = refused.status
        else:
            sign_errors = {"action": ["Choose to save, add a pattern, or sign."]}
            status = 422
    if current.locked:
        panel = _panel(current, verdict.signed_verdict(current))
    elif request.method == "POST" and request.POST.get("action") in ("save", "pattern"):
        panel = _live_panel(current, request.POST, vials)  # the rows shown again, unsaved
    else:
        panel = _saved_panel(current)
    if not may_chart:
        panel["live_url"] = None  # no rows to follow: the panel stays as rendered
    result = panel.get("result")
    # The ceilings of the plan as saved (a co-signature covers that one), and its co-signature.
    ceilings = result.ceilings if result and not current.locked and not panel["unsaved"] else ()
    points = list(current.points.all())
    names = dict(AREA_CHOICES)
    context = {
        **panel,
        "record": current,
        "points": [
            (p, float(p.x) * chart.WIDTH, float(p.y) * chart.HEIGHT, n + 1, names[p.area])
            for n, p in enumerate(points)
        ],
        "formset": formset,
        "draft_form": draft_form,
        "record_vials": guard.record_vials(current),
        "warnings": [f for f in result.findings if f.level == "warn"] if result else [],
        "sign_errors": {k: v for k, v in sign_errors.items() if k != signing.FIELD},
        "secret_errors": sign_errors.get(signing.FIELD, []),
        "cosign_secret_errors": cosign_errors.get(signing.FIELD, []),
        "attestation": charting.attestation(current, actor.staff) if may_chart else "",
        "cosign_attestation": cosign.attestation(actor.staff) if actor.staff else "",
        "ceilings": ceilings,
        "cosignature": cosign.standing_cosignature(current, result) if ceilings else None,
        "cosigned_before": bool(ceilings) and current.cosignatures.exists(),
        "may_cosign": actor.staff is not None and actor.role == Role.MEDICAL_DIRECTOR,
        "cosign_errors": cosign_errors,
        "shows_bands": bool(LABELS[Product(current.product)].band_doses),
        "may_chart": may_chart,
        **(vial_views.panel(current, menu=menu) if may_chart else {}),
        "may_amend": actor.can(Capability.CHART) and current.locked,
        # What the apps above say about this record (billing: the invoice waits at the desk).
        "notices": [
            said
            for _receiver, said in chart_notices.send(
                sender=TreatmentRecord, actor=actor, record=current
            )
            if said
        ],
        "area_choices": AREA_CHOICES,
        "pattern_areas": [
            (a.value, CHART_AREA_NAMES[a], _pattern_text(current.product, a))
            for a in chart.PATTERNS
        ],
        "site_units": _site_units(current.product),
        "amendments": list(
            current.amendments.select_related("injector").prefetch_related("points")
        ),
        "original": current.amends,
        "width": chart.WIDTH,
        "height": chart.HEIGHT,
    }
    return show(request, "treatments/record.html", context, status, current.appointment.location)


# ---------------------------------------------------------------- the dose guard's panel


def _totals(product: str, result) -> list[tuple[str, str, str | None, bool]]:
    """Each area's total in words, with the label's dose for it and whether it is above."""
    label = LABELS[Product(product)]
    names = {a.value: a.label for a in label.doses} | {
        a.value: name for a, name in CHART_AREA_NAMES.items()
    }
    rows = []
    for area, units in result.area_totals.items():
        most = label.area_max(Area(area)) if area in {a.value for a in label.doses} else None
        rows.append(
            (
                names.get(area, area),
                f"{units.normalize():f}",
                f"{most.normalize():f}" if most is not None else None,
                most is not None and units > most,
            )
        )
    return rows


def _panel(record, result, *, errors=None, unsaved=False, live=False) -> dict:
    """What the dose guard's panel shows: a verdict with its totals, or what stops it."""
    return {
        "result": result,
        "signed": record.locked,
        "verdict_errors": sorted(errors.items()) if errors else None,
        "totals": _totals(record.product, result) if result else [],
        "total": f"{result.total.normalize():f}" if result else "",
        "unsaved": unsaved,
        "live_url": reverse("treatments:check", args=[record.public_id]) if live else None,
    }


def _stored(record) -> tuple[list, str, tuple | None]:
    points = sorted((p.area, p.units.normalize()) for p in record.points.all())
    return points, str(record.vial.public_id) if record.vial_id else "", record.platysma_bands


def _saved_panel(record) -> dict:
    """A draft's panel for its saved points and vial, as the page first shows them."""
    points = [{"area": p.area, "units": p.units} for p in record.points.all()]
    _, result = verdict.verdict(
        record.product, points, timezone.now(), vial=record.vial, record=record
    )
    return _panel(record, result, live=True)


def _live_panel(record, data, vials) -> dict:
    """The verdict on the points on the screen (the draft form's rows and vial), unsaved."""
    points, vial, errors = _plan_on_screen(data, vials)
    raw_bands = _bands_on_screen(record.product, data)
    bands = None if raw_bands is charting.KEEP else charting.clean_bands(raw_bands, errors)
    if errors:
        return _panel(record, None, errors=errors, live=True)
    _, result = verdict.verdict(
        record.product, points, timezone.now(), vial=vial, record=record, platysma_bands=bands
    )
    on_screen = (
        sorted((p["area"], p["units"].normalize()) for p in points),
        str(vial.public_id) if vial else "",
        record.platysma_bands if raw_bands is charting.KEEP else bands,
    )
    return _panel(record, result, unsaved=on_screen != _stored(record), live=True)


def _plan_on_screen(data, vials) -> tuple[list[dict], Vial | None, dict[str, list[str]]]:
    """The plan the chart's rows describe ({area, units} each), the vial chosen, and what
    stops the guard from reading them, by field. Units that are numbers but no dose of the
    product (zero, or off its steps) are left to the guard, as the API's check does."""
    errors: dict[str, list[str]] = {}
    formset = PointFormSet(data, prefix="p")
    if not formset.is_valid() and formset.non_form_errors():
        return [], None, {"points": ["The chart's rows did not arrive whole: reload the page."]}
    points = []
    areas = {a.value for a in ChartArea}
    for n, form in enumerate(formset.forms, start=1):
        where = f"points.{n - 1}"
        if form.errors:
            for field, msgs in form.errors.items():
                errors[f"{where}.{field}"] = [f"Point {n}: {m}" for m in msgs]
            continue
        row = form.cleaned_data
        if form.is_blank() or row.get("remove"):
            continue
        if row.get("area") not in areas:
            errors[f"{where}.area"] = [f"Point {n}: choose its area."]
        try:
            units = Decimal(str(row.get("units") or "").strip())
            if not units.is_finite() or abs(units) > charting.MOST_UNITS:
                raise InvalidOperation
        except InvalidOperation:
            errors[f"{where}.units"] = [f"Point {n}: give its units as a number."]
            continue
        if f"{where}.area" not in errors:
            points.append({"area": row["area"], "units": units})
    chosen = data.get("vial", "")
    vial = next((v for v in vials if str(v.public_id) == chosen), None)
    if chosen and vial is None:
        errors["vial"] = ["Choose one of the vials listed."]
    return points, vial, errors


@require_POST
@staff_page(Capability.CHART)
def check(request, public_id):
    """The dose guard's panel for the points on the screen, before any save: the verdict the
    API's check gives for the same plan, and the one signing would store. Writes nothing."""
    try:
        current = charting.open_record(request.actor, public_id)
    except DomainError:
        raise Http404 from None
    if current.locked:
        panel = _panel(current, verdict.signed_verdict(current))
    else:
        panel = _live_panel(current, request.POST, _vials(current))
    status = 422 if panel["verdict_errors"] else 200
    return show(
        request,
        "treatments/_verdict.html",
        {**panel, "record": current},
        status,
        current.appointment.location,
    )


def _pattern(product: str, area: str, rows: list[dict]) -> list[dict]:
    if area not in {a.value for a in chart.PATTERNS}:
        return []
    chart_area = ChartArea(area)
    sites, per_site = chart.label_pattern(product, chart_area) or (
        len(chart.PATTERNS[chart_area]),
        chart.OFF_LABEL_UNITS,
    )
    return [
        {
            "area": area,
            "x": str(chart.place(chart_area, i)[0]),
            "y": str(chart.place(chart_area, i)[1]),
            "units": str(per_site),
            "depth": "",
        }
        for i in range(sites)
    ]


def _pattern_text(product: str, area: ChartArea) -> str:
    pattern = chart.label_pattern(product, area)
    if pattern is None:
        return "not on this product's label"
    sites, per_site = pattern
    return f"{sites} x {per_site.normalize():f} U"


def _site_units(product: str) -> dict[str, str]:
    out = {}
    for area in ChartArea:
        pattern = chart.label_pattern(product, area)
        units = pattern[1] if pattern else chart.OFF_LABEL_UNITS
        out[area.value] = f"{units.normalize():f}"
    return out


@require_GET
@staff_page(Capability.VIEW_CLINICAL)
def note_pdf(request, public_id):
    """The printable treatment note (made from the record as it stands)."""
    from glabella.core import brand
    from glabella.treatments import pdf

    try:
        current = charting.open_record(request.actor, public_id)
    except DomainError:
        raise Http404 from None
    amendments = list(
        current.amendments.select_related("injector").prefetch_related("points").order_by("id")
    )
    with timezone.override(current.appointment.location.zone):
        data = pdf.render(current, brand.current().letterhead, amendments)
    audit.record_patient(
        request.actor,
        audit.Action.EXPORT,
        current.patient,
        object_type=audit.Kind.TREATMENT_NOTE,
        object_id=current.public_id,
    )
    response = HttpResponse(data, content_type="application/pdf")
    day = (
        current.appointment.starts_at.astimezone(current.appointment.location.zone)
        .date()
        .isoformat()
    )
    response["Content-Disposition"] = f'attachment; filename="treatment-{day}.pdf"'
    return response
