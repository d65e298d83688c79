"""Account rules: email and password checks, the sign-in delay."""

from __future__ import annotations

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


def login_delay_seconds(over: int, *, cap: int) -> int:
    """How long an account waits before the next attempt from an address it does not know,
    once it is ``over`` its free failures: 1, 2, 4, 8 ... seconds, at most ``cap``."""
    if over <= 0:
        return 0
    return min(cap, 2 ** min(over - 1, 30))


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
             ("Chromium/", "Chromium"), ("Chrome/", "Chrome"), ("Safari/", "Safari"),
             ("python-httpx", "API client"), ("curl/", "curl"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
            ("Windows", "Windows"), ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"),
            ("Linux", "Linux"))


def describe_agent(user_agent: str) -> str:
    """A person's name for a browser from its User-Agent: "Firefox on Windows"."""
    browser = next((name for key, name in _BROWSERS if key in user_agent), "")
    system = next((name for key, name in _SYSTEMS if key in user_agent), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or (user_agent[:40] if user_agent else "Unknown device")
