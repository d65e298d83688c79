"""Fixtures for driving page states: a page state for a given signed-in actor."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from commerce_dash import routes
from tests.pages.harness import IP, PageAs, state_as


@pytest.fixture
def page_as(session: Session) -> PageAs:
    """``page_as(cls, path=routes.ADMIN, email="root@example.com", params=None, query=None)``:
    a fresh state of ``cls`` at ``path`` for ``email`` just signed in (each call signs in
    again; ``email=""`` is a visitor)."""

    def make(cls: type[Any], path: str = routes.ADMIN, *, email: str = "root@example.com",
             params: dict[str, str] | None = None, query: dict[str, str] | None = None,
             ip: str = IP) -> Any:
        return state_as(session, cls, path, email=email, params=params, query=query, ip=ip)

    return make
