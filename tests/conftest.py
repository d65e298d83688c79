"""Shared fixtures: a migrated database (SQLite by default, Postgres when DATABASE_URL is set),
a clean session per test, the user and department rows that tests/builders.py starts from,
and fixtures for the usual people, shop and certificate."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="commerce-dash-tests-"))
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_TMP / 'tests.db'}")
os.environ["COMMERCE_ENV"] = "test"
# funnel counts stay in memory until a test flushes them (no background flush into a test db)
os.environ.setdefault("COMMERCE_FUNNEL_FLUSH_SECONDS", "0")
os.environ["COMMERCE_SECRET_KEY"] = "test-secret-key-that-is-long-enough-0123456789"
# argon2 at full cost takes ~110 ms a hash; the suite creates many accounts.
os.environ["COMMERCE_ARGON2_TIME_COST"] = "1"
os.environ["COMMERCE_ARGON2_MEMORY_COST_KIB"] = "64"

from sqlalchemy import text  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

from commerce_dash.db import get_engine, reset_engine  # noqa: E402
from commerce_dash.domain.access import RoleName  # noqa: E402
from commerce_dash.domain.actor import Actor, Grant  # noqa: E402
from commerce_dash.domain.clock import utcnow  # noqa: E402
from commerce_dash.migrations import upgrade_to_head  # noqa: E402
from commerce_dash.services.platform.accounts import load_actor  # noqa: E402
from commerce_dash.services.platform.secrets import hash_password, reset_hashers  # noqa: E402
from commerce_dash.settings import get_settings  # noqa: E402
from tests.payments.localstripe_server import LocalStripe, running_localstripe  # noqa: E402

PASSWORD = "correct-horse-battery"
# Tables whose rows come from migrations, kept between tests.
_FIXED_TABLES = {"role", "alembic_version"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright keeps an event loop in the main thread from the
    first browser test to the end of the session, where ``asyncio.run`` cannot be called."""
    items.sort(key=lambda item: "/tests/e2e/" in str(item.path))


def _reset_schema(url: str) -> None:
    engine = get_engine()
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        path = url.removeprefix("sqlite:///")
        if path and Path(path).exists():
            Path(path).unlink()


@pytest.fixture(scope="session")
def database() -> Iterator[str]:
    """A database migrated to head once for the whole run."""
    get_settings.cache_clear()
    reset_hashers()
    reset_engine()
    url = get_settings().database_url
    _reset_schema(url)
    reset_engine()
    upgrade_to_head()
    yield url
    reset_engine()


def _reachable_postgres() -> str | None:
    """A PostgreSQL database of this run's own, besides the configured SQLite one: created on
    the server of ``TEST_POSTGRES_URL`` (default: the local one) and dropped at exit, so
    runs side by side never share it. None when no server answers."""
    import psycopg

    server = os.environ.get("TEST_POSTGRES_URL",
                            "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    name = f"cd_both_{os.getpid()}"
    try:
        with psycopg.connect(server.replace("+psycopg", ""), connect_timeout=2,
                             autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error:
        return None

    def drop() -> None:
        reset_engine()
        try:
            with psycopg.connect(server.replace("+psycopg", ""), connect_timeout=2,
                                 autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except psycopg.Error:
            pass

    atexit.register(drop)
    return server.rsplit("/", 1)[0] + f"/{name}"


@contextmanager
def _serving(url: str) -> Iterator[None]:
    """The whole app (engine, processors) on ``url``, migrated, until the block ends."""
    from commerce_dash.payments.factory import reset_processors

    previous = os.environ["DATABASE_URL"]

    def switch(to: str) -> None:
        os.environ["DATABASE_URL"] = to
        get_settings.cache_clear()
        reset_engine()
        reset_processors()

    switch(url)
    try:
        _reset_schema(url)
        reset_engine()
        upgrade_to_head()
        yield
    finally:
        switch(previous)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def both_databases(request: pytest.FixtureRequest, database: str) -> Iterator[str]:
    """Run a module's tests on SQLite and on PostgreSQL (use it with ``pytestmark``).

    The configured database serves its own kind; the other kind gets a database of its own
    for the module (a temporary SQLite file, or a database of this run's own on the server
    of ``TEST_POSTGRES_URL``, by default the local one, when the configured one is SQLite).
    """
    kind = str(request.param)
    if database.startswith(kind):
        yield kind
        return
    if kind == "sqlite":
        url = f"sqlite:///{_TMP / f'other-{request.module.__name__}.db'}"
    else:
        found = _reachable_postgres()
        if found is None:
            pytest.skip("no PostgreSQL server answers (set TEST_POSTGRES_URL)")
        url = found
    with _serving(url):
        yield kind


def _truncate_all() -> None:
    engine = get_engine()
    tables = [t for t in SQLModel.metadata.sorted_tables if t.name not in _FIXED_TABLES]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                conn.execute(table.delete())


@pytest.fixture
def session(database: str) -> Iterator[Session]:
    """A session on a database emptied of everything but its fixed rows."""
    _truncate_all()
    with Session(get_engine(), expire_on_commit=False) as s:
        yield s
    _truncate_all()


# -- builders ------------------------------------------------------------------------------


def create_user(
    session: Session,
    email: str,
    *,
    grants: tuple[Grant, ...] = (Grant(RoleName.LEARNER),),
    full_name: str | None = None,
    password: str = PASSWORD,
    active: bool = True,
    verified: bool = True,
) -> Actor:
    """A user written directly (not through a service), returned as an actor; its email is
    confirmed unless ``verified`` is False."""
    from commerce_dash.models.accounts import User, UserRole

    user = User(
        email=email,
        full_name=full_name or email.split("@")[0].title(),
        password_hash=hash_password(password),
        is_active=active,
        email_verified_at=utcnow() if verified else None,
    )
    session.add(user)
    session.flush()
    assert user.id is not None
    for g in grants:
        session.add(UserRole(user_id=user.id, role=g.role, department_id=g.department_id))
    session.commit()
    return load_actor(session=session, user=user)


def create_department(session: Session, code: str, parent_id: int | None = None) -> int:
    from commerce_dash.models.catalog import Department

    dept = Department(code=code, name=f"Department {code}", parent_id=parent_id)
    session.add(dept)
    session.commit()
    assert dept.id is not None
    return dept.id


@pytest.fixture
def super_admin(session: Session) -> Actor:
    return create_user(
        session, "root@example.com", grants=(Grant(RoleName.SUPER_ADMIN),), full_name="Root Admin"
    )


@pytest.fixture
def learner(session: Session) -> Actor:
    return create_user(session, "lee@example.com", full_name="Lee Learner")


@pytest.fixture
def billing(session: Session) -> Actor:
    """A billing admin: decides refunds others ask for (four eyes)."""
    return create_user(session, "bill@example.com", full_name="Bill Ing",
                       grants=(Grant(RoleName.BILLING_ADMIN),))


@pytest.fixture
def shop(session: Session, super_admin: Actor):  # type: ignore[no-untyped-def]
    """tests/builders.py's small shop: four priced courses and a program of three."""
    from tests.builders import build_shop

    return build_shop(session, super_admin)


@pytest.fixture
def earned(session: Session, shop, learner: Actor):  # type: ignore[no-untyped-def]
    """Lee completes PY101 (two modules) and earns its certificate (the only one)."""
    from sqlmodel import select

    from commerce_dash.models.certificates import Certificate
    from tests.builders import issued_certificate

    issued_certificate(session, learner, shop.courses["PY101"], modules=2)
    return session.exec(select(Certificate)).one()


@pytest.fixture
def payout(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A payout platform is configured (nothing listens: its messages wait in the outbox)."""
    monkeypatch.setenv("COMMERCE_PAYOUT_WEBHOOK_URL", "http://127.0.0.1:9/payouts")
    monkeypatch.setenv("COMMERCE_PAYOUT_CONNECTOR_KEY", "payout-key")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("COMMERCE_PAYOUT_WEBHOOK_URL")
    monkeypatch.delenv("COMMERCE_PAYOUT_CONNECTOR_KEY")
    get_settings.cache_clear()


@pytest.fixture
def engineering_with_subdepartment(session: Session) -> dict[str, int]:
    """ENG with a child ENG-DATA, and an unrelated BUS department."""
    eng = create_department(session, "ENG")
    data = create_department(session, "ENG-DATA", parent_id=eng)
    bus = create_department(session, "BUS")
    return {"ENG": eng, "ENG-DATA": data, "BUS": bus}


@pytest.fixture(scope="session")
def localstripe_server() -> Iterator[LocalStripe]:
    """localstripe on 127.0.0.1 for the whole run (it keeps global state: one per process)."""
    with running_localstripe(timeout=10.0) as server:
        yield server
