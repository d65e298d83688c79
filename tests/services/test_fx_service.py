"""Exchange rates through the services: insert-only history, the rate in force at a time,
the admin list, display options and display amounts that add up exactly."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlmodel import col, select

from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.tax import FxRate
from commerce_dash.services.catalog import fx as svc


@pytest.fixture
def set_rate(session, super_admin):
    def put(quote: str, rate: str, **kw):
        return svc.set_rate(session=session, actor=super_admin, quote=quote, rate_text=rate, **kw)

    return put


def test_rates_are_added_never_changed(session, set_rate):
    first = set_rate("eur", "0.9200")
    second = set_rate("EUR", "0.93")
    rows = session.exec(select(FxRate).order_by(col(FxRate.id))).all()
    assert [(r.base, r.quote, r.rate) for r in rows] == [
        ("USD", "EUR", "0.92"),
        ("USD", "EUR", "0.93"),
    ]
    assert first.id != second.id
    audit = session.exec(select(AuditLog).order_by(col(AuditLog.id))).all()
    assert [a.action for a in audit] == ["fx_rate.set", "fx_rate.set"]
    assert audit[0].before is None and audit[1].before == {"rate": "0.92"}
    assert audit[1].after["rate"] == "0.93" and audit[1].entity_id == "USD/EUR"


def test_rate_in_force_at_a_time(session, set_rate):
    now = utcnow()
    set_rate("EUR", "0.90", effective_at=now - timedelta(days=10))
    set_rate("EUR", "0.92", effective_at=now - timedelta(days=1))
    set_rate("EUR", "0.99", effective_at=now + timedelta(days=1))  # not yet

    def rate_at(at):
        found = svc.rate_in_force(session=session, base="USD", quote="EUR", at=at)
        return found.rate if found else None

    assert rate_at(None) == Decimal("0.92")
    assert rate_at(now - timedelta(days=5)) == Decimal("0.90")
    assert rate_at(now - timedelta(days=11)) is None
    assert rate_at(now + timedelta(days=2)) == Decimal("0.99")
    current = svc.rate_in_force(session=session, base="usd", quote="eur")
    assert current is not None and current.source == "admin"
    assert current.effective_at.tzinfo is not None
    assert svc.rate_in_force(session=session, base="USD", quote="GBP") is None
    same = svc.rate_in_force(session=session, base="USD", quote="USD")
    assert same is not None and same.rate == 1


def test_set_rate_refusals(session, set_rate, learner):
    for quote, rate, code, field_name in [
        ("USD", "1", "same_currency", "currency"),
        ("XYZ", "1", "invalid_currency", "currency"),
        ("EUR", "0", "rate_not_positive", "rate"),
        ("EUR", "-0.9", "rate_not_positive", "rate"),
        ("EUR", "abc", "invalid_rate", "rate"),
        ("EUR", "0.12345678901", "rate_too_precise", "rate"),
    ]:
        with pytest.raises(DomainError) as info:
            set_rate(quote, rate)
        assert (info.value.code, info.value.field) == (code, field_name)
    with pytest.raises(DomainError) as info:
        svc.set_rate(session=session, actor=learner, quote="EUR", rate_text="0.9")
    assert info.value.kind == ErrorKind.FORBIDDEN
    assert session.exec(select(FxRate)).all() == []


def test_list_rates_shows_latest_with_previous(session, set_rate):
    now = utcnow()
    set_rate("EUR", "0.90", effective_at=now - timedelta(days=3))
    set_rate("EUR", "0.91", effective_at=now - timedelta(days=2))
    set_rate("EUR", "0.92", effective_at=now - timedelta(days=1))
    set_rate("JPY", "151.37")
    set_rate("GBP", "0.80", effective_at=now + timedelta(days=1))  # future: not listed yet
    listed = svc.list_rates(session=session)
    assert [(r.currency, r.rate, r.previous_rate) for r in listed] == [
        ("EUR", "0.92", "0.91"),
        ("JPY", "151.37", None),
    ]
    eur = listed[0]
    assert eur.base == "USD" and eur.previous_at is not None
    assert eur.previous_at < eur.effective_at


def test_display_options_need_a_rate(session, set_rate):
    assert svc.display_options(session=session) == ["USD"]
    set_rate("JPY", "151.37")
    set_rate("EUR", "0.92")
    set_rate("CHF", "0.88")  # has a rate but is not offered
    assert svc.display_options(session=session) == ["USD", "EUR", "JPY"]


def test_to_display_converts_and_adds_up(session, set_rate):
    row = set_rate("JPY", "151.37")
    shown = svc.to_display(
        session=session, amounts=[1999, 1999, 1999], currency="USD", display_currency="jpy"
    )
    assert shown.currency == "JPY" and shown.rate == "151.37"
    assert shown.amounts == [3026, 3026, 3026] and shown.total == 9078
    assert shown.rate_at == row.effective_at

    set_rate("EUR", "0.92")
    eur = svc.to_display(
        session=session, amounts=[4999, 2999, 1], currency="USD", display_currency="EUR"
    )
    assert eur.total == 7359  # (4999 + 2999 + 1) * 0.92 = 7359.08 cents
    assert sum(eur.amounts) == eur.total


@pytest.mark.parametrize("display", ["USD", "GBP", "CHF", "XYZ", "", "usd"])
def test_to_display_falls_back_to_the_source_currency(session, set_rate, display):
    set_rate("CHF", "0.88")  # not offered
    shown = svc.to_display(
        session=session, amounts=[1999, 500], currency="USD", display_currency=display
    )
    assert (shown.amounts, shown.total, shown.currency, shown.rate, shown.rate_at) == (
        [1999, 500],
        2499,
        "USD",
        "1",
        None,
    )
