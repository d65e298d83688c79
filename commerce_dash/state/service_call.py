"""Calling a service from an admin page's event handler, as the admin signed in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from commerce_dash.db import session_scope

_T = TypeVar("_T")


def as_admin(state: Any, service: Callable[..., _T], /, **kwargs: Any) -> _T:
    """``service(session=…, actor=…, **kwargs)`` in a session of its own, the actor being the
    one ``state`` (an ``AdminState``) resolves for its session cookie now; a refusal
    (DomainError) is the caller's to turn into a message."""
    with session_scope() as session:
        return service(session=session, actor=state.current_actor(), **kwargs)
