"""Password hashing (argon2id) and opaque tokens stored as keyed hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from commerce_dash.settings import get_settings


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    settings = get_settings()
    return PasswordHasher(
        time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_cost_kib
    )


# A real hash to verify against when the account does not exist, so that a missing account
# and a wrong password take the same time.
@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash("not-a-real-password-" + secrets.token_hex(8))


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches; an empty or broken hash never matches."""
    target = password_hash or _dummy_hash()
    try:
        ok = _hasher().verify(target, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and bool(password_hash)


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other cost parameters than the current ones."""
    return _hasher().check_needs_rehash(password_hash)


def new_token() -> str:
    """A fresh random token for a cookie or a link (256 bits)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """The keyed hash under which a token is stored; the token itself is never kept."""
    key = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


def reset_hashers() -> None:
    """Forget cached hashers (tests change the cost settings)."""
    _hasher.cache_clear()
    _dummy_hash.cache_clear()
