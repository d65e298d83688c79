"""Dynamic route arguments as the storefront pages read them."""

from __future__ import annotations

import reflex as rx

from commerce_dash.domain.identifiers import INT_MAX, parse_id


def route_code(state: rx.State) -> str:
    """The ``[code]`` argument of the current page ("" when it holds a NUL, which no code does
    and PostgreSQL text cannot hold: the page then shows its "not found").

    Reflex installs a dynamic route argument as a var of that name on every state.
    """
    code = str(getattr(state, "code", "")).strip()
    return "" if "\x00" in code else code


def route_int(raw: object, *, high: int = INT_MAX) -> int | None:
    """A whole-number argument from the browser (a route or query argument such as
    ``?page=3``, a select's value, an id an event handler receives): in 1..high, else None.

    Only ASCII digits count: ``str.isdigit()`` also takes "¹", "١" and "１", and ``int()``
    then fails on the first and quietly reads the others; an id past the database's integer
    range names nothing. Surrounding spaces are dropped; ``None`` is no number.
    """
    return parse_id(str(raw if raw is not None else "").strip(), high=high)


def route_number(state: rx.State, base: str) -> str:
    """The ``[number]`` argument of an order page (Reflex sets it as a var on every state)."""
    value = str(getattr(state, "number", "") or "").strip()
    if not value:
        path = str(state.router.url.path or "").rstrip("/")
        if path.startswith(base + "/"):
            value = path.rsplit("/", 1)[-1].strip()
    return value
