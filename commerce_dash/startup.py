"""What the app checks before it serves: production refuses unsafe settings (the settings
object names them) and a database where a demo account still has the public demo password;
and how it logs (``configure_logs``: JSON lines with the request id, or plain text).
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from commerce_dash.db import session_scope
from commerce_dash.demo.data import DEMO_USERS
from commerce_dash.metrics import configure_logging
from commerce_dash.models.accounts import User
from commerce_dash.services.platform import verify_password
from commerce_dash.settings import ConfigurationError, Settings, get_settings

log = logging.getLogger(__name__)


def demo_accounts_with_demo_password(*, session: Session, settings: Settings) -> list[str]:
    """The demo accounts (by email) whose password is still the demo password."""
    password = settings.demo_password.get_secret_value()
    emails = [user.email for user in DEMO_USERS]
    found = session.exec(select(User.email, User.password_hash).where(
        col(User.email).in_(emails), col(User.is_active).is_(True))).all()
    return sorted(email for email, digest in found
                  if digest and verify_password(digest, password))


def unsafe_start(*, session: Session | None = None) -> list[str]:
    """Everything production would refuse now: the settings (production cannot even load
    unsafe ones), and demo accounts still on the demo password (a database not migrated yet
    has none)."""
    settings = get_settings()
    problems = settings.unsafe_settings()
    try:
        if session is None:
            with session_scope() as own:
                demo = demo_accounts_with_demo_password(session=own, settings=settings)
        else:
            demo = demo_accounts_with_demo_password(session=session, settings=settings)
    except SQLAlchemyError:
        log.warning("the database could not be read for demo accounts (not migrated yet?)")
        demo = []
    if demo:
        problems.append(f"demo accounts still have the demo password: {', '.join(demo)} "
                        "(change it or deactivate them)")
    return problems


def refuse_unsafe_production() -> None:
    """At start: in production, stop on anything unsafe; elsewhere log the warnings."""
    settings = get_settings()
    for line in settings.warnings() + settings.advice():
        log.warning("%s", line)
    if settings.env != "production":
        return
    problems = unsafe_start()
    if problems:
        raise ConfigurationError(
            "Production refuses to start with unsafe settings:\n- " + "\n- ".join(problems))


def configure_logs() -> None:
    """Set up logging once at start from COMMERCE_LOG_FORMAT and COMMERCE_LOG_LEVEL."""
    settings = get_settings()
    configure_logging(json_lines=settings.json_logs, level=settings.log_level)
