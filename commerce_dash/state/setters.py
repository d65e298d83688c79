"""Event handlers that only set one field, made from the field's name so a state declares
each in one line instead of repeating the same three-line method.

Assign them in the state's class body: ``set_roles_open = value_setter("roles_open", bool)``.
Each is named ``set_<field>``, as the hand-written handler was, so the pages' events and the
rendered pages do not change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx


def _named(setter: Callable[..., Any], field: str, kind: type) -> Any:
    # reflex names the event after the function: make it the attribute it is assigned to
    setter.__name__ = setter.__qualname__ = f"set_{field}"
    setter.__annotations__ = {"value": kind}
    return rx.event(setter)


def value_setter(field: str, kind: type = str) -> Any:
    """``set_<field>(value)``: the field takes the value (from an input, a select, a dialog's
    open state), nothing else happens."""

    def setter(self, value):  # type: ignore[no-untyped-def]
        setattr(self, field, value)

    return _named(setter, field, kind)


def choice_value(value: str | list[str], default: str) -> str:
    """The option a radio group or segmented control sent: its value as text (some send a
    list of one), ``default`` when nothing is chosen."""
    return value if isinstance(value, str) else (value[0] if value else default)


def filter_setter(field: str) -> Any:
    """``set_<field>(value)`` for one filter of a paged page: it sets the field and goes back
    to page 1 through the state's ``_filtered`` (``PagedTableMixin``, ``QueueMixin``)."""

    def setter(self, value):  # type: ignore[no-untyped-def]
        setattr(self, field, value)
        return self._filtered()

    return _named(setter, field, str)
