"""Users, roles, sessions, invitations and login attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from commerce_dash.models.base import UTCDateTime, created_at_field, timestamp_field


class Role(SQLModel, table=True):
    """A named role; the rows are written by the first migration."""

    __tablename__ = "role"

    name: str = Field(primary_key=True, max_length=32)
    label: str = Field(max_length=64)
    description: str = Field(default="", max_length=255)
    department_scoped: bool = False


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    full_name: str = Field(max_length=120)
    # Empty until an invited user sets a password.
    password_hash: str = Field(default="", max_length=255)
    is_active: bool = True
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    last_login_at: datetime | None = timestamp_field()
    # Registration waits for the emailed link: until then the learner may browse and fill a
    # cart, not pay. Accounts made by an admin or an invitation count as verified.
    email_verified_at: datetime | None = timestamp_field()
    # Two-factor sign-in (TOTP, RFC 6238): the base32 secret once confirmed with a code.
    totp_secret: str = Field(default="", max_length=64)
    totp_enabled_at: datetime | None = timestamp_field()
    # the last 30-second step a code was accepted for: a code never works twice
    totp_last_step: int = 0
    # the learner deleted their account: personal fields are anonymised, the row stays for
    # the orders, ledger and audit that point at it (services/commerce/personal_data.py)
    deleted_at: datetime | None = timestamp_field()


class UserRole(SQLModel, table=True):
    """A role granted to a user; department-scoped roles carry a department."""

    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role", "department_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    role: str = Field(foreign_key="role.name", max_length=32)
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    created_at: datetime = created_at_field()


class UserSession(SQLModel, table=True):
    """A login session. Only a keyed hash of the token is stored."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    last_seen_at: datetime | None = timestamp_field()
    revoked_at: datetime | None = timestamp_field()
    client_ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=255)
    # when this session passed the second factor (None: password only)
    second_factor_at: datetime | None = timestamp_field()


class AccountToken(SQLModel, table=True):
    """A one-time token, stored hashed: ``invite`` (set a first password), ``reset`` (a new
    password), ``verify`` (confirm the email), ``second_factor`` (the code step of a sign-in),
    ``session``/``session_mfa`` (the browser trades it for its HttpOnly session cookie).
    A new invite, reset, verify or second-factor token ends the user's earlier unused ones
    of its purpose."""

    __tablename__ = "account_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    purpose: str = Field(max_length=16)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = timestamp_field()


class LoginAttempt(SQLModel, table=True):
    """One login attempt, counted per account and per client for rate limiting."""

    __tablename__ = "login_attempt"

    id: int | None = Field(default=None, primary_key=True)
    account_key: str = Field(max_length=254, index=True)
    client_key: str = Field(max_length=64, index=True)
    succeeded: bool = False
    at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins of one account (by email, known or not) within the window, and when
    the next attempt from an address the account has not signed in from may be made."""

    __tablename__ = "login_throttle"

    account_key: str = Field(primary_key=True, max_length=254)
    failures: int = 0
    window_start: datetime = Field(sa_type=UTCDateTime, nullable=False)
    next_allowed_at: datetime | None = timestamp_field()


class RecoveryCode(SQLModel, table=True):
    """A one-time code that stands in for the second factor (shown once, stored hashed)."""

    __tablename__ = "recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    code_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = created_at_field()
    used_at: datetime | None = timestamp_field()
