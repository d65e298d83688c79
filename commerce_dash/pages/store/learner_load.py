"""How the account page's cards (courses, registrations, certificates) load: for the learner
signed in to the session, a refusal as a toast, nothing when nobody is signed in.

The account page's own load sends visitors to sign in; the cards are chained after it and
read the session again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx
from sqlmodel import Session

from commerce_dash.db import session_scope
from commerce_dash.domain.errors import DomainError

_Found = TypeVar("_Found")


def load_for_learner(
    state: Any,
    read: Callable[[Session, int], _Found],
    show: Callable[[_Found], None],
    clear: Callable[[], None],
) -> Any:
    """``show`` what ``read(session, user_id)`` finds for the signed-in learner; ``clear``
    the card when nobody is signed in. Returns the event to send (a toast on refusal)."""
    actor = state.current_actor()
    if actor is None:
        clear()
        return None
    try:
        with session_scope() as session:
            found = read(session, actor.user_id)
    except DomainError as exc:
        return rx.toast.error(exc.message)
    show(found)
    return None
