"""The revenue-share rules card (settings) and the payout sync card (revenue) driven through
their page states: percentages in, exact basis points out, clear errors, counts shown."""

from __future__ import annotations

from sqlmodel import Session, select

from commerce_dash.domain.actor import Actor
from commerce_dash.models.revenue import RevenueShareRule
from commerce_dash.pages.admin.payouts import PayoutsState
from commerce_dash.pages.admin.revenue_shares import RevenueSharesState
from tests.builders import build_shop, buy
from tests.pages.harness import PageAs
from tests.pages.harness import run_event as _run
from tests.pages.harness import toasts as _toasts


def test_a_billing_admin_sets_a_department_rule_in_percent(  # type: ignore[no-untyped-def]
    session: Session, page_as: PageAs, super_admin: Actor
) -> None:
    shop = build_shop(session, super_admin)
    state = page_as(RevenueSharesState, "/admin/settings")
    _run(RevenueSharesState.load, state)
    assert [r["key"] for r in state.shares] == ["default"]  # the built-in 30 / 40 / 30
    _run(RevenueSharesState.open_new, state)
    _run(RevenueSharesState.set_scope, state, "department")
    _run(RevenueSharesState.set_target, state, str(shop.department_id))
    _run(RevenueSharesState.save, state, {"platform": "25", "creator": "50",
                                          "instructor": "20"})
    assert "100 %" in state.error and state.dialog_open  # 95 %: refused, dialog stays open
    events = _run(RevenueSharesState.save, state, {"platform": "25", "creator": "52.5",
                                                   "instructor": "22.5"})
    assert "New sales use it" in _toasts(events) and not state.dialog_open
    rule = session.exec(select(RevenueShareRule)).one()
    assert (rule.scope_key, rule.platform_bps, rule.creator_bps, rule.instructor_bps) == (
        f"department:{shop.department_id}", 2500, 5250, 2250)
    row = next(r for r in state.shares if r["key"] == rule.scope_key)
    assert (row["platform"], row["creator"]) == ("25 %", "52.5 %")
    _run(RevenueSharesState.remove, state, rule.scope_key)
    assert session.exec(select(RevenueShareRule)).all() == []


def test_the_payout_card_counts_entries_not_sent_without_a_platform(  # type: ignore[no-untyped-def]
    session: Session, page_as: PageAs, super_admin: Actor, learner: Actor
) -> None:
    shop = build_shop(session, super_admin)
    buy(session, learner, shop, ("course", "PY101"), ("course", "SQL101"))
    state = page_as(PayoutsState, "/admin/revenue")
    _run(PayoutsState.load, state)
    assert state.configured is False
    assert state.counts == {"synced": 0, "pending": 0, "dead": 0, "not_sent": 2}
    assert [e["event"] for e in state.entries] == ["payment.completed"] * 2
    _run(PayoutsState.show, state, "synced")
    assert state.entries == [] and state.status == "synced"
