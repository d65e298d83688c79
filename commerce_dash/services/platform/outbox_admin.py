"""What an admin does with outbox messages: list them, replay a dead one, discard one (each
audited). The outbox itself is ``commerce_dash/outbox.py``."""

from __future__ import annotations

from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, not_found
from commerce_dash.domain.paging import Page, PageRequest
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.services.platform.audit import record_audit
from commerce_dash.services.platform.paging import page_of_query


def replay(*, session: Session, actor: Actor | None, message_id: int) -> OutboxMessage:
    """Send a dead or discarded message again, from a fresh attempt count."""
    actor = require_section(actor, "system")
    row = session.get(OutboxMessage, message_id)
    if row is None:
        raise not_found("message", message_id)
    if row.status not in ("dead", "discarded"):
        raise DomainError("not_dead", "Only dead or discarded messages can be replayed.")
    before = {"status": row.status, "attempts": row.attempts}
    row.status, row.attempts, row.next_attempt_at = "pending", 0, utcnow()
    row.dead_at, row.discarded_reason = None, ""
    session.add(row)
    record_audit(session=session, actor=actor, action="outbox.replayed", entity_type="outbox",
                 entity_id=message_id, before=before, after={"status": "pending"})
    session.commit()
    return row


def discard(*, session: Session, actor: Actor | None, message_id: int, reason: str
            ) -> OutboxMessage:
    """Give up on a pending or dead message, saying why."""
    actor = require_section(actor, "system")
    reason = " ".join(reason.split())
    if len(reason) < 5:
        raise DomainError("reason_required", "Say why the message is discarded (5+ characters).",
                          field="reason")
    row = session.get(OutboxMessage, message_id)
    if row is None:
        raise not_found("message", message_id)
    if row.status in ("sent", "discarded", "sending"):
        raise DomainError("cannot_discard", f"A {row.status} message cannot be discarded.")
    before = {"status": row.status}
    row.status, row.discarded_reason = "discarded", reason[:500]
    session.add(row)
    record_audit(session=session, actor=actor, action="outbox.discarded", entity_type="outbox",
                 entity_id=message_id, before=before, after={"status": "discarded"},
                 reason=reason)
    session.commit()
    return row


def list_messages(
    *, session: Session, actor: Actor | None, page: PageRequest, topic: str = "",
    status: str = "",
) -> Page[OutboxMessage]:
    """Messages newest first, filtered by topic prefix and status."""
    require_section(actor, "system")
    query = select(OutboxMessage)
    if topic:
        query = query.where(col(OutboxMessage.topic).startswith(topic))
    if status:
        query = query.where(OutboxMessage.status == status)
    return page_of_query(session, query, page, col(OutboxMessage.id).desc())


def get_message(*, session: Session, actor: Actor | None, message_id: int) -> OutboxMessage:
    require_section(actor, "system")
    row = session.get(OutboxMessage, message_id)
    if row is None:
        raise not_found("message", message_id)
    return row
