"""Notes left for the page after a full-page hop (signed out, signed in, carts merged).

Across the hop the browser opens a new websocket, and Reflex hands it a fresh state when the
old socket has not closed yet (its duplicate-tab rule). A note kept in the tab's server-side
state was then lost: the browser tests saw "Your email address is confirmed." missing after
the hop in 2 of 4 CI runs. The note now rides in a browser cookie, so the page after the hop
shows it whatever state the server gives the new socket.
"""

from __future__ import annotations

from typing import Any

from commerce_dash import routes
from commerce_dash.domain.actor import Actor
from commerce_dash.state.auth import AuthState, parse_notices
from tests.pages.harness import run_event, toast_messages


def _next_page(page_as: Any, cookie: str) -> AuthState:
    """A brand-new tab state on the store, as after the hop, holding the browser's cookie
    (Reflex hydrates cookie vars from the browser)."""
    fresh = page_as(AuthState, routes.STORE, email="")
    fresh.notice_cookie = cookie
    return fresh


def test_signing_out_leaves_its_note_for_the_next_page_even_in_a_fresh_state(
    page_as: Any, learner: Actor,
) -> None:
    before = page_as(AuthState, routes.ACCOUNT, email="lee@example.com")
    run_event(AuthState.sign_out, before)
    assert parse_notices(before.notice_cookie) == ["You are signed out."]

    after = _next_page(page_as, before.notice_cookie)
    shown = run_event(AuthState.show_notices, after)
    assert toast_messages(shown, "info") == ["You are signed out."]
    assert after.notice_cookie == ""  # the browser drops the cookie: shown once
    assert toast_messages(run_event(AuthState.show_notices, after), "info") == []


def test_a_page_without_notes_shows_none_and_a_forged_cookie_shows_nothing_odd(
    page_as: Any,
) -> None:
    assert run_event(AuthState.show_notices, _next_page(page_as, "")) == []
    for forged in ("not json", '{"a": 1}', "[1, 2]", '"text"'):
        assert run_event(AuthState.show_notices, _next_page(page_as, forged)) == [], forged
    many = '["1", "2", "3", "4", "5", "6", "7"]'
    shown = run_event(AuthState.show_notices, _next_page(page_as, many))
    assert toast_messages(shown, "info") == ["1", "2", "3", "4", "5"]
