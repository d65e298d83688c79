"""Issue 20 part 3: while one visitor's page loads, the app keeps answering everyone else.

Reflex runs a plain event handler on the worker's event loop, so a page load whose database
work ran there held every other client of that worker until it ended. The loads of the
catalog, a course page, the cart, the registration queue and the revenue page (and the
session refresh every storefront page runs) do their reads in a worker thread: here each
load's main read is made slow (0.5 s, blocking, as a slow database would be) and a ticker on
the same event loop must keep ticking meanwhile; the page still shows what it read.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session

from commerce_dash import routes
from commerce_dash.domain.actor import Actor
from commerce_dash.pages.admin.registrations_state import RegistrationsState
from commerce_dash.pages.admin.revenue_state import RevenueState
from commerce_dash.pages.store.cart import CartState
from commerce_dash.pages.store.catalog import CatalogState
from commerce_dash.pages.store.course import CourseState
from commerce_dash.services import catalog, commerce, enrollment, revenue
from commerce_dash.state.auth import AuthState
from tests.builders import owner_of
from tests.pages.harness import PageAs

SLOW_SECONDS = 0.5
# a tick every 10 ms: a gap this long means the loop was held
HELD = 0.2


def _slowed(monkeypatch: pytest.MonkeyPatch, area: Any, name: str) -> None:
    real: Callable[..., Any] = getattr(area, name)

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(SLOW_SECONDS)  # blocking, as a slow query is
        return real(*args, **kwargs)

    monkeypatch.setattr(area, name, slow)


async def _run(handler: Any, state: Any) -> None:
    """What Reflex does with an event: await an async handler, call a plain one on the loop,
    then drain what it yields."""
    fn = handler.fn
    out = await fn(state) if inspect.iscoroutinefunction(fn) else fn(state)
    if inspect.isasyncgen(out):
        async for _ in out:
            pass
    elif inspect.isgenerator(out):
        for _ in out:
            pass


def _longest_gap_while(handler: Any, state: Any) -> tuple[float, float]:
    """(the longest gap between ticks of a 10 ms ticker on the loop, the load's seconds)."""

    async def both() -> tuple[float, float]:
        gaps: list[float] = []
        done = asyncio.Event()

        async def ticker() -> None:
            last = time.monotonic()
            while not done.is_set():
                await asyncio.sleep(0.01)
                now = time.monotonic()
                gaps.append(now - last)
                last = now

        ticks = asyncio.create_task(ticker())
        await asyncio.sleep(0.02)
        started = time.monotonic()
        await _run(handler, state)
        took = time.monotonic() - started
        done.set()
        await ticks
        return max(gaps), took

    return asyncio.run(both())


def _assert_loop_free(handler: Any, state: Any) -> None:
    gap, took = _longest_gap_while(handler, state)
    assert took >= SLOW_SECONDS, "the slowed read did not run: the test proves nothing"
    assert gap < HELD, f"the event loop was held {gap:.2f} s by {handler.fn.__qualname__}"


def test_the_catalog_loads_off_the_loop(page_as: PageAs, shop,  # type: ignore[no-untyped-def]
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    page = page_as(CatalogState, routes.STORE, email="")
    _slowed(monkeypatch, catalog, "browse")
    _assert_loop_free(CatalogState.load, page)
    assert page.loaded and page.results_label == "5 results"
    assert {c["title"] for c in page.cards} >= {"Course PY101", "Course ML301"}


def test_a_course_page_loads_off_the_loop(page_as: PageAs, shop,  # type: ignore[no-untyped-def]
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    page = page_as(CourseState, f"{routes.STORE_COURSE}/SHOP-PY101", email="",
                   params={"code": "SHOP-PY101"})
    _slowed(monkeypatch, catalog, "course_detail")
    _assert_loop_free(CourseState.load, page)
    assert page.status == "found" and page.course_code == "SHOP-PY101"
    assert page.title == "Course PY101" and page.for_sale and page.price_label


def test_the_cart_loads_off_the_loop(session: Session, page_as: PageAs, learner: Actor,
                                     shop, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
                                     ) -> None:
    commerce.add_item(session=session, owner=owner_of(learner), item_type="course",
                      item_id=shop.courses["PY101"])
    page = page_as(CartState, routes.CART, email=learner.email)
    _slowed(monkeypatch, commerce, "view_cart")
    _assert_loop_free(CartState.load, page)
    assert page.loaded and len(page.lines) == 1 and page.cart_count == 1
    assert page.signed_in and page.user_email == learner.email


def test_the_session_refresh_of_every_store_page_runs_off_the_loop(
        session: Session, page_as: PageAs, learner: Actor, shop,  # type: ignore[no-untyped-def]
        monkeypatch: pytest.MonkeyPatch) -> None:
    commerce.add_item(session=session, owner=owner_of(learner), item_type="course",
                      item_id=shop.courses["PY101"])
    page = page_as(CatalogState, routes.STORE, email=learner.email)
    _slowed(monkeypatch, commerce, "cart_count")
    _assert_loop_free(AuthState.load_session_off_loop, page)
    assert page.signed_in and page.cart_count == 1


def test_the_registration_queue_loads_off_the_loop(
        page_as: PageAs, super_admin: Actor, shop,  # type: ignore[no-untyped-def]
        monkeypatch: pytest.MonkeyPatch) -> None:
    page = page_as(RegistrationsState, routes.ADMIN_REGISTRATIONS, email=super_admin.email)
    _slowed(monkeypatch, enrollment, "list_queue")
    _assert_loop_free(RegistrationsState.load, page)
    assert page.access == "allowed" and page.rows == [] and page.total == 0


def test_the_revenue_page_loads_off_the_loop(
        page_as: PageAs, super_admin: Actor, shop,  # type: ignore[no-untyped-def]
        monkeypatch: pytest.MonkeyPatch) -> None:
    page = page_as(RevenueState, routes.ADMIN_REVENUE, email=super_admin.email)
    _slowed(monkeypatch, revenue, "report")
    _assert_loop_free(RevenueState.load, page)
    assert page.access == "allowed" and page.kpis and page.kpis[0]["label"] == "Gross sales"


def test_a_visitor_is_sent_to_sign_in_from_the_revenue_page(page_as: PageAs) -> None:
    page = page_as(RevenueState, routes.ADMIN_REVENUE, email="")
    gap, _ = _longest_gap_while(RevenueState.load, page)
    assert page.access == "login" and gap < HELD
