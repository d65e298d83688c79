"""Dynamic route arguments as the storefront pages read them."""

from __future__ import annotations

import reflex as rx


def route_code(state: rx.State) -> str:
    """The ``[code]`` argument of the current page.

    Reflex installs a dynamic route argument as a var of that name on every state.
    """
    return str(getattr(state, "code", "")).strip()
