"""Invoice and credit-note rules (issue 19), pure: document numbers, the seller, the tax of lines grouped by rate, and how a refund splits into credit-note lines.

Amounts are integer minor units of the order's currency; credit notes carry negative ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from commerce_dash.domain.money import allocate
from commerce_dash.domain.tax import percent_label

INVOICE = "invoice"
CREDIT_NOTE = "credit_note"
PREFIXES = {INVOICE: "INV", CREDIT_NOTE: "CN"}


def document_number(kind: str, year: int, sequence: int) -> str:
    """INV-2026-000001, CN-2026-000001."""
    return f"{PREFIXES[kind]}-{year}-{sequence:06d}"


@dataclass(frozen=True)
class SellerInfo:
    """Who sells, as printed on invoices."""

    name: str
    address: str = ""
    tax_id: str = ""
    email: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "address": self.address,
            "tax_id": self.tax_id,
            "email": self.email,
        }


@dataclass(frozen=True)
class TaxedLine:
    """One line as an invoice prints it: net of discount, its tax and the rate that gave it
    (``rate_ppm`` None: not known, worked out from the amounts)."""

    title: str
    list_amount: int
    discount: int
    tax: int
    total: int
    rate_ppm: int | None = None
    rate_name: str = "Tax"

    @property
    def net(self) -> int:
        return self.total - self.tax


def rate_of(line: TaxedLine) -> int:
    """The line's rate in ppm: the one that applied, else its tax over its net to 0.001 %."""
    if line.rate_ppm is not None:
        return line.rate_ppm
    if line.net <= 0:
        return 0
    return round(line.tax * 1_000_000 / line.net / 10) * 10


def tax_by_rate(lines: Sequence[TaxedLine]) -> list[dict[str, Any]]:
    """The lines' tax grouped by rate: label, rate, taxable base, tax; lines without tax are
    left out. Groups keep the order of their first line."""
    groups: dict[tuple[str, int], dict[str, Any]] = {}
    for line in lines:
        if line.tax == 0:
            continue
        ppm = rate_of(line)
        key = (line.rate_name, ppm)
        group = groups.setdefault(
            key,
            {
                "label": f"{line.rate_name} {percent_label(ppm)}%",
                "rate": percent_label(ppm),
                "base": 0,
                "tax": 0,
            },
        )
        group["base"] += line.net
        group["tax"] += line.tax
    return list(groups.values())


def credit_parts(
    refunded: Mapping[int, int], tax_of: Mapping[int, int], total_of: Mapping[int, int]
) -> dict[int, tuple[int, int]]:
    """How much of each line's refund (``refunded``: line id -> amount given back, tax
    included) is tax and how much net, in proportion to the line's tax in its total:
    line id -> (net, tax), positive; each pair sums to the line's refund."""
    parts: dict[int, tuple[int, int]] = {}
    for line_id, amount in refunded.items():
        total, tax = total_of.get(line_id, 0), tax_of.get(line_id, 0)
        if amount <= 0:
            continue
        if total <= 0 or tax <= 0:
            parts[line_id] = (amount, 0)
            continue
        tax_part = min(amount, allocate(amount, [total - tax, tax])[1])
        parts[line_id] = (amount - tax_part, tax_part)
    return parts
