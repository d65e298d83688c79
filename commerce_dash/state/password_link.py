"""Choosing a password from an emailed link (an invitation or a reset): one form, one flow."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import reflex as rx
from sqlmodel import Session

from commerce_dash.domain.errors import DomainError
from commerce_dash.services.platform import Proven
from commerce_dash.state.auth import AuthState
from commerce_dash.state.offload import with_session

# the service that uses the link: (session, token, password) -> what the proof leads to
UseLink = Callable[[Session, str, str], Proven]


class PasswordLinkState(AuthState):
    password_error: str = ""
    form_error: str = ""
    busy: bool = False

    @rx.event
    def load(self) -> None:
        self.password_error = self.form_error = ""
        self.busy = False

    async def _set_password(self, form: dict[str, str], use_link: UseLink,
                            welcome: str) -> AsyncIterator[Any]:
        """Check the two passwords match, use the link off the event loop (argon2), then sign
        in (or go to the code step)."""
        self.password_error = self.form_error = ""
        password = form.get("password", "")
        if password != form.get("password_confirm", ""):
            self.password_error = "The two passwords do not match."
            return
        self.busy = True
        yield None
        token = self.router.url.query_parameters.get("token", "")
        try:
            proven = await with_session(lambda session: use_link(session, token, password))
        except DomainError as exc:
            self.busy = False
            if exc.field == "password":
                self.password_error = exc.message
            else:
                self.form_error = exc.message
            return
        yield await self._after_proof(proven, welcome=welcome)
