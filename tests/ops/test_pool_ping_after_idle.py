"""The pool pings a connection only after it sat idle: a connection whose server side went
away while it waited is replaced before use; one handed back a moment ago is used at once
(no round trip per checkout)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from commerce_dash import db
from commerce_dash.db import build_engine, get_engine


@pytest.fixture()
def pg_engine():  # type: ignore[no-untyped-def]
    if get_engine().dialect.name != "postgresql":
        pytest.skip("pooled connections are pinged on PostgreSQL only")
    engine = build_engine(get_engine().url.render_as_string(hide_password=False))
    yield engine
    engine.dispose()




def test_a_connection_killed_while_idle_is_replaced_before_use(
    pg_engine, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    with pg_engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with get_engine().connect() as other:  # the server drops it while it waits in the pool
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        other.commit()
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    with pg_engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid


def test_a_connection_just_handed_back_is_not_pinged(
    pg_engine, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    statements: list[str] = []
    with pg_engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    raw = pg_engine.raw_connection()
    cursor_class = type(raw.driver_connection.cursor())
    raw.close()
    original = cursor_class.execute

    def spy(self, query, *args, **kwargs):  # type: ignore[no-untyped-def]
        statements.append(str(query))
        return original(self, query, *args, **kwargs)

    monkeypatch.setattr(cursor_class, "execute", spy)
    with pg_engine.connect() as conn:  # returned a moment ago: used at once
        conn.execute(text("SELECT 2"))
    assert [s for s in statements if s == "SELECT 1"] == []
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    with pg_engine.connect() as conn:  # idle "long enough": pinged first
        conn.execute(text("SELECT 3"))
    assert "SELECT 1" in statements
