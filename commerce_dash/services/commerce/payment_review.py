"""Learners held for review after repeated failed payments (velocity check)."""

from __future__ import annotations

from sqlmodel import Session

from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.models.commerce import PaymentReview


def require_not_under_review(*, session: Session, user_id: int) -> None:
    review = session.get(PaymentReview, user_id)
    if review is not None and review.cleared_at is None:
        raise DomainError(
            "payment_review",
            "Your account is being reviewed after several failed payments. Our team will "
            "contact you; until then checkout is paused.",
            kind=ErrorKind.FORBIDDEN,
        )
