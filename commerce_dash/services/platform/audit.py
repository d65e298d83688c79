"""Writing and reading the append-only audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.paging import Page, PageRequest
from commerce_dash.models.audit import AuditLog


def record_audit(
    *,
    session: Session,
    actor: Actor | None,
    action: str,
    entity_type: str,
    entity_id: object = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditLog:
    """Add an audit row to the caller's transaction (the caller commits)."""
    row = AuditLog(
        actor_id=actor.user_id if actor else None,
        actor_email=actor.email if actor else "system",
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=before,
        after=after,
        reason=reason,
        client_ip=actor.client_ip if actor else "",
    )
    session.add(row)
    return row


def list_audit(
    *,
    session: Session,
    actor: Actor | None,
    page: PageRequest,
    action: str = "",
    entity_type: str = "",
    actor_query: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[AuditLog]:
    """Audit rows newest first, filtered; super-admins only."""
    require_section(actor, "audit")
    query = select(AuditLog)
    if action:
        query = query.where(AuditLog.action == action)
    if entity_type:
        query = query.where(AuditLog.entity_type == entity_type)
    if actor_query:
        query = query.where(col(AuditLog.actor_email).ilike(f"%{actor_query.strip()}%"))
    if since:
        query = query.where(AuditLog.at >= since)
    if until:
        query = query.where(AuditLog.at < until)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc())
        .offset(page.offset)
        .limit(page.page_size)
    ).all()
    return Page(list(rows), total, page.page, page.page_size)


def audit_filter_options(*, session: Session, actor: Actor | None) -> tuple[list[str], list[str]]:
    """Distinct actions and entity types present, for the filter menus."""
    require_section(actor, "audit")
    actions = session.exec(select(AuditLog.action).distinct().order_by(AuditLog.action)).all()
    entities = session.exec(
        select(AuditLog.entity_type).distinct().order_by(AuditLog.entity_type)
    ).all()
    return list(actions), list(entities)
