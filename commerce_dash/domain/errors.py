"""The one error type services raise; the UI shows it as a toast, the API as a 4xx JSON body."""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    RATE_LIMITED = "rate_limited"


class DomainError(Exception):
    """A business rule refused the request.

    ``code`` is stable and machine-readable (``email_taken``; registered in
    ``domain/error_codes.py``, whose members carry their kind: given one, ``kind`` may be left
    out), ``message`` is for people, ``field`` names the form field the message belongs beside,
    when there is one.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        kind: ErrorKind | None = None,
        field: str | None = None,
        retry_after_seconds: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.kind: ErrorKind = kind or getattr(code, "kind", None) or ErrorKind.INVALID
        self.field = field
        self.retry_after_seconds = retry_after_seconds

    def __repr__(self) -> str:
        return f"DomainError({self.code!r}, {self.message!r})"


def not_found(entity: str, ident: object) -> DomainError:
    """A standard 'no such thing' error."""
    return DomainError(
        f"{entity}_not_found",
        f"No {entity.replace('_', ' ')} {ident} was found.",
        kind=ErrorKind.NOT_FOUND,
    )
