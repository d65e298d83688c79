"""The append-only audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Text, event
from sqlmodel import Field, SQLModel

from commerce_dash.domain.clock import utcnow
from commerce_dash.models.base import UTCDateTime, json_field


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    actor_id: int | None = Field(default=None, index=True)
    actor_email: str = Field(default="", max_length=254)
    action: str = Field(max_length=64, index=True)
    entity_type: str = Field(max_length=64, index=True)
    entity_id: str = Field(default="", max_length=64, index=True)
    before: dict[str, Any] | None = json_field()
    after: dict[str, Any] | None = json_field()
    reason: str = Field(default="", sa_type=Text)
    client_ip: str = Field(default="", max_length=64)


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(AuditLog, "before_update")
def _refuse_update(*_args: Any) -> None:
    raise AuditLogIsAppendOnly("audit rows are never updated")


@event.listens_for(AuditLog, "before_delete")
def _refuse_delete(*_args: Any) -> None:
    raise AuditLogIsAppendOnly("audit rows are never deleted")
