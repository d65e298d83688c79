import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlmodel import SQLModel

import commerce_dash.models  # noqa: F401
from commerce_dash.db import build_engine
from commerce_dash.migrations import downgrade_to_base, head_revision, upgrade_to_head
from commerce_dash.settings import ConfigurationError, Settings


def test_production_refuses_placeholder_secrets():
    with pytest.raises(ConfigurationError):
        Settings(env="production", secret_key="dev-secret-change-me")
    with pytest.raises(ConfigurationError):
        Settings(env="production", secret_key="short")
    ok = Settings(env="production", secret_key="x" * 40, public_url="https://shop.example.org",
                  stripe_secret_key="sk_live_x", stripe_webhook_secret="whsec_x")
    assert ok.env == "production"


def test_secrets_never_appear_in_the_settings_repr():
    settings = Settings(secret_key="super-secret-value-that-must-not-leak-123456")
    assert "super-secret-value" not in repr(settings)
    assert "super-secret-value" not in str(settings.model_dump())


def test_postgres_urls_use_the_installed_driver():
    assert Settings(database_url="postgresql://u@h/db").database_url == (
        "postgresql+psycopg://u@h/db"
    )


def _kinds() -> list[str]:
    kinds = ["sqlite"]
    if not os.environ["DATABASE_URL"].startswith("sqlite"):
        kinds.append("postgresql")
    return kinds


@pytest.fixture(params=_kinds())
def empty_database(request):
    """A brand-new SQLite database, and a Postgres one when DATABASE_URL names a server."""
    base = os.environ["DATABASE_URL"]
    if request.param == "sqlite":
        path = f"/tmp/commerce-dash-migrations-{uuid.uuid4().hex}.db"
        yield f"sqlite:///{path}"
        if os.path.exists(path):
            os.unlink(path)
        return
    name = f"cd_migrations_{uuid.uuid4().hex[:10]}"
    admin = create_engine(build_engine(base).url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = build_engine(base).url.set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_migrations_reach_head_match_the_models_and_downgrade_cleanly(empty_database):
    # when
    upgrade_to_head(empty_database)
    engine = build_engine(empty_database)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
        roles = conn.execute(text("SELECT name FROM role ORDER BY name")).scalars().all()
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    # then
    assert diff == []
    assert version == head_revision()
    assert roles == ["billing_admin", "dept_admin", "enrollment_admin", "learner", "super_admin"]
    # when going all the way down
    downgrade_to_base(empty_database)
    remaining = set(inspect(engine).get_table_names()) - {"alembic_version"}
    engine.dispose()
    assert remaining == set()


def test_subscription_retry_days_are_checked_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from commerce_dash.settings import Settings

    monkeypatch.setenv("COMMERCE_SUBSCRIPTION_RETRY_DAYS", "[5, 1, 3, 3]")
    assert Settings().subscription_retry_days == [1, 3, 5]
    for bad in ("[0]", "[-1]", "[61]", "[1,2,3,4,5,6,7,8,9,10,11]"):
        monkeypatch.setenv("COMMERCE_SUBSCRIPTION_RETRY_DAYS", bad)
        with pytest.raises(ValidationError) as refused:
            Settings()
        assert "COMMERCE_SUBSCRIPTION_RETRY_DAYS" in str(refused.value)
