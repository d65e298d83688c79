"""The daily reconciliation (issue 19): yesterday's UTC day reconciled against the processor
and the ledger; billing admins are emailed once when it does not reconcile."""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

from commerce_dash.db import session_scope
from commerce_dash.domain.clock import utcnow
from commerce_dash.services import revenue as revenue_area

log = logging.getLogger(__name__)


def daily_reconciliation(day: date | None = None) -> dict[str, Any]:
    """Reconcile ``day`` (default: yesterday, UTC) and alert billing admins of differences."""
    day = day or utcnow().date() - timedelta(days=1)
    with session_scope() as session:
        outcome = revenue_area.alert_billing_of_mismatches(session=session, day=day)
        session.commit()
    if not outcome.reconciles:
        log.warning(
            "reconciliation of %s: %s day(s) differ, %s problem(s); %s email(s) queued",
            day,
            outcome.mismatched_days,
            outcome.problems,
            outcome.emails,
        )
    return {**asdict(outcome), "day": day.isoformat()}
