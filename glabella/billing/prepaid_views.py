"""The desk's pages of a patient's prepaid packages and membership (TAKE_PAYMENT): enrolling in
a membership (then the first month's fee at checkout), pausing, resuming and canceling it, and
the ledger of each package and membership; the owner (REFUND) adjusts a package's balance or a
member's credit with a reason.

Thin: the forms parse types only; `memberships.py` and `packages.py` decide, `prepaid.py` reads
and logs each read. A refusal goes on the form that was sent and the page is drawn again at its
status (422 for bad input, 409 for a membership that cannot change so), nothing written.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from glabella.billing import memberships, packages, prepaid
from glabella.billing.models import Membership, PatientPackage
from glabella.billing.packages import units_text
from glabella.billing.page_forms import (
    CancelMembershipForm,
    EnrolForm,
    MembershipAdjustForm,
    PackageAdjustForm,
)
from glabella.clinic import setup
from glabella.core.access import get_restricted_or_404
from glabella.core.decorators import staff_page
from glabella.core.pages import refusal_on
from glabella.core.rendering import render_in
from glabella.core.roles import Capability
from glabella.patients.models import Patient
from glabella.patients.services import log_shown, open_patient


def _organisation():
    found = setup.organisation()
    if found is None:
        raise Http404("Set up the clinic first.")
    return found


# ---------------------------------------------------------------- enrolling


def _enrol_page(request, patient, form, status=200):
    context = {
        "patient": patient,
        "form": form,
        "membership": prepaid.live_membership(patient),
        "has_plans": len(form.fields["plan"].choices) > 1,
    }
    return render(request, "billing/enrol.html", context, status=status)


@require_http_methods(["GET", "POST"])
@staff_page(Capability.TAKE_PAYMENT)
def enrol(request, public_id):
    """Enrolls the patient in a membership at a location; the first month's fee goes on an
    invoice at once, and the desk is sent to take it."""
    org = _organisation()
    plans = prepaid.membership_plans(org, on_sale_only=True)
    places = prepaid.locations(org)
    if request.method == "GET":
        patient = open_patient(request.actor, public_id)
        initial = {"location": patient.preferred_location_id}
        return _enrol_page(
            request, patient, EnrolForm(plans=plans, locations=places, initial=initial)
        )
    patient = get_restricted_or_404(Patient.objects, request.actor, "view", public_id=public_id)
    form = EnrolForm(request.POST, plans=plans, locations=places)
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        with refusal_on(form) as refused:
            membership = memberships.enrol(
                request.actor,
                patient,
                prepaid.membership_plan(org, data["plan"]),
                prepaid.location(org, data["location"]),
            )
        if not refused:
            invoice = prepaid.fee_invoice(membership)
            messages.success(
                request,
                f"{patient.full_name} is a member of {membership.plan.name}. "
                "Take the first month's fee here.",
            )
            return redirect("billing:invoice", public_id=invoice.public_id)
        status = refused.status
    log_shown(request.actor, patient)  # the page drawn again shows her name
    return _enrol_page(request, patient, form, status)


# ---------------------------------------------------------------- a membership


def _membership_page(
    request, membership: Membership, status=200, *, cancel=None, adjust=None, refused=""
):
    rows = prepaid.read_membership(request.actor, membership)
    live = membership.status in prepaid.LIVE
    may_adjust = live and request.actor.can(Capability.REFUND) and membership.plan.credit_product
    context = {
        "membership": membership,
        "patient": membership.patient,
        "plan": membership.plan,
        "rows": rows,
        "live": live,
        "credit": units_text(membership.credit_balance),
        "cancel": cancel or (CancelMembershipForm() if live else None),
        "adjust": adjust or (MembershipAdjustForm() if may_adjust else None),
        "refused": refused,
    }
    zone = membership.location.zone
    return render_in(request, "billing/membership.html", context, zone, status)


@require_GET
@staff_page(Capability.TAKE_PAYMENT)
def membership(request, public_id):
    return _membership_page(request, prepaid.find_membership(request.actor, public_id))


# slug: (form, what the service does, what the desk is told)
MEMBERSHIP_ACTIONS = {
    "pause": (forms.Form, lambda a, m, d: memberships.pause(a, m), "The membership is paused."),
    "resume": (forms.Form, lambda a, m, d: memberships.resume(a, m), "The membership is resumed."),
    "cancel": (
        CancelMembershipForm,
        lambda a, m, d: memberships.cancel(a, m, d["reason"]),
        "The membership is canceled.",
    ),
}


@require_POST
@staff_page(Capability.TAKE_PAYMENT)
def membership_action(request, public_id, action):
    """Pause, resume or cancel; back to the record when sent from there."""
    if action not in MEMBERSHIP_ACTIONS:
        raise Http404
    form_class, call, said = MEMBERSHIP_ACTIONS[action]
    found = prepaid.find_membership(request.actor, public_id, "change")
    form = form_class(request.POST)
    cancel = form if action == "cancel" else None
    if not form.is_valid():
        return _membership_page(request, found, 422, cancel=cancel)
    with refusal_on(form) as refused:
        call(request.actor, found, form.cleaned_data)
    if refused:
        again = prepaid.find_membership(request.actor, public_id)
        message = "" if refused.fields else refused.message
        return _membership_page(request, again, refused.status, cancel=cancel, refused=message)
    messages.success(request, said)
    if request.POST.get("back") == "record":
        return redirect(reverse("patients:record", args=[found.patient.public_id]) + "#prepaid")
    return redirect("prepaid:membership", public_id=found.public_id)


@require_POST
@staff_page(Capability.REFUND)
def membership_adjust(request, public_id):
    """The owner adds units to a member's credit or takes them off, with a reason."""
    found = prepaid.find_membership(request.actor, public_id, "refund")
    form = MembershipAdjustForm(request.POST)
    if not form.is_valid():
        return _membership_page(request, found, 422, adjust=form)
    data = form.cleaned_data
    with refusal_on(form) as refused:
        entry = memberships.adjust(request.actor, found, data["units"], data["reason"])
    if refused:
        again = prepaid.find_membership(request.actor, public_id)
        message = "" if refused.fields else refused.message
        return _membership_page(request, again, refused.status, adjust=form, refused=message)
    messages.success(request, f"The credit is {units_text(entry.balance_after)} units now.")
    return redirect("prepaid:membership", public_id=found.public_id)


# ---------------------------------------------------------------- a package


def _package_page(request, package: PatientPackage, status=200, form=None):
    rows = prepaid.read_package(request.actor, package)
    may_adjust = request.actor.can(Capability.REFUND) and package.status in (
        PatientPackage.Status.ACTIVE,
        PatientPackage.Status.USED_UP,
    )
    plan = package.plan
    context = {
        "package": package,
        "patient": package.patient,
        "plan": plan,
        "what": plan.get_product_display() if plan.product else plan.service.name,
        "unit": "units" if plan.product else "visits",
        "balance": units_text(package.balance),
        "bought": units_text(package.units),
        "rows": rows,
        "form": form or (PackageAdjustForm() if may_adjust else None),
    }
    zone = package.invoice.location.zone
    return render_in(request, "billing/package.html", context, zone, status)


@require_GET
@staff_page(Capability.TAKE_PAYMENT)
def package(request, public_id):
    return _package_page(request, prepaid.find_package(request.actor, public_id))


@require_POST
@staff_page(Capability.REFUND)
def package_adjust(request, public_id):
    """The owner adds units to a package or takes them off, with a reason."""
    found = prepaid.find_package(request.actor, public_id, "refund")
    form = PackageAdjustForm(request.POST)
    if not form.is_valid():
        return _package_page(request, found, 422, form)
    data = form.cleaned_data
    with refusal_on(form) as refused:
        entry = packages.adjust(
            request.actor, found, data["units"], data["reason"], refund=data["refund"]
        )
    if refused:
        again = prepaid.find_package(request.actor, public_id)
        return _package_page(request, again, refused.status, form)
    unit = "units" if found.plan.product else "visits"
    messages.success(request, f"The balance is {units_text(entry.balance_after)} {unit} now.")
    return redirect("prepaid:package", public_id=found.public_id)
