"""Becoming a user: registering (confirmed by an emailed link), accepting an invitation.

Registering answers the same whatever the address: a new one gets a confirmation link, one
that has an account gets a note that someone tried (with the way to sign in or reset), and
both cost the same argon2 hash, so the answer and its timing tell nobody who has an account.
Registrations are limited per client address. Until the email is confirmed the learner may
browse, fill a cart and sign in, but not pay (``require_verified``).
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from commerce_dash import routes
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.accounts import check_password_policy, clean_name, normalise_email
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.models.accounts import User, UserRole
from commerce_dash.notify.outbox_email import queue_email
from commerce_dash.services.platform import account_tokens
from commerce_dash.services.platform.accounts import (
    Proven,
    after_first_factor,
    revoke_user_sessions,
)
from commerce_dash.services.platform.audit import record_audit
from commerce_dash.services.platform.rate_limit import limit_account_mail
from commerce_dash.services.platform.secrets import hash_password
from commerce_dash.settings import get_settings

CHECK_YOUR_EMAIL = ("Check your email: we sent a link to finish creating your account. "
                    "It works for 3 days.")
NOT_VERIFIED = ("Confirm your email address first: open the link we sent you (your account "
                "page sends it again).")


def register_learner(*, session: Session, email: str, full_name: str, password: str,
                     client_ip: str = "") -> str:
    """Start a learner account; the message to show (the same for every address). Commits."""
    settings = get_settings()
    limit_account_mail(session=session, client_ip=client_ip, kind="register")
    email = normalise_email(email)
    name = clean_name(full_name)
    check_password_policy(password, email=email, min_length=settings.password_min_length)
    digest = hash_password(password)  # hashed either way: the timing says nothing either
    existing = session.exec(select(User).where(User.email == email)).first()
    if existing is not None:
        queue_email(session=session, template="account-exists", to=existing.email,
                    dedupe_key=f"account-exists:{existing.id}:{utcnow():%Y%m%d%H}",
                    context={"user_name": existing.full_name, "sign_in_url": account_tokens.page_url(routes.LOGIN),
                             "reset_url": account_tokens.page_url(routes.FORGOT_PASSWORD)})
        session.commit()
        return CHECK_YOUR_EMAIL
    user = User(email=email, full_name=name, password_hash=digest)
    session.add(user)
    try:
        session.flush()
    except IntegrityError:  # a parallel registration of the same address: the same answer
        session.rollback()
        return CHECK_YOUR_EMAIL
    assert user.id is not None
    session.add(UserRole(user_id=user.id, role=RoleName.LEARNER))
    _send_confirmation(session, user)
    record_audit(session=session, actor=None, action="user.registered", entity_type="user",
                 entity_id=user.id, after={"email": email})
    session.commit()
    return CHECK_YOUR_EMAIL


def _send_confirmation(session: Session, user: User) -> None:
    assert user.id is not None
    token = account_tokens.issue(session=session, user_id=user.id, purpose="verify")
    queue_email(session=session, template="verify-email", to=user.email,
                dedupe_key=f"verify-email:{token[:16]}",
                context={"user_name": user.full_name,
                         "confirm_url": account_tokens.link(routes.CONFIRM_EMAIL, token)})


def resend_confirmation(*, session: Session, email: str, client_ip: str = "") -> str:
    """Another confirmation link for an unconfirmed account (the same answer for any
    address); earlier links stop working. Commits."""
    limit_account_mail(session=session, client_ip=client_ip, kind="register")
    try:
        address = normalise_email(email)
    except DomainError:
        return CHECK_YOUR_EMAIL
    user = session.exec(select(User).where(User.email == address)).first()
    if user is not None and user.is_active and user.email_verified_at is None:
        _send_confirmation(session, user)
        session.commit()
    return CHECK_YOUR_EMAIL


def confirm_email(*, session: Session, token: str) -> Proven:
    """The emailed link: the address is confirmed, the welcome email sent, and the learner
    may be signed in. Commits."""
    row = account_tokens.redeem(session=session, token=token, purpose="verify")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        session.rollback()
        raise DomainError("verify_invalid", "This account is no longer active.")
    now = utcnow()
    if user.email_verified_at is None:
        user.email_verified_at = now
        user.updated_at = now
        session.add(user)
        queue_email(session=session, template="account-created", to=user.email,
                    dedupe_key=f"account-created:{user.id}",
                    context={"user_name": user.full_name, "catalog_url": account_tokens.page_url(routes.STORE)})
        record_audit(session=session, actor=None, action="user.email_confirmed",
                     entity_type="user", entity_id=user.id, after={"email": user.email})
    proven = after_first_factor(session=session, user=user)
    session.commit()
    return proven


def require_verified(*, session: Session, user_id: int) -> None:
    """Paying needs a confirmed email address."""
    user = session.get(User, user_id)
    if user is not None and user.email_verified_at is None:
        raise DomainError("email_not_confirmed", NOT_VERIFIED, kind=ErrorKind.FORBIDDEN)


def accept_invitation(*, session: Session, token: str, password: str) -> Proven:
    """Set the first password of an invited account from its link; it may be signed in.

    Only an invitation does this, and only while the account has no password; every other
    session of the account ends. Commits."""
    row = account_tokens.redeem(session=session, token=token, purpose="invite")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        session.rollback()
        raise DomainError("invite_invalid", "This account is no longer active.")
    if user.password_hash:
        session.rollback()
        raise DomainError("invite_invalid", "This account already has a password: sign in, "
                          "or ask for a new password.")
    check_password_policy(password, email=user.email,
                          min_length=get_settings().password_min_length)
    now = utcnow()
    user.password_hash = hash_password(password)
    user.email_verified_at = user.email_verified_at or now  # the link came by email
    user.updated_at = now
    session.add(user)
    assert user.id is not None
    revoke_user_sessions(session=session, user_id=user.id)
    proven = after_first_factor(session=session, user=user)
    record_audit(session=session, actor=None, action="user.invitation_accepted",
                 entity_type="user", entity_id=user.id)
    session.commit()
    return proven
