"""Sign-in, sessions and sign-out.

Proving who you are (a password here, an emailed link in ``registration`` and ``passwords``,
a code in ``two_factor``) gives a :class:`Verified` user; an API client then opens a
session and gets its bearer token, a browser gets a single-use ticket that
``/api/v2/auth/session`` trades for an HttpOnly cookie. Sessions end after
``session_ttl_hours``, after an idle spell (shorter for admins), on sign-out, and when
their token turns up in another browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from commerce_dash.domain.access import is_admin
from commerce_dash.domain.accounts import normalise_email
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.models.accounts import LoginAttempt, User, UserRole, UserSession
from commerce_dash.services.platform import account_tokens, login_throttle
from commerce_dash.services.platform.secrets import (
    hash_password,
    needs_rehash,
    new_token,
    token_digest,
    verify_password,
)
from commerce_dash.settings import get_settings

INVALID_CREDENTIALS = "Email or password is incorrect."
# the browser's session cookie (HttpOnly, set by /api/v2/auth/session)
SESSION_COOKIE = "cd_session"
# Refresh last_seen_at at most this often, so that reading a session rarely writes.
_TOUCH_INTERVAL = timedelta(minutes=5)


@dataclass(frozen=True)
class SignedIn:
    """A new session: the raw token goes to the client once; only its hash is stored."""

    token: str
    actor: Actor


@dataclass(frozen=True)
class Verified:
    """A user who proved who they are (password, emailed link, second factor), not yet in a
    session: an API client gets one with :func:`open_session`, a browser with
    :func:`issue_ticket` (traded for its HttpOnly cookie)."""

    actor: Actor
    second_factor: bool = False


@dataclass(frozen=True)
class SecondFactorNeeded:
    """The password was right and the account asks for a code: ``challenge`` carries the
    sign-in to :func:`commerce_dash.services.platform.two_factor.complete` (5 minutes)."""

    challenge: str


Proven = Verified | SecondFactorNeeded
SESSION_TICKET = "session"
SESSION_TICKET_MFA = "session_mfa"


def load_actor(*, session: Session, user: User, client_ip: str = "") -> Actor:
    """The actor for ``user`` with its current grants."""
    assert user.id is not None
    grants = session.exec(
        select(UserRole.role, UserRole.department_id).where(UserRole.user_id == user.id)
    ).all()
    return Actor(
        user_id=user.id,
        email=user.email,
        full_name=user.full_name,
        grants=tuple(sorted(Grant(r, d) for r, d in grants)),
        client_ip=client_ip,
    )


def after_first_factor(*, session: Session, user: User) -> Proven:
    """What proving the password (or an emailed link) leads to: a session, or the code step
    when the account has two-factor sign-in (caller commits)."""
    assert user.id is not None
    if user.totp_enabled_at is not None:
        return SecondFactorNeeded(
            challenge=account_tokens.issue(session=session, user_id=user.id,
                                           purpose="second_factor"))
    return Verified(actor=load_actor(session=session, user=user))


def _start_session(session: Session, verified: Verified, client_ip: str,
                   user_agent: str) -> SignedIn:
    user = session.get(User, verified.actor.user_id)
    if user is None or not user.is_active:
        raise DomainError("invalid_credentials", INVALID_CREDENTIALS,
                          kind=ErrorKind.UNAUTHENTICATED)
    token = new_token()
    now = utcnow()
    session.add(UserSession(
        user_id=verified.actor.user_id,
        token_hash=token_digest(token),
        expires_at=now + timedelta(hours=get_settings().session_ttl_hours),
        last_seen_at=now,
        client_ip=client_ip[:64],
        user_agent=user_agent[:255],
        second_factor_at=now if verified.second_factor else None,
    ))
    user.last_login_at = now
    session.add(user)
    return SignedIn(token=token, actor=load_actor(session=session, user=user,
                                                  client_ip=client_ip))


def open_session(*, session: Session, verified: Verified, client_ip: str = "",
                 user_agent: str = "") -> SignedIn:
    """A session for an API client: the raw token, once. Commits."""
    signed = _start_session(session, verified, client_ip, user_agent)
    session.commit()
    return signed


def issue_ticket(*, session: Session, verified: Verified) -> str:
    """A single-use ticket, good for 2 minutes, that the browser trades at
    ``/api/v2/auth/session`` for its session cookie (HttpOnly, so page scripts never see
    the session token). Commits."""
    ticket = account_tokens.issue(
        session=session, user_id=verified.actor.user_id, exclusive=False,
        purpose=SESSION_TICKET_MFA if verified.second_factor else SESSION_TICKET)
    session.commit()
    return ticket


def redeem_ticket(*, session: Session, ticket: str, client_ip: str = "",
                  user_agent: str = "") -> SignedIn:
    """Trade a ticket from :func:`issue_ticket` for a session. Commits."""
    row = account_tokens.redeem(session=session, token=ticket,
                                purpose=(SESSION_TICKET, SESSION_TICKET_MFA))
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        session.rollback()
        raise DomainError("session_invalid", account_tokens.invalid_message(SESSION_TICKET))
    verified = Verified(actor=load_actor(session=session, user=user),
                        second_factor=row.purpose == SESSION_TICKET_MFA)
    signed = _start_session(session, verified, client_ip, user_agent)
    session.commit()
    return signed


def sign_in(
    *,
    session: Session,
    email: str,
    password: str,
    client_ip: str = "",
) -> Proven:
    """Check the credentials: the user, or the code step when the account has two-factor
    sign-in. Commits (the throttle's counts).

    A wrong password, an unknown email and a deactivated account give the same message.
    Attempts are limited per client address, per account from unknown addresses, and
    globally (``services.login_throttle``); past a limit the attempt is refused before the
    password is checked.
    """
    try:
        email = normalise_email(email)
    except DomainError as exc:
        raise DomainError(
            "invalid_credentials", INVALID_CREDENTIALS, kind=ErrorKind.UNAUTHENTICATED
        ) from exc
    if not password:
        raise DomainError("password_required", "Enter your password.", field="password")
    attempt = login_throttle.before_attempt(session=session, email=email, client_ip=client_ip)
    user = session.exec(select(User).where(User.email == email)).first()
    ok = verify_password(user.password_hash if user else "", password)
    if not ok or user is None or not user.is_active:
        login_throttle.after_failure(session=session, attempt=attempt)
        raise DomainError(
            "invalid_credentials", INVALID_CREDENTIALS, kind=ErrorKind.UNAUTHENTICATED
        )
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
    login_throttle.after_success(session=session, attempt=attempt)
    proven = after_first_factor(session=session, user=user)
    session.commit()
    return proven


def _idle_limit(grants: list[Grant]) -> timedelta:
    settings = get_settings()
    minutes = (settings.admin_session_idle_minutes
               if is_admin(frozenset(g.role for g in grants))
               else settings.session_idle_minutes)
    return timedelta(minutes=minutes)


def resolve_session(*, session: Session, token: str, client_ip: str = "",
                    user_agent: str = "") -> Actor | None:
    """The actor behind a session token, or None when it is unknown, expired, revoked, idle
    too long, or used from another browser than the one that opened it.

    Every signed-in request runs this, so it is one Core query (session, user and grants
    joined) rather than ORM entity loads; ``last_seen_at`` is written at most every 5 min.
    When admin roles need a second factor and this session has none, the actor keeps only
    its learner grants and says so (``second_factor_missing``).
    """
    if not token:
        return None
    now = utcnow()
    settings = get_settings()
    rows = session.execute(
        select(  # type: ignore[call-overload, misc]
            UserSession.id, UserSession.last_seen_at, UserSession.user_agent,
            UserSession.client_ip, UserSession.second_factor_at,
            User.id, User.email, User.full_name, UserRole.role, UserRole.department_id,
        )
        .join(User, col(User.id) == UserSession.user_id)
        .outerjoin(UserRole, col(UserRole.user_id) == User.id)
        .where(
            col(UserSession.token_hash) == token_digest(token),
            col(UserSession.revoked_at).is_(None),
            col(UserSession.expires_at) > now,
            col(User.is_active).is_(True),
        )
    ).all()
    if not rows:
        return None
    session_id, last_seen, bound_agent, bound_ip, second_factor_at, user_id, email, \
        full_name = rows[0][:8]
    grants = sorted({Grant(role, dept) for *_, role, dept in rows if role is not None})
    stale = last_seen is not None and now - last_seen > _idle_limit(grants)
    foreign = ((settings.session_bind_user_agent and bound_agent
                and user_agent[:255] != bound_agent)
               or (settings.session_bind_client_ip and bound_ip
                   and client_ip[:64] != bound_ip))
    if stale or foreign:
        # idle too long, or the token turned up in another browser: it ends here
        session.execute(update(UserSession).where(col(UserSession.id) == session_id)
                        .values(revoked_at=now))
        session.commit()
        return None
    if last_seen is None or now - last_seen > _TOUCH_INTERVAL:
        session.execute(
            update(UserSession).where(col(UserSession.id) == session_id)
            .values(last_seen_at=now)
        )
        session.commit()
    missing = False
    if settings.require_second_factor_for_admins and second_factor_at is None:
        kept = [g for g in grants if not is_admin(frozenset({g.role}))]
        missing = len(kept) != len(grants)
        grants = kept
    return Actor(user_id=user_id, email=email, full_name=full_name, grants=tuple(grants),
                 client_ip=client_ip, second_factor_missing=missing)


def sign_out(*, session: Session, token: str) -> bool:
    """Revoke the session of ``token``; returns whether one was open."""
    if not token:
        return False
    result = session.execute(
        update(UserSession)
        .where(
            col(UserSession.token_hash) == token_digest(token),
            col(UserSession.revoked_at).is_(None),
        )
        .values(revoked_at=utcnow())
    )
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def revoke_user_sessions(*, session: Session, user_id: int) -> int:
    """Revoke every open session of a user (caller commits); returns how many."""
    result = session.execute(
        update(UserSession)
        .where(col(UserSession.user_id) == user_id, col(UserSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class OpenSession:
    """One of the user's sessions, as the security page lists it."""

    id: int
    user_agent: str
    client_ip: str
    created_at: datetime
    last_seen_at: datetime | None
    second_factor: bool
    current: bool


def open_sessions(*, session: Session, user_id: int, current_token: str = "") -> list[OpenSession]:
    """The user's sessions that still work, the most recently used first."""
    now = utcnow()
    current = token_digest(current_token) if current_token else ""
    rows = session.exec(select(UserSession).where(
        UserSession.user_id == user_id, col(UserSession.revoked_at).is_(None),
        col(UserSession.expires_at) > now,
    ).order_by(col(UserSession.last_seen_at).desc(), col(UserSession.id).desc())).all()
    return [OpenSession(id=r.id or 0, user_agent=r.user_agent, client_ip=r.client_ip,
                        created_at=r.created_at, last_seen_at=r.last_seen_at,
                        second_factor=r.second_factor_at is not None,
                        current=bool(current) and r.token_hash == current) for r in rows]


def purge_stale_records(*, session: Session, keep_days: int = 30) -> dict[str, int]:
    """Delete sessions that ended and login attempts older than ``keep_days``.

    Sessions are kept for ``keep_days`` after they expire or are revoked, so recent sign-ins
    stay visible; login attempts only matter inside the throttle window.
    """
    cutoff = utcnow() - timedelta(days=keep_days)
    sessions = session.execute(
        delete(UserSession).where(
            or_(col(UserSession.expires_at) < cutoff, col(UserSession.revoked_at) < cutoff)
        )
    )
    attempts = session.execute(delete(LoginAttempt).where(col(LoginAttempt.at) < cutoff))
    session.commit()
    return {
        "sessions": int(sessions.rowcount),  # type: ignore[attr-defined]
        "login_attempts": int(attempts.rowcount),  # type: ignore[attr-defined]
    }
