"""Demo tax rates and exchange rates (called by ``demo_data``)."""

from __future__ import annotations

from sqlmodel import Session

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.fx import parse_rate, rate_text
from commerce_dash.domain.tax import validate_rate_percent
from commerce_dash.models.tax import FxRate, TaxRate
from commerce_dash.services import catalog as catalog_area
from commerce_dash.services import commerce as commerce_area
from commerce_dash.settings import get_settings

# (country, region, rate percent, label)
DEMO_TAX_RATES: tuple[tuple[str, str, str, str], ...] = (
    ("US", "NY", "8.875", "Sales tax"),
    ("US", "CA", "7.25", "Sales tax"),
    ("GB", "", "20", "VAT"),
    ("DE", "", "19", "VAT"),
    ("CA", "ON", "13", "HST"),
)
# 1 unit of the settlement currency (USD in the demo) buys this much of each currency.
DEMO_FX_RATES: tuple[tuple[str, str], ...] = (
    ("EUR", "0.92"),
    ("GBP", "0.79"),
    ("JPY", "151.37"),
    ("CAD", "1.37"),
)


def seed_tax_and_fx(session: Session, *, actor: Actor | None = None) -> dict[str, int]:
    """Write the demo rates. With an ``actor`` they go through the admin services (audited);
    without one the rows are written directly. Returns how many of each were written."""
    base = get_settings().settlement_currency
    fx_rates = [(code, rate) for code, rate in DEMO_FX_RATES if code != base]
    if actor is not None:
        for country, region, percent, label in DEMO_TAX_RATES:
            commerce_area.upsert_tax_rate(
                session=session,
                actor=actor,
                country=country,
                region=region,
                department_id=None,
                rate_text=percent,
                label=label,
            )
        for code, rate in fx_rates:
            catalog_area.set_rate(session=session, actor=actor, quote=code, rate_text=rate)
    else:
        now = utcnow()
        for country, region, percent, label in DEMO_TAX_RATES:
            session.add(
                TaxRate(
                    country=country,
                    region=region,
                    rate_ppm=validate_rate_percent(percent),
                    label=label,
                    updated_at=now,
                )
            )
        for code, rate in fx_rates:
            session.add(
                FxRate(
                    base=base,
                    quote=code,
                    rate=rate_text(parse_rate(rate)),
                    source="demo",
                    effective_at=now,
                )
            )
        session.commit()
    return {"tax_rates": len(DEMO_TAX_RATES), "fx_rates": len(fx_rates)}
