"""Housekeeping: forget ended sessions and old login attempts."""

from __future__ import annotations

import logging

from commerce_dash.db import session_scope
from commerce_dash.services.accounts import purge_stale_records

log = logging.getLogger(__name__)


def purge_stale_account_records(keep_days: int = 30) -> dict[str, int]:
    """Run the purge in its own transaction and log what it removed."""
    with session_scope() as session:
        removed = purge_stale_records(session=session, keep_days=keep_days)
    log.info(
        "housekeeping removed %(sessions)s sessions, %(login_attempts)s login attempts", removed
    )
    return removed
