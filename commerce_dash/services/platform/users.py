"""User administration for super-admins: create, invite, roles and departments, deactivate."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, or_
from sqlmodel import Session, col, delete, select

from commerce_dash import routes
from commerce_dash.domain.access import DEPARTMENT_SCOPED_ROLES, ROLE_LABELS, RoleName
from commerce_dash.domain.accounts import check_password_policy, clean_name, normalise_email
from commerce_dash.domain.actor import Actor, Grant, require_section
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.paging import Page, PageRequest
from commerce_dash.models.accounts import AccountToken, RecoveryCode, User, UserRole
from commerce_dash.models.catalog import Department
from commerce_dash.services.platform import account_tokens
from commerce_dash.services.platform.accounts import revoke_user_sessions
from commerce_dash.services.platform.audit import (
    add_created,
    record_audit,
    save_change,
    save_switch,
)
from commerce_dash.services.platform.paging import page_of_query
from commerce_dash.services.platform.secrets import hash_password
from commerce_dash.settings import get_settings


@dataclass(frozen=True)
class UserRow:
    id: int
    email: str
    full_name: str
    is_active: bool
    grants: tuple[Grant, ...]
    last_login_at: str
    pending_invitation: bool


@dataclass(frozen=True)
class CreatedUser:
    user: User
    invitation_link: str | None


def _grants_of(session: Session, user_id: int) -> tuple[Grant, ...]:
    rows = session.exec(
        select(UserRole.role, UserRole.department_id).where(UserRole.user_id == user_id)
    ).all()
    return tuple(sorted(Grant(r, d) for r, d in rows))


def user_grants(*, session: Session, actor: Actor | None, user_id: int) -> tuple[Grant, ...]:
    """The current roles of a user; super-admins only."""
    require_section(actor, "users")
    _user_or_404(session, user_id)
    return _grants_of(session, user_id)


def _grant_dicts(grants: Iterable[Grant]) -> list[dict[str, object]]:
    return [{"role": g.role, "department_id": g.department_id} for g in grants]


def validate_grants(*, session: Session, grants: Iterable[Grant]) -> tuple[Grant, ...]:
    """Check roles exist and department scoping is right; returns them sorted, deduplicated."""
    cleaned: set[Grant] = set()
    for grant in grants:
        if grant.role not in RoleName._value2member_map_:
            raise DomainError("unknown_role", f"Unknown role {grant.role!r}.", field="roles")
        role = RoleName(grant.role)
        if role in DEPARTMENT_SCOPED_ROLES:
            if grant.department_id is None:
                raise DomainError(
                    "department_required",
                    f"Choose a department for the {ROLE_LABELS[role]} role.",
                    field="roles",
                )
            if session.get(Department, grant.department_id) is None:
                raise not_found("department", grant.department_id)
            cleaned.add(Grant(role, grant.department_id))
        else:
            cleaned.add(Grant(role, None))
    return tuple(sorted(cleaned))


def _user_or_404(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise not_found("user", user_id)
    return user


def list_users(
    *,
    session: Session,
    actor: Actor | None,
    page: PageRequest,
    search: str = "",
    role: str = "",
    status: str = "",
) -> Page[UserRow]:
    """Users matching the filters, by name; super-admins only."""
    require_section(actor, "users")
    query = select(User)
    if search.strip():
        pattern = f"%{search.strip()}%"
        query = query.where(or_(col(User.email).ilike(pattern), col(User.full_name).ilike(pattern)))
    if role:
        query = query.where(col(User.id).in_(select(UserRole.user_id).where(UserRole.role == role)))
    if status == "active":
        query = query.where(col(User.is_active).is_(True))
    elif status == "inactive":
        query = query.where(col(User.is_active).is_(False))
    found = page_of_query(session, query, page, func.lower(User.full_name), col(User.id))
    users = found.items
    ids = [u.id for u in users]
    grants: dict[int, list[Grant]] = {}
    for uid, r, d in session.exec(
        select(UserRole.user_id, UserRole.role, UserRole.department_id).where(
            col(UserRole.user_id).in_(ids)
        )
    ).all():
        grants.setdefault(uid, []).append(Grant(r, d))
    pending = set(
        session.exec(
            select(AccountToken.user_id).where(
                col(AccountToken.user_id).in_(ids),
                col(AccountToken.used_at).is_(None),
                AccountToken.purpose == "invite",
                AccountToken.expires_at > utcnow(),
            )
        ).all()
    )
    rows = [
        UserRow(
            id=u.id or 0,
            email=u.email,
            full_name=u.full_name,
            is_active=u.is_active,
            grants=tuple(sorted(grants.get(u.id or 0, []))),
            last_login_at=u.last_login_at.isoformat() if u.last_login_at else "",
            pending_invitation=(u.id in pending and not u.password_hash),
        )
        for u in users
    ]
    return Page(rows, found.total, page.page, page.page_size)


def _issue_invitation(session: Session, user: User) -> str:
    """A new invitation link; the user's earlier ones stop working (caller commits)."""
    assert user.id is not None
    token = account_tokens.issue(session=session, user_id=user.id, purpose="invite")
    return account_tokens.link(routes.ACCEPT_INVITE, token)


def create_user(
    *,
    session: Session,
    actor: Actor | None,
    email: str,
    full_name: str,
    grants: Iterable[Grant],
    password: str | None = None,
) -> CreatedUser:
    """Create an account with the given roles.

    With a password the account can sign in at once; without one an invitation link is
    returned (valid for 7 days) with which the person sets their own password.
    """
    actor = require_section(actor, "users")
    email = normalise_email(email)
    name = clean_name(full_name)
    checked = validate_grants(session=session, grants=grants)
    if not checked:
        raise DomainError("role_required", "Give the user at least one role.", field="roles")
    if password:
        check_password_policy(password, email=email, min_length=get_settings().password_min_length)
    if session.exec(select(User.id).where(User.email == email)).first() is not None:
        raise DomainError(
            "email_taken",
            "A user with this email already exists.",
            kind=ErrorKind.CONFLICT,
            field="email",
        )
    # an admin vouches for the address of an account made with a password; an invited one
    # proves it by following the emailed link
    user = User(
        email=email, full_name=name, password_hash=hash_password(password) if password else "",
        email_verified_at=utcnow() if password else None,
    )
    session.add(user)
    session.flush()
    assert user.id is not None
    for g in checked:
        session.add(UserRole(user_id=user.id, role=g.role, department_id=g.department_id))
    link = None if password else _issue_invitation(session, user)
    record_audit(
        session=session,
        actor=actor,
        action="user.invited" if link else "user.created",
        entity_type="user",
        entity_id=user.id,
        after={"email": email, "full_name": name, "grants": _grant_dicts(checked)},
    )
    session.commit()
    return CreatedUser(user=user, invitation_link=link)


def reissue_invitation(*, session: Session, actor: Actor | None, user_id: int) -> str:
    """A fresh invitation link for a user who has not set a password yet."""
    actor = require_section(actor, "users")
    user = _user_or_404(session, user_id)
    if user.password_hash:
        raise DomainError("already_active", "This user has already set a password.")
    link = _issue_invitation(session, user)
    record_audit(
        session=session,
        actor=actor,
        action="user.invitation_reissued",
        entity_type="user",
        entity_id=user_id,
    )
    session.commit()
    return link


def _active_super_admins(session: Session) -> set[int]:
    return set(
        session.exec(
            select(UserRole.user_id)
            .join(User, col(User.id) == UserRole.user_id)
            .where(UserRole.role == RoleName.SUPER_ADMIN, col(User.is_active).is_(True))
        ).all()
    )


def set_grants(
    *, session: Session, actor: Actor | None, user_id: int, grants: Iterable[Grant]
) -> tuple[Grant, ...]:
    """Replace a user's roles and departments; the last active super-admin cannot lose it."""
    actor = require_section(actor, "users")
    user = _user_or_404(session, user_id)
    checked = validate_grants(session=session, grants=grants)
    if not checked:
        raise DomainError("role_required", "Give the user at least one role.", field="roles")
    before = _grants_of(session, user_id)
    keeps_super = any(g.role == RoleName.SUPER_ADMIN for g in checked)
    if not keeps_super and any(g.role == RoleName.SUPER_ADMIN for g in before):
        if user_id == actor.user_id:
            raise DomainError("cannot_demote_self", "You cannot remove your own super-admin role.")
        if _active_super_admins(session) <= {user_id}:
            raise DomainError("last_super_admin", "At least one active super-admin must remain.")
    if before == checked:
        return checked
    session.exec(delete(UserRole).where(col(UserRole.user_id) == user_id))  # type: ignore[call-overload]
    for g in checked:
        session.add(UserRole(user_id=user_id, role=g.role, department_id=g.department_id))
    save_change(
        session=session,
        actor=actor,
        row=user,
        action="user.roles_changed",
        entity_type="user",
        entity_id=user_id,
        before={"grants": _grant_dicts(before)},
        after={"grants": _grant_dicts(checked)},
    )
    return checked


def set_active(
    *, session: Session, actor: Actor | None, user_id: int, active: bool, reason: str = ""
) -> User:
    """Deactivate (ending every session) or reactivate a user."""
    actor = require_section(actor, "users")
    user = _user_or_404(session, user_id)
    if user.is_active == active:
        return user
    if not active:
        if user_id == actor.user_id:
            raise DomainError("cannot_deactivate_self", "You cannot deactivate your own account.")
        if _active_super_admins(session) <= {user_id}:
            raise DomainError("last_super_admin", "At least one active super-admin must remain.")
        revoke_user_sessions(session=session, user_id=user_id)
    save_switch(session=session, actor=actor, row=user, flag="is_active", value=active,
                actions=("user.reactivated", "user.deactivated"), entity_type="user",
                entity_id=user_id, reason=reason)
    return user


def reset_second_factor(*, session: Session, actor: Actor | None, user_id: int,
                        reason: str = "") -> User:
    """Turn off a user's two-factor sign-in (a lost phone and lost recovery codes): the
    secret and codes are deleted and every session ends; the user signs in with the
    password and may enrol again. Doing it again is harmless."""
    actor = require_section(actor, "users")
    user = _user_or_404(session, user_id)
    if user.totp_enabled_at is None and not user.totp_secret:
        return user
    user.totp_secret = ""
    user.totp_enabled_at = None
    user.totp_last_step = 0
    user.updated_at = utcnow()
    session.add(user)
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user_id))
    revoke_user_sessions(session=session, user_id=user_id)
    record_audit(session=session, actor=actor, action="user.second_factor_reset",
                 entity_type="user", entity_id=user_id, reason=reason)
    session.commit()
    return user


def bootstrap_super_admin(*, session: Session, email: str, full_name: str, password: str) -> User:
    """Create the first super-admin from the command line (no actor exists yet)."""
    email = normalise_email(email)
    check_password_policy(password, email=email, min_length=get_settings().password_min_length)
    if session.exec(select(User.id).where(User.email == email)).first() is not None:
        raise DomainError(
            "email_taken", "A user with this email already exists.", kind=ErrorKind.CONFLICT
        )
    user = User(email=email, full_name=clean_name(full_name), password_hash=hash_password(password),
                email_verified_at=utcnow())
    add_created(session=session, actor=None, row=user, action="user.bootstrapped",
                entity_type="user", after={"email": email, "grants": [{"role": "super_admin"}]})
    assert user.id is not None
    session.add(UserRole(user_id=user.id, role=RoleName.SUPER_ADMIN))
    session.commit()
    return user
