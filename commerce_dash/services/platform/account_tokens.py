"""One-time account tokens: invitation, password reset, email verification, the second step
of a sign-in, the browser's session ticket. Only a keyed hash is stored; each token serves
one purpose once, before it expires, and a new token of a purpose ends the user's earlier
unused ones of it (a reissued invitation leaves the old link dead).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from commerce_dash.db import for_update
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.accounts import AccountToken
from commerce_dash.services.platform.secrets import new_token, token_digest
from commerce_dash.settings import get_settings

LIFETIME = {
    "invite": timedelta(days=7),
    "reset": timedelta(hours=1),
    "verify": timedelta(days=3),
    "second_factor": timedelta(minutes=5),
    "session": timedelta(minutes=2),
    "session_mfa": timedelta(minutes=2),
}
_INVALID = {
    "invite": "This invitation link is invalid or has expired. Ask an administrator for a "
              "new one.",
    "reset": "This password link is invalid or has expired. Ask for a new one.",
    "verify": "This confirmation link is invalid or has expired. Sign in to get a new one.",
    "second_factor": "This sign-in took too long. Sign in again.",
    "session": "This sign-in took too long. Sign in again.",
    "session_mfa": "This sign-in took too long. Sign in again.",
}


def invalid_message(purpose: str) -> str:
    return _INVALID[purpose]


def issue(*, session: Session, user_id: int, purpose: str, exclusive: bool = True) -> str:
    """A new token of ``purpose`` for the user (caller commits); the raw token, once.
    ``exclusive`` ends the user's unused ones of the purpose."""
    now = utcnow()
    if exclusive:
        session.execute(update(AccountToken).where(
            col(AccountToken.user_id) == user_id, col(AccountToken.purpose) == purpose,
            col(AccountToken.used_at).is_(None)).values(used_at=now))
    token = new_token()
    session.add(AccountToken(user_id=user_id, purpose=purpose, token_hash=token_digest(token),
                             expires_at=now + LIFETIME[purpose]))
    return token


def find(*, session: Session, token: str, purpose: str | tuple[str, ...]) -> AccountToken:
    """The unused, unexpired token of ``purpose`` (locked for this transaction), or a
    DomainError naming the link as invalid (rolled back)."""
    purposes = (purpose,) if isinstance(purpose, str) else purpose
    row = session.exec(for_update(session, select(AccountToken).where(
        AccountToken.token_hash == token_digest(token or "")))).first()
    if (row is None or row.purpose not in purposes or row.used_at is not None
            or row.expires_at <= utcnow()):
        session.rollback()
        raise DomainError(f"{purposes[0]}_invalid", _INVALID[purposes[0]])
    return row


def redeem(*, session: Session, token: str, purpose: str | tuple[str, ...]) -> AccountToken:
    """Use the token (caller commits): the same token never works twice, nor for another
    purpose, nor after it expired or was replaced."""
    row = find(session=session, token=token, purpose=purpose)
    row.used_at = utcnow()
    session.add(row)
    return row


def page_url(path: str) -> str:
    """An absolute link to a page of the app, for an email."""
    return f"{get_settings().public_url.rstrip('/')}{path}"


def link(path: str, token: str) -> str:
    """An absolute link to ``path`` carrying the token."""
    return f"{page_url(path)}?token={token}"
