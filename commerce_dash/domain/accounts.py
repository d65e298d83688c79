"""Account rules: email and password checks, login throttling."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email

from commerce_dash.domain.errors import DomainError


def normalise_email(raw: str) -> str:
    """Return the canonical (lower-case) form of an email, or raise ``invalid_email``."""
    text = (raw or "").strip()
    if not text:
        raise DomainError("email_required", "Enter your email address.", field="email")
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise DomainError(
            "invalid_email", f"That email address is not valid: {exc}", field="email"
        ) from exc
    return result.normalized.lower()


def check_password_policy(password: str, *, email: str, min_length: int) -> None:
    """Refuse passwords that are too short, trivially repetitive or equal to the email."""
    if len(password) < min_length:
        raise DomainError(
            "password_too_short",
            f"Use at least {min_length} characters for the password.",
            field="password",
        )
    if len(set(password)) < 3:
        raise DomainError(
            "password_too_simple", "Use a less repetitive password.", field="password"
        )
    if password.strip().lower() == email.lower() or password.lower() == email.split("@")[0]:
        raise DomainError(
            "password_is_email", "The password must not be your email address.", field="password"
        )


def clean_name(raw: str) -> str:
    """A display name: trimmed, 1..120 characters."""
    name = " ".join((raw or "").split())
    if not name:
        raise DomainError("name_required", "Enter a name.", field="full_name")
    if len(name) > 120:
        raise DomainError("name_too_long", "Use at most 120 characters.", field="full_name")
    return name


@dataclass(frozen=True)
class ThrottleDecision:
    allowed: bool
    retry_after_seconds: int = 0


def login_throttle(
    *,
    account_failures: list[datetime],
    client_failures: list[datetime],
    now: datetime,
    window: timedelta,
    max_per_account: int,
    max_per_client: int,
) -> ThrottleDecision:
    """Decide whether another login attempt may be made.

    Counts failures inside the sliding ``window``; once a limit is reached the attempt waits
    until the oldest counted failure leaves the window.
    """
    since = now - window
    for failures, limit in ((account_failures, max_per_account), (client_failures, max_per_client)):
        recent = sorted(t for t in failures if t > since)
        if len(recent) >= limit:
            oldest_counted = recent[len(recent) - limit]
            wait = (oldest_counted + window - now).total_seconds()
            return ThrottleDecision(False, max(1, int(wait) + 1))
    return ThrottleDecision(True)
