"""What the admin page states of the catalog, pricing, tax and certificates pages share when
they call a service (``state.service_call.as_admin``): a refusal (``DomainError``) that is only
to be shown becomes the error toast the event returns (``attempt``); a change from a table row
reloads the table and says what was done (``act``). And the ``(id, label)`` options a service
lists, as drop-down items.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx

from commerce_dash.domain.errors import DomainError
from commerce_dash.services import platform as platform_area
from commerce_dash.state.service_call import as_admin

T = TypeVar("T")


def attempt(state: Any, service: Callable[..., T], /, **kwargs: Any) -> tuple[T | None, Any]:
    """``as_admin``, or the error toast of its refusal: ``(result, None)`` when it went
    through, ``(None, toast)`` when the service refused."""
    try:
        return as_admin(state, service, **kwargs), None
    except DomainError as exc:
        return None, rx.toast.error(exc.message)


def options(pairs: list[tuple[int, str]]) -> list[dict[str, str]]:
    """``(id, label)`` pairs a service lists as the items of a drop-down (``id`` as text)."""
    return [{"id": str(i), "label": label} for i, label in pairs]


def act(
    state: Any,
    service: Callable[..., T],
    said: Callable[[T], str],
    /,
    reload: Callable[[], None] | None = None,
    **kwargs: Any,
) -> Any:
    """A change made from a table row: ``as_admin``; when refused, the error toast; else the
    table reloaded (``reload``, by default the state's ``_fetch``) and a success toast saying
    ``said(result)``."""
    result, refused = attempt(state, service, **kwargs)
    if result is None:
        return refused
    (reload or state._fetch)()
    return rx.toast.success(said(result))


def managed_department_options(session: Any, actor: Any, section: str) -> list[dict[str, str]]:
    """The departments ``actor`` manages in ``section`` (all of them for a super-admin), as
    drop-down items."""
    allowed = platform_area.managed_departments(session=session, actor=actor, section=section)
    return options(platform_area.department_options(session=session, within=allowed))
