"""Writing and reading the append-only audit log."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.paging import Page, PageRequest
from commerce_dash.models.audit import AuditLog
from commerce_dash.services.platform.paging import page_of_query


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


class Identified(Protocol):
    """A row with an id the database assigns."""

    id: int | None


_New = TypeVar("_New", bound=Identified)


def add_created(
    *,
    session: Session,
    actor: Actor | None,
    row: _New,
    action: str,
    entity_type: str,
    after: dict[str, Any],
    reason: str = "",
) -> _New:
    """Add a new row, flush it for its id and audit its creation under that id, in the
    caller's transaction (the caller commits): the one way a created row is audited."""
    session.add(row)
    session.flush()
    record_audit(session=session, actor=actor, action=action, entity_type=entity_type,
                 entity_id=row.id, after=after, reason=reason)
    return row



class Stamped(Protocol):
    """A row that records when it was last changed."""

    updated_at: datetime


def flush_unique(session: Session, row: Any, taken: Exception) -> None:
    """Add and flush ``row``; when a unique constraint refuses it (a twin exists or was written
    at the same moment), roll back and raise ``taken``, the caller's conflict error."""
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise taken from None


def save_change(
    *,
    session: Session,
    actor: Actor | None,
    row: Stamped,
    action: str,
    entity_type: str,
    entity_id: object,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reason: str = "",
) -> None:
    """Finish an admin's change to one row: stamp ``updated_at``, add the audit row, commit.

    The tail every edit shares, in one place so no edit forgets the stamp or the audit row.
    """
    row.updated_at = utcnow()
    session.add(row)
    record_audit(session=session, actor=actor, action=action, entity_type=entity_type,
                 entity_id=entity_id, before=before, after=after, reason=reason)
    session.commit()


def changed_fields(
    before: dict[str, Any], after: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The keys whose values differ, as (old values, new values)."""
    changed = [k for k in after if before[k] != after[k]]
    return {k: before[k] for k in changed}, {k: after[k] for k in changed}


def save_edit(
    *,
    session: Session,
    actor: Actor | None,
    row: Stamped,
    old: dict[str, Any],
    new: dict[str, Any],
    action: str,
    entity_type: str,
    entity_id: object,
    related: Mapping[str, Callable[[Any], None]] | None = None,
) -> None:
    """Save an admin's edit form: only the fields that changed are written and audited
    (``save_change``); nothing changed, nothing is saved (no audit row, no new stamp).

    A changed key is set on ``row`` unless ``related`` names a writer for it (what the row
    does not hold itself, e.g. a program's ordered courses).
    """
    before, after = changed_fields(old, new)
    if not after:
        return
    writers = related or {}
    for key, value in after.items():
        if key in writers:
            writers[key](value)
        else:
            setattr(row, key, value)
    save_change(session=session, actor=actor, row=row, action=action,
                entity_type=entity_type, entity_id=entity_id, before=before, after=after)


def save_switch(
    *,
    session: Session,
    actor: Actor | None,
    row: Stamped,
    flag: str,
    value: bool,
    actions: tuple[str, str],
    entity_type: str,
    entity_id: object,
    reason: str = "",
) -> None:
    """Turn a row's boolean ``flag`` on or off and save it like any edit (``save_change``).

    ``actions`` names the audit row as (switched on, switched off); the row records the flag
    before and after. The one shape of every publish / activate switch.
    """
    setattr(row, flag, value)
    save_change(session=session, actor=actor, row=row, action=actions[0 if value else 1],
                entity_type=entity_type, entity_id=entity_id, before={flag: not value},
                after={flag: value}, reason=reason)


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
    return page_of_query(session, query, page, col(AuditLog.at).desc(), col(AuditLog.id).desc())


def audit_filter_options(*, session: Session, actor: Actor | None) -> tuple[list[str], list[str]]:
    """Distinct actions and entity types present, for the filter menus."""
    require_section(actor, "audit")
    actions = session.exec(select(AuditLog.action).distinct().order_by(AuditLog.action)).all()
    entities = session.exec(
        select(AuditLog.entity_type).distinct().order_by(AuditLog.entity_type)
    ).all()
    return list(actions), list(entities)
