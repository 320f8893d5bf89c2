"""The owner's price list: a price per unit (per syringe for a filler) and a member price for each
product, whether it is taxed, each location's sales tax, and the promotion codes.

Every write needs SET_PRICES, checks every field (`ValidationFailed` naming each, nothing
written) and writes an access-log row (`Kind.PRICES`) with the old and new values.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from glabella.billing import money
from glabella.billing.invoices import parse_amount
from glabella.billing.models import ProductPrice, Promotion, SalesTax
from glabella.catalogue.products import PRODUCT_NAMES
from glabella.core import audit
from glabella.core.access import Actor
from glabella.core.bounds import day_in_range
from glabella.core.db import write_transaction
from glabella.core.errors import ValidationFailed
from glabella.core.roles import Capability
from glabella.patients.services import require_capability

MAX_UNIT_PRICE = Decimal("10000.00")  # a unit, or a syringe of filler
MAX_USES = 100_000
CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{1,29}")


def _yes(value: object) -> bool:
    return str(value or "").strip().lower() in {"1", "true", "on", "yes"}


def _log(actor: Actor, what: str, before: dict | None, after: dict) -> None:
    audit.record(
        actor,
        audit.Action.UPDATE if before else audit.Action.CREATE,
        audit.Kind.PRICES,
        what,
        detail={"before": before or {}, "after": after},
    )


def price_list(organisation) -> list[dict]:
    """Every product with its price (None where there is none yet), in the catalogue's order."""
    found = {p.product: p for p in ProductPrice.objects.filter(organisation=organisation)}
    return [
        {"product": str(key), "name": name, "price": found.get(str(key))}
        for key, name in PRODUCT_NAMES.items()
    ]


def set_price(
    actor: Actor,
    organisation,
    product: object,
    *,
    per_unit: object,
    member_per_unit: object = "",
    taxable: object = False,
) -> ProductPrice:
    require_capability(actor, Capability.SET_PRICES, "set prices")
    errors: dict[str, list[str]] = {}
    key = str(product or "")
    if key not in {str(p) for p in PRODUCT_NAMES}:
        errors["product"] = ["Choose a product from the list."]
    price = member = None
    try:
        price = parse_amount(per_unit, "per_unit", maximum=MAX_UNIT_PRICE)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if str(member_per_unit or "").strip():
        try:
            member = parse_amount(member_per_unit, "member_per_unit", maximum=MAX_UNIT_PRICE)
        except ValidationFailed as exc:
            errors.update(exc.fields)
        if member is not None and price is not None and member > price:
            errors["member_per_unit"] = ["A member price is at most the price per unit."]
    if errors:
        raise ValidationFailed(errors)
    taxed = _yes(taxable)
    with write_transaction():
        current = ProductPrice.objects.filter(organisation=organisation, product=key).first()
        before = (
            {
                "per_unit": str(current.per_unit),
                "member_per_unit": str(current.member_per_unit or ""),
                "taxable": current.taxable,
            }
            if current
            else None
        )
        found, _ = ProductPrice.objects.update_or_create(
            organisation=organisation,
            product=key,
            defaults={"per_unit": price, "member_per_unit": member, "taxable": taxed},
        )
        after = {"per_unit": str(price), "member_per_unit": str(member or ""), "taxable": taxed}
        _log(actor, f"price:{key}", before, after)
    return found


def set_sales_tax(actor: Actor, location, percent: object) -> SalesTax:
    """A location's sales tax in percent (its state's rate), 0 to 20, at most 3 places."""
    require_capability(actor, Capability.SET_PRICES, "set sales tax")
    try:
        value = Decimal(str(percent if percent is not None else "").strip().rstrip("%"))
    except (InvalidOperation, ValueError):
        raise ValidationFailed({"percent": ["Enter a percent, such as 7.25."]}) from None
    if not value.is_finite():
        raise ValidationFailed({"percent": ["Enter a percent, such as 7.25."]})
    if value < 0 or value > money.MAX_TAX_PERCENT:
        raise ValidationFailed({"percent": [f"Enter 0 to {money.MAX_TAX_PERCENT} percent."]})
    if value != value.quantize(Decimal("0.001")):
        raise ValidationFailed({"percent": ["Use at most three decimal places."]})
    with write_transaction():
        current = SalesTax.objects.filter(location=location).first()
        before = {"percent": str(current.percent)} if current else None
        found, _ = SalesTax.objects.update_or_create(location=location, defaults={"percent": value})
        _log(actor, f"sales-tax:{location.public_id}", before, {"percent": str(value)})
    return found


def _day(value: object, field: str, errors: dict) -> date | None:
    if isinstance(value, date):
        found = value
    else:
        try:
            found = date.fromisoformat(str(value or "").strip())
        except ValueError:
            errors[field] = ["Enter a date, such as 2026-12-01."]
            return None
    if not day_in_range(found):
        errors[field] = ["Enter a date between 1900 and 2100."]
        return None
    return found


def save_promotion(actor: Actor, organisation, promotion: Promotion | None, data) -> Promotion:
    """A new promotion code (`promotion` None) or changes to one. `data`: code, description,
    kind (percent or amount), value, starts_on, ends_on, max_uses (blank: no limit), active."""
    require_capability(actor, Capability.SET_PRICES, "set promotion codes")
    errors: dict[str, list[str]] = {}
    code = " ".join(str(data.get("code") or "").split()).upper()
    if not CODE.fullmatch(code):
        errors["code"] = ["Use 2 to 30 letters, digits or hyphens, such as SPRING-25."]
    elif (
        Promotion.objects.filter(organisation=organisation, code=code)
        .exclude(pk=promotion.pk if promotion else None)
        .exists()
    ):
        errors["code"] = ["Another promotion has this code."]
    description = " ".join(str(data.get("description") or "").split())
    if not description:
        errors["description"] = ["Say what the promotion is, as the receipt will."]
    elif len(description) > 200:
        errors["description"] = ["Use at most 200 characters."]
    kind = str(data.get("kind") or "")
    if kind not in Promotion.Kind.values:
        errors["kind"] = ["Choose percent off or amount off."]
    value = None
    try:
        maximum = Decimal("100") if kind == Promotion.Kind.PERCENT else money.MAX_AMOUNT
        value = parse_amount(data.get("value"), "value", maximum=maximum)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    starts = _day(data.get("starts_on"), "starts_on", errors)
    ends = _day(data.get("ends_on"), "ends_on", errors)
    if starts and ends and ends < starts:
        errors["ends_on"] = ["The last day comes on or after the first."]
    max_uses = None
    raw_uses = str(data.get("max_uses") or "").strip()
    if raw_uses:
        if not raw_uses.isdigit() or not 1 <= int(raw_uses) <= MAX_USES:
            errors["max_uses"] = [
                f"Enter a whole number from 1 to {MAX_USES:,}, or leave it blank."
            ]
        else:
            max_uses = int(raw_uses)
            if promotion is not None and max_uses < promotion.uses:
                errors["max_uses"] = [f"It has been used {promotion.uses} times already."]
    if errors:
        raise ValidationFailed(errors)
    values = {
        "code": code,
        "description": description,
        "kind": kind,
        "value": value,
        "starts_on": starts,
        "ends_on": ends,
        "max_uses": max_uses,
        "active": _yes(data.get("active")),
    }
    with write_transaction():
        before = None
        if promotion is None:
            found = Promotion.objects.create(organisation=organisation, **values)
        else:
            found = Promotion.objects.select_for_update().get(pk=promotion.pk)
            before = {k: str(getattr(found, k)) for k in values}
            for name, value_ in values.items():
                setattr(found, name, value_)
            found.save()
        _log(actor, f"promotion:{code}", before, {k: str(v) for k, v in values.items()})
    return found
