"""Sales tax: the provider behind checkout (manual rate table or TaxJar) and its admin side.

``quote_tax`` is the one entry point carts and checkout call. Exemptions (a learner, or an
organization by e-mail domain) are honoured before any provider is asked.

This module holds the providers and is the tax's public face: the admin functions that
maintain the rate table (``tax_rates.py``) and the exemptions (``tax_exemption_admin.py``)
are re-exported, so callers import tax from here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from sqlmodel import Session, col, select

from commerce_dash.domain.tax import (
    RateRule,
    TaxableLine,
    TaxAddress,
    TaxQuote,
    manual_quote,
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
    "TaxProvider",
    "active_rules",
    "add_exemption",
    "deactivate_tax_rate",
    "list_exemptions",
    "list_tax_rates",
    "quote_tax",
    "reactivate_tax_rate",
    "revoke_exemption",
    "tax_provider",
    "upsert_tax_rate",
]

log = logging.getLogger(__name__)

NO_ADDRESS_LABEL = "Tax calculated at checkout"


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
    """The tax of ``lines`` (amounts after discount, minor units of ``currency``).

    With no address (or no country) yet the tax is zero, labelled "Tax calculated at
    checkout". Raises ``DomainError`` ``invalid_country`` for a bad country and
    ``tax_unavailable`` when an external provider cannot answer.
    """
    if address is None or not address.country:
        return zero_quote(lines, NO_ADDRESS_LABEL, "none")
    address = TaxAddress(validate_country(address.country), address.region, address.postal_code)
    chosen = provider or tax_provider()
    exempt = is_exempt(session=session, user_id=user_id, user_email=user_email)
    return chosen.quote(TaxRequest(session, lines, currency, address, exempt))

