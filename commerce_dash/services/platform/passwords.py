"""Passwords after sign-up: reset by an emailed single-use link, change when signed in.

Either one ends every other session of the account and emails the owner that the password
changed. Asking for a reset answers the same whatever the address, and is limited per client
address.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col, select

from commerce_dash import routes
from commerce_dash.domain.accounts import check_password_policy, normalise_email
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.accounts import User, UserSession
from commerce_dash.notify.outbox_email import queue_email
from commerce_dash.services.platform import account_tokens
from commerce_dash.services.platform.accounts import (
    Proven,
    after_first_factor,
    revoke_user_sessions,
)
from commerce_dash.services.platform.audit import record_audit
from commerce_dash.services.platform.rate_limit import limit_account_mail
from commerce_dash.services.platform.secrets import hash_password, token_digest, verify_password
from commerce_dash.settings import get_settings

RESET_SENT = ("If an account uses this address, we sent it a link to choose a new password. "
              "It works once, for an hour.")


def request_reset(*, session: Session, email: str, client_ip: str = "") -> str:
    """Email a reset link to the account of ``email``, if there is one; the message to show
    (the same either way). Commits."""
    limit_account_mail(session=session, client_ip=client_ip, kind="reset")
    try:
        address = normalise_email(email)
    except DomainError:
        return RESET_SENT
    user = session.exec(select(User).where(User.email == address)).first()
    if user is not None and user.is_active and user.id is not None:
        token = account_tokens.issue(session=session, user_id=user.id, purpose="reset")
        queue_email(session=session, template="password-reset", to=user.email,
                    dedupe_key=f"password-reset:{token[:16]}",
                    context={"user_name": user.full_name,
                             "reset_url": account_tokens.link(routes.RESET_PASSWORD, token)})
        record_audit(session=session, actor=None, action="user.password_reset_requested",
                     entity_type="user", entity_id=user.id)
        session.commit()
    return RESET_SENT


def _changed(session: Session, user: User, password: str) -> None:
    now = utcnow()
    user.password_hash = hash_password(password)
    user.updated_at = now
    session.add(user)
    queue_email(session=session, template="password-changed", to=user.email,
                dedupe_key=f"password-changed:{user.id}:{now.timestamp():.0f}",
                context={"user_name": user.full_name, "changed_at": f"{now:%Y-%m-%d %H:%M} UTC",
                         "reset_url": account_tokens.page_url(routes.FORGOT_PASSWORD)})


def reset_password(*, session: Session, token: str, password: str) -> Proven:
    """The emailed link: a new password, every session ended and the owner emailed; the
    learner may sign in here (with the code step when the account has two-factor sign-in).
    The link proves the address, so it counts as confirmed. Commits."""
    row = account_tokens.redeem(session=session, token=token, purpose="reset")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active or user.id is None:
        session.rollback()
        raise DomainError("reset_invalid", "This account is no longer active.")
    check_password_policy(password, email=user.email,
                          min_length=get_settings().password_min_length)
    _changed(session, user, password)
    user.email_verified_at = user.email_verified_at or utcnow()
    revoke_user_sessions(session=session, user_id=user.id)
    record_audit(session=session, actor=None, action="user.password_reset",
                 entity_type="user", entity_id=user.id)
    proven = after_first_factor(session=session, user=user)
    session.commit()
    return proven


def change_password(*, session: Session, actor: Actor, current_password: str,
                    new_password: str, keep_token: str = "") -> int:
    """Change the signed-in user's password: every other session ends (``keep_token``, the
    one making the change, stays) and the owner is emailed. Returns how many ended. Commits."""
    user = session.get(User, actor.user_id)
    if user is None or not verify_password(user.password_hash, current_password):
        raise DomainError(
            "wrong_password", "The current password is incorrect.", field="current_password"
        )
    check_password_policy(
        new_password, email=user.email, min_length=get_settings().password_min_length
    )
    _changed(session, user, new_password)
    ended = sign_out_others(session=session, user_id=actor.user_id, keep_token=keep_token)
    record_audit(session=session, actor=actor, action="user.password_changed",
                 entity_type="user", entity_id=actor.user_id, after={"sessions_ended": ended})
    session.commit()
    return ended


def sign_out_others(*, session: Session, user_id: int, keep_token: str = "") -> int:
    """End every session of the user but ``keep_token``'s (caller commits)."""
    if not keep_token:
        return revoke_user_sessions(session=session, user_id=user_id)
    return int(session.execute(update(UserSession).where(
        col(UserSession.user_id) == user_id, col(UserSession.revoked_at).is_(None),
        col(UserSession.token_hash) != token_digest(keep_token),
    ).values(revoked_at=utcnow())).rowcount)  # type: ignore[attr-defined]


def sign_out_everywhere(*, session: Session, actor: Actor) -> int:
    """End every session of the signed-in user, this one included. Commits."""
    ended = revoke_user_sessions(session=session, user_id=actor.user_id)
    record_audit(session=session, actor=actor, action="user.signed_out_everywhere",
                 entity_type="user", entity_id=actor.user_id, after={"sessions_ended": ended})
    session.commit()
    return ended
