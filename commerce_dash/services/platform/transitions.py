"""The one guarded status move (issue 15: one place per rule).

Every entity with a state machine (orders, payments, refund requests, registrations,
enrollments, certificates) moves the same way: already in the target state -> returned
unchanged (no second audit row); a move the domain's table refuses -> the table's
DomainError (409, naming both states); otherwise the status is set, the row added and the
audit row written, in the caller's transaction. The per-entity writers
(``commerce/order_status.py``, ``commerce/refund_status.py``,
``enrollment/registration_status.py``, ``learning/certificates.py``) are thin wrappers that
name their entity's table and audit fields; this module is the only place that assigns the
status of such an entity on a move.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from sqlmodel import Session

from commerce_dash.domain.actor import Actor
from commerce_dash.services.platform.audit import record_audit

__all__ = ["guarded_move"]


class _HasStatus(Protocol):
    id: int | None
    status: str


_Entity = TypeVar("_Entity", bound=_HasStatus)


def guarded_move(
    *, session: Session, entity: _Entity, goal: str, require_move: Callable[[str, str], None],
    entity_type: str, actor: Actor | None = None, action: str = "", reason: str = "",
    before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
    audited: bool = True,
) -> _Entity:
    """Move ``entity`` to ``goal`` if ``require_move(current, goal)`` allows it.

    The audit row defaults to action ``<entity_type>.<goal>`` with the two statuses as
    before/after. ``audited=False`` skips the row when another audit row already covers the
    step (a refund's mechanical approved -> processing).
    """
    current = entity.status
    if current == goal:
        return entity
    require_move(current, goal)
    entity.status = goal
    session.add(entity)
    if audited:
        record_audit(session=session, actor=actor, action=action or f"{entity_type}.{goal}",
                     entity_type=entity_type, entity_id=entity.id,
                     before={"status": current} if before is None else before,
                     after={"status": goal} if after is None else after, reason=reason)
    return entity
