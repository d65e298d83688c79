"""Jobs that work through a queue in bounded batches, each committed on its own (a crash
loses at most one batch's work, which the next run picks up)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlmodel import Session

from commerce_dash.db import session_scope

log = logging.getLogger(__name__)


def in_batches(work: Callable[[Session, int], int], *, batch: int, max_batches: int,
               what: str) -> dict[str, int]:
    """Call ``work(session, limit)`` until it does fewer than ``batch`` items or
    ``max_batches`` ran; each call in its own committed session. Returns the counts."""
    done = batches = 0
    for _ in range(max_batches):
        with session_scope() as session:
            n = work(session, batch)
            session.commit()
        done += n
        batches += 1
        if n < batch:
            break
    if done:
        log.info("queued %s %s", done, what)
    return {"reminders": done, "batches": batches}
