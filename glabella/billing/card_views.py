"""Card pages: the button on a booking's confirmation that sends the patient to Stripe
Checkout, the page Stripe sends them back to, the webhook Stripe posts to, and the staff page
that confirms and charges a no-show or late-cancel fee. Without keys every one answers 404."""

from django import forms
from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from glabella.billing import card_events, card_fees, cards
from glabella.billing.models import FeeCharge, SavedCard
from glabella.clinic.models import Organisation
from glabella.core.access import client_ip, for_every_clinic, get_restricted_or_404
from glabella.core.audit import Action, Kind, record_patient
from glabella.core.decorators import staff_page
from glabella.core.errors import DomainError, describe
from glabella.core.pages import refusal_on
from glabella.core.rendering import render_in
from glabella.core.roles import Capability
from glabella.scheduling import notices, online
from glabella.scheduling.models import Appointment


def _require_enabled() -> None:
    if not cards.enabled():
        raise Http404


def _appointment_from_token(token: str) -> Appointment:
    try:
        public_id = notices.read_manage_token(token)
    except signing.BadSignature:
        raise Http404 from None
    found = (
        Appointment.objects.select_related("location__organisation", "service", "patient")
        .filter(public_id=public_id)
        .first()
    )
    if found is None:
        raise Http404
    return found


@require_POST
def start(request, token):
    """The confirmation page's button: a Checkout Session for the deposit or the card, then
    a redirect to Stripe's page (303). A refusal goes back to the confirmation with its
    message."""
    _require_enabled()
    appointment = _appointment_from_token(token)
    actor = online.manage_actor(appointment, client_ip(request))
    with refusal_on(kinds=(DomainError,)) as refused:
        address = cards.start_checkout(actor, appointment, timezone.now())
    if refused:
        messages.error(request, describe(refused.error))
        return redirect("scheduling:manage", token=token)
    return _see_other(address)


def _see_other(address: str) -> HttpResponse:
    response = HttpResponse(status=303)
    response["Location"] = address
    return response


@require_GET
def checkout_return(request, public_id):
    """Where Stripe sends the patient back: whether the deposit or card has reached us yet
    (the webhook records it), and the way back to the booking."""
    _require_enabled()
    checkout = cards.checkout_of(public_id)
    if checkout is None:
        raise Http404
    appointment = checkout.appointment
    actor = online.manage_actor(appointment, client_ip(request))
    record_patient(
        actor,
        Action.READ,
        checkout.patient,
        object_type=Kind.ONLINE_CHECKOUT,
        object_id=checkout.public_id,
    )
    context = {
        "checkout": checkout,
        "appointment": appointment,
        "manage_url": notices.manage_url(appointment),
    }
    return render_in(request, "billing/cards/return.html", context, appointment.location.zone)


@for_every_clinic
@csrf_exempt
@require_POST
def webhook(request):
    """Stripe's events: verified by the Stripe-Signature header, each event applied once."""
    _require_enabled()
    try:
        outcome = card_events.handle_webhook(request.body, request.headers.get("Stripe-Signature"))
    except card_events.BadSignature:
        return HttpResponseBadRequest("The signature does not verify.", content_type="text/plain")
    except card_events.Unavailable:  # nothing written: Stripe sends the event again later
        return HttpResponse("Try again later.", status=503, content_type="text/plain")
    return HttpResponse(outcome, content_type="text/plain")


@staff_page(Capability.TAKE_PAYMENT)
@require_http_methods(["GET", "POST"])
def fee(request, public_id):
    """A missed visit's or late cancellation's fee: the policy, the saved card, and a confirm
    before it is charged; the charge's outcome (paid, or the bank's refusal) shown here."""
    _require_enabled()
    actor = request.actor
    appointment = get_restricted_or_404(
        Appointment.objects.select_related("location__organisation", "patient", "service"),
        actor,
        public_id=public_id,
    )
    status = 200
    error = None
    if request.method == "POST":
        with refusal_on(kinds=(DomainError,)) as refused:
            charged = card_fees.charge_fee(
                actor, appointment, confirmed=request.POST.get("confirm") == "yes"
            )
        if not refused:
            if charged.status == charged.Status.PAID:
                messages.success(request, f"The fee of ${charged.amount:,.2f} is paid.")
            else:
                messages.error(request, f"The card was refused: {charged.message}")
            return redirect("cards:fee", public_id=public_id)
        status, error = refused.status, describe(refused.error)
    else:
        record_patient(
            actor,
            Action.READ,
            appointment.patient,
            object_type=Kind.FEE,
            object_id=appointment.public_id,
        )
    due = cards.fee_due(appointment)
    context = {
        "appointment": appointment,
        "due": due,
        "reason_label": dict(FeeCharge.Reason.choices).get(due[0]) if due else "",
        "card": SavedCard.objects.filter(patient=appointment.patient)
        .exclude(payment_method_id="")
        .first(),
        "fees": card_fees.fees_of(appointment),
        "policy": cards.policy(appointment.service, appointment.location),
        "error": error,
    }
    return render_in(request, "billing/cards/fee.html", context, appointment.location.zone, status)


class PolicyForm(forms.Form):
    """Parses types only; `cards.set_policy` decides what is allowed."""

    cancellation_policy = forms.CharField(
        label="Your cancellation policy, in your words",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": cards.POLICY_MAX}),
    )
    late_cancel_fee = forms.CharField(
        label="Fee for a late cancellation (0 for none)", required=False, max_length=20
    )
    no_show_fee = forms.CharField(
        label="Fee for a missed visit (0 for none)", required=False, max_length=20
    )
    deposit_amount = forms.CharField(
        label="Deposit for services that ask one, paid by card at online booking",
        required=False,
        max_length=20,
    )
    card_on_file = forms.BooleanField(
        label="Ask every online booking to save a card", required=False
    )

    def __init__(self, *args, cards_on: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not cards_on:
            del self.fields["deposit_amount"]
            del self.fields["card_on_file"]


@staff_page(Capability.SET_PRICES)
@require_http_methods(["GET", "POST"])
def policy(request):
    """The owner's cancellation policy: shown at booking, in the confirmation and reminders."""
    organisation = Organisation.objects.order_by("pk").first()
    if organisation is None:
        raise Http404
    found = cards.billing_of(organisation)
    cards_on = cards.enabled()
    initial = {
        "cancellation_policy": found.cancellation_policy,
        "late_cancel_fee": found.late_cancel_fee,
        "no_show_fee": found.no_show_fee,
        "deposit_amount": found.deposit_amount,
        "card_on_file": found.card_on_file,
    }
    status = 200
    if request.method == "POST":
        form = PolicyForm(request.POST, cards_on=cards_on)
        form.is_valid()
        with refusal_on(form) as refused:
            cards.set_policy(request.actor, organisation, request.POST)
        if not refused:
            messages.success(request, "The cancellation policy is saved.")
            return redirect("cards:policy")
        status = refused.status
    else:
        form = PolicyForm(initial=initial, cards_on=cards_on)
    return render_in(request, "billing/cards/policy.html", {"form": form}, None, status)
