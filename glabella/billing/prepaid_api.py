"""/api/v1/billing: prepaid packages and memberships (plans, a patient's packages and
membership with their ledgers, selling, redeeming, the owner's adjustments, enrolling, pausing,
resuming, cancelling).

Thin over `packages.py` and `memberships.py`, which check the capability, validate field by
field and write under the invoice's and then the balance's row lock. Units and amounts travel as
strings of decimals. Every write honours an `Idempotency-Key` (scheduling.idempotency), as the
invoice routes do (`api.py`, whose helpers these routes share). The desk and the owner
(TAKE_PAYMENT) sell, redeem and enroll; adjusting a balance is the owner's (REFUND). Clinicians
and patients never reach these: a single package or membership answers them 404, the lists and
the writes 403 at the door. Mounted beside `api.router` under /api/v1/billing (glabella/api.py).
"""

from typing import Annotated, Literal
from uuid import UUID

from django.http import Http404, HttpRequest
from ninja import Query, Router

from glabella.billing import memberships, packages
from glabella.billing.api import (
    DESK,
    OWNER_REFUNDS,
    WAIT_SECONDS,
    _answer_invoice,
    _invoice,
    _location,
)
from glabella.billing.api_schemas import InvoiceOut
from glabella.billing.models import Membership, MembershipPlan, PackagePlan, PatientPackage
from glabella.billing.prepaid_api_schemas import (
    MEMBERSHIP_RELATED,
    PACKAGE_RELATED,
    AdjustmentIn,
    CancelIn,
    EnrolIn,
    MembershipDetailOut,
    MembershipOut,
    MembershipPlanOut,
    MembershipRedemptionIn,
    PackageDetailOut,
    PackageOut,
    PackagePlanOut,
    PackageRedemptionIn,
    SaleIn,
    membership_detail,
    membership_out,
    membership_plan_out,
    package_detail,
    package_out,
    package_plan_out,
)
from glabella.clinic import setup
from glabella.core.access import get_restricted_or_404
from glabella.core.api import AUTH, api_actor
from glabella.core.audit import Action, Kind, record_listing, record_patient
from glabella.core.errors import Conflict, ValidationFailed
from glabella.patients.models import Patient
from glabella.scheduling.idempotency import IdempotencyKey, idempotent

router = Router(tags=["billing"])
Limit = Annotated[int, Query(ge=1, le=500)]

# ---------------------------------------------------------------- finding


def _package(request: HttpRequest, public_id: UUID, action: str = "view") -> PatientPackage:
    """The package, for staff who may act on it; 404 for anyone else (patients see theirs on
    the portal, not here)."""
    actor = api_actor(request)
    if not actor.is_staff:
        raise Http404
    return get_restricted_or_404(
        PatientPackage.objects.select_related(*PACKAGE_RELATED), actor, action, public_id=public_id
    )


def _membership(request: HttpRequest, public_id: UUID, action: str = "view") -> Membership:
    actor = api_actor(request)
    if not actor.is_staff:
        raise Http404
    return get_restricted_or_404(
        Membership.objects.select_related(*MEMBERSHIP_RELATED), actor, action, public_id=public_id
    )


def _named(field: str, write):
    """`write()`, with a refusal because its object's state forbids it (409) naming `field`."""
    try:
        return write()
    except Conflict as exc:
        if "fields" in exc.extra:
            raise
        raise Conflict(exc.message, extra={**exc.extra, "fields": {field: [exc.message]}}) from None


def _log_read(request: HttpRequest, thing, kind: Kind) -> None:
    record_patient(
        api_actor(request), Action.READ, thing.patient, object_type=kind, object_id=thing.public_id
    )


# ---------------------------------------------------------------- plans


@router.get("/package-plans", response=list[PackagePlanOut], auth=DESK, summary="Packages on sale")
def list_package_plans(request: HttpRequest):
    """The clinic's packages on sale: units of a product, or visits of a service."""
    found = (
        PackagePlan.objects.restrict(api_actor(request), "view")
        .filter(organisation=setup.organisation(), active=True)
        .select_related("service")
        .order_by("name")
    )
    return [package_plan_out(p) for p in found]


@router.get(
    "/membership-plans",
    response=list[MembershipPlanOut],
    auth=DESK,
    summary="Memberships on offer",
)
def list_membership_plans(request: HttpRequest):
    """The clinic's memberships: the monthly fee, member prices and monthly credit."""
    found = (
        MembershipPlan.objects.restrict(api_actor(request), "view")
        .filter(organisation=setup.organisation(), active=True)
        .order_by("name")
    )
    return [membership_plan_out(p) for p in found]


# ---------------------------------------------------------------- packages


@router.get("/packages", response=list[PackageOut], auth=DESK, summary="Patients' packages")
def list_packages(
    request: HttpRequest,
    patient: UUID | None = None,
    status: Literal["pending", "active", "used_up", "expired"] | None = None,
    limit: Limit = 100,
):
    """Packages sold, newest first, by patient and status, with their balances."""
    actor = api_actor(request)
    found = PatientPackage.objects.restrict(actor, "view").select_related(*PACKAGE_RELATED)
    if patient:
        found = found.filter(patient__public_id=patient)
    if status:
        found = found.filter(status=status)
    rows = list(found.order_by("-sold_at", "-id")[:limit])
    if rows:
        record_listing(actor, Kind.PACKAGE, [p.patient.public_id for p in rows])
    return [package_out(p) for p in rows]


@router.get("/packages/{public_id}", response=PackageDetailOut, auth=AUTH, summary="One package")
def read_package(request: HttpRequest, public_id: UUID):
    """Its balance, status and days, and its ledger: every unit in and out."""
    package = _package(request, public_id)
    _log_read(request, package, Kind.PACKAGE)
    return package_detail(package)


@router.post(
    "/invoices/{public_id}/packages", response=InvoiceOut, auth=DESK, summary="Sell a package"
)
def sell_package(
    request: HttpRequest, public_id: UUID, payload: SaleIn, idempotency_key: IdempotencyKey = None
):
    """The package's price as a line on the open invoice; the package is usable once that
    invoice is paid in full."""
    invoice = _invoice(request, public_id, "change")

    def write():
        plan = PackagePlan.objects.filter(pk=payload.plan).first()
        packages.sell(api_actor(request), invoice, plan)

    return _answer_invoice(request, invoice, write)


@router.post(
    "/invoices/{public_id}/package-redemptions",
    response=InvoiceOut,
    auth=DESK,
    summary="Pay units from a package",
)
def redeem_package(
    request: HttpRequest,
    public_id: UUID,
    payload: PackageRedemptionIn,
    idempotency_key: IdempotencyKey = None,
):
    """Units of a line of the package's product (or visits of its service) paid from the
    patient's package: a payment of method package worth the units at the line's price."""
    invoice = _invoice(request, public_id, "change")
    actor = api_actor(request)

    def write():
        package = (
            PatientPackage.objects.restrict(actor, "change")
            .select_related("plan", "plan__service")
            .filter(public_id=payload.package)
            .first()
        )
        packages.redeem(actor, invoice, package, payload.line, payload.units)

    return _answer_invoice(request, invoice, write)


@router.post(
    "/packages/{public_id}/adjustments",
    response=PackageDetailOut,
    auth=OWNER_REFUNDS,
    summary="Adjust a package's balance",
)
def adjust_package(
    request: HttpRequest,
    public_id: UUID,
    payload: AdjustmentIn,
    idempotency_key: IdempotencyKey = None,
):
    """Units added or taken off with a reason (the owner's): never below zero, never above
    what was bought. `refund` marks units given back after a redemption was refunded."""
    package = _package(request, public_id, "refund")

    def run():
        packages.adjust(
            api_actor(request), package, payload.units, payload.reason, refund=payload.refund
        )
        return 200, package_detail(package)

    return idempotent(request, run, wait_seconds=WAIT_SECONDS)


# ---------------------------------------------------------------- memberships


@router.get("/memberships", response=list[MembershipOut], auth=DESK, summary="Memberships")
def list_memberships(
    request: HttpRequest,
    patient: UUID | None = None,
    status: Literal["active", "paused", "cancelled"] | None = None,
    limit: Limit = 100,
):
    """Memberships, newest first, by patient and status, with the credit left."""
    actor = api_actor(request)
    found = Membership.objects.restrict(actor, "view").select_related(*MEMBERSHIP_RELATED)
    if patient:
        found = found.filter(patient__public_id=patient)
    if status:
        found = found.filter(status=status)
    rows = list(found.order_by("-started_on", "-id")[:limit])
    if rows:
        record_listing(actor, Kind.MEMBERSHIP, [m.patient.public_id for m in rows])
    return [membership_out(m) for m in rows]


@router.get(
    "/memberships/{public_id}",
    response=MembershipDetailOut,
    auth=AUTH,
    summary="One membership",
)
def read_membership(request: HttpRequest, public_id: UUID):
    """Its status and credit, and its ledger: each month's credit and fee, credit spent,
    pauses."""
    membership = _membership(request, public_id)
    _log_read(request, membership, Kind.MEMBERSHIP)
    return membership_detail(membership)


@router.post(
    "/memberships", response={201: MembershipDetailOut}, auth=DESK, summary="Enroll a member"
)
def enrol_member(request: HttpRequest, payload: EnrolIn, idempotency_key: IdempotencyKey = None):
    """A membership from today at a location: the first month's credit, and its fee on an
    invoice of its own for the desk to take."""
    actor = api_actor(request)

    def run():
        patient = Patient.objects.restrict(actor, "view").filter(public_id=payload.patient).first()
        if patient is None:
            raise ValidationFailed({"patient": ["No patient has this id."]})
        place = _location(payload.location)
        plan = MembershipPlan.objects.filter(pk=payload.plan).first()
        membership = memberships.enrol(actor, patient, plan, place)
        return 201, membership_detail(membership)

    return idempotent(request, run, wait_seconds=WAIT_SECONDS)


def _change(request: HttpRequest, public_id: UUID, change):
    membership = _membership(request, public_id, "change")

    def run():
        _named("membership", lambda: change(api_actor(request), membership))
        return 200, membership_detail(membership)

    return idempotent(request, run, wait_seconds=WAIT_SECONDS)


@router.post(
    "/memberships/{public_id}/pause",
    response=MembershipDetailOut,
    auth=DESK,
    summary="Pause a membership",
)
def pause_membership(request: HttpRequest, public_id: UUID, idempotency_key: IdempotencyKey = None):
    """No fee and no credit while paused; the credit already granted stays."""
    return _change(request, public_id, memberships.pause)


@router.post(
    "/memberships/{public_id}/resume",
    response=MembershipDetailOut,
    auth=DESK,
    summary="Resume a membership",
)
def resume_membership(
    request: HttpRequest, public_id: UUID, idempotency_key: IdempotencyKey = None
):
    """Active again; this month's credit and fee if the month has not had them."""
    return _change(request, public_id, memberships.resume)


@router.post(
    "/memberships/{public_id}/cancel",
    response=MembershipDetailOut,
    auth=DESK,
    summary="Cancel a membership",
)
def cancel_membership(
    request: HttpRequest, public_id: UUID, payload: CancelIn, idempotency_key: IdempotencyKey = None
):
    """Ends it for good: no more fees, and the unused credit lapses."""
    return _change(
        request, public_id, lambda actor, m: memberships.cancel(actor, m, payload.reason)
    )


@router.post(
    "/invoices/{public_id}/membership-redemptions",
    response=InvoiceOut,
    auth=DESK,
    summary="Pay units from membership credit",
)
def redeem_membership(
    request: HttpRequest,
    public_id: UUID,
    payload: MembershipRedemptionIn,
    idempotency_key: IdempotencyKey = None,
):
    """Units of a line of the plan's credit product paid from the member's credit: a payment
    of method membership worth the units at the line's price."""
    invoice = _invoice(request, public_id, "change")
    actor = api_actor(request)

    def write():
        membership = (
            Membership.objects.restrict(actor, "change")
            .select_related("plan")
            .filter(public_id=payload.membership)
            .first()
        )
        memberships.redeem(actor, invoice, membership, payload.line, payload.units)

    return _answer_invoice(request, invoice, write)
