"""The ``submit`` event of the pages that set a password from an emailed link (an
invitation, a password reset): both run ``PasswordLinkState._set_password`` and differ only
in the service that uses the link and the welcome shown after it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from commerce_dash.services.platform import Proven


def link_submit(service: Callable[..., Proven], welcome: str) -> Any:
    """``submit(form)`` for a ``PasswordLinkState``: ``service(session=…, token=…,
    password=…)`` uses the link. Assign it in the class body as ``submit``."""

    async def submit(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        async for event in self._set_password(
            form,
            lambda session, token, password: service(
                session=session, token=token, password=password
            ),
            welcome=welcome,
        ):
            yield event

    return rx.event(submit)
