"""Sales tax: the provider behind checkout (manual rate table or TaxJar) and its admin side.

``quote_tax`` is the one entry point carts and checkout call. Exemptions (a learner, or an
organization by e-mail domain) are honoured before any provider is asked.

This module holds the providers and is the tax's public face: the admin functions that
maintain the rate table (``tax_rates.py``) and the exemptions (``tax_exemption_admin.py``)
are re-exported, so callers import tax from here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from sqlmodel import Session, col, select

from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.tax import (
    RateRule,
    TaxableLine,
    TaxAddress,
    TaxQuote,
    manual_quote,
    pick_rate,
    rate_label,
    validate_country,
    zero_quote,
)
from commerce_dash.models.tax import TaxRate
from commerce_dash.services.commerce.tax_exemption_admin import (
    add_exemption,
    list_exemptions,
    revoke_exemption,
)
from commerce_dash.services.commerce.tax_exemptions import is_exempt
from commerce_dash.services.commerce.tax_rates import (
    deactivate_tax_rate,
    list_tax_rates,
    reactivate_tax_rate,
    upsert_tax_rate,
)
from commerce_dash.services.commerce.taxjar_provider import TaxJarProvider, TaxRequest
from commerce_dash.settings import Settings, get_settings

# the tax's public face: the rate table's and the exemptions' admin side are re-exported
__all__ = [
    "NO_ADDRESS_LABEL",
    "ManualTaxProvider",
    "PricedTax",
    "TaxProvider",
    "active_rules",
    "add_exemption",
    "billing_needed",
    "deactivate_tax_rate",
    "list_exemptions",
    "list_tax_rates",
    "price_tax",
    "quote_tax",
    "reactivate_tax_rate",
    "revoke_exemption",
    "tax_provider",
    "upsert_tax_rate",
]

log = logging.getLogger(__name__)

NO_ADDRESS_LABEL = "Tax calculated at checkout"
# After TaxJar fails to answer, the rate table serves for this long without asking it again
# (a cart is priced on every page load: one timeout, not one per page).
TAXJAR_RESTING_SECONDS = 60.0
_taxjar_resting_until: dict[str, float] = {}
# countries whose tax depends on the state or province (TaxJar asks for it; so do tables)
_REGION_COUNTRIES = {"US": "state (e.g. NY)", "CA": "province (e.g. ON)"}


class TaxProvider(Protocol):
    """Something that prices the tax of a set of lines for a buyer."""

    name: str

    def quote(self, request: TaxRequest) -> TaxQuote: ...


def active_rules(*, session: Session, country: str) -> list[RateRule]:
    """The active rate rules of a country."""
    rows = session.exec(
        select(TaxRate).where(TaxRate.country == country, col(TaxRate.is_active).is_(True))
    ).all()
    return [RateRule(r.country, r.region, r.department_id, r.rate_ppm, r.label) for r in rows]


class ManualTaxProvider:
    """Rates from the admin-maintained table, by country, region and department."""

    name = "manual"

    def quote(self, request: TaxRequest) -> TaxQuote:
        rules = [] if request.exempt else active_rules(session=request.session,
                                                       country=request.address.country)
        return manual_quote(request.lines, request.address, rules, request.currency,
                            request.exempt, provider=self.name)


def tax_provider(settings: Settings | None = None) -> TaxProvider:
    """The configured provider; TaxJar without an API key falls back to the rate table."""
    settings = settings or get_settings()
    if settings.tax_provider == "taxjar":
        if settings.taxjar_api_key.get_secret_value():
            return TaxJarProvider(settings)
        log.warning("tax_provider is taxjar but no TaxJar API key is set; using the rate table")
    return ManualTaxProvider()


@dataclass(frozen=True)
class PricedTax:
    """A quote and where it came from.

    ``source``: taxjar | table | exempt | none (no address yet). ``by_rate``: the tax of each
    rate, as a receipt shows it (("VAT 19% (DE)", 1900), ...), summing to the quote's total.
    ``fallback``: TaxJar did not answer and the rate table served (``quote.provider`` still
    names TaxJar, the provider asked)."""

    quote: TaxQuote
    source: str
    by_rate: tuple[tuple[str, int], ...] = ()
    fallback: bool = False


def _table_by_rate(session: Session, lines: Sequence[TaxableLine], address: TaxAddress,
                   quote: TaxQuote) -> tuple[tuple[str, int], ...]:
    """The table quote's tax grouped by the rate each line took (the same pick as the quote)."""
    rules = active_rules(session=session, country=address.country)
    sums: dict[str, int] = {}
    for line in lines:
        rule = pick_rate(rules, address, line.department_id)
        amount = quote.per_line.get(line.key, 0)
        if rule is not None and amount:
            label = rate_label(rule)
            sums[label] = sums.get(label, 0) + amount
    return tuple(sums.items())


def _resting(provider: TaxProvider) -> str:
    """The key under which a TaxJar provider rests after a failure ("" for other providers)."""
    if not isinstance(provider, TaxJarProvider):
        return ""
    return provider.settings.taxjar_api_url.rstrip("/") or "taxjar"


def price_tax(
    *,
    session: Session,
    lines: Sequence[TaxableLine],
    currency: str,
    address: TaxAddress | None,
    user_id: int | None,
    user_email: str | None,
    provider: TaxProvider | None = None,
) -> PricedTax:
    """The tax of ``lines`` (amounts after discount, minor units of ``currency``), with its
    source and its amounts by rate.

    With no address (or no country) yet the tax is zero, labelled "Tax calculated at
    checkout". When TaxJar times out or fails (``tax_unavailable``) the manual rate table
    serves instead (ADR-002) and TaxJar is not asked again for ``TAXJAR_RESTING_SECONDS``.
    Raises ``DomainError`` ``invalid_country`` for a bad country and ``tax_address_invalid``
    when TaxJar refuses the address (the learner's to correct).
    """
    if address is None or not address.country:
        return PricedTax(zero_quote(lines, NO_ADDRESS_LABEL, "none"), "none")
    address = TaxAddress(validate_country(address.country), address.region, address.postal_code)
    chosen = provider or tax_provider()
    exempt = is_exempt(session=session, user_id=user_id, user_email=user_email)
    request = TaxRequest(session, lines, currency, address, exempt)
    key = _resting(chosen)
    if key and _taxjar_resting_until.get(key, 0.0) > time.monotonic() and not exempt:
        return _from_table(request, chosen)
    try:
        quote = chosen.quote(request)
    except DomainError as exc:
        if exc.code != "tax_unavailable" or not key:
            raise
        log.warning("TaxJar did not answer (%s); the rate table serves for %.0f s",
                    exc.message, TAXJAR_RESTING_SECONDS)
        _taxjar_resting_until[key] = time.monotonic() + TAXJAR_RESTING_SECONDS
        return _from_table(request, chosen)
    if key:
        _taxjar_resting_until.pop(key, None)
    if quote.exempt:
        return PricedTax(quote, "exempt")
    if isinstance(chosen, TaxJarProvider):
        return PricedTax(quote, "taxjar", ((quote.label, quote.total),) if quote.total else ())
    return PricedTax(quote, "table", _table_by_rate(session, lines, address, quote))


def _from_table(request: TaxRequest, asked: TaxProvider) -> PricedTax:
    table = ManualTaxProvider().quote(request)
    quote = replace(table, provider=asked.name)
    return PricedTax(quote, "table",
                     _table_by_rate(request.session, request.lines, request.address, table),
                     fallback=True)


def quote_tax(
    *,
    session: Session,
    lines: Sequence[TaxableLine],
    currency: str,
    address: TaxAddress | None,
    user_id: int | None,
    user_email: str | None,
    provider: TaxProvider | None = None,
) -> TaxQuote:
    """The quote of ``price_tax`` alone (the rate table serving when TaxJar cannot)."""
    return price_tax(session=session, lines=lines, currency=currency, address=address,
                     user_id=user_id, user_email=user_email, provider=provider).quote


def tax_applies(session: Session, settings: Settings | None = None) -> bool:
    """Whether any tax can be charged at all: TaxJar is set up or the table has a rate."""
    settings = settings or get_settings()
    if settings.tax_provider == "taxjar" and settings.taxjar_api_key.get_secret_value():
        return True
    return session.exec(
        select(TaxRate.id).where(col(TaxRate.is_active).is_(True)).limit(1)
    ).first() is not None


def billing_needed(*, session: Session, country: str, region: str) -> dict[str, str]:
    """What of the billing address tax still needs, by field, as the message beside it.

    Nothing when no tax can be charged. Else the country; and the state or province where
    tax depends on it (US and Canada, and any country whose table has a regional rate).
    """
    if not tax_applies(session):
        return {}
    country = (country or "").strip().upper()
    if not country:
        return {"billing_country": "Choose your billing country: the tax depends on it."}
    if (region or "").strip():
        return {}
    what = _REGION_COUNTRIES.get(country)
    if what is None and session.exec(select(TaxRate.id).where(
            TaxRate.country == country, TaxRate.region != "",
            col(TaxRate.is_active).is_(True)).limit(1)).first() is not None:
        what = "region"
    if what is None:
        return {}
    return {"billing_region": f"Enter your {what}: the tax depends on it."}

