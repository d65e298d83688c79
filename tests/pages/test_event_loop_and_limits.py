"""What the pages do the API's way: payment attempts are limited and a learner held for review
cannot pay from the checkout page either; and a slow processor never stalls other clients,
because the pages' processor calls run off the event loop (Reflex runs a plain handler on the
loop itself)."""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import reflex as rx
from reflex.constants import RouteArgType
from sqlmodel import Session

from commerce_dash import routes
from commerce_dash.domain.actor import Actor
from commerce_dash.models.commerce import PaymentReview
from commerce_dash.pages.store.cart import CartState
from commerce_dash.pages.store.catalog import CatalogState
from commerce_dash.pages.store.checkout import CheckoutState
from commerce_dash.payments.factory import reset_processors
from commerce_dash.services.commerce import cart as cart_service
from commerce_dash.services.commerce.checkout import CheckoutRequest, checkout
from commerce_dash.settings import get_settings
from tests.builders import owner_of
from tests.pages.harness import page_state, run_event, toasts, token_for

rx.State.setup_dynamic_args({"number": RouteArgType.SINGLE})
DECLINED = {"card_number": "4000 0000 0000 0002", "expiry": "12/34", "cvc": "123"}
SLOW_SECONDS = 3.0


@pytest.fixture
def pending_order(session: Session, shop, learner: Actor) -> str:  # type: ignore[no-untyped-def]
    cart_service.add_item(session=session, owner=owner_of(learner), item_type="course",
                          item_id=shop.courses["PY101"])
    return checkout(session=session, actor=learner,
                    request=CheckoutRequest("page-limits-1")).number


def _checkout_page(session: Session, learner: Actor, number: str) -> CheckoutState:
    state = page_state(CheckoutState, f"{routes.CHECKOUT}/{number}", {"number": number},
                       token_for(session, learner.email))
    run_event(CheckoutState.load, state)
    return state


def test_the_checkout_page_limits_payment_attempts_like_the_api(
        session: Session, learner: Actor, pending_order: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # given at most 3 payment attempts a minute
    monkeypatch.setenv("COMMERCE_PAYMENT_RATE_LIMIT_PER_MINUTE", "3")
    get_settings.cache_clear()
    state = _checkout_page(session, learner, pending_order)
    # when a card is tried again and again on the page
    answers = [toasts(run_event(CheckoutState.pay_sandbox, state, DECLINED)) for _ in range(4)]
    get_settings.cache_clear()
    # then the first three are declined by the bank, the fourth is told to wait
    assert all("declined" in a for a in answers[:3]), answers
    assert "Too many requests" in answers[3]
    assert state.error.startswith("Too many requests")


def test_a_learner_held_for_review_cannot_pay_from_the_page(
        session: Session, learner: Actor, pending_order: str) -> None:
    state = _checkout_page(session, learner, pending_order)
    session.add(PaymentReview(user_id=learner.user_id, reason="5 failed payments",
                              failures=5))
    session.commit()
    good = {"card_number": "4242 4242 4242 4242", "expiry": "12/34", "cvc": "123"}
    answer = toasts(run_event(CheckoutState.pay_sandbox, state, good))
    assert "being reviewed after several declined payments" in answer
    assert state.phase != "done"


# -- the event loop ---------------------------------------------------------------------------


class SlowStripe:
    """A loopback stand-in for Stripe that answers a PaymentIntent after SLOW_SECONDS."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("content-length", 0)))
                time.sleep(SLOW_SECONDS)
                body = json.dumps({
                    "id": "pi_slow_1", "object": "payment_intent", "amount": 10_000,
                    "currency": "usd", "status": "requires_payment_method",
                    "client_secret": "pi_slow_1_secret_x", "metadata": {}}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def slow_stripe(monkeypatch: pytest.MonkeyPatch) -> Iterator[SlowStripe]:
    slow = SlowStripe()
    for name, value in {"PAYMENT_PROCESSOR": "stripe", "STRIPE_SECRET_KEY": "sk_test_slow",
                        "STRIPE_PUBLISHABLE_KEY": "pk_test_slow",
                        "STRIPE_WEBHOOK_SECRET": "whsec_slow", "STRIPE_API_BASE": slow.url
                        }.items():
        monkeypatch.setenv(f"COMMERCE_{name}", value)
    get_settings.cache_clear()
    reset_processors()
    yield slow
    slow.server.shutdown()
    slow.server.server_close()
    monkeypatch.undo()
    get_settings.cache_clear()
    reset_processors()


async def _as_reflex_runs(handler: Any, state: Any, *args: Any) -> None:
    """What Reflex does with an event: await an async handler, call a plain one on the
    loop, then drain what it yields."""
    fn = handler.fn
    out = await fn(state, *args) if inspect.iscoroutinefunction(fn) else fn(state, *args)
    if inspect.isasyncgen(out):
        async for _ in out:
            pass
    elif inspect.isgenerator(out):
        for _ in out:
            pass


def test_a_slow_processor_does_not_delay_another_clients_event(
        session: Session, learner: Actor, super_admin: Actor, shop,  # type: ignore[no-untyped-def]
        slow_stripe: SlowStripe) -> None:
    # given a learner whose checkout waits 3 s for the processor, and another visitor
    cart_service.add_item(session=session, owner=owner_of(learner), item_type="course",
                          item_id=shop.courses["PY101"])
    buyer = page_state(CartState, routes.CART, {}, token_for(session, learner.email))
    run_event(CartState.load, buyer)
    visitor = page_state(CatalogState, routes.STORE, {}, "", ip="198.51.100.20")
    run_event(CatalogState.load, visitor)

    async def both() -> tuple[float, bool]:
        slow = asyncio.create_task(_as_reflex_runs(CartState.check_out, buyer))
        await asyncio.sleep(0.3)  # the processor call is under way
        started = time.monotonic()
        # when the visitor searches meanwhile, on the same event loop
        await _as_reflex_runs(CatalogState.set_search, visitor, "Course")
        waited = time.monotonic() - started
        still_paying = not slow.done()
        await slow
        return waited, still_paying

    waited, still_paying = asyncio.run(both())
    # then the visitor's event is answered at once, while the checkout still waits
    assert still_paying
    assert waited < 1.0, f"the visitor waited {waited:.2f} s behind the processor"
    assert visitor.total > 0
    # and the checkout finished with the processor's answer
    assert buyer.busy is False
