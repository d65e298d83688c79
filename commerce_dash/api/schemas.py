"""Response shapes shared by the routers: the error body, pages of rows, and the base of every
response model.

Routers declare their own response models next to their routes; what more than one router
answers lives here. Times inside models are the strings the routes write (``isoformat()``,
UTC), declared as such, so that declaring a model never changes an answer.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model

from commerce_dash.domain.clock import supported_day
from commerce_dash.domain.error_codes import AREA_CODES
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.paging import Page

if TYPE_CHECKING:
    from commerce_dash.services.learning import ProgressOutcome

T = TypeVar("T")

Timestamp = Annotated[str, Field(description="ISO 8601 date and time, UTC")]
Day = Annotated[str, Field(description="ISO 8601 date (YYYY-MM-DD)")]

# Dates and times taken in (query parameters and bodies): within the supported years
# (domain.clock), so arithmetic on them never overflows into a 500.
DateIn = Annotated[date, AfterValidator(supported_day)]
DateTimeIn = Annotated[datetime, AfterValidator(supported_day)]  # checked by aware()


def aware(value: datetime | None, field: str) -> datetime | None:
    """A time taken in must say its UTC offset: the API never guesses a time zone."""
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise DomainError(
            "naive_datetime",
            f"Give {field} with a UTC offset, like 2026-01-31T09:00:00+00:00.",
            field=field,
        )
    return value


def day_start(day: date | None, *, next_day: bool = False) -> datetime | None:
    """A day filter as a UTC time: the day's first instant, or the next day's (an exclusive
    upper bound) with ``next_day``."""
    if day is None:
        return None
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start + timedelta(days=1) if next_day else start


def iso(value: datetime | None) -> str | None:
    """A time as the routes write it (``isoformat()``), None kept."""
    return value.isoformat() if value else None


class Out(BaseModel):
    """The base of response models: filled from dicts or from objects' attributes (the
    services' dataclasses)."""

    # extra="forbid": a route answering a field its model does not declare fails the API tests
    # and the fuzz (which call every route) instead of the field vanishing from the answer.
    model_config = ConfigDict(from_attributes=True, extra="forbid")


def mirror(source: type, *, exclude: Sequence[str] = ()) -> type[Out]:
    """An ``Out`` base with the fields of ``source``, a service's dataclass: in its order, each
    required, each typed as the dataclass types it; ``exclude`` leaves fields out.

    A response model that answers a dataclass as it is subclasses this and redeclares only
    what it answers differently (times as ``Timestamp`` strings, nested rows as their own
    models, a field's description): a redeclared field keeps its place, a field the subclass
    adds (or declares again after excluding it) comes after the mirrored ones. The dataclass
    stays the one list of the fields, and the OpenAPI schema is what the same model written
    out field by field would give. (A dynamic base: type checkers take the subclass as it is.)
    """
    hints = typing.get_type_hints(source)
    unknown = set(exclude) - hints.keys()
    if unknown:
        raise TypeError(f"{source.__name__} has no field {', '.join(sorted(unknown))}")
    fields: dict[str, Any] = {f.name: (hints[f.name], ...) for f in dataclasses.fields(source)
                              if f.name not in exclude}
    return create_model(f"{source.__name__}Fields", __base__=Out, **fields)


def fill(model: type[BaseModel], source: Any, **computed: Any) -> dict[str, Any]:
    """The body of ``model`` for ``source`` (a service's dataclass or row): the fields given in
    ``computed`` as given, every other one ``source``'s attribute of the same name.

    The model's own field list says what is answered, so a route names only the fields it
    works out rather than repeating the model (and the service's dataclass) name by name.
    """
    unknown = computed.keys() - model.model_fields.keys()
    if unknown:
        raise TypeError(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
    return {name: computed[name] if name in computed else getattr(source, name)
            for name in model.model_fields}


class ErrorOut(BaseModel):
    """Every API error (see ``api/errors.py``)."""

    code: str = Field(description="Stable, machine-readable: not_found, forbidden, "
                                  "invalid_request, rate_limited, ...")
    message: str = Field(description="For people; may change")
    field: str | None = Field(default=None,
                              description="The request field at fault, when there is one")
    request_id: str | None = Field(default=None,
                                   description="This request's id, also in the X-Request-ID "
                                               "header and the server's log lines")


# Answered by every route: the middleware (body limit, NUL check) and the error handlers run
# before and around any route, so each of these can come from anywhere in the API.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "The body could not be read (not UTF-8: "
                                            "``http_error``)"},
    401: {"model": ErrorOut, "description": "Not signed in (``not_signed_in``), or the "
                                            "credentials are wrong or expired"},
    403: {"model": ErrorOut, "description": "Signed in, but not allowed (``forbidden``)"},
    404: {"model": ErrorOut, "description": "No such thing, or not visible to the caller"},
    409: {"model": ErrorOut, "description": "In a state that does not allow this"},
    413: {"model": ErrorOut, "description": "The request body is over its limit "
                                            "(``body_too_large``)"},
    422: {"model": ErrorOut, "description": "The request is not valid (``invalid_request``, "
                                            "or a rule's own code, with ``field``)"},
    429: {"model": ErrorOut, "description": "Too many requests (``rate_limited``); see the "
                                            "Retry-After header"},
}


class Paged(Out, Generic[T]):
    """One page of rows."""

    items: list[T]
    total: int
    page: int
    page_size: int
    pages: int


class Listed(Out, Generic[T]):
    """Every row (no paging) and how many."""

    items: list[T]
    total: int


def page_of(result: Page[Any], items: list[Any]) -> dict[str, Any]:
    """``items`` (the page's rows as answered) with the page's numbers: the body of the
    answers that declare their page fields themselves (without ``pages``)."""
    return {"items": items, "total": result.total, "page": result.page,
            "page_size": result.page_size}


def paged(result: Page[Any], items: list[Any]) -> dict[str, Any]:
    """The body of a ``Paged`` answer."""
    return {**page_of(result, items), "pages": result.pages}


def listed(items: Sequence[Any]) -> dict[str, Any]:
    """The body of a ``Listed`` answer."""
    return {"items": list(items), "total": len(items)}


class ProgressOutcomeOut(Out):
    """What recording a module's progress did (the LMS's and the pages' field names)."""

    applied: bool
    complete: bool
    percentDone: int  # noqa: N815 (spec field names)
    missing: list[str]
    certificateNumber: str | None  # noqa: N815


def progress_outcome(outcome: ProgressOutcome) -> dict[str, Any]:
    """The ``ProgressOutcomeOut`` body of a progress record (LMS webhook, learner, admin)."""
    return {
        "applied": outcome.applied,
        "complete": outcome.completion.complete,
        "percentDone": outcome.completion.percent_done,
        "missing": list(outcome.completion.missing),
        "certificateNumber": outcome.certificate_number or None,
    }


def binary(*media_types: str, description: str) -> dict[str, Any]:
    """A ``responses`` entry of a file answer: its media types, each a byte string."""
    return {"description": description,
            "content": {m: {"schema": {"type": "string", "format": "binary"}}
                        for m in media_types}}


HTTP_CODES = {
    "invalid_request": "422: the request does not match the operation's parameters or body",
    "not_signed_in": "401: no valid session or bearer token",
    "forbidden": "403: signed in, but not allowed",
    "not_found": "404: no such route",
    "method_not_allowed": "405: the route takes other methods",
    "body_too_large": "413: the body is over its limit",
    "rate_limited": "429: too many requests; see Retry-After",
    "http_error": "another HTTP error",
    "internal_error": "500: a fault on our side; nothing was changed",
}
_STATUS = {"invalid": 422, "not_found": 404, "conflict": 409, "unauthenticated": 401,
           "forbidden": 403, "rate_limited": 429}


def error_codes_description() -> str:
    """The OpenAPI description's list of every error code, by area, with its status."""
    lines = ["Every error is JSON `{code, message}` (and `field` when one field is at fault). "
             "The codes, by area:", "", "**HTTP**", ""]
    lines += [f"- `{code}`: {text}" for code, text in HTTP_CODES.items()]
    for enum in AREA_CODES:
        lines += ["", f"**{enum.__name__.removesuffix('Code')}**", ""]
        lines += [f"- `{member.value}` ({_STATUS[member.kind.value]}): {member.description}"
                  for member in enum]
    return "\n".join(lines)
