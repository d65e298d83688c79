"""Subscription metrics: MRR exact to the minor unit per interval and discount, subscribers,
trials converting and churn on a small hand-computed book, plans, scope, and the same figures
on the revenue page and over the API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import reflex as rx
from fastapi.testclient import TestClient
from sqlmodel import Session

from commerce_dash.api import create_api
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.errors import DomainError
from commerce_dash.pages.admin.revenue import RevenueState
from commerce_dash.services import revenue as revenue_area
from commerce_dash.services.revenue import subscription_metrics
from commerce_dash.services.revenue.subscription_metrics import round_twelfths
from tests.api.conftest import bearer
from tests.conftest import PASSWORD, create_department, create_user
from tests.pages.harness import page_state, run_event, token_for
from tests.revenue.ledger_book import at
from tests.revenue.subscription_book import a_plan, a_subscription, an_invoice

NOV = (date(2026, 11, 1), date(2026, 11, 30))
DEC_1 = datetime(2026, 12, 1, tzinfo=UTC)
IP = "203.0.113.9"


@pytest.fixture
def december(monkeypatch: pytest.MonkeyPatch) -> None:
    """The page and the API ask for "now": 7 December 2026 (after the window)."""
    monkeypatch.setattr(subscription_metrics, "utcnow",
                        lambda: datetime(2026, 12, 7, 9, tzinfo=UTC))


def _run(handler: Any, state: rx.State, *args: Any) -> list[Any]:
    # plain or async (the page's loads and filters run their database work off the loop)
    return run_event(handler, state, *args)


def _billing(session: Session) -> Actor:
    return create_user(session, "bill@example.com", grants=(Grant(RoleName.BILLING_ADMIN),))


def _metrics(session: Session, actor: Actor, **kw: object) -> revenue_area.SubscriptionMetrics:
    return revenue_area.subscription_figures(session=session, actor=actor, start=NOV[0],
                                             end=NOV[1], at=DEC_1, **kw)  # type: ignore[arg-type]


def test_mrr_normalises_each_interval_to_a_month_and_rounds_once(session: Session) -> None:
    eng, bus = create_department(session, "ENG"), create_department(session, "BUS")
    lee = create_user(session, "lee@example.com")
    oct1 = at("2026-10-01")
    monthly = a_plan(session, eng, interval="monthly", amount=1_900, at=oct1)
    quarterly = a_plan(session, eng, interval="quarterly", amount=5_001, at=oct1)
    annual = a_plan(session, bus, interval="annual", amount=19_000, at=oct1)
    euro = a_plan(session, bus, interval="quarterly", amount=1_000, currency="EUR", at=oct1)

    def sub(plan, status="active", **kw):  # type: ignore[no-untyped-def]
        return a_subscription(session, lee.user_id, plan, status=status, created_at=oct1, **kw)

    sub(monthly, discount_amount=400, discount_duration="forever")  # 1,500 a month
    sub(quarterly, status="past_due", past_due_since=at("2026-11-20"))  # 5,001 / 3 = 1,667
    sub(annual, discount_amount=1_000, discount_duration="once")  # 19,000 / 12 = 1,583.33
    sub(euro)  # 1,000 / 3 = 333.33 EUR
    sub(euro)  # 666.67 together
    # not in MRR: a trial, a paused, a cancelled and an incomplete subscription
    sub(monthly, status="trialing", trial_ends_at=at("2026-12-10"))
    sub(monthly, status="paused")
    sub(monthly, status="cancelled", cancelled_at=at("2026-11-02"))
    sub(monthly, status="incomplete")
    session.commit()
    billing = _billing(session)
    result = _metrics(session, billing)
    # USD: (18,000 + 20,004 + 19,000) twelfths = 4,750.33 -> 4,750; EUR: 666.67 -> 667
    assert [(m.currency, m.amount) for m in result.mrr] == [("EUR", 667), ("USD", 4_750)]
    assert (result.subscribers, result.past_due, result.trialing) == (5, 1, 1)
    assert [(p.department, p.interval, p.currency, p.subscribers, p.trialing, p.mrr)
            for p in result.plans] == [
        ("Department BUS", "quarterly", "EUR", 2, 0, 667),
        ("Department BUS", "annual", "USD", 1, 0, 1_583),
        ("Department ENG", "monthly", "USD", 1, 1, 1_500),
        ("Department ENG", "quarterly", "USD", 1, 0, 1_667),
    ]
    # each currency's plans add up to its MRR
    assert sum(p.mrr for p in result.plans if p.currency == "USD") == result.mrr_in("USD")
    # a department filter narrows everything to it: 1,500 + 1,667
    eng_only = _metrics(session, billing, department_id=eng)
    assert [(m.currency, m.amount) for m in eng_only.mrr] == [("USD", 3_167)]
    assert [p.interval for p in eng_only.plans] == ["monthly", "quarterly"]


def test_mrr_rounds_half_to_even_once() -> None:
    # twelfths of a minor unit: 6/12 = 0.5 -> 0, 18/12 = 1.5 -> 2, 30/12 = 2.5 -> 2
    assert [round_twelfths(n) for n in (5, 6, 7, 18, 30, 31)] == [0, 0, 1, 2, 2, 3]


def _book(session: Session) -> dict[str, int]:
    """November's book (window 1-30 November, seen on 1 December):

    A paying since October; B paying, cancelled 10 Nov; C past due since 25 Oct; D started
    5 Nov, cancelled 20 Nov; E a trial ending 3 Nov, paid then; F a trial ending 8 Nov,
    cancelled unpaid; G a trial started 25 Nov; H cancelled in October. E and F had a free
    trial invoice (paid 0), which is no conversion.
    """
    eng = create_department(session, "ENG")
    lee = create_user(session, "lee@example.com")
    plan = a_plan(session, eng, amount=1_900, at=at("2026-10-01"))

    def sub(created: str, status: str, **kw):  # type: ignore[no-untyped-def]
        return a_subscription(session, lee.user_id, plan, status=status,
                              created_at=at(created), **kw)

    a = sub("2026-10-01", "active")
    b = sub("2026-10-01", "cancelled", cancelled_at=at("2026-11-10"))
    c = sub("2026-10-01", "past_due", past_due_since=at("2026-10-25"))
    d = sub("2026-11-05", "cancelled", cancelled_at=at("2026-11-20"))
    e = sub("2026-10-20", "active", trial_ends_at=at("2026-11-03"))
    f = sub("2026-10-25", "cancelled", trial_ends_at=at("2026-11-08"),
            cancelled_at=at("2026-11-08"))
    sub("2026-11-25", "trialing", trial_ends_at=at("2026-12-09"))
    h = sub("2026-10-01", "cancelled", cancelled_at=at("2026-10-15"))
    for paying, day in ((a, "2026-10-01"), (b, "2026-10-01"), (c, "2026-10-01"),
                        (d, "2026-11-05"), (h, "2026-10-01"), (e, "2026-11-03")):
        an_invoice(session, paying, amount=1_900, paid_at=at(day))
    an_invoice(session, e, amount=0, paid_at=at("2026-10-20"))
    an_invoice(session, f, amount=0, paid_at=at("2026-10-25"))
    session.commit()
    return {"eng": eng}


def test_churn_and_trials_converting_on_a_hand_computed_book(session: Session) -> None:
    _book(session)
    result = _metrics(session, _billing(session))
    # paying on 1 December: A, E (active) and C (past due); G is trialing
    assert (result.subscribers, result.past_due, result.trialing) == (3, 1, 1)
    assert result.mrr_in("USD") == 3 * 1_900
    # trials ended in November: E (paid) and F (not): 1 of 2
    assert result.trials_converting == revenue_area.Rate(1, 2, 5_000)
    # paying on 1 November: A, B, C; B cancelled in November: 1 of 3 = 33.33 %
    assert result.churn == revenue_area.Rate(1, 3, 3_333)
    # every cancellation in November: B, D and F
    assert result.cancelled == 3


def test_a_department_admin_sees_only_their_departments(session: Session) -> None:
    eng = _book(session)["eng"]
    bus = create_department(session, "BUS")
    dora = create_user(session, "dora@example.com", grants=(Grant(RoleName.DEPT_ADMIN, bus),))
    result = _metrics(session, dora)
    assert (result.subscribers, result.mrr, result.plans) == (0, (), ())
    assert result.churn == revenue_area.Rate(0, 0, None)
    with pytest.raises(DomainError) as refused:
        _metrics(session, dora, department_id=eng)
    assert refused.value.code == "forbidden"


@pytest.mark.usefixtures("december")
def test_the_revenue_page_shows_the_subscription_kpis_and_plans(session: Session) -> None:
    _book(session)
    _billing(session)
    state = page_state(RevenueState, "/admin/revenue", {},
                       token_for(session, "bill@example.com", ip=IP), ip=IP)
    _run(RevenueState.load, state)
    state.start, state.end = "2026-11-01", "2026-11-30"
    assert _run(RevenueState.set_end, state, "2026-11-30") == []
    assert {k["label"]: (k["value"], k["hint"]) for k in state.sub_kpis} == {
        "MRR": ("$57.00", "monthly recurring revenue, active and past due"),
        "Active subscribers": ("3", "1 past due · 1 trialing"),
        "Trials converting": ("50 %", "1 of 2 trials ended in the period"),
        "Churn": ("33.33 %", "1 of 3 subscribers at the start cancelled"),
    }
    assert state.sub_plans == [{"department": "Department ENG", "interval": "Monthly",
                                "currency": "USD", "subscribers": "3", "trialing": "1",
                                "mrr": "$57.00"}]
    # the department filter applies: another department has none
    other = create_department(session, "BUS")
    _run(RevenueState.set_department, state, str(other))
    assert state.sub_plans == [] and state.sub_kpis[0]["value"] == "$0.00"


@pytest.fixture
def client(session: Session) -> Iterator[TestClient]:
    with TestClient(create_api()) as c:
        yield c


def _headers(client: TestClient, email: str) -> dict[str, str]:
    response = client.post("/api/v2/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.json()
    return bearer(response.json()["token"])


@pytest.mark.usefixtures("december")
def test_the_api_answers_billing_admins_and_refuses_learners(
    session: Session, client: TestClient
) -> None:
    _book(session)
    _billing(session)
    url = "/api/v2/admin/revenue/subscriptions"
    params = {"start": "2026-11-01", "end": "2026-11-30"}
    response = client.get(url, params=params, headers=_headers(client, "bill@example.com"))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["period"] == {"start": "2026-11-01", "end": "2026-11-30"}
    assert body["at"] == "2026-12-01T00:00:00+00:00"
    assert body["mrr"] == [{"currency": "USD", "amount": 5_700}]
    assert (body["subscribers"], body["past_due"], body["trialing"], body["cancelled"]) == (
        3, 1, 1, 3)
    assert body["trials_converting"] == {"count": 1, "of": 2, "bps": 5_000}
    assert body["churn"] == {"count": 1, "of": 3, "bps": 3_333}
    assert body["plans"] == [{"department_id": body["plans"][0]["department_id"],
                              "department": "Department ENG", "interval": "monthly",
                              "currency": "USD", "subscribers": 3, "trialing": 1,
                              "mrr": 5_700}]
    refused = client.get(url, params=params, headers=_headers(client, "lee@example.com"))
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
