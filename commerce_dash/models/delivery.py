"""The transactional outbox and the records of scheduled jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from commerce_dash.models.base import UTCDateTime, created_at_field, json_field, timestamp_field


class OutboxMessage(SQLModel, table=True):
    """A message to send, written in the same transaction as the change that caused it."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    topic: str = Field(max_length=64, index=True)  # email | webhook.<connector> | ...
    dedupe_key: str = Field(max_length=200, unique=True)
    payload: dict[str, Any] | None = json_field()
    status: str = Field(default="pending", max_length=16)  # pending | sending | sent | dead
    attempts: int = 0
    max_attempts: int = 8
    next_attempt_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    claimed_by: str = Field(default="", max_length=64)
    claimed_until: datetime | None = timestamp_field()
    last_error: str = Field(default="", sa_type=Text)
    created_at: datetime = created_at_field()
    sent_at: datetime | None = timestamp_field()
    dead_at: datetime | None = timestamp_field()
    discarded_reason: str = Field(default="", max_length=500)


class JobLease(SQLModel, table=True):
    """Who may run a job now; a lease that is not renewed expires, so a dead holder frees it."""

    __tablename__ = "job_lease"

    job_name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(default="", max_length=64)
    leased_until: datetime | None = timestamp_field()


class JobRun(SQLModel, table=True):
    """One run of a job: when, where, how it ended."""

    __tablename__ = "job_run"

    id: int | None = Field(default=None, primary_key=True)
    job_name: str = Field(max_length=64, index=True)
    holder: str = Field(max_length=64)
    trigger: str = Field(default="schedule", max_length=16)  # schedule | manual
    started_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    finished_at: datetime | None = timestamp_field()
    outcome: str = Field(default="running", max_length=16)  # running | ok | failed
    detail: str = Field(default="", sa_type=Text)
