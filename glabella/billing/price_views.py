"""The owner's price pages (SET_PRICES): a price and member price per product, whether it is
taxed, each location's sales tax, the promotion codes, and the prepaid packages and memberships
the clinic sells (added, and taken off sale). Thin: forms parse, `prices.py`, `packages.py` and
`memberships.py` decide and audit."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from glabella.billing import memberships, packages, prepaid, prices
from glabella.billing.models import Promotion, SalesTax
from glabella.billing.page_forms import (
    MembershipPlanForm,
    PackagePlanForm,
    PlanOnSaleForm,
    PriceForm,
    PromotionForm,
    SalesTaxForm,
)
from glabella.catalogue.products import product_name
from glabella.clinic import setup
from glabella.clinic.models import Location, Service
from glabella.core.decorators import staff_page
from glabella.core.errors import NotFound
from glabella.core.pages import refusal_on
from glabella.core.roles import Capability


def _organisation():
    found = setup.organisation()
    if found is None:
        raise Http404("Set up the clinic first.")
    return found


def _location(public_id) -> Location:
    found = Location.objects.filter(public_id=public_id).first()
    if found is None:
        raise NotFound("No such location.")
    return found


def _services(org):
    return list(Service.objects.filter(organisation=org).order_by("name"))


def _home(request, status=200, bound=None, bound_tax=None, package_form=None, membership_form=None):
    org = _organisation()
    rows = []
    for row in prices.price_list(org):
        price = row["price"]
        if bound is not None and bound[0] == row["product"]:
            form = bound[1]
        else:
            form = PriceForm(
                initial={
                    "product": row["product"],
                    "per_unit": price.per_unit if price else "",
                    "member_per_unit": (price.member_per_unit or "") if price else "",
                    "taxable": price.taxable if price else False,
                },
                prefix=row["product"],
            )
        rows.append({**row, "form": form})
    taxes = {t.location_id: t for t in SalesTax.objects.all()}
    locations = []
    for loc in Location.objects.order_by("name"):
        if bound_tax is not None and bound_tax[0] == loc.pk:
            form = bound_tax[1]
        else:
            tax = taxes.get(loc.pk)
            form = SalesTaxForm(
                initial={"percent": tax.percent.normalize() if tax else ""},
                prefix=str(loc.public_id),
            )
        locations.append({"location": loc, "tax": taxes.get(loc.pk), "form": form})
    context = {
        "rows": rows,
        "locations": locations,
        "promotions": Promotion.objects.filter(organisation=org).order_by("-active", "code"),
        "package_plans": prepaid.package_plans(org),
        "membership_plans": prepaid.membership_plans(org),
        "package_form": package_form or PackagePlanForm(services=_services(org)),
        "membership_form": membership_form or MembershipPlanForm(),
    }
    return render(request, "billing/prices.html", context, status=status)


@require_GET
@staff_page(Capability.SET_PRICES)
def home(request):
    return _home(request)


@require_POST
@staff_page(Capability.SET_PRICES)
def product_price(request):
    org = _organisation()
    prefix = request.POST.get("prefix", "")
    form = PriceForm(request.POST, prefix=prefix or None)
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        with refusal_on(form) as refused:
            prices.set_price(
                request.actor,
                org,
                data["product"],
                per_unit=data["per_unit"],
                member_per_unit=data["member_per_unit"],
                taxable=data["taxable"],
            )
        if not refused:
            messages.success(request, f"The price of {product_name(data['product'])} is saved.")
            return redirect("prices:home")
        status = refused.status
    return _home(request, status, bound=(prefix, form))


@require_POST
@staff_page(Capability.SET_PRICES)
def sales_tax(request, public_id):
    loc = _location(public_id)
    form = SalesTaxForm(request.POST, prefix=str(loc.public_id))
    status = 422
    if form.is_valid():
        with refusal_on(form) as refused:
            prices.set_sales_tax(request.actor, loc, form.cleaned_data["percent"])
        if not refused:
            messages.success(request, f"{loc.name}'s sales tax is saved.")
            return redirect("prices:home")
        status = refused.status
    return _home(request, status, bound_tax=(loc.pk, form))


def _promotion_page(request, promotion, form, status=200):
    context = {"promotion": promotion, "form": form}
    return render(request, "billing/promotion.html", context, status=status)


def _save_promotion(request, promotion):
    org = _organisation()
    form = PromotionForm(request.POST)
    if not form.is_valid():
        return _promotion_page(request, promotion, form, 422)
    with refusal_on(form) as refused:
        saved = prices.save_promotion(request.actor, org, promotion, form.cleaned_data)
    if refused:
        return _promotion_page(request, promotion, form, refused.status)
    messages.success(request, f"The promotion code {saved.code} is saved.")
    return redirect("prices:home")


@require_http_methods(["GET", "POST"])
@staff_page(Capability.SET_PRICES)
def promotion_new(request):
    if request.method == "POST":
        return _save_promotion(request, None)
    return _promotion_page(request, None, PromotionForm(initial={"kind": "percent"}))


@require_http_methods(["GET", "POST"])
@staff_page(Capability.SET_PRICES)
def promotion(request, code):
    found = Promotion.objects.filter(organisation=_organisation(), code=code.upper()).first()
    if found is None:
        raise NotFound("No such promotion code.")
    if request.method == "POST":
        return _save_promotion(request, found)
    form = PromotionForm(
        initial={
            "code": found.code,
            "description": found.description,
            "kind": found.kind,
            "value": found.value,
            "starts_on": found.starts_on.isoformat(),
            "ends_on": found.ends_on.isoformat(),
            "max_uses": found.max_uses or "",
            "active": found.active,
        }
    )
    return _promotion_page(request, found, form)


@require_POST
@staff_page(Capability.SET_PRICES)
def package_plan(request):
    """A prepaid package the clinic sells: units of a product or visits of a service."""
    org = _organisation()
    services = _services(org)
    form = PackagePlanForm(request.POST, services=services)
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        service = next((s for s in services if s.pk == data["service"]), None)
        with refusal_on(form) as refused:
            plan = packages.create_plan(
                request.actor,
                org,
                name=data["name"],
                product=data["product"],
                service=service,
                units=data["units"],
                price=data["price"],
                valid_days=data["valid_days"],
            )
        if not refused:
            messages.success(request, f"The package {plan.name} is on sale.")
            return redirect("prices:home")
        status = refused.status
    return _home(request, status, package_form=form)


@require_POST
@staff_page(Capability.SET_PRICES)
def membership_plan(request):
    """A membership: its monthly fee, members' percent off, a monthly credit of units."""
    org = _organisation()
    form = MembershipPlanForm(request.POST)
    status = 422
    if form.is_valid():
        with refusal_on(form) as refused:
            plan = memberships.create_plan(request.actor, org, **form.cleaned_data)
        if not refused:
            messages.success(request, f"The membership {plan.name} is open to new members.")
            return redirect("prices:home")
        status = refused.status
    return _home(request, status, membership_form=form)


@require_POST
@staff_page(Capability.SET_PRICES)
def plan_on_sale(request):
    """Stops selling a package or enrolling in a membership, or starts again; what patients
    hold already is not touched."""
    form = PlanOnSaleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a package or membership from the list.")
        return _home(request, 422)
    data = form.cleaned_data
    plan = prepaid.find_plan(_organisation(), data["kind"], data["plan"])
    service = packages if data["kind"] == "package" else memberships
    service.set_plan_active(request.actor, plan, data["on_sale"])
    if data["kind"] == "package":
        said = "is on sale again" if data["on_sale"] else "is no longer sold"
    else:
        said = "is open to new members again" if data["on_sale"] else "takes no new members"
    messages.success(request, f"{plan.name} {said}.")
    return redirect("prices:home")
