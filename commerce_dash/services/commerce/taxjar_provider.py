"""TaxJar behind the ``TaxProvider`` interface (ADR-002), through the official ``taxjar`` client.

Money crosses this edge exactly: our int minor units become major-unit numbers for the
request (checked to survive the JSON round trip digit for digit), and TaxJar's answer is
parsed with ``Decimal`` (never through binary floating point) and turned back into int minor
units. The per-line amounts TaxJar reports are kept when they add up to its total; otherwise
the total is spread over the lines by largest remainder so they always do.

The client's ``api_url`` is configurable (``COMMERCE_TAXJAR_API_URL``); tests point it at a
small receiver on 127.0.0.1.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import requests
import taxjar
from sqlmodel import Session
from taxjar.exceptions import TaxJarError

from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.money import Money, currency_digits
from commerce_dash.domain.tax import (
    TaxableLine,
    TaxAddress,
    TaxQuote,
    allocate_tax,
    exempt_quote,
    percent_label,
    zero_quote,
)
from commerce_dash.settings import Settings, get_settings

log = logging.getLogger(__name__)

TAXJAR_TIMEOUT_SECONDS = 10
UNAVAILABLE_MESSAGE = "We couldn't calculate tax right now; try again in a moment."


@dataclass(frozen=True)
class TaxRequest:
    """What a tax provider is asked: the lines (amounts after discount, minor units of
    ``currency``), the buyer's checked address, and whether the buyer is exempt (decided once,
    in ``tax.quote_tax``, before any provider is asked)."""

    session: Session
    lines: Sequence[TaxableLine]
    currency: str
    address: TaxAddress
    exempt: bool


class TaxJarHTTPError(Exception):
    """TaxJar answered with an error status."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"TaxJar answered {status}: {detail}")
        self.status = status
        self.detail = detail


def _exact_response(response: requests.Response) -> dict[str, Any]:
    """The client's responder, replaced: parse numbers as Decimal and keep the raw dict."""
    try:
        body = json.loads(response.text, parse_float=Decimal, parse_int=Decimal)
    except ValueError:
        body = None
    if not 200 <= response.status_code < 300:
        detail = ""
        if isinstance(body, dict):
            detail = str(body.get("detail") or body.get("error") or "")
        raise TaxJarHTTPError(response.status_code, detail or response.reason or "")
    if not isinstance(body, dict) or not isinstance(body.get("tax"), dict):
        raise ValueError("TaxJar answered without a 'tax' object")
    tax: dict[str, Any] = body["tax"]
    return tax


def _unavailable() -> DomainError:
    return DomainError("tax_unavailable", UNAVAILABLE_MESSAGE, kind=ErrorKind.CONFLICT)


def major_number(amount: int, currency: str) -> float:
    """Minor units as the major-unit JSON number TaxJar expects, proven exact.

    ``json`` writes a float with its shortest round-tripping repr, so 1999 cents is sent as
    ``19.99`` exactly; amounts too large to survive that are refused rather than rounded.
    """
    exact = Money(amount, currency).to_decimal()
    number = float(exact)
    if Decimal(repr(number)) != exact:
        raise DomainError(
            "amount_too_large", "That amount is too large to calculate tax on.", field="amount"
        )
    return number


def minor_units(value: object, currency: str) -> int:
    """A major-unit Decimal from TaxJar as int minor units (half up past the minor unit)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise ValueError(f"Not a number from TaxJar: {value!r}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"Not a number from TaxJar: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"Not a finite number from TaxJar: {value!r}")
    scaled = number.scaleb(currency_digits(currency))
    return int(scaled.to_integral_value(rounding=ROUND_HALF_UP))


class TaxJarProvider:
    """Tax from the TaxJar API (``POST /v2/taxes``)."""

    name = "taxjar"

    def __init__(
        self, settings: Settings | None = None, *, timeout_seconds: float = TAXJAR_TIMEOUT_SECONDS
    ) -> None:
        self.settings = settings or get_settings()
        self.client = taxjar.Client(
            api_key=self.settings.taxjar_api_key.get_secret_value(),
            api_url=self.settings.taxjar_api_url.rstrip("/"),
            options={"timeout": timeout_seconds},
            responder=_exact_response,
        )

    def order_payload(
        self, lines: Sequence[TaxableLine], currency: str, address: TaxAddress
    ) -> dict[str, Any]:
        """The body of the tax request: one line item per line, discounts already applied."""
        s = self.settings
        payload: dict[str, Any] = {"from_country": s.taxjar_from_country.strip().upper()}
        if s.taxjar_from_zip.strip():
            payload["from_zip"] = s.taxjar_from_zip.strip()
        if s.taxjar_from_state.strip():
            payload["from_state"] = s.taxjar_from_state.strip().upper()
        payload["to_country"] = address.country
        if address.region:
            payload["to_state"] = address.region
        if address.postal_code:
            payload["to_zip"] = address.postal_code
        payload["amount"] = major_number(sum(line.amount for line in lines), currency)
        payload["shipping"] = 0
        payload["line_items"] = [
            {
                "id": line.key,
                "quantity": 1,
                "unit_price": major_number(line.amount, currency),
                "discount": 0,
            }
            for line in lines
        ]
        return payload

    def quote(self, request: TaxRequest) -> TaxQuote:
        lines, currency, address = request.lines, request.currency, request.address
        if request.exempt:
            return exempt_quote(lines, self.name)
        if not lines or all(line.amount == 0 for line in lines):
            return zero_quote(lines, "No tax", self.name)
        payload = self.order_payload(lines, currency, address)
        try:
            tax = self.client.tax_for_order(payload)
        except TaxJarHTTPError as exc:
            if exc.status in (400, 422):
                raise DomainError(
                    "tax_address_invalid",
                    f"Tax could not be calculated for that address: {exc.detail}. "
                    "Check the country, state and postal code.",
                    field="postal_code",
                ) from None
            log.error("TaxJar refused the tax request: %s", exc)
            raise _unavailable() from None
        except (TaxJarError, requests.RequestException, ValueError) as exc:
            log.error("TaxJar could not be reached: %s", exc)
            raise _unavailable() from None
        try:
            return self._quote_from(tax, lines, currency, address)
        except (KeyError, TypeError, ValueError) as exc:
            log.error("TaxJar answered something unexpected: %s (%r)", exc, tax)
            raise _unavailable() from None

    def _quote_from(
        self,
        tax: dict[str, Any],
        lines: Sequence[TaxableLine],
        currency: str,
        address: TaxAddress,
    ) -> TaxQuote:
        total = minor_units(tax["amount_to_collect"], currency)
        breakdown = tax.get("breakdown") or {}
        per_line: dict[str, int] | None = None
        items = breakdown.get("line_items") if isinstance(breakdown, dict) else None
        if isinstance(items, list):
            per_line = {}
            for item in items:
                key = str(item["id"])
                per_line[key] = per_line.get(key, 0) + minor_units(
                    item.get("tax_collectable", 0), currency
                )
        spread = allocate_tax(total, lines, per_line)
        if total == 0:
            label = "No tax"
        else:
            rate = tax.get("rate")
            scope = f"{address.country}-{address.region}" if address.region else address.country
            if isinstance(rate, Decimal) and rate.is_finite():
                ppm = int((rate * 1_000_000).to_integral_value(rounding=ROUND_HALF_UP))
                label = f"Sales tax {percent_label(ppm)}% ({scope})"
            else:
                label = f"Sales tax ({scope})"
        return TaxQuote(total, spread, label, self.name, False)
