"""Payment reviews (velocity check): a learner is held after repeated declines by the
processor (``hold_after_failures``; card details typed wrong are not declines and do not
count), checkout refuses a held learner (``require_not_under_review``; the cart and checkout
pages show why and how the hold is lifted, ``review_hold``) and a billing admin lists and
clears the holds (``list_reviews``, ``clear_review``, re-exported by ``orders``). The one
module that reads and writes ``PaymentReview``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.models.accounts import User
from commerce_dash.models.commerce import Payment, PaymentReview
from commerce_dash.services.platform import record_audit
from commerce_dash.settings import get_settings

__all__ = [
    "INPUT_MISTAKES",
    "MAX_REVIEWS",
    "ReviewRow",
    "clear_review",
    "held_count",
    "hold_after_failures",
    "is_processor_decline",
    "list_reviews",
    "require_not_under_review",
    "review_hold",
]

SECTION = "orders"  # reviews are part of the orders section
MAX_REVIEWS = 200
# Failure codes (Stripe's, which the sandbox and the other processors' adapters use) of card
# details typed wrong: caught before the card's bank is asked, so not a decline.
INPUT_MISTAKES = frozenset({
    "incorrect_number", "invalid_number", "incomplete_number",
    "invalid_expiry_month", "invalid_expiry_year", "incomplete_expiry",
    "incorrect_cvc", "invalid_cvc", "incomplete_cvc",
    "incorrect_zip", "incomplete_zip", "postal_code_invalid",
})
# The hold does not lift by itself (waiting changes nothing): a billing admin clears it in
# the payment reviews queue (``clear_review``).
HOLD_MESSAGE = (
    "Checkout is paused: your account is being reviewed after several declined payments. "
    "The hold does not lift by waiting: our billing team reviews it and lifts it, and you "
    "can check out again as soon as they have."
)


def is_processor_decline(failure_code: str) -> bool:
    """Whether a failed attempt was the processor declining the payment (counted towards a
    review), rather than card details typed wrong."""
    return (failure_code or "").strip().lower() not in INPUT_MISTAKES


def held_count(session: Session) -> int:
    """How many learners are held for review now (the admin overview's figure)."""
    return int(session.exec(select(func.count()).select_from(PaymentReview).where(
        col(PaymentReview.cleared_at).is_(None))).one())


def review_hold(*, session: Session, user_id: int | None) -> str:
    """Why a learner cannot check out now and how the hold is lifted ("" when not held)."""
    if user_id is None:
        return ""
    review = session.get(PaymentReview, user_id)
    if review is None or review.cleared_at is not None:
        return ""
    contact = get_settings().payment_review_contact.strip()
    return f"{HOLD_MESSAGE} To ask about it, write to {contact}." if contact else HOLD_MESSAGE


def require_not_under_review(*, session: Session, user_id: int) -> None:
    message = review_hold(session=session, user_id=user_id)
    if message:
        raise DomainError("payment_review", message, kind=ErrorKind.FORBIDDEN)


def hold_after_failures(session: Session, user_id: int, now: datetime,
                        payment: Payment | None = None) -> None:
    """Count the failed attempt of ``payment`` (just recorded) when the processor declined it,
    and hold the learner for review once their declines in the window reach the limit
    (opened, or opened again after a clear; audited), in the caller's transaction.

    A mistyped card number, expiry or security code is not a decline: it is not counted."""
    settings = get_settings()
    if payment is not None:
        if not is_processor_decline(payment.failure_code):
            return
        payment.declines += 1
        session.add(payment)
        session.flush()
    since = now - timedelta(hours=settings.payment_failure_window_hours)
    failures = int(session.exec(
        select(func.coalesce(func.sum(Payment.declines), 0)).where(
            Payment.user_id == user_id, col(Payment.updated_at) >= since
        )
    ).one())
    if failures < settings.payment_failures_for_review:
        return
    review = session.get(PaymentReview, user_id)
    if review is not None and review.cleared_at is None:
        review.failures = failures
        session.add(review)
        return
    reason = (f"{failures} declined payments within {settings.payment_failure_window_hours} "
              "hours")
    if review is None:
        review = PaymentReview(user_id=user_id, reason=reason, failures=failures, since=now)
    else:  # reviewed before and cleared; held again
        review.reason, review.failures, review.since = reason, failures, now
        review.cleared_at = None
        review.cleared_by_id = None
    session.add(review)
    record_audit(session=session, actor=None, action="payment_review.opened",
                 entity_type="user", entity_id=user_id, after={"failures": failures},
                 reason=reason)


@dataclass(frozen=True)
class ReviewRow:
    user_id: int
    learner_email: str
    learner_name: str
    reason: str
    failures: int
    since: datetime
    cleared_at: datetime | None
    cleared_by_id: int | None



def _review_row(review: PaymentReview, user: User | None) -> ReviewRow:
    return ReviewRow(
        user_id=review.user_id,
        learner_email=user.email if user else "",
        learner_name=user.full_name if user else "",
        reason=review.reason,
        failures=review.failures,
        since=review.since,
        cleared_at=review.cleared_at,
        cleared_by_id=review.cleared_by_id,
    )


def list_reviews(
    *, session: Session, actor: Actor | None, limit: int = MAX_REVIEWS
) -> list[ReviewRow]:
    """Learners held for review after repeated failed payments, oldest hold first."""
    require_section(actor, SECTION)
    rows = session.exec(
        select(PaymentReview, User)
        .join(User, col(User.id) == col(PaymentReview.user_id))
        .where(col(PaymentReview.cleared_at).is_(None))
        .order_by(col(PaymentReview.since), col(PaymentReview.user_id))
        .limit(max(1, min(limit, MAX_REVIEWS)))
    ).all()
    return [_review_row(review, user) for review, user in rows]


def clear_review(
    *, session: Session, actor: Actor | None, user_id: int, note: str = ""
) -> ReviewRow:
    """Let a held learner check out again. Clearing a cleared review changes nothing."""
    actor = require_section(actor, SECTION)
    note = (note or "").strip()
    if len(note) > 500:
        raise DomainError("note_too_long", "Keep the note under 500 characters.", field="note")
    review = session.get(PaymentReview, user_id) if 0 < user_id <= 2**31 - 1 else None
    if review is None:
        raise DomainError(
            "payment_review_not_found",
            "This learner is not held for payment review.",
            kind=ErrorKind.NOT_FOUND,
        )
    user = session.get(User, user_id)
    if review.cleared_at is not None:
        return _review_row(review, user)
    before = {"reason": review.reason, "failures": review.failures, "cleared_at": None}
    review.cleared_at = utcnow()
    review.cleared_by_id = actor.user_id
    session.add(review)
    record_audit(
        session=session,
        actor=actor,
        action="payment_review.cleared",
        entity_type="payment_review",
        entity_id=user_id,
        before=before,
        after={
            "cleared_at": review.cleared_at.isoformat(),
            "cleared_by": actor.email,
            "learner": user.email if user else "",
        },
        reason=note,
    )
    session.commit()
    return _review_row(review, user)
