"""Cart arithmetic: lines priced now, the discount and the tax spread over them, the totals.

Every figure is integer minor units of the cart's currency. A line's total is its price
minus its share of the discount plus its share of the tax, and the lines' totals always
sum exactly to the cart total (the shares come from largest-remainder allocation).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from commerce_dash.domain.discounts import DiscountApplied

__all__ = [
    "CartLineIn",
    "CartTotals",
    "LineTotals",
    "cart_fingerprint",
    "checkout_fingerprint",
    "compute_totals",
    "taxable_amounts",
]


@dataclass(frozen=True)
class CartLineIn:
    """A cart line: the price when it was added and the price in force now (None: off sale)."""

    key: str
    title: str
    added_amount: int
    current_amount: int | None


@dataclass(frozen=True)
class LineTotals:
    key: str
    amount: int  # list price charged (the price in force now)
    discount: int
    tax: int
    total: int


@dataclass(frozen=True)
class CartTotals:
    currency: str
    subtotal: int
    discount: int
    tax: int
    total: int
    lines: tuple[LineTotals, ...]


def taxable_amounts(
    amounts: Mapping[str, int], discount: DiscountApplied | None
) -> dict[str, int]:
    """Each line's amount after its share of the discount: what tax is charged on."""
    per_line = discount.per_line if discount is not None else {}
    taxable = {key: amount - per_line.get(key, 0) for key, amount in amounts.items()}
    if any(value < 0 for value in taxable.values()):
        raise ValueError("A line's discount exceeds its amount")
    return taxable


def compute_totals(
    currency: str,
    amounts: Mapping[str, int],
    discount: DiscountApplied | None,
    tax_per_line: Mapping[str, int],
) -> CartTotals:
    """Totals of a priced cart (``amounts`` in display order: key -> price charged)."""
    per_discount = discount.per_line if discount is not None else {}
    unknown = (set(per_discount) | set(tax_per_line)) - set(amounts)
    if unknown:
        raise ValueError(f"Discount or tax given for lines not in the cart: {sorted(unknown)}")
    lines = []
    for key, amount in amounts.items():
        off = per_discount.get(key, 0)
        tax = tax_per_line.get(key, 0)
        if off < 0 or tax < 0 or off > amount:
            raise ValueError(f"Line {key}: discount {off} / tax {tax} out of range")
        lines.append(LineTotals(key, amount, off, tax, amount - off + tax))
    subtotal = sum(line.amount for line in lines)
    discount_total = sum(line.discount for line in lines)
    tax_total = sum(line.tax for line in lines)
    return CartTotals(
        currency=currency,
        subtotal=subtotal,
        discount=discount_total,
        tax=tax_total,
        total=subtotal - discount_total + tax_total,
        lines=tuple(lines),
    )


def checkout_fingerprint(
    *, billing: tuple[str, str, str], display_currency: str, expected_total: int | None
) -> str:
    """A stable hash of a checkout request's body (billing address, display currency, the
    total the learner saw). The same idempotency key with another body is a different
    request and is refused."""
    body = {"billing": list(billing), "display_currency": display_currency,
            "expected_total": expected_total}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def cart_fingerprint(*, totals: CartTotals, display_currency: str, display_total: int,
                     billing: tuple[str, str, str], discount_code: str) -> str:
    """A stable hash of everything a checkout of the cart would charge and show: the lines
    with their amounts, discount and tax, the code, the billing address, the currency shown.
    Two checkouts of a cart with the same fingerprint are the same purchase."""
    body = {
        "currency": totals.currency, "total": totals.total, "code": discount_code,
        "lines": [[line.key, line.amount, line.discount, line.tax] for line in totals.lines],
        "display": [display_currency, display_total], "billing": list(billing),
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
