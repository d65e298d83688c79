"""Driving Reflex page states in tests without a server, the way Reflex runs their events."""

from __future__ import annotations

import asyncio
import inspect
import json
import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

import reflex as rx
from reflex.constants import RouteArgType
from reflex.istate.data import RouterData
from sqlmodel import Session

from commerce_dash import routes
from commerce_dash.services.platform import accounts
from commerce_dash.services.platform.accounts import SESSION_COOKIE
from tests.conftest import PASSWORD

S = TypeVar("S", bound=rx.State)
# the app installs each dynamic route argument as a var of every state ([code] of the item
# pages); tests that do not import the app need it too
rx.State.setup_dynamic_args({"code": RouteArgType.SINGLE})
IP = "203.0.113.9"


def page_state(cls: type[S], path: str, params: dict[str, str], token: str,
               query: dict[str, str] | None = None, ip: str = IP) -> S:
    """A fresh state of ``cls`` as the browser at ``path`` (route ``params``, ``query``)
    signed in with the session ``token``, from the address ``ip``."""
    root = rx.State(_reflex_internal_init=True)  # type: ignore[call-arg]
    route = path
    for name, value in params.items():
        route = route.replace(value, f"[{name}]")
    as_path = f"{path}?{urlencode(query, safe='@')}" if query else path
    root.router = RouterData.from_router_data(
        {"pathname": route, "asPath": as_path, "query": {**params, **(query or {})},
         "ip": ip, "headers": {"cookie": f"{SESSION_COOKIE}={token}"} if token else {}})
    return root.get_substate(cls.get_full_name().split(".")[1:])  # type: ignore[return-value]


def token_for(session: Session, email: str, password: str = PASSWORD, ip: str = IP) -> str:
    """A session token for a user without two-factor sign-in."""
    proven = accounts.sign_in(session=session, email=email, password=password, client_ip=ip)
    assert isinstance(proven, accounts.Verified), proven
    return accounts.open_session(session=session, verified=proven, client_ip=ip).token


def toasts(events: list[Any]) -> str:
    return " | ".join(str(e) for e in events)


def run_event(handler: Any, state: Any, *args: Any) -> list[Any]:
    """Run an event handler to its end as Reflex does (plain, async, generator or async
    generator); the events it returned or yielded, without the Nones."""
    out = handler.fn(state, *args)
    if inspect.iscoroutine(out):
        out = asyncio.run(out)
    if inspect.isasyncgen(out):
        async def drain(gen: Any) -> list[Any]:
            return [e async for e in gen]

        items: list[Any] = asyncio.run(drain(out))
    elif inspect.isgenerator(out):
        items = list(out)
    else:
        items = [out]
    return [e for e in items if e is not None]


def state_as(session: Session, cls: type[S], path: str = routes.ADMIN, *,
             email: str = "root@example.com", params: dict[str, str] | None = None,
             query: dict[str, str] | None = None, ip: str = IP) -> S:
    """A fresh state of ``cls`` at ``path`` for ``email`` just signed in (a super-admin unless
    told otherwise; no one when ``email`` is empty)."""
    token = token_for(session, email, ip=ip) if email else ""
    return page_state(cls, path, params or {}, token, query, ip)


# ``page_as(cls, path, email=..., params=..., query=...)``: the tests/pages/conftest.py fixture.
PageAs = Callable[..., Any]

_TOAST = re.compile(r'\["(error|success|info|warning)"\]\((".*?(?<!\\)")')


def _js(event: Any) -> str:
    return " ".join(str(getattr(value, "_js_expr", "")) for _, value in event.args)


def toast_messages(events: list[Any], kind: str = "error") -> list[str]:
    """The messages of the ``kind`` toasts among a handler's events."""
    flat = [e for item in events for e in (item if isinstance(item, list) else [item])]
    found = (_TOAST.search(_js(e)) for e in flat if isinstance(e, rx.event.EventSpec))
    return [json.loads(m.group(2)) for m in found if m and m.group(1) == kind]
