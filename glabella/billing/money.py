"""Money arithmetic, pure: amounts are Decimal cents, rounded half up, never floats.

What an invoice's lines come to (`totals`): the subtotal of charges, the discounts, the tax on
each taxable line after its share of the discounts, and the total; what is left to pay
(`balance`) and what a payment may still give back (`refundable`). Nothing here reads the
database or the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# Bounds on amounts from outside: an invoice line, a payment or a refund.
MAX_AMOUNT = Decimal("100000.00")
MAX_UNITS = Decimal("1000")
MAX_TAX_PERCENT = Decimal("20")


def cents(value: Decimal | int | str) -> Decimal:
    """`value` rounded half up to the cent."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Charge:
    """One line as money sees it: a charge (positive) or a discount (negative), taxable or not."""

    amount: Decimal
    taxable: bool = False


@dataclass(frozen=True)
class Totals:
    charges: Decimal  # the sum of the lines that charge
    discounts: Decimal  # the sum of the discounts, as a positive amount
    tax: Decimal
    total: Decimal  # charges - discounts + tax, never below zero


def totals(lines: Sequence[Charge], tax_percent: Decimal = ZERO) -> Totals:
    """What the lines come to. Discounts are shared over the charges in proportion to their
    amounts, so a taxable line is taxed on what the patient pays for it; the discounts never
    take the total below zero."""
    charges = cents(sum((c.amount for c in lines if c.amount > 0), ZERO))
    asked = cents(-sum((c.amount for c in lines if c.amount < 0), ZERO))
    discounts = min(asked, charges)
    taxable = cents(sum((c.amount for c in lines if c.amount > 0 and c.taxable), ZERO))
    if charges > 0 and taxable > 0:
        taxable_share = cents(discounts * taxable / charges)
        tax = cents((taxable - taxable_share) * Decimal(tax_percent) / 100)
    else:
        tax = ZERO
    return Totals(charges, discounts, tax, charges - discounts + tax)


def balance(total: Decimal, paid: Iterable[Decimal], refunded: Iterable[Decimal]) -> Decimal:
    """What is still owed (negative: more was taken than the invoice asks)."""
    return cents(total - sum(paid, ZERO) + sum(refunded, ZERO))


def refundable(paid: Decimal, refunded: Iterable[Decimal]) -> Decimal:
    """What a payment may still give back: never more than was paid."""
    return max(ZERO, cents(paid - sum(refunded, ZERO)))


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    return cents(Decimal(quantity) * Decimal(unit_price))
