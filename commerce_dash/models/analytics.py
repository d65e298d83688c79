"""Analytics counts (issue 20): the funnel's counted stages per UTC day, stage, department and
course. Course page views and cart adds have no durable row of their own: each process adds
them up in memory and a flush adds its sums here (``services.revenue.funnel``)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Column, Index
from sqlmodel import Field, SQLModel


class FunnelCount(SQLModel, table=True):
    """How many times ``stage`` happened on ``day`` for a course: one row per key, which each
    flush adds to (INSERT ... ON CONFLICT DO UPDATE count = count + excluded.count).

    No foreign keys: a count must never make a flush fail (a deleted course keeps its
    history); the report joins nothing and filters on the ids."""

    __tablename__ = "funnel_count"
    __table_args__ = (Index("ix_funnel_count_department_day", "department_id", "day"),)

    day: date = Field(primary_key=True)
    stage: str = Field(primary_key=True, max_length=16)  # view | cart
    department_id: int = Field(primary_key=True)
    course_id: int = Field(primary_key=True)
    count: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
