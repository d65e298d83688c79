"""How often sign-in may be tried, counted atomically so parallel attempts cannot slip past.

- Per client address: a hard limit of failures in a sliding window (a counter reserved before the
  password is checked, given back when it is right).
- Per account, for addresses it has never signed in from: after the free failures, each
  next attempt waits longer (1 s, 2 s, 4 s ... up to ``COMMERCE_LOGIN_MAX_DELAY_SECONDS``),
  one attempt per wait (a conditional update claims it). An address the account signed in
  from recently is never delayed, so a guessing attack never locks the owner out.
- Globally: past a budget of failures a minute (a distributed attack), only addresses known
  to the account may try until the minute ends.
Refusals name no account and read the same whether the account exists.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from commerce_dash.db import write_lock
from commerce_dash.domain.accounts import login_delay_seconds
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.models.accounts import LoginAttempt, LoginThrottle
from commerce_dash.services.platform.rate_limit import count_of, give_back, hit, hit_sliding
from commerce_dash.settings import get_settings

KNOWN_CLIENT_DAYS = 30
_GLOBAL = "login:global"


@dataclass(frozen=True)
class Attempt:
    """A sign-in attempt let through: who and from where, and whether that address is one
    the account signed in from before."""

    email: str
    client_ip: str
    known_client: bool


def _client_bucket(client_ip: str) -> str:
    return f"login:client:{client_ip}"


def _window_seconds() -> int:
    return get_settings().login_window_minutes * 60


def _refuse(seconds: int, message: str = "") -> DomainError:
    seconds = max(1, seconds)
    if not message:
        wait = f"{seconds} seconds" if seconds < 120 else f"{-(-seconds // 60)} minutes"
        message = f"Too many sign-in attempts. Try again in {wait}."
    return DomainError("too_many_attempts", message, kind=ErrorKind.RATE_LIMITED,
                       retry_after_seconds=seconds)


def _signed_in_from(session: Session, email: str, client_ip: str, now: datetime) -> bool:
    return session.exec(select(LoginAttempt.id).where(
        LoginAttempt.account_key == email, LoginAttempt.client_key == client_ip[:64],
        col(LoginAttempt.succeeded).is_(True),
        col(LoginAttempt.at) > now - timedelta(days=KNOWN_CLIENT_DAYS)).limit(1)
    ).first() is not None


def before_attempt(*, session: Session, email: str, client_ip: str) -> Attempt:
    """Let one attempt through, or refuse it (RATE_LIMITED) before the password is checked.
    Commits."""
    settings = get_settings()
    now = utcnow()
    if client_ip:
        try:
            hit_sliding(session=session, bucket=_client_bucket(client_ip),
                        limit=settings.login_max_failures_per_client, now=now,
                        window_seconds=_window_seconds())
        except DomainError as limited:
            raise _refuse(limited.retry_after_seconds or 60) from None
    known = bool(client_ip) and _signed_in_from(session, email, client_ip, now)
    if not known:
        try:
            if count_of(session=session, bucket=_GLOBAL,
                        now=now) >= settings.login_global_failures_per_minute:
                raise _refuse(60 - now.second, "Sign-in is very busy right now. Try again in "
                              "a minute.")
            _pass_account_gate(session, email, now)
        except DomainError:
            if client_ip:  # refused before any password: not a failure of this client's
                give_back(session=session, bucket=_client_bucket(client_ip), now=now,
                          window_seconds=_window_seconds())
                session.commit()
            raise
    return Attempt(email, client_ip, known)


def _throttle_row(session: Session, email: str, now: datetime) -> LoginThrottle:
    write_lock(session)
    row = session.get(LoginThrottle, email, with_for_update=True)
    if row is None:
        row = LoginThrottle(account_key=email, failures=0, window_start=now)
        session.add(row)
        try:
            session.flush()
        except IntegrityError:  # a parallel attempt made it first
            session.rollback()
            write_lock(session)
            row = session.get(LoginThrottle, email, with_for_update=True)
            assert row is not None
    if row.window_start <= now - timedelta(seconds=_window_seconds()):
        row.failures, row.window_start, row.next_allowed_at = 0, now, None
        session.add(row)
    return row


def _pass_account_gate(session: Session, email: str, now: datetime) -> None:
    settings = get_settings()
    row = _throttle_row(session, email, now)
    over = row.failures - settings.login_max_failures_per_account + 1
    if over <= 0:
        session.commit()
        return
    delay = login_delay_seconds(over, cap=settings.login_max_delay_seconds)
    # one attempt per wait: whoever moves next_allowed_at on has it
    claimed = session.execute(update(LoginThrottle).where(
        col(LoginThrottle.account_key) == email,
        or_(col(LoginThrottle.next_allowed_at).is_(None),
            col(LoginThrottle.next_allowed_at) <= now),
    ).values(next_allowed_at=now + timedelta(seconds=delay))).rowcount  # type: ignore[attr-defined]
    session.commit()
    if claimed != 1:
        session.refresh(row)
        wait = (row.next_allowed_at - now).total_seconds() if row.next_allowed_at else delay
        raise _refuse(int(wait) + 1)


def after_failure(*, session: Session, attempt: Attempt) -> None:
    """A wrong password (or an unknown or inactive account): counted for the account and
    globally; the client's reservation stays spent. Commits."""
    now = utcnow()
    row = _throttle_row(session, attempt.email, now)
    row.failures += 1
    session.add(row)
    session.add(LoginAttempt(account_key=attempt.email, client_key=attempt.client_ip[:64],
                             succeeded=False, at=now))
    session.commit()
    hit(session=session, bucket=_GLOBAL, limit=sys.maxsize, now=now)


def after_success(*, session: Session, attempt: Attempt) -> None:
    """The right password: the account's failures are forgotten and the client's
    reservation given back (in the caller's transaction)."""
    now = utcnow()
    session.execute(update(LoginThrottle).where(
        col(LoginThrottle.account_key) == attempt.email).values(
        failures=0, next_allowed_at=None, window_start=now))
    if attempt.client_ip:
        give_back(session=session, bucket=_client_bucket(attempt.client_ip), now=now,
                  window_seconds=_window_seconds())
    session.add(LoginAttempt(account_key=attempt.email, client_key=attempt.client_ip[:64],
                             succeeded=True, at=now))
