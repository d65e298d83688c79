"""Two-factor sign-in with TOTP (RFC 6238, the codes of any authenticator app).

Turning it on: :func:`start_enrolment` keeps a new secret (encrypted under the app's secret
key) and shows it as a QR code and as text; :func:`confirm_enrolment` takes a first code,
turns it on, marks the current session as having passed the second factor and returns ten
recovery codes, shown once and stored hashed. Signing in: a right password gives a
challenge (``accounts.SecondFactorNeeded``) that :func:`complete` trades, with a code or an
unused recovery code, for a verified user. A code works once (the last accepted 30-second
step is kept), codes are tried at most 5 times in 5 minutes per account, and turning it off
needs the password. When ``require_second_factor_for_admins`` is set, admin roles act only
in sessions that passed this step (``accounts.resolve_session``).
"""

from __future__ import annotations

import base64
import hashlib
import io
import secrets
from dataclasses import dataclass

import pyotp
import qrcode
import qrcode.image.svg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from commerce_dash.db import for_update
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.models.accounts import RecoveryCode, User, UserSession
from commerce_dash.services.platform import account_tokens
from commerce_dash.services.platform.accounts import Verified, load_actor
from commerce_dash.services.platform.audit import record_audit
from commerce_dash.services.platform.rate_limit import hit
from commerce_dash.services.platform.secrets import token_digest, verify_password
from commerce_dash.settings import get_settings

ISSUER = "Commerce Dash"
RECOVERY_CODES = 10
ATTEMPTS_PER_WINDOW = 5
ATTEMPT_WINDOW_SECONDS = 300
WRONG_CODE = "That code is not right. Enter the 6 digits your app shows now, or a recovery code."


@dataclass(frozen=True)
class Enrolment:
    secret: str  # base32, for typing into an app by hand
    uri: str  # otpauth:// as in the QR code
    qr_svg: str  # data: URI of the QR code as SVG


def _cipher() -> AESGCM:
    key = hashlib.sha256(b"totp-secret:" + get_settings().secret_key.get_secret_value().encode())
    return AESGCM(key.digest())


def _seal(secret: str) -> str:
    """The secret encrypted (AES-GCM): nonce, the 20 raw bytes and the tag, 64 characters in
    base64, which is what ``User.totp_secret`` holds (a Fernet token would not fit)."""
    nonce = secrets.token_bytes(12)
    sealed = nonce + _cipher().encrypt(nonce, base64.b32decode(secret), b"totp")
    return base64.urlsafe_b64encode(sealed).decode()


def _open(sealed: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(sealed.encode())
        return base64.b32encode(_cipher().decrypt(raw[:12], raw[12:], b"totp")).decode()
    except (InvalidTag, ValueError) as exc:  # the secret key changed: the account must enrol again
        raise DomainError("second_factor_unreadable",
                          "Two-factor sign-in cannot be checked for this account. Ask an "
                          "administrator to reset it.", kind=ErrorKind.CONFLICT) from exc


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def is_enabled(*, session: Session, user_id: int) -> bool:
    user = session.get(User, user_id)
    return bool(user is not None and user.totp_enabled_at is not None)


def start_enrolment(*, session: Session, actor: Actor) -> Enrolment:
    """A new secret for the signed-in user (not in force until a code confirms it). Commits."""
    user = session.get(User, actor.user_id)
    if user is None:
        raise DomainError("not_signed_in", "Sign in to continue.", kind=ErrorKind.UNAUTHENTICATED)
    if user.totp_enabled_at is not None:
        raise DomainError("second_factor_on", "Two-factor sign-in is already on.",
                          kind=ErrorKind.CONFLICT)
    secret = pyotp.random_base32(32)  # 20 bytes: sealed, it fits its column
    user.totp_secret = _seal(secret)
    session.add(user)
    session.commit()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return Enrolment(secret=secret, uri=uri, qr_svg=_qr_svg(uri))


def _accept_code(user: User, code: str) -> bool:
    """Whether ``code`` is the TOTP of now (one step of clock drift either way) and newer
    than the last one accepted; the step is kept (caller commits)."""
    digits = "".join(ch for ch in code if ch.isdigit())
    if len(digits) != 6 or not user.totp_secret:
        return False
    totp = pyotp.TOTP(_open(user.totp_secret))
    now = utcnow()
    for drift in (0, -1, 1):
        at = now.timestamp() + drift * totp.interval
        step = totp.timecode(at)  # type: ignore[arg-type]
        if step > user.totp_last_step and secrets.compare_digest(totp.at(at), digits):
            user.totp_last_step = step
            return True
    return False


def _new_recovery_codes(session: Session, user_id: int) -> list[str]:
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user_id))
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCode(user_id=user_id, code_hash=token_digest(c)) for c in codes)
    return codes


def _limit(session: Session, user_id: int) -> None:
    hit(session=session, bucket=f"second-factor:{user_id}", limit=ATTEMPTS_PER_WINDOW,
        window_seconds=ATTEMPT_WINDOW_SECONDS)


def confirm_enrolment(*, session: Session, actor: Actor, code: str,
                      session_token: str = "") -> list[str]:
    """Turn two-factor sign-in on with a first code from the app; the recovery codes (shown
    once). The session making the change (``session_token``) counts as having passed the
    second factor. Commits."""
    _limit(session, actor.user_id)
    user = session.exec(for_update(session, select(User).where(User.id == actor.user_id))).one()
    if user.totp_enabled_at is not None:
        raise DomainError("second_factor_on", "Two-factor sign-in is already on.",
                          kind=ErrorKind.CONFLICT)
    if not user.totp_secret:
        raise DomainError("second_factor_not_started", "Start again: scan a new QR code.",
                          kind=ErrorKind.CONFLICT)
    if not _accept_code(user, code):
        raise DomainError("second_factor_wrong", WRONG_CODE, field="code")
    now = utcnow()
    user.totp_enabled_at = now
    session.add(user)
    codes = _new_recovery_codes(session, actor.user_id)
    if session_token:
        session.execute(update(UserSession).where(
            col(UserSession.token_hash) == token_digest(session_token),
            col(UserSession.user_id) == actor.user_id).values(second_factor_at=now))
    record_audit(session=session, actor=actor, action="user.second_factor_enabled",
                 entity_type="user", entity_id=actor.user_id)
    session.commit()
    return codes


def new_recovery_codes(*, session: Session, actor: Actor, code: str) -> list[str]:
    """Replace the recovery codes (the old ones stop working); needs a current code."""
    _limit(session, actor.user_id)
    user = session.exec(for_update(session, select(User).where(User.id == actor.user_id))).one()
    if user.totp_enabled_at is None:
        raise DomainError("second_factor_off", "Two-factor sign-in is off.",
                          kind=ErrorKind.CONFLICT)
    if not _accept_code(user, code):
        raise DomainError("second_factor_wrong", WRONG_CODE, field="code")
    session.add(user)
    codes = _new_recovery_codes(session, actor.user_id)
    record_audit(session=session, actor=actor, action="user.recovery_codes_replaced",
                 entity_type="user", entity_id=actor.user_id)
    session.commit()
    return codes


def disable(*, session: Session, actor: Actor, password: str) -> None:
    """Turn two-factor sign-in off (needs the password); its secret and codes are deleted.
    Commits."""
    _limit(session, actor.user_id)
    user = session.exec(for_update(session, select(User).where(User.id == actor.user_id))).one()
    if not verify_password(user.password_hash, password):
        raise DomainError("wrong_password", "The password is incorrect.", field="password")
    if user.totp_enabled_at is None and not user.totp_secret:
        session.rollback()
        return  # already off: nothing to do
    user.totp_secret = ""
    user.totp_enabled_at = None
    user.totp_last_step = 0
    session.add(user)
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == actor.user_id))
    record_audit(session=session, actor=actor, action="user.second_factor_disabled",
                 entity_type="user", entity_id=actor.user_id)
    session.commit()


@dataclass(frozen=True)
class SecurityOverview:
    email_verified: bool
    second_factor_on: bool
    recovery_codes_left: int


def overview(*, session: Session, user_id: int) -> SecurityOverview:
    """What the security page shows about the account."""
    user = session.get(User, user_id)
    return SecurityOverview(
        email_verified=bool(user and user.email_verified_at),
        second_factor_on=bool(user and user.totp_enabled_at),
        recovery_codes_left=recovery_codes_left(session=session, user_id=user_id),
    )


def recovery_codes_left(*, session: Session, user_id: int) -> int:
    return len(session.exec(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user_id, col(RecoveryCode.used_at).is_(None))).all())


def _use_recovery_code(session: Session, user_id: int, code: str) -> bool:
    cleaned = code.strip().lower()
    if len(cleaned) != 17:
        return False
    result = session.execute(update(RecoveryCode).where(
        col(RecoveryCode.user_id) == user_id, col(RecoveryCode.code_hash) == token_digest(cleaned),
        col(RecoveryCode.used_at).is_(None)).values(used_at=utcnow()))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def complete(*, session: Session, challenge: str, code: str) -> Verified:
    """The code step of a sign-in: a TOTP code or an unused recovery code trades the
    challenge for a verified user (who then gets a session). A wrong code leaves the
    challenge usable until the attempt limit. Commits."""
    row = account_tokens.find(session=session, token=challenge, purpose="second_factor")
    user_id = row.user_id
    session.rollback()  # the attempt is counted in its own transaction first
    _limit(session, user_id)
    row = account_tokens.find(session=session, token=challenge, purpose="second_factor")
    user = session.exec(for_update(session, select(User).where(User.id == user_id))).one()
    if not user.is_active or user.totp_enabled_at is None:
        session.rollback()
        raise DomainError("second_factor_invalid", account_tokens.invalid_message("second_factor"))
    if not (_accept_code(user, code) or _use_recovery_code(session, user_id, code)):
        session.rollback()
        raise DomainError("second_factor_wrong", WRONG_CODE, field="code")
    row.used_at = utcnow()
    session.add_all([row, user])
    session.commit()
    return Verified(actor=load_actor(session=session, user=user), second_factor=True)
