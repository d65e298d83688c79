"""Housekeeping: forget ended sessions, old login attempts and old job runs."""

from __future__ import annotations

import logging

from commerce_dash.db import session_scope
from commerce_dash.services.platform import purge_old_runs, purge_stale_records

log = logging.getLogger(__name__)


def purge_stale_account_records(keep_days: int = 30) -> dict[str, int]:
    """Run the purge in its own transaction and log what it removed."""
    with session_scope() as session:
        removed = purge_stale_records(session=session, keep_days=keep_days)
        removed["job_runs"] = purge_old_runs(session=session)
    log.info(
        "housekeeping removed %(sessions)s sessions, %(login_attempts)s login attempts, "
        "%(job_runs)s job runs",
        removed,
    )
    return removed
