"""/api/v1/billing: invoices (list, read, open, build, finalize, void), payments and refunds.

Thin over `invoices.py` and `payments.py`, which check the capability, validate field by field
and write under the invoice's row lock. Amounts travel as strings of decimals ("120.00"), never
as JSON numbers. Every write honours an `Idempotency-Key` (scheduling.idempotency): a retry with
the same key and body gets the first answer again and writes nothing more. The desk and the
owner (TAKE_PAYMENT) see invoices and the card's last four digits; refunds are the owner's
(REFUND). Clinicians and patients never see an invoice here: a single invoice answers them 404
(patients see theirs in the portal), the list and the writes 403 at the door. Packages and
memberships are `prepaid_api.py`'s, mounted beside this router.
"""

from datetime import datetime, time, timedelta
from typing import Annotated, Literal
from uuid import UUID

from django.db.models import Q
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Path, Query, Router

from glabella.billing import desk, invoices, payments
from glabella.billing.api_schemas import (
    DiscountIn,
    InvoiceOut,
    InvoiceSummaryOut,
    OpenIn,
    PaymentIn,
    PaymentOut,
    ProductUnitsIn,
    PromotionIn,
    RefundIn,
    RefundOut,
    RewardIn,
    ServiceIn,
    UnitsIn,
    VoidIn,
    invoice_out,
    listed,
    payment_out,
    refund_out,
)
from glabella.billing.models import Invoice, Payment
from glabella.clinic.models import Location, Service
from glabella.core.access import get_restricted_or_404
from glabella.core.api import AUTH, api_actor, requires
from glabella.core.audit import Action, Kind, record_listing, record_patient
from glabella.core.bounds import Day
from glabella.core.errors import Conflict, ValidationFailed
from glabella.core.roles import Capability
from glabella.patients.models import Patient
from glabella.scheduling.idempotency import IdempotencyKey, idempotent
from glabella.scheduling.models import Appointment

router = Router(tags=["billing"])
DESK = requires(Capability.TAKE_PAYMENT)
OWNER_REFUNDS = requires(Capability.REFUND)
MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 31
# A second post with the same key while the first is still running waits this long for its
# answer (then 409), so two desks sending one payment both read the one answer.
WAIT_SECONDS = 10.0

# ---------------------------------------------------------------- finding


def _invoice(request: HttpRequest, public_id: UUID, action: str = "view") -> Invoice:
    """The invoice, for staff who may act on it; 404 for anyone else. Patients see their
    invoices in the portal, not here."""
    actor = api_actor(request)
    if not actor.is_staff:
        raise Http404
    return get_restricted_or_404(
        Invoice.objects.select_related("patient", "location", "organisation"),
        actor,
        action,
        public_id=public_id,
    )


def _location(slug: str, field: str = "location") -> Location:
    found = Location.objects.filter(slug=slug, active=True).first()
    if found is None:
        raise ValidationFailed({field: [f"No location is called {slug!r}."]})
    return found


def _today(invoice: Invoice):
    return timezone.now().astimezone(invoice.location.zone).date()


def _closed_named(write):
    """`write()`, with a refusal because the invoice is finalized or void (409) naming the
    invoice as its field, as every other refusal names its own."""
    try:
        return write()
    except Conflict as exc:
        if "fields" in exc.extra:
            raise
        raise Conflict(
            exc.message, extra={**exc.extra, "fields": {"invoice": [exc.message]}}
        ) from None


def _answer_invoice(request: HttpRequest, invoice: Invoice, write, status: int = 200):
    """Runs `write()` once per Idempotency-Key and answers the invoice as it then stands."""

    def run():
        _closed_named(write)
        return status, invoice_out(invoice)

    return idempotent(request, run, wait_seconds=WAIT_SECONDS)


# ---------------------------------------------------------------- reading


@router.get("/invoices", response=list[InvoiceSummaryOut], auth=DESK, summary="Invoices")
def list_invoices(
    request: HttpRequest,
    patient: UUID | None = None,
    location: Annotated[str | None, Query(max_length=50, description="Location slug")] = None,
    status: Literal["open", "finalized", "void"] | None = None,
    from_: Annotated[
        Day | None, Query(alias="from", description="First day, at each location's clock")
    ] = None,
    to: Annotated[Day | None, Query(description="Last day (at most 366 days after from)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
):
    """Invoices opened in a range of days (by default the last 31 at each location), newest
    first, by patient, location and status (a fixed number of queries, however many; one
    access-log row naming their patients)."""
    actor = api_actor(request)
    places = [_location(location)] if location else list(Location.objects.all())
    last = to or (from_ + timedelta(days=DEFAULT_RANGE_DAYS - 1) if from_ else None)
    if last is None:
        last = max(timezone.now().astimezone(p.zone).date() for p in places) if places else None
    first = from_ or (last - timedelta(days=DEFAULT_RANGE_DAYS - 1) if last else None)
    if first and last and last < first:
        raise ValidationFailed({"to": ["The end of the range is before its start."]})
    if first and last and (last - first).days >= MAX_RANGE_DAYS:
        raise ValidationFailed({"to": [f"Ask for at most {MAX_RANGE_DAYS} days at a time."]})
    within = Q(pk__in=[])
    for place in places:
        start = datetime.combine(first, time(0), tzinfo=place.zone)
        end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=place.zone)
        within |= Q(location=place, created_at__gte=start, created_at__lt=end)
    qs = Invoice.objects.restrict(actor, "view").filter(within)
    if patient:
        qs = qs.filter(patient__public_id=patient)
    if status:
        qs = qs.filter(status=status)
    found = list(qs.select_related("patient", "location").order_by("-created_at", "-id")[:limit])
    owed = desk.amounts(found)  # three queries, however many invoices
    if found:
        record_listing(actor, Kind.INVOICE, [i.patient.public_id for i in found])
    return [listed(i, owed[i.pk].total, owed[i.pk].paid, owed[i.pk].refunded) for i in found]


@router.get("/invoices/{public_id}", response=InvoiceOut, auth=AUTH, summary="One invoice")
def read_invoice(request: HttpRequest, public_id: UUID):
    """Its lines, totals, payments (with the card's last four) and refunds."""
    invoice = _invoice(request, public_id)
    record_patient(
        api_actor(request),
        Action.READ,
        invoice.patient,
        object_type=Kind.INVOICE,
        object_id=invoice.public_id,
    )
    return invoice_out(invoice)


# ---------------------------------------------------------------- building


@router.post("/invoices", response={201: InvoiceOut}, auth=DESK, summary="Open an invoice")
def open_invoice(request: HttpRequest, payload: OpenIn, idempotency_key: IdempotencyKey = None):
    """An empty invoice for a patient at a location (a product sold at the desk, a visit)."""
    actor = api_actor(request)

    def run():
        patient = Patient.objects.restrict(actor, "view").filter(public_id=payload.patient).first()
        if patient is None:
            raise ValidationFailed({"patient": ["No patient has this id."]})
        place = _location(payload.location)
        visit = None
        if payload.appointment is not None:
            visit = Appointment.objects.filter(
                public_id=payload.appointment, patient=patient, location=place
            ).first()
            if visit is None:
                raise ValidationFailed(
                    {"appointment": ["Choose one of this patient's visits at this location."]}
                )
        invoice = invoices.open_invoice(actor, patient, place, visit)
        return 201, invoice_out(invoice)

    return idempotent(request, run, wait_seconds=WAIT_SECONDS)


@router.post(
    "/invoices/{public_id}/lines/{line_id}/units",
    response=InvoiceOut,
    auth=DESK,
    summary="Bill other units on a line",
)
def set_line_units(
    request: HttpRequest,
    public_id: UUID,
    line_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    payload: UnitsIn,
    idempotency_key: IdempotencyKey = None,
):
    """Units billed on a product line; other than charted needs a reason."""
    invoice = _invoice(request, public_id, "change")
    return _answer_invoice(
        request,
        invoice,
        lambda: invoices.set_units(
            api_actor(request), invoice, line_id, payload.quantity, payload.reason
        ),
    )


@router.delete(
    "/invoices/{public_id}/lines/{line_id}",
    response=InvoiceOut,
    auth=DESK,
    summary="Remove a line",
)
def remove_line(
    request: HttpRequest,
    public_id: UUID,
    line_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    idempotency_key: IdempotencyKey = None,
):
    """A line off an open invoice; the units charted stay (bill them otherwise with a reason)."""
    invoice = _invoice(request, public_id, "change")
    return _answer_invoice(
        request, invoice, lambda: invoices.remove_line(api_actor(request), invoice, line_id)
    )


@router.post(
    "/invoices/{public_id}/services", response=InvoiceOut, auth=DESK, summary="Add a service"
)
def add_service(
    request: HttpRequest,
    public_id: UUID,
    payload: ServiceIn,
    idempotency_key: IdempotencyKey = None,
):
    invoice = _invoice(request, public_id, "change")

    def write():
        service = Service.objects.filter(
            slug=payload.service, organisation=invoice.organisation, active=True
        ).first()
        invoices.add_service(api_actor(request), invoice, service)

    return _answer_invoice(request, invoice, write)


@router.post(
    "/invoices/{public_id}/units", response=InvoiceOut, auth=DESK, summary="Add product units"
)
def add_units(
    request: HttpRequest,
    public_id: UUID,
    payload: ProductUnitsIn,
    idempotency_key: IdempotencyKey = None,
):
    """Units of a product sold without a chart, at the clinic's price."""
    invoice = _invoice(request, public_id, "change")
    return _answer_invoice(
        request,
        invoice,
        lambda: invoices.add_units(api_actor(request), invoice, payload.product, payload.quantity),
    )


@router.post(
    "/invoices/{public_id}/discounts", response=InvoiceOut, auth=DESK, summary="Add a discount"
)
def add_discount(
    request: HttpRequest,
    public_id: UUID,
    payload: DiscountIn,
    idempotency_key: IdempotencyKey = None,
):
    """An amount off, never more than is left to take off."""
    invoice = _invoice(request, public_id, "change")
    return _answer_invoice(
        request,
        invoice,
        lambda: invoices.add_discount(
            api_actor(request), invoice, payload.amount, description=payload.description
        ),
    )


@router.post(
    "/invoices/{public_id}/rewards",
    response=InvoiceOut,
    auth=DESK,
    summary="Add a manufacturer's reward",
)
def add_reward(
    request: HttpRequest, public_id: UUID, payload: RewardIn, idempotency_key: IdempotencyKey = None
):
    """Allē, Evolus Rewards or Aspire: the amount off, with the code the patient shows."""
    invoice = _invoice(request, public_id, "change")
    return _answer_invoice(
        request,
        invoice,
        lambda: invoices.add_discount(
            api_actor(request),
            invoice,
            payload.amount,
            program=payload.program,
            code=payload.code,
        ),
    )


@router.post(
    "/invoices/{public_id}/promotion",
    response=InvoiceOut,
    auth=DESK,
    summary="Apply a promotion code",
)
def apply_promotion(
    request: HttpRequest,
    public_id: UUID,
    payload: PromotionIn,
    idempotency_key: IdempotencyKey = None,
):
    """One code an invoice, running today at the invoice's location, with uses left."""
    invoice = _invoice(request, public_id, "change")
    return _answer_invoice(
        request,
        invoice,
        lambda: invoices.apply_promotion(
            api_actor(request), invoice, payload.code, _today(invoice)
        ),
    )


@router.post("/invoices/{public_id}/finalize", response=InvoiceOut, auth=DESK, summary="Finalize")
def finalize(request: HttpRequest, public_id: UUID, idempotency_key: IdempotencyKey = None):
    """Gives the invoice its number and freezes it (the first payment does this too)."""
    invoice = _invoice(request, public_id, "change")
    return _answer_invoice(request, invoice, lambda: invoices.finalize(api_actor(request), invoice))


@router.post("/invoices/{public_id}/void", response=InvoiceOut, auth=DESK, summary="Void")
def void(
    request: HttpRequest, public_id: UUID, payload: VoidIn, idempotency_key: IdempotencyKey = None
):
    """An open invoice that should not be paid, with the reason; never deleted."""
    invoice = _invoice(request, public_id, "change")
    return _answer_invoice(
        request, invoice, lambda: invoices.void(api_actor(request), invoice, payload.reason)
    )


# ---------------------------------------------------------------- money


@router.post(
    "/invoices/{public_id}/payments",
    response={201: PaymentOut},
    auth=DESK,
    summary="Take a payment",
)
def take_payment(
    request: HttpRequest,
    public_id: UUID,
    payload: PaymentIn,
    idempotency_key: IdempotencyKey = None,
):
    """Never more than is owed; the first payment finalizes an open invoice. Send an
    Idempotency-Key: a retry then never takes the money twice."""
    invoice = _invoice(request, public_id, "change")

    def run():
        taken = _closed_named(
            lambda: payments.take_payment(
                api_actor(request),
                invoice,
                method=payload.method,
                amount=payload.amount,
                card_last4=payload.card_last4,
                authorization=payload.authorization,
                reference=payload.reference,
            )
        )
        return 201, payment_out(
            Payment.objects.select_related("invoice", "taken_by").get(pk=taken.pk)
        )

    return idempotent(request, run, wait_seconds=WAIT_SECONDS)


@router.post(
    "/payments/{public_id}/refunds",
    response={201: RefundOut},
    auth=OWNER_REFUNDS,
    summary="Refund a payment",
)
def refund_payment(
    request: HttpRequest, public_id: UUID, payload: RefundIn, idempotency_key: IdempotencyKey = None
):
    """Part or all of one payment, with a reason; never more than it paid less its refunds.
    An online card payment is given back to the card by Stripe first and recorded only once
    Stripe accepted it: Stripe's refusal is a 422 on `amount`, Stripe out of reach (or card
    payments switched off) a 409, and nothing is written. Asked again, the same refund is
    never given back twice, whatever the Idempotency-Key."""
    actor = api_actor(request)
    payment = get_restricted_or_404(
        Payment.objects.select_related("invoice__patient"), actor, "change", public_id=public_id
    )

    def run():
        given = payments.refund(actor, payment, amount=payload.amount, reason=payload.reason)
        return 201, refund_out(given)

    return idempotent(request, run, wait_seconds=WAIT_SECONDS)
