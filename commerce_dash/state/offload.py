"""Blocking work out of Reflex's event loop.

Reflex runs a plain (synchronous) event handler on the event loop itself, so a processor
call, an argon2 hash or a PDF render inside one stalls every other client of that worker
while it runs. Handlers that do such work are ``async`` and hand it to a worker thread here;
the work opens its own database session (sessions are not shared across threads).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from sqlmodel import Session

from commerce_dash.db import session_scope

_T = TypeVar("_T")


async def off_loop(work: Callable[[], _T]) -> _T:
    """``work()`` in a worker thread; the loop serves other clients until it ends."""
    return await asyncio.to_thread(work)


async def with_session(work: Callable[[Session], _T]) -> _T:
    """``work(session)`` in a worker thread, with a session of its own."""

    def run() -> _T:
        with session_scope() as session:
            return work(session)

    return await off_loop(run)
