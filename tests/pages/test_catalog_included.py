"""Issue 16: the catalog page shows "Included in your subscription" instead of a price on
the courses a learner's subscription includes, and prices to everyone else."""

from __future__ import annotations

from sqlmodel import Session

from commerce_dash import routes
from commerce_dash.domain.actor import Actor
from commerce_dash.pages.store.catalog import CatalogState
from commerce_dash.payments.sandbox_cards import SUCCESS_CARD
from commerce_dash.services import catalog, commerce
from tests.builders import a_learner
from tests.pages.harness import PageAs
from tests.pages.harness import run_event as _run

INCLUDED = "Included in your subscription"


def _labels(page_as: PageAs, email: str) -> dict[str, str]:
    page = page_as(CatalogState, routes.STORE, email=email)
    _run(CatalogState.load, page)
    return {card["title"]: card["price_label"] for card in page.cards}


def test_subscribers_see_their_courses_included_and_others_see_prices(
        session: Session, page_as: PageAs, learner: Actor, super_admin: Actor,
        shop) -> None:  # type: ignore[no-untyped-def]
    plan = catalog.create_price(session=session, actor=super_admin, item_type="subscription",
                                item_id=shop.department_id, price_type="subscription",
                                amount=2900, currency="USD", interval="monthly")
    a_learner(session, "kim@example.com")
    before = _labels(page_as, "lee@example.com")
    assert INCLUDED not in before.values()
    commerce.subscribe(session=session, actor=learner, price_id=plan.id or 0,
                       payment_method=SUCCESS_CARD)
    after = _labels(page_as, "lee@example.com")
    courses = [t for t in after if t.startswith("Course ")]
    assert courses and all(after[t] == INCLUDED for t in courses)
    program = [t for t in after if not t.startswith("Course ")]
    assert program and all(after[t] != INCLUDED for t in program)  # programs are still sold
    assert INCLUDED not in _labels(page_as, "kim@example.com").values()
    assert INCLUDED not in _labels(page_as, "").values()
