"""The refund pipeline as data (ADR-001: every refund is approved by a billing admin).

requested -> approved -> processing -> refunded, or requested -> rejected; a processor error
moves processing -> failed, and a retry moves failed -> processing again with the same
idempotency key, so the processor never pays twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum

from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.money import allocate

MIN_REASON = 10
MAX_REASON = 1000


class RefundStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    PROCESSING = "processing"
    REFUNDED = "refunded"
    REJECTED = "rejected"
    FAILED = "failed"


OPEN = frozenset({RefundStatus.REQUESTED, RefundStatus.APPROVED, RefundStatus.PROCESSING,
                  RefundStatus.FAILED})
# amounts already promised to the learner: they count against what is left to refund
IN_FLIGHT = frozenset({RefundStatus.APPROVED, RefundStatus.PROCESSING, RefundStatus.FAILED})

_MOVES: dict[RefundStatus, frozenset[RefundStatus]] = {
    RefundStatus.REQUESTED: frozenset({RefundStatus.APPROVED, RefundStatus.REJECTED}),
    RefundStatus.APPROVED: frozenset({RefundStatus.PROCESSING}),
    RefundStatus.PROCESSING: frozenset({RefundStatus.REFUNDED, RefundStatus.FAILED}),
    RefundStatus.FAILED: frozenset({RefundStatus.PROCESSING}),
    RefundStatus.REFUNDED: frozenset(),
    RefundStatus.REJECTED: frozenset(),
}

LABELS = {
    RefundStatus.REQUESTED: "Requested",
    RefundStatus.APPROVED: "Approved",
    RefundStatus.PROCESSING: "Processing",
    RefundStatus.REFUNDED: "Refunded",
    RefundStatus.REJECTED: "Rejected",
    RefundStatus.FAILED: "Failed (retry)",
}


def can_move(current: str, target: str) -> bool:
    return RefundStatus(target) in _MOVES[RefundStatus(current)]


def require_move(current: str, target: str) -> None:
    if not can_move(current, target):
        raise DomainError("invalid_refund_move",
                          f"A {LABELS[RefundStatus(current)].lower()} refund cannot become "
                          f"{LABELS[RefundStatus(target)].lower()}.", kind=ErrorKind.CONFLICT)


def check_reason(text: str, field: str = "reason") -> str:
    reason = " ".join((text or "").split())
    if len(reason) < MIN_REASON:
        raise DomainError("reason_required",
                          f"Give a reason of at least {MIN_REASON} characters.", field=field)
    if len(reason) > MAX_REASON:
        raise DomainError("reason_too_long", f"At most {MAX_REASON} characters.", field=field)
    return reason


def check_amount(amount: int, left: int) -> int:
    """A refund is more than zero and never more than what is left of the capture."""
    if amount <= 0:
        raise DomainError("invalid_amount", "A refund is more than zero.", field="amount")
    if amount > left:
        raise DomainError("over_refund", "That is more than is left to refund "
                          f"({left} in minor units).", field="amount",
                          kind=ErrorKind.CONFLICT)
    return amount


def spread(amount: int, left_by_line: Mapping[int, int]) -> dict[int, int]:
    """Spread a refund over lines by what is left on each (largest remainder, exact)."""
    lines: Sequence[int] = [line for line, left in left_by_line.items() if left > 0]
    if not lines or amount > sum(left_by_line[line] for line in lines):
        raise DomainError("over_refund", "That is more than is left to refund.",
                          field="amount", kind=ErrorKind.CONFLICT)
    parts = allocate(amount, [left_by_line[line] for line in lines])
    return {line: part for line, part in zip(lines, parts, strict=True) if part > 0}
