"""Exchange rates (ADR-003): the admin-maintained table, the rate in force, display amounts.

Rates are quoted from the settlement currency: a row (base USD, quote EUR, rate 0.92) says
1 USD buys 0.92 EUR from its ``effective_at`` on. Rows are only ever added; the newest row
with ``effective_at <= t`` is the rate in force at ``t``. Conversion itself is the pure rule
in ``commerce_dash.domain.fx``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.clock import ensure_utc, utcnow
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.fx import convert_back, convert_lines, parse_rate
from commerce_dash.domain.fx import rate_text as canonical_rate
from commerce_dash.domain.money import currency_digits
from commerce_dash.models.pricing import Price
from commerce_dash.models.tax import FxRate
from commerce_dash.services.catalog.prices_now import in_force_clause
from commerce_dash.services.platform import record_audit
from commerce_dash.settings import get_settings

SECTION = "settings"


@dataclass(frozen=True)
class FxQuote:
    """A rate in force: 1 base unit buys ``rate`` quote units, since ``effective_at``."""

    rate: Decimal
    effective_at: datetime
    source: str


@dataclass(frozen=True)
class FxRateRow:
    """The latest rate of one currency against the settlement currency, with the one before."""

    base: str
    currency: str
    rate: str
    effective_at: datetime
    source: str
    previous_rate: str | None
    previous_at: datetime | None


@dataclass(frozen=True)
class DisplayAmounts:
    """Amounts to show a learner: ``amounts`` (per line) sum exactly to ``total``, both in
    minor units of ``currency``. ``rate`` is the exact rate text used ("1" when nothing was
    converted) and ``rate_at`` when that rate took effect (None when nothing was converted)."""

    amounts: list[int]
    total: int
    currency: str
    rate: str
    rate_at: datetime | None


def _currency(code: str, field: str = "currency") -> str:
    text = (code or "").strip().upper()
    try:
        currency_digits(text)
    except ValueError:
        raise DomainError(
            "invalid_currency",
            f"{code.strip()!r} is not a currency code; use three letters like EUR.",
            field=field,
        ) from None
    return text


def rate_in_force(
    *, session: Session, base: str, quote: str, at: datetime | None = None
) -> FxQuote | None:
    """The newest rate of ``base`` -> ``quote`` in effect at ``at`` (default now), or None.

    A currency against itself is rate 1.
    """
    when = ensure_utc(at) if at is not None else utcnow()
    base, quote = base.strip().upper(), quote.strip().upper()
    if base == quote:
        return FxQuote(Decimal(1), when, "identity")
    row = session.exec(
        select(FxRate)
        .where(FxRate.base == base, FxRate.quote == quote, FxRate.effective_at <= when)
        .order_by(col(FxRate.effective_at).desc(), col(FxRate.id).desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return FxQuote(parse_rate(row.rate), row.effective_at, row.source)


def set_rate(
    *,
    session: Session,
    actor: Actor | None,
    quote: str,
    rate_text: str,
    source: str = "admin",
    effective_at: datetime | None = None,
) -> FxRate:
    """Record a new rate: 1 settlement-currency unit buys ``rate_text`` units of ``quote``.

    Adds a row (older ones stay as history) in effect from ``effective_at`` (default now).
    """
    actor = require_section(actor, SECTION)
    base = get_settings().settlement_currency
    code = _currency(quote)
    if code == base:
        raise DomainError(
            "same_currency",
            f"{base} is the settlement currency; its rate is always 1.",
            field="currency",
        )
    rate = parse_rate(rate_text)
    when = ensure_utc(effective_at) if effective_at is not None else utcnow()
    previous = rate_in_force(session=session, base=base, quote=code, at=when)
    row = FxRate(
        base=base,
        quote=code,
        rate=canonical_rate(rate),
        source=" ".join(source.split())[:32] or "admin",
        effective_at=when,
        created_by_id=actor.user_id,
    )
    session.add(row)
    session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="fx_rate.set",
        entity_type="fx_rate",
        entity_id=f"{base}/{code}",
        before={"rate": canonical_rate(previous.rate)} if previous else None,
        after={"rate": row.rate, "effective_at": when.isoformat(), "row_id": row.id},
    )
    session.commit()
    return row


def list_rates(*, session: Session, at: datetime | None = None) -> list[FxRateRow]:
    """The rate in force of every currency quoted against the settlement currency, by code,
    each with the rate it replaced."""
    base = get_settings().settlement_currency
    when = ensure_utc(at) if at is not None else utcnow()
    ranked = (
        select(
            col(FxRate.id).label("row_id"),
            func.row_number()
            .over(
                partition_by=col(FxRate.quote),
                order_by=(col(FxRate.effective_at).desc(), col(FxRate.id).desc()),
            )
            .label("position"),
        )
        .where(FxRate.base == base, FxRate.effective_at <= when)
        .subquery()
    )
    rows = session.exec(
        select(FxRate, ranked.c.position)
        .join(ranked, col(FxRate.id) == ranked.c.row_id)
        .where(ranked.c.position <= 2)
        .order_by(col(FxRate.quote), ranked.c.position)
    ).all()
    latest: dict[str, FxRateRow] = {}
    for row, position in rows:
        if position == 1:
            latest[row.quote] = FxRateRow(
                base, row.quote, row.rate, row.effective_at, row.source, None, None
            )
        elif row.quote in latest:
            current = latest[row.quote]
            latest[row.quote] = FxRateRow(
                base,
                row.quote,
                current.rate,
                current.effective_at,
                current.source,
                row.rate,
                row.effective_at,
            )
    return list(latest.values())


def display_options(*, session: Session) -> list[str]:
    """Currencies a learner may choose: the settlement currency, then every offered display
    currency that has a rate in force."""
    settings = get_settings()
    base = settings.settlement_currency
    priced = set(
        session.exec(
            select(FxRate.quote)
            .where(FxRate.base == base, FxRate.effective_at <= utcnow())
            .distinct()
        ).all()
    )
    return [base, *[c for c in settings.offered_display_currencies if c != base and c in priced]]


def to_display(
    *,
    session: Session,
    amounts: Sequence[int],
    currency: str,
    display_currency: str,
    at: datetime | None = None,
) -> DisplayAmounts:
    """``amounts`` (minor units of ``currency``) in ``display_currency`` at the rate in force.

    The converted lines sum exactly to the converted total (see ``domain.fx``). A display
    currency that is not offered, unknown, or has no rate falls back to ``currency``
    unchanged with rate "1".
    """
    source = currency.strip().upper()
    target = (display_currency or "").strip().upper()
    values = list(amounts)

    def unchanged() -> DisplayAmounts:
        return DisplayAmounts(values, sum(values), source, "1", None)

    if not target or target == source:
        return unchanged()
    if target not in get_settings().offered_display_currencies:
        return unchanged()
    try:
        currency_digits(target)
    except ValueError:
        return unchanged()
    fx = rate_in_force(session=session, base=source, quote=target, at=at)
    if fx is None:
        return unchanged()
    converted = convert_lines(values, source, target, fx.rate)
    return DisplayAmounts(
        converted, sum(converted), target, canonical_rate(fx.rate), fx.effective_at
    )


def has_price_list(*, session: Session, currency: str, at: datetime | None = None) -> bool:
    """Whether any course or program has a one-time or free price in force in ``currency``."""
    when = ensure_utc(at) if at is not None else utcnow()
    return session.exec(select(Price.id).where(
        Price.currency == currency.strip().upper(), Price.interval == "",
        col(Price.price_type).in_(("one_time", "free")), in_force_clause(when),
    ).limit(1)).first() is not None


@dataclass(frozen=True)
class Pricing:
    """How a learner viewing in ``display`` is priced (ADR-003).

    A display currency with a price list is also the one charged: items priced in it cost
    that price, the others the settlement price converted at ``rate`` (1 settlement unit =
    rate units). Any other display currency is only shown: the charge is in settlement.
    """

    charge: str  # the currency prices are looked up in and the processor charges
    settlement: str
    rate: FxQuote | None  # settlement -> charge; None when they are the same currency

    @property
    def converts(self) -> bool:
        return self.rate is not None


def pricing_for(*, session: Session, display_currency: str, at: datetime | None = None
                ) -> Pricing:
    """The charge currency of a cart or page shown in ``display_currency``."""
    settlement = get_settings().settlement_currency
    wanted = (display_currency or "").strip().upper()
    if not wanted or wanted == settlement or wanted not in display_options(session=session):
        return Pricing(settlement, settlement, None)
    if not has_price_list(session=session, currency=wanted, at=at):
        return Pricing(settlement, settlement, None)
    rate = rate_in_force(session=session, base=settlement, quote=wanted, at=at)
    if rate is None:
        return Pricing(settlement, settlement, None)
    return Pricing(wanted, settlement, rate)


def converted_price(pricing: Pricing, settlement_amount: int) -> int:
    """A settlement price in the charge currency (the rule of ``domain.fx.convert``)."""
    if pricing.rate is None:
        return settlement_amount
    return convert_lines([settlement_amount], pricing.settlement, pricing.charge,
                         pricing.rate.rate)[0]


def settlement_worth(pricing: Pricing, amount: int) -> int:
    """What ``amount`` of the charge currency is worth in settlement at the pricing's rate."""
    if pricing.rate is None:
        return amount
    return convert_back(amount, pricing.charge, pricing.settlement, pricing.rate.rate)
