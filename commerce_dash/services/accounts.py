"""Sign-up, sign-in, sessions, sign-out and setting a password from an invitation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.accounts import (
    check_password_policy,
    clean_name,
    login_throttle,
    normalise_email,
)
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.models.accounts import AccountToken, LoginAttempt, User, UserRole, UserSession
from commerce_dash.services.secrets import (
    hash_password,
    needs_rehash,
    new_token,
    token_digest,
    verify_password,
)
from commerce_dash.settings import get_settings

INVALID_CREDENTIALS = "Email or password is incorrect."
# Refresh last_seen_at at most this often, so that reading a session rarely writes.
_TOUCH_INTERVAL = timedelta(minutes=5)


@dataclass(frozen=True)
class SignedIn:
    """A new session: the raw token goes to the client once; only its hash is stored."""

    token: str
    actor: Actor


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


def _start_session(*, session: Session, user: User, client_ip: str, user_agent: str) -> SignedIn:
    assert user.id is not None
    token = new_token()
    now = utcnow()
    session.add(
        UserSession(
            user_id=user.id,
            token_hash=token_digest(token),
            expires_at=now + timedelta(hours=get_settings().session_ttl_hours),
            last_seen_at=now,
            client_ip=client_ip[:64],
            user_agent=user_agent[:255],
        )
    )
    user.last_login_at = now
    session.add(user)
    return SignedIn(token=token, actor=load_actor(session=session, user=user, client_ip=client_ip))


def register_learner(
    *,
    session: Session,
    email: str,
    full_name: str,
    password: str,
    client_ip: str = "",
    user_agent: str = "",
) -> SignedIn:
    """Create a learner account and sign it in."""
    settings = get_settings()
    email = normalise_email(email)
    name = clean_name(full_name)
    check_password_policy(password, email=email, min_length=settings.password_min_length)
    if session.exec(select(User.id).where(User.email == email)).first() is not None:
        raise DomainError(
            "email_taken",
            "An account with this email already exists. Sign in instead.",
            kind=ErrorKind.CONFLICT,
            field="email",
        )
    user = User(email=email, full_name=name, password_hash=hash_password(password))
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent sign-up with the same email won
        session.rollback()
        raise DomainError(
            "email_taken",
            "An account with this email already exists. Sign in instead.",
            kind=ErrorKind.CONFLICT,
            field="email",
        ) from exc
    assert user.id is not None
    session.add(UserRole(user_id=user.id, role=RoleName.LEARNER))
    signed_in = _start_session(
        session=session, user=user, client_ip=client_ip, user_agent=user_agent
    )
    session.commit()
    return signed_in


def _throttle(*, session: Session, email: str, client_ip: str) -> None:
    settings = get_settings()
    now = utcnow()
    window = timedelta(minutes=settings.login_window_minutes)
    since = now - window
    account_failures = session.exec(
        select(LoginAttempt.at).where(
            LoginAttempt.account_key == email,
            LoginAttempt.at > since,
            col(LoginAttempt.succeeded).is_(False),
        )
    ).all()
    client_failures = (
        session.exec(
            select(LoginAttempt.at).where(
                LoginAttempt.client_key == client_ip,
                LoginAttempt.at > since,
                col(LoginAttempt.succeeded).is_(False),
            )
        ).all()
        if client_ip
        else []
    )
    decision = login_throttle(
        account_failures=list(account_failures),
        client_failures=list(client_failures),
        now=now,
        window=window,
        max_per_account=settings.login_max_failures_per_account,
        max_per_client=settings.login_max_failures_per_client,
    )
    if not decision.allowed:
        minutes = max(1, -(-decision.retry_after_seconds // 60))
        raise DomainError(
            "too_many_attempts",
            f"Too many sign-in attempts. Try again in {minutes} minute"
            f"{'s' if minutes != 1 else ''}.",
            kind=ErrorKind.RATE_LIMITED,
            retry_after_seconds=decision.retry_after_seconds,
        )


def sign_in(
    *,
    session: Session,
    email: str,
    password: str,
    client_ip: str = "",
    user_agent: str = "",
) -> SignedIn:
    """Check the credentials and open a session.

    A wrong password, an unknown email and a deactivated account give the same message.
    Failures are counted per account and per client address; past the limits the attempt
    is refused before the password is checked.
    """
    try:
        email = normalise_email(email)
    except DomainError as exc:
        raise DomainError(
            "invalid_credentials", INVALID_CREDENTIALS, kind=ErrorKind.UNAUTHENTICATED
        ) from exc
    if not password:
        raise DomainError("password_required", "Enter your password.", field="password")
    _throttle(session=session, email=email, client_ip=client_ip)
    user = session.exec(select(User).where(User.email == email)).first()
    ok = verify_password(user.password_hash if user else "", password)
    if not ok or user is None or not user.is_active:
        session.add(
            LoginAttempt(account_key=email, client_key=client_ip[:64], succeeded=False, at=utcnow())
        )
        session.commit()
        raise DomainError(
            "invalid_credentials", INVALID_CREDENTIALS, kind=ErrorKind.UNAUTHENTICATED
        )
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.add(
        LoginAttempt(account_key=email, client_key=client_ip[:64], succeeded=True, at=utcnow())
    )
    signed_in = _start_session(
        session=session, user=user, client_ip=client_ip, user_agent=user_agent
    )
    session.commit()
    return signed_in


def resolve_session(*, session: Session, token: str, client_ip: str = "") -> Actor | None:
    """The actor behind a session token, or None when it is unknown, expired or revoked.

    Every signed-in request runs this, so it is one Core query (session, user and grants
    joined) rather than ORM entity loads; ``last_seen_at`` is written at most every 5 min.
    """
    if not token:
        return None
    now = utcnow()
    rows = session.execute(
        select(  # type: ignore[call-overload]
            UserSession.id, UserSession.last_seen_at, User.id, User.email, User.full_name,
            UserRole.role, UserRole.department_id,
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
    session_id, last_seen, user_id, email, full_name = rows[0][:5]
    if last_seen is None or now - last_seen > _TOUCH_INTERVAL:
        session.execute(
            update(UserSession).where(col(UserSession.id) == session_id)
            .values(last_seen_at=now)
        )
        session.commit()
    grants = sorted({Grant(role, dept) for *_, role, dept in rows if role is not None})
    return Actor(user_id=user_id, email=email, full_name=full_name, grants=tuple(grants),
                 client_ip=client_ip)


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


def accept_invitation(
    *, session: Session, token: str, password: str, client_ip: str = "", user_agent: str = ""
) -> SignedIn:
    """Set the password of an invited account from its one-time link and sign it in."""
    now = utcnow()
    row = session.exec(
        select(AccountToken).where(AccountToken.token_hash == token_digest(token or ""))
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise DomainError(
            "invitation_invalid",
            "This invitation link is invalid or has expired. Ask an administrator for a new one.",
        )
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise DomainError("invitation_invalid", "This account is no longer active.")
    check_password_policy(password, email=user.email, min_length=get_settings().password_min_length)
    user.password_hash = hash_password(password)
    user.updated_at = now
    row.used_at = now
    session.add_all([user, row])
    signed_in = _start_session(
        session=session, user=user, client_ip=client_ip, user_agent=user_agent
    )
    session.commit()
    return signed_in


def change_password(
    *, session: Session, actor: Actor, current_password: str, new_password: str
) -> None:
    """Change the signed-in user's password; other sessions stay open."""
    user = session.get(User, actor.user_id)
    if user is None or not verify_password(user.password_hash, current_password):
        raise DomainError(
            "wrong_password", "The current password is incorrect.", field="current_password"
        )
    check_password_policy(
        new_password, email=user.email, min_length=get_settings().password_min_length
    )
    user.password_hash = hash_password(new_password)
    user.updated_at = utcnow()
    session.add(user)
    session.commit()


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
