"""Liveness and readiness: the database answers and its schema is at the newest migration.

In production the answer says only whether the app is ready (and, if not, why in words):
the database dialect and the migration revisions are for operators (``cli check``), not for
anyone who can reach the URL.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import Field
from sqlalchemy import text

from commerce_dash.api.schemas import Out
from commerce_dash.db import get_engine
from commerce_dash.migrations import current_revision, head_revision
from commerce_dash.settings import get_settings

router = APIRouter(tags=["health"])


class LiveOut(Out):
    status: str


class MigrationOut(Out):
    current: str | None
    head: str
    at_head: bool


class HealthOut(Out):
    """Outside production the answer also names the dialect and the migration revisions;
    when not ready, ``code`` and ``message`` say why."""

    status: str = Field(description="ok, or error")
    database: str = Field(description="ok, or unreachable")
    dialect: str | None = None
    migration: MigrationOut | None = None
    code: str | None = Field(default=None,
                             description="database_unreachable or migrations_pending")
    message: str | None = None


@router.get("/api/health/live", summary="The process answers (no database access)",
            response_model=LiveOut)
def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/api/health", summary="Database reachable and migrated to head",
            response_model=HealthOut,
            responses={503: {"model": HealthOut, "description": "Not ready"}})
def health() -> JSONResponse:
    engine = get_engine()
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = current_revision(conn)
    except Exception as exc:  # the point of a health check is to report, not to raise
        return JSONResponse(
            {
                "status": "error",
                "code": "database_unreachable",
                "message": type(exc).__name__,
                "database": "unreachable",
            },
            status_code=503,
        )
    head = head_revision()
    ok = current == head
    details = {} if get_settings().env == "production" else {
        "dialect": engine.dialect.name,
        "migration": {"current": current, "head": head, "at_head": ok},
    }
    return JSONResponse(
        {
            "status": "ok" if ok else "error",
            "database": "ok",
            **details,
            **(
                {}
                if ok
                else {"code": "migrations_pending", "message": "Run the database migrations."}
            ),
        },
        status_code=200 if ok else 503,
    )
