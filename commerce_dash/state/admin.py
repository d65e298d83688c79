"""Access control for admin pages: every admin page state derives from ``AdminState``."""

from __future__ import annotations

from urllib.parse import quote

import reflex as rx

from commerce_dash import routes
from commerce_dash.domain.access import can_access
from commerce_dash.domain.actor import Actor
from commerce_dash.state.auth import AuthState


class AdminState(AuthState):
    # checking | allowed | denied | login | second_factor
    access: str = "checking"

    def guard(self, section_key: str) -> Actor | None:
        """Resolve the session and decide access to the section; None when refused."""
        return self._admit(self.current_actor(), section_key)

    async def guard_off_loop(self, section_key: str) -> Actor | None:
        """``guard`` with the session looked up in a worker thread (async page loads)."""
        return self._admit(await self.actor_off_loop(), section_key)

    def _admit(self, actor: Actor | None, section_key: str) -> Actor | None:
        self._show_actor(actor)
        if actor is None:
            self.access = "login"
            return None
        if not can_access(actor.roles, section_key):
            # an admin whose roles wait for the second factor is told how to get them back
            self.access = "second_factor" if actor.second_factor_missing else "denied"
            return None
        self.access = "allowed"
        return actor

    def refused(self):  # type: ignore[no-untyped-def]
        """The event to return after a refused guard: off to sign-in, or stay denied."""
        if self.access == "login":
            wanted = quote(self.router.url.path or routes.ADMIN, safe="/")
            return rx.redirect(f"{routes.LOGIN}?next={wanted}")
        return None
