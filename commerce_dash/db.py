"""Engine and session scope shared by Reflex states, API routes, jobs and the CLI."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from commerce_dash.settings import get_settings


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    # WAL lets readers and one writer work at once; a busy timeout makes concurrent writers
    # wait instead of failing at once; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


# A pooled connection back from the pool after this long idle is pinged before use.
PING_AFTER_IDLE_SECONDS = 10.0
_RETURNED_AT = "cd_returned_at"


def _mark_returned(_dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
    record.info[_RETURNED_AT] = time.monotonic()


def _ping_if_idle(dbapi_connection, record, _proxy) -> None:  # type: ignore[no-untyped-def]
    """Pre-ping, but only a connection that sat idle in the pool: a server restart, a
    failover or an idle timeout drops connections while they wait, and the ping replaces
    such a one before the caller's transaction uses it (SQLAlchemy retries the checkout
    with a fresh connection on ``DisconnectionError``). A connection handed back a moment
    ago is used at once: under load a ping per checkout was one round trip of every five on
    the checkout path, for nothing."""
    returned = record.info.get(_RETURNED_AT)
    if returned is None or time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
        return
    try:
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
        finally:
            dbapi_connection.autocommit = autocommit
    except Exception as error:  # any failure: this connection is not to be used
        raise exc.DisconnectionError(f"pooled connection is gone: {error}") from error


def build_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine with the options this app relies on for ``url``."""
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url, echo=echo, pool_size=10, max_overflow=20, pool_recycle=1800)
    event.listen(engine, "checkin", _mark_returned)
    event.listen(engine, "checkout", _ping_if_idle)
    return engine


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    """The process-wide engine for the configured database."""
    settings = get_settings()
    return build_engine(settings.database_url, echo=settings.sql_echo)


def reset_engine() -> None:
    """Dispose the cached engine (tests switch databases between sessions)."""
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()


def write_lock(session: Session) -> None:
    """From here to its commit, this transaction is the only writer: a read-check-write guard
    calls this before its check.

    PostgreSQL needs nothing here: the guard locks its rows with ``FOR UPDATE`` (see
    :func:`for_update`). SQLite ignores ``FOR UPDATE``, and pysqlite opens a transaction only
    at the first write, so the check would read data that another writer may change before
    this one writes. ``BEGIN IMMEDIATE`` takes the database's write lock now (waiting up to the
    busy timeout): the check then reads the latest committed data and nobody else can commit
    until this transaction ends. A transaction that has already written holds that lock.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.dbapi_connection
    if raw is not None and not raw.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


_Query = TypeVar("_Query", bound=Any)


def for_update(session: Session, query: _Query) -> _Query:
    """``query`` locking the rows it reads until the commit, on PostgreSQL and on SQLite.

    The rows are read as committed (``populate_existing``): sessions keep their objects after
    a commit, and a guard deciding on what it remembered from before it took the lock would
    decide on stale data."""
    write_lock(session)
    return query.with_for_update().execution_options(populate_existing=True)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that rolls back on error and always closes. Services commit themselves."""
    session = Session(get_engine(), expire_on_commit=False)
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
