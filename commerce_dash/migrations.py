"""Run Alembic from code (CLI, tests, health check) with the app's settings."""

from __future__ import annotations

from functools import lru_cache

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from commerce_dash.settings import PROJECT_ROOT


def alembic_config(database_url: str | None = None) -> Config:
    """The project's Alembic config, optionally aimed at another database."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    config.attributes["configure_logger"] = False
    if database_url:
        config.attributes["database_url"] = database_url
    return config


def upgrade_to_head(database_url: str | None = None) -> None:
    command.upgrade(alembic_config(database_url), "head")


def downgrade_to_base(database_url: str | None = None) -> None:
    command.downgrade(alembic_config(database_url), "base")


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest revision in alembic/versions (read once per process)."""
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    return heads[0] if len(heads) == 1 else ",".join(sorted(heads))


def current_revision(bind: Engine | Connection) -> str | None:
    """The revision the database is at (None for an empty database)."""
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return current_revision(conn)
    heads = MigrationContext.configure(bind).get_current_heads()
    return ",".join(sorted(heads)) if heads else None
