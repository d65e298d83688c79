"""The browser session: the token cookie and who is signed in."""

from __future__ import annotations

import reflex as rx

from commerce_dash import routes
from commerce_dash.db import session_scope
from commerce_dash.domain.access import ROLE_LABELS, RoleName, is_admin, visible_sections
from commerce_dash.domain.actor import Actor
from commerce_dash.services import accounts
from commerce_dash.services import cart as cart_service
from commerce_dash.services.cart import CartOwner
from commerce_dash.settings import get_settings

SESSION_COOKIE = "cd_session"
CART_COOKIE = "cd_cart"


def _role_label(role: str) -> str:
    return ROLE_LABELS[RoleName(role)] if role in RoleName._value2member_map_ else role


class AuthState(rx.State):
    """Holds the session cookie and a public summary of the signed-in user.

    Authorisation never trusts these vars: every handler that reads or changes data resolves
    the token again through ``current_actor``.
    """

    session_token: str = rx.Cookie(
        "",
        name=SESSION_COOKIE,
        same_site="lax",
        path="/",
        max_age=get_settings().session_ttl_hours * 3600,
    )
    # The guest cart's token (a signed-in learner's cart follows the account).
    cart_token: str = rx.Cookie(
        "",
        name=CART_COOKIE,
        same_site="lax",
        path="/",
        max_age=get_settings().cart_ttl_hours * 3600,
    )
    cart_count: int = 0
    signed_in: bool = False
    user_name: str = ""
    user_email: str = ""
    role_labels: list[str] = []
    is_admin_user: bool = False
    nav_sections: list[dict[str, str]] = []

    def _client_ip(self) -> str:
        return self.router.session.client_ip or ""

    def current_actor(self) -> Actor | None:
        """The actor for the session cookie, looked up in the database now."""
        with session_scope() as session:
            return accounts.resolve_session(
                session=session, token=self.session_token, client_ip=self._client_ip()
            )

    def _show_actor(self, actor: Actor | None) -> None:
        self.signed_in = actor is not None
        self.user_name = actor.full_name if actor else ""
        self.user_email = actor.email if actor else ""
        roles = sorted(actor.roles) if actor else []
        self.role_labels = sorted({_role_label(r) for r in roles})
        self.is_admin_user = is_admin(roles)
        self.nav_sections = [
            {"key": s.key, "label": s.label, "route": s.route, "icon": s.icon}
            for s in visible_sections(roles)
        ]

    def cart_owner(self, actor: Actor | None) -> CartOwner:
        if actor is not None:
            return CartOwner(user_id=actor.user_id, email=actor.email)
        return CartOwner(user_id=None, token=self.cart_token)

    def refresh_cart_count(self, actor: Actor | None) -> None:
        with session_scope() as session:
            self.cart_count = cart_service.cart_count(
                session=session, owner=self.cart_owner(actor)
            )

    @rx.event
    def load_session(self) -> None:
        """Refresh who is signed in and the cart badge (every page calls this on load)."""
        actor = self.current_actor()
        if actor is None and self.session_token:
            self.session_token = ""
        self._show_actor(actor)
        self.refresh_cart_count(actor)

    def _start(self, signed: accounts.SignedIn) -> list[str]:
        """Begin the session; the guest cart joins the learner's. Returns merge messages."""
        self.session_token = signed.token
        self._show_actor(signed.actor)
        messages: list[str] = []
        if self.cart_token:
            with session_scope() as session:
                merged = cart_service.merge_guest_cart(
                    session=session, token=self.cart_token, user_id=signed.actor.user_id
                )
            messages = merged.messages
            self.cart_token = ""
        self.refresh_cart_count(signed.actor)
        return messages

    def _landing_for(self, actor: Actor) -> str:
        wanted = self.router.url.query_parameters.get("next", "")
        # Only local paths: never send someone to another site after signing in.
        if wanted.startswith("/") and not wanted.startswith("//") and "\\" not in wanted:
            return wanted
        return routes.ADMIN if is_admin(actor.roles) else routes.ACCOUNT

    @rx.event
    def sign_out(self):  # type: ignore[no-untyped-def]
        """End the session here and on the server."""
        with session_scope() as session:
            accounts.sign_out(session=session, token=self.session_token)
        self.session_token = ""
        self._show_actor(None)
        self.cart_count = 0
        return [rx.toast.info("You are signed out."), rx.redirect(routes.HOME)]
