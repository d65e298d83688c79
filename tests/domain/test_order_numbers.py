"""Order numbers: ORD-YYYY-NNNNN, derived from the year and id; anything else is not found."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.orders import order_number, parse_order_number


def test_a_number_reads_back_as_its_year_and_id() -> None:
    placed = datetime(2026, 12, 7, tzinfo=UTC)
    assert order_number(42, placed) == "ORD-2026-00042"
    assert parse_order_number(" ord-2026-00042 ") == (2026, 42)
    assert parse_order_number("ORD-2026-2147483647") == (2026, 2**31 - 1)


@pytest.mark.parametrize("text", ["", "ORD-2026-42", "ORD-26-00042", "ORD-2026-0004２",
                                  "ORD-2026-" + "9" * 11, "ORD-2026-2147483648", "ORD-2026-" + "9" * 5000])
def test_anything_else_is_not_found(text: str) -> None:
    with pytest.raises(DomainError) as err:
        parse_order_number(text)
    assert err.value.code == "order_not_found"
