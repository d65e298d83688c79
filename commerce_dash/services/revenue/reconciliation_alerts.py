"""The daily reconciliation's alert: when a UTC day does not reconcile (a day's captures or
refunds differ from the ledger, or an itemised problem), every active billing admin and
super-admin gets one email through the outbox, at most once per day checked (the outbox's
dedupe key is the day and the address, so a second run of the job sends nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from commerce_dash import routes
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.money import format_minor
from commerce_dash.models.accounts import User, UserRole
from commerce_dash.notify.outbox_email import queue_email
from commerce_dash.services.revenue.revenue_reconciliation import (
    PROBLEM_LABELS,
    Reconciliation,
    reconcile,
)
from commerce_dash.settings import get_settings

TEMPLATE = "reconciliation-mismatch"
MAX_LINES = 20  # the email lists this many items; the page has them all


@dataclass(frozen=True)
class AlertOutcome:
    day: date
    reconciles: bool
    mismatched_days: int
    problems: int
    emails: int  # queued by this run (0 when the day's alert went out before)


def billing_contacts(session: Session) -> list[tuple[str, str]]:
    """(email, name) of every active billing admin and super-admin."""
    rows = session.exec(
        select(User.email, User.full_name)
        .join(UserRole, col(UserRole.user_id) == User.id)
        .where(
            col(UserRole.role).in_((RoleName.BILLING_ADMIN.value, RoleName.SUPER_ADMIN.value)),
            col(User.is_active).is_(True),
        )
        .distinct()
    ).all()
    return sorted((str(email), str(name)) for email, name in rows)


def alert_lines(result: Reconciliation, locale: str) -> list[str]:
    """What the email lists: each mismatched day, then each problem (at most MAX_LINES)."""
    cur = result.currency

    def amount(value: int) -> str:
        return format_minor(value, cur, locale)

    lines = [
        f"{d.day.isoformat()}: captured {amount(d.captured)}, ledger sales "
        f"{amount(d.ledger_sales)}; refunded {amount(d.refunded)}, ledger reversals "
        f"{amount(d.ledger_reversals)}"
        for d in result.days
        if d.mismatch
    ]
    lines += [
        f"{PROBLEM_LABELS.get(p.kind, p.kind)}: {p.reference} ({amount(p.amount)})"
        for p in result.problems
    ]
    if len(lines) > MAX_LINES:
        lines = [*lines[:MAX_LINES], f"... and {len(lines) - MAX_LINES} more on the page"]
    return lines


def alert_billing_of_mismatches(*, session: Session, day: date) -> AlertOutcome:
    """Reconcile ``day`` (UTC); if it does not reconcile, queue one email per billing admin
    in the caller's transaction (not committed). Harmless to repeat."""
    result = reconcile(session=session, start=day, end=day)
    outcome = AlertOutcome(day, result.reconciles, result.mismatched_days, len(result.problems), 0)
    if result.reconciles:
        return outcome
    settings = get_settings()
    lines = alert_lines(result, settings.default_locale)
    queued = 0
    for email, name in billing_contacts(session):
        message = queue_email(
            session=session,
            template=TEMPLATE,
            to=email,
            dedupe_key=f"{TEMPLATE}:{day.isoformat()}:{email}",
            context={
                "user_name": name,
                "day": day.isoformat(),
                "currency": result.currency,
                "mismatched_days": result.mismatched_days,
                "problem_count": len(result.problems),
                "lines": lines,
                "revenue_url": f"{settings.public_url.rstrip('/')}{routes.ADMIN_REVENUE}",
            },
        )
        queued += message is not None
    return AlertOutcome(day, False, result.mismatched_days, len(result.problems), queued)
