"""Dependencies shared by the routers: database session, client address, signed-in actor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from commerce_dash.db import session_scope
from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.services.accounts import resolve_session

SESSION_COOKIE = "cd_session"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_db() -> Iterator[Session]:
    with session_scope() as session:
        yield session


DbSession = Annotated[Session, Depends(get_db)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


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
        session=session, token=session_token(request), client_ip=client_ip(request)
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
