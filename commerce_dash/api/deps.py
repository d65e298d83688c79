"""Dependencies shared by the routers: database session, client address, signed-in actor, and
the bounded, strictly parsed integers of paths and query strings."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, TypeVar

from fastapi import Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, BeforeValidator, Field, ValidationError
from pydantic_core import PydanticCustomError
from sqlmodel import Session

from commerce_dash.db import session_scope
from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.client_address import client_address
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.identifiers import INT_MAX as INT_MAX
from commerce_dash.domain.identifiers import parse_id as parse_id
from commerce_dash.domain.paging import MAX_PAGE_SIZE
from commerce_dash.services.platform import SESSION_COOKIE, resolve_session
from commerce_dash.settings import get_settings

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_Body = TypeVar("_Body", bound=BaseModel)


def parse_body(model: type[_Body], body: bytes) -> _Body:
    """A JSON body read by the route itself (a signed body, an upload read after the caller
    is checked) as ``model``; invalid: the same 422 as a body FastAPI parsed."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from None

# -- integers from the client ---------------------------------------------------------------------
#
# Ids are Postgres INTEGER columns: a number past INT_MAX must be refused here (422), never
# reach the driver (an overflow there is a 500). Path and query integers are also parsed
# strictly: ASCII digits only, no sign, space, "_" or ".0" (pydantic's lax int() would take
# "+1", " 1", "1_000" and "1.0"; str.isdigit() and int() take "١" or "１"). The rule itself
# (INT_MAX, parse_id) lives in domain/identifiers, shared with the pages; both names are
# re-exported here for the routers.

MAX_PAGE = 100_000
_ASCII_DIGITS = re.compile(r"[0-9]+", re.ASCII)


def _ascii_digits(value: object) -> object:
    if isinstance(value, str) and not _ASCII_DIGITS.fullmatch(value):
        raise PydanticCustomError(
            "int_parsing", "Input should be a whole number in ASCII digits 0-9"
        )
    return value


AsciiDigits = BeforeValidator(_ascii_digits)
"""Annotated metadata for a path or query ``int``: refuses anything but ASCII digits (422)."""

IdPath = Annotated[int, Path(ge=1, le=INT_MAX), AsciiDigits]
IdQuery = Annotated[int, Query(ge=1, le=INT_MAX), AsciiDigits]
OptionalIdQuery = Annotated[int | None, Query(ge=1, le=INT_MAX), AsciiDigits]
PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE), AsciiDigits]
PageSize = Annotated[int | None, Query(ge=1, le=MAX_PAGE_SIZE), AsciiDigits]
BodyId = Annotated[int, Field(ge=1, le=INT_MAX)]
"""An id inside a JSON body (a JSON number: bounded, not digit-checked)."""


def get_db() -> Iterator[Session]:
    with session_scope() as session:
        yield session


DbSession = Annotated[Session, Depends(get_db)]


def client_ip(request: Request) -> str:
    """The client's address: the socket's peer, or behind COMMERCE_TRUSTED_PROXY_HOPS
    proxies the address the outermost one saw (the rule the pages use too)."""
    peer = request.client.host if request.client else ""
    return client_address(peer, request.headers.get("x-forwarded-for", ""),
                          get_settings().trusted_proxy_hops)


def session_token(request: Request) -> str:
    """The bearer token, or the browser's session cookie for read-only requests.

    State-changing requests must carry the token in the Authorization header, so a
    cross-site form can never act with the cookie.
    """
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    if request.method in _SAFE_METHODS:
        return request.cookies.get(SESSION_COOKIE, "")
    return ""


def optional_actor(request: Request, session: DbSession) -> Actor | None:
    return resolve_session(
        session=session, token=session_token(request), client_ip=client_ip(request),
        user_agent=request.headers.get("user-agent", ""),
    )


def current_actor(actor: Annotated[Actor | None, Depends(optional_actor)]) -> Actor:
    if actor is None:
        raise DomainError("not_signed_in", "Sign in to continue.", kind=ErrorKind.UNAUTHENTICATED)
    return actor


OptionalActor = Annotated[Actor | None, Depends(optional_actor)]
CurrentActor = Annotated[Actor, Depends(current_actor)]


def section_guard(section_key: str):  # type: ignore[no-untyped-def]
    """A dependency that admits only actors allowed into the admin section."""

    def _guard(actor: OptionalActor) -> Actor:
        return require_section(actor, section_key)

    return Depends(_guard)
