"""The only writer of a refund request's ``status`` (issue 15: one guarded transition per
entity), and the one place a refund request is created (``new_refund_request``).

``transition_refund`` checks the pipeline of ``domain/refunds.py``, writes the audit row and
returns the request, in the caller's transaction (through
``platform/transitions.guarded_move``). Moving to the state the request is already
in returns it unchanged (no second audit row); a move the pipeline refuses is a DomainError
(409) naming both states.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.refunds import RefundStatus, require_move
from commerce_dash.models.commerce import RefundRequest
from commerce_dash.services.platform import add_created, guarded_move

__all__ = ["new_refund_request", "transition_refund"]


def new_refund_request(
    *, session: Session, status: RefundStatus = RefundStatus.REQUESTED, actor: Actor | None,
    action: str, audit_after: dict[str, Any], audit_reason: str = "", **fields: Any,
) -> RefundRequest:
    """Create a refund request in its first state (requested; processing for money already
    returned at the processor or by a chargeback), flushed for its id, and audited."""
    if status not in (RefundStatus.REQUESTED, RefundStatus.PROCESSING):
        raise ValueError(f"A refund request starts requested or processing, not {status}")
    return add_created(session=session, actor=actor,
                       row=RefundRequest(status=status.value, **fields), action=action,
                       entity_type="refund_request", after=audit_after, reason=audit_reason)


def transition_refund(
    *, session: Session, request: RefundRequest, target: RefundStatus | str,
    actor: Actor | None = None, action: str = "", reason: str = "",
    before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
    audited_by: str = "",
) -> RefundRequest:
    """Move ``request`` to ``target`` (checked, audited); already there: returned unchanged.

    ``action``, ``before`` and ``after`` name the audit row (default ``refund.<target>`` and
    the two statuses). ``audited_by`` names the audit row that already covers a mechanical
    step (approved -> processing follows ``refund.approved``, failed -> processing follows
    ``refund.retried``): then no second row is written.
    """
    goal = RefundStatus(target).value
    return guarded_move(session=session, entity=request, goal=goal, require_move=require_move,
                        entity_type="refund_request", actor=actor,
                        action=action or f"refund.{goal}", reason=reason, before=before,
                        after=after, audited=not audited_by)
