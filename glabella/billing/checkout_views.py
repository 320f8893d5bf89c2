"""The desk's checkout pages: the location's open invoices, an invoice (its lines, units billed
against units charted, services, units, discounts, manufacturer rewards, a promotion code,
payments, the visit's deposit paid online applied, voiding), a refund on a payment, the
receipt as a PDF and by email.

Thin: the forms parse types only; `invoices.py`, `payments.py` and `receipts.py` decide, and a
refusal goes on the form that was sent (`refusal_on`), the page drawn again at its status (422
for bad input, 409 for a finalized invoice), nothing written.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from glabella.billing import (
    cards,
    deposits,
    desk,
    invoices,
    memberships,
    packages,
    payments,
    receipts,
)
from glabella.billing.models import (
    PRODUCT_CHOICES,
    Invoice,
    InvoiceLine,
    Membership,
    PackagePlan,
    PatientPackage,
    Payment,
)
from glabella.clinic.clock import local_today
from glabella.clinic.models import Location, Service
from glabella.core.decorators import staff_page
from glabella.core.pages import refusal_on
from glabella.core.rendering import render_in
from glabella.core.roles import Capability

AMOUNT = forms.TextInput(attrs={"inputmode": "decimal", "size": 10, "autocomplete": "off"})
UNITS = forms.TextInput(attrs={"inputmode": "decimal", "size": 6, "autocomplete": "off"})


def _amount(label="Amount ($)"):
    return forms.CharField(label=label, max_length=20, required=False, widget=AMOUNT)


class BillUnitsForm(forms.Form):
    line = forms.TypedChoiceField(coerce=int, label="Line")
    quantity = forms.CharField(label="Units billed", max_length=12, required=False, widget=UNITS)
    reason = forms.CharField(
        label="Reason, when billing other than charted", max_length=300, required=False
    )

    def __init__(self, *args, view, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [
            (line.pk, line.description) for line in view.lines if line.kind == "units"
        ]


class AddServiceForm(forms.Form):
    service = forms.TypedChoiceField(label="Service", coerce=int)

    def __init__(self, *args, view, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [
            (s.pk, f"{s.name} (${s.price:,.2f})")
            for s in Service.objects.filter(organisation=view.invoice.organisation).order_by("name")
        ]


class AddUnitsForm(forms.Form):
    product = forms.ChoiceField(label="Product", choices=PRODUCT_CHOICES)
    quantity = forms.CharField(label="Units", max_length=12, required=False, widget=UNITS)


class DiscountForm(forms.Form):
    amount = _amount()
    description = forms.CharField(label="Description", max_length=200, required=False)


class RewardForm(forms.Form):
    program = forms.ChoiceField(label="Rewards program", choices=InvoiceLine.Program.choices)
    code = forms.CharField(label="Code from the patient's app", max_length=60, required=False)
    amount = _amount()


class PromotionForm(forms.Form):
    code = forms.CharField(label="Promotion code", max_length=30, required=False)


class RemoveLineForm(forms.Form):
    line = forms.TypedChoiceField(coerce=int, label="Line")

    def __init__(self, *args, view, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [(line.pk, line.description) for line in view.lines]


class PaymentForm(forms.Form):
    method = forms.ChoiceField(
        label="Paid by",
        choices=[(m.value, m.label) for m in payments.AT_THE_DESK],
        widget=forms.RadioSelect,
        initial="card",
    )
    amount = _amount()
    card_last4 = forms.CharField(
        label="Card's last four digits",
        max_length=4,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 4, "autocomplete": "off"}),
    )
    authorization = forms.CharField(
        label="Authorization code", max_length=40, required=False, widget=forms.TextInput()
    )
    reference = forms.CharField(label="Gift card number", max_length=60, required=False)


class SellPackageForm(forms.Form):
    plan = forms.TypedChoiceField(label="Package", coerce=int)

    def __init__(self, *args, view, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].choices = [
            (plan.pk, f"{plan.name} (${plan.price:,.2f})")
            for plan in PackagePlan.objects.filter(
                organisation=view.invoice.organisation, active=True
            ).order_by("name")
        ]


def _line_choices(view, prepaid_lines=("units", "service")):
    return [
        (line.pk, f"{line.description}: {packages.units_text(line.quantity)}")
        for line in view.lines
        if line.kind in prepaid_lines
    ]


class RedeemPackageForm(forms.Form):
    package = forms.TypedChoiceField(label="Package", coerce=int)
    line = forms.TypedChoiceField(label="Pays for", coerce=int)
    units = forms.CharField(
        label="Units (or visits) from the package", max_length=12, required=False, widget=UNITS
    )

    def __init__(self, *args, view, prepaid, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["package"].choices = [
            (
                held.pk,
                f"{held.plan.name}: {packages.units_text(held.balance)} left, "
                f"good through {date_format(held.expires_on)}",
            )
            for held in prepaid.packages
        ]
        self.fields["line"].choices = _line_choices(view)


class RedeemMembershipForm(forms.Form):
    line = forms.TypedChoiceField(label="Pays for", coerce=int)
    units = forms.CharField(
        label="Units from the membership's credit", max_length=12, required=False, widget=UNITS
    )

    def __init__(self, *args, view, prepaid, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = _line_choices(view, ("units",))


class ApplyDepositForm(forms.Form):
    """No fields: what is left of the visit's deposit, at most what the invoice owes."""


class VoidForm(forms.Form):
    reason = forms.CharField(
        label="Why is it voided?",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class EmailReceiptForm(forms.Form):
    """No fields: the receipt goes to the email on the patient's record."""


class RefundForm(forms.Form):
    amount = _amount("Amount to give back ($)")
    reason = forms.CharField(
        label="Reason", max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


def _service(invoice, data):
    found = Service.objects.filter(pk=data["service"], organisation=invoice.organisation).first()
    return found


def _plan(invoice, data):
    return PackagePlan.objects.filter(pk=data["plan"], organisation=invoice.organisation).first()


def _package(invoice, data):
    return PatientPackage.objects.filter(pk=data["package"], patient=invoice.patient).first()


def _membership(invoice):
    return Membership.objects.filter(
        patient=invoice.patient, status=Membership.Status.ACTIVE
    ).first()


# slug: (form, needs the invoice's lines, what the service does, what the desk is told)
ACTIONS = {
    "bill-units": (
        BillUnitsForm,
        lambda a, inv, d: invoices.set_units(a, inv, d["line"], d["quantity"], d["reason"]),
        "Units billed.",
    ),
    "add-service": (
        AddServiceForm,
        lambda a, inv, d: invoices.add_service(a, inv, _service(inv, d)),
        "Service added.",
    ),
    "add-units": (
        AddUnitsForm,
        lambda a, inv, d: invoices.add_units(a, inv, d["product"], d["quantity"]),
        "Units added.",
    ),
    "discount": (
        DiscountForm,
        lambda a, inv, d: invoices.add_discount(a, inv, d["amount"], description=d["description"]),
        "Discount added.",
    ),
    "reward": (
        RewardForm,
        lambda a, inv, d: invoices.add_discount(
            a, inv, d["amount"], program=d["program"], code=d["code"]
        ),
        "Reward recorded.",
    ),
    "promotion": (
        PromotionForm,
        lambda a, inv, d: invoices.apply_promotion(
            a, inv, d["code"], local_today(inv.location, timezone.now())
        ),
        "Promotion applied.",
    ),
    "remove-line": (
        RemoveLineForm,
        lambda a, inv, d: invoices.remove_line(a, inv, d["line"]),
        "Line removed.",
    ),
    "sell-package": (
        SellPackageForm,
        lambda a, inv, d: packages.sell(a, inv, _plan(inv, d)),
        "Package added: it is ready to use once this invoice is paid.",
    ),
    "redeem-package": (
        RedeemPackageForm,
        lambda a, inv, d: packages.redeem(a, inv, _package(inv, d), d["line"], d["units"]),
        "Paid from the package.",
    ),
    "redeem-membership": (
        RedeemMembershipForm,
        lambda a, inv, d: memberships.redeem(a, inv, _membership(inv), d["line"], d["units"]),
        "Paid from the membership's credit.",
    ),
    "apply-deposit": (
        ApplyDepositForm,
        lambda a, inv, d: deposits.apply_deposit(a, inv),
        "The deposit paid online is applied.",
    ),
    "payment": (
        PaymentForm,
        lambda a, inv, d: payments.take_payment(a, inv, **d),
        "Payment taken.",
    ),
    "void": (VoidForm, lambda a, inv, d: invoices.void(a, inv, d["reason"]), "Invoice voided."),
    "email-receipt": (
        EmailReceiptForm,
        lambda a, inv, d: receipts.email_receipt(a, inv),
        "The receipt is on its way by email.",
    ),
}
NEEDS_VIEW = {BillUnitsForm, AddServiceForm, RemoveLineForm, SellPackageForm}
NEEDS_PREPAID = {RedeemPackageForm, RedeemMembershipForm}


def _form(slug: str, view, prepaid, data=None):
    form_class = ACTIONS[slug][0]
    extra = {"view": view} if form_class in NEEDS_VIEW else {}
    if form_class in NEEDS_PREPAID:
        extra = {"view": view, "prepaid": prepaid}
    initial = {}
    if slug == "payment" and view.balance > 0:
        initial = {"amount": f"{view.balance:.2f}"}
    return form_class(data, auto_id=f"{slug}-%s", initial=initial, **extra)


def _page(request, invoice: Invoice, status: int = 200, sent: tuple[str, forms.Form] | None = None):
    view = desk.read_invoice(request.actor, invoice)
    prepaid = desk.prepaid_for(invoice, local_today(invoice.location))
    found = {slug.replace("-", "_"): _form(slug, view, prepaid) for slug in ACTIONS}
    if sent:
        found[sent[0].replace("-", "_")] = sent[1]
    context = {
        "view": view,
        "invoice": invoice,
        "forms": found,
        "prepaid": prepaid,
        "deposit_left": deposits.unapplied(invoice) if view.balance > 0 else 0,
        "may_refund": request.actor.can(Capability.REFUND),
    }
    return render_in(request, "billing/invoice.html", context, invoice.location.zone, status)


def _location(request) -> Location:
    locations = list(Location.objects.filter(active=True).order_by("name"))
    if not locations:
        raise Http404
    wanted = request.GET.get("location")
    return next((loc for loc in locations if loc.slug == wanted), locations[0])


@require_GET
@staff_page(Capability.TAKE_PAYMENT)
def checkout(request):
    """The location's invoices at the desk today."""
    location = _location(request)
    today = local_today(location)
    context = {
        **desk.checkout_list(request.actor, location, today),
        "location": location,
        "locations": Location.objects.filter(active=True).order_by("name"),
        "day": today,
    }
    return render_in(request, "billing/checkout.html", context, location.zone)


@require_GET
@staff_page(Capability.TAKE_PAYMENT)
def invoice(request, public_id):
    return _page(request, desk.find_invoice(request.actor, public_id))


@require_POST
@staff_page(Capability.TAKE_PAYMENT)
def invoice_action(request, public_id, action):
    if action not in ACTIONS:
        raise Http404
    found = desk.find_invoice(request.actor, public_id, "change")
    view = desk.describe(found)
    prepaid = desk.prepaid_for(found, local_today(found.location))
    form = _form(action, view, prepaid, request.POST)
    if not form.is_valid():
        return _page(request, found, 422, (action, form))
    with refusal_on(form) as refused:
        ACTIONS[action][1](request.actor, found, form.cleaned_data)
    if refused:
        return _page(request, Invoice.objects.get(pk=found.pk), refused.status, (action, form))
    messages.success(request, ACTIONS[action][2])
    return redirect("billing:invoice", public_id=found.public_id)


@require_http_methods(["GET", "POST"])
@staff_page(Capability.REFUND)
def refund(request, public_id):
    """Money given back on one payment, with a reason (the owner's). An online card payment is
    given back to the card by Stripe through the same service, then recorded."""
    payment = desk.find_payment(request.actor, public_id)
    invoice = payment.invoice
    online = payment.method == Payment.Method.ONLINE_CARD
    applied = payment.method == Payment.Method.DEPOSIT
    form = RefundForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            with refusal_on(form) as refused:
                payments.refund(request.actor, payment, **form.cleaned_data)
            if not refused:
                messages.success(
                    request,
                    "Refunded to the patient's card by Stripe, and recorded."
                    if online
                    else "Given back to the deposit paid online."
                    if applied
                    else "Refund recorded.",
                )
                return redirect("billing:invoice", public_id=invoice.public_id)
            status = refused.status
    view = desk.read_invoice(request.actor, invoice)
    row = next(r for r in view.payments if r.payment.pk == payment.pk)
    context = {
        "view": view,
        "invoice": invoice,
        "row": row,
        "form": form,
        "online": online,
        "applied": applied,
        "cards_on": cards.enabled(),
    }
    return render_in(request, "billing/refund.html", context, invoice.location.zone, status)


@require_GET
@staff_page(Capability.TAKE_PAYMENT)
def receipt(request, public_id):
    """The receipt of a finalized invoice as a PDF."""
    found = desk.find_invoice(request.actor, public_id)
    data = receipts.receipt_for(request.actor, found)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{found.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
