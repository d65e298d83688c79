"""The browser session: the token cookie and who is signed in."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlencode

import reflex as rx
from sqlmodel import Session

from commerce_dash import routes
from commerce_dash.db import session_scope
from commerce_dash.domain.access import ROLE_LABELS, RoleName, is_admin, visible_sections
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.return_to import local_path
from commerce_dash.services import commerce as commerce_area
from commerce_dash.services import enrollment as enrollment_area
from commerce_dash.services import platform as platform_area
from commerce_dash.services.commerce import CartOwner
from commerce_dash.services.platform import SESSION_COOKIE
from commerce_dash.settings import get_settings
from commerce_dash.state.offload import with_session

CART_COOKIE = "cd_cart"
# Notes for the page after a full-page hop (signed in, signed out, cart merged). They ride
# in a short-lived browser cookie, not in the tab's server-side state: across the hop the
# browser opens a new websocket, and Reflex gives it a fresh state when the old socket has
# not closed yet (its duplicate-tab rule), which lost notes kept server-side.
NOTICE_COOKIE = "cd_notice"
NOTICE_MAX_AGE_SECONDS = 120
# Where a learner who registered from a page (the cart) goes back to once signed in: the
# emailed confirmation link carries no ``next``, so the path waits in the browser (as long
# as a guest cart lives), is checked again when read, and is used once.
RETURN_COOKIE = "cd_return"
AUTH_SESSION_PATH = "/api/v2/auth/session"
AUTH_SIGNED_OUT_PATH = "/api/v2/auth/signed-out"


def cookie_value(header: str, name: str) -> str:
    """The value of cookie ``name`` in a ``Cookie`` request header ("" when absent)."""
    for part in header.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            return value.strip().strip('"')
    return ""


def parse_notices(raw: str) -> list[str]:
    """The notes of a notice cookie; anything that is not a JSON list of strings is none."""
    try:
        notices = json.loads(raw) if raw else []
    except ValueError:
        return []
    if not isinstance(notices, list):
        return []
    return [n for n in notices if isinstance(n, str) and n][:5]


def owner_of(actor: Actor | None, cart_token: str) -> CartOwner:
    """The cart's owner: the signed-in learner's account, else the guest's cart token."""
    if actor is not None:
        return CartOwner(user_id=actor.user_id, email=actor.email)
    return CartOwner(user_id=None, token=cart_token)


@dataclass(frozen=True)
class SessionKey:
    """What identifies the browser's session (read from the websocket's handshake on the
    event loop), to resolve it in a worker thread."""

    token: str
    client_ip: str
    user_agent: str

    def resolve(self, session: Session) -> Actor | None:
        """The actor for this session, looked up in the database now."""
        return platform_area.resolve_session(session=session, token=self.token,
                                             client_ip=self.client_ip,
                                             user_agent=self.user_agent)


def _role_label(role: str) -> str:
    return ROLE_LABELS[RoleName(role)] if role in RoleName._value2member_map_ else role


class AuthState(rx.State):
    """Who is signed in, for the pages.

    The session token is an HttpOnly cookie that page scripts cannot read: the server reads
    it from the websocket's handshake (Reflex keeps the ``Cookie`` header server-side), and
    signing in or out is a full-page hop through ``/api/v2/auth/session`` or
    ``/signed-out``, which set or clear it. Authorisation never trusts the vars below:
    every handler that reads or changes data resolves the session again through
    ``current_actor``.
    """

    # The guest cart's token (a signed-in learner's cart follows the account).
    cart_token: str = rx.Cookie(
        "",
        name=CART_COOKIE,
        same_site="lax",
        path="/",
        max_age=get_settings().cart_ttl_hours * 3600,
        secure=get_settings().public_url.startswith("https://"),
    )
    cart_count: int = 0
    signed_in: bool = False
    user_name: str = ""
    user_email: str = ""
    role_labels: list[str] = []
    is_admin_user: bool = False
    nav_sections: list[dict[str, str]] = []
    # the user teaches live sessions (the "Teaching" link); asked once per signed-in user
    teaches: bool = False
    _teaches_user: int = 0

    # notes to show on the next page (see NOTICE_COOKIE): a JSON list of strings
    notice_cookie: str = rx.Cookie(
        "",
        name=NOTICE_COOKIE,
        same_site="lax",
        path="/",
        max_age=NOTICE_MAX_AGE_SECONDS,
        secure=get_settings().public_url.startswith("https://"),
    )
    # the page to go back to after confirming the email (see RETURN_COOKIE): a local path
    return_cookie: str = rx.Cookie(
        "",
        name=RETURN_COOKIE,
        same_site="lax",
        path="/",
        max_age=get_settings().cart_ttl_hours * 3600,
        secure=get_settings().public_url.startswith("https://"),
    )
    # a sign-in waiting for its code (see pages/public/second_factor.py)
    _challenge: str = ""
    _challenge_landing: str = ""
    _challenge_welcome: str = ""
    second_factor_missing: bool = False

    def _client_ip(self) -> str:
        return self.router.session.client_ip or ""

    def _user_agent(self) -> str:
        return self.router.headers.user_agent or ""

    def _session_token(self) -> str:
        return cookie_value(self.router.headers.cookie or "", SESSION_COOKIE)

    def session_key(self) -> SessionKey:
        return SessionKey(self._session_token(), self._client_ip(), self._user_agent())

    def current_actor(self) -> Actor | None:
        """The actor for the session cookie, looked up in the database now."""
        with session_scope() as session:
            return self.session_key().resolve(session)

    async def actor_off_loop(self) -> Actor | None:
        """``current_actor`` in a worker thread (async handlers)."""
        key = self.session_key()
        return await with_session(key.resolve)

    def _show_actor(self, actor: Actor | None) -> None:
        self.signed_in = actor is not None
        self.user_name = actor.full_name if actor else ""
        self.user_email = actor.email if actor else ""
        roles = sorted(actor.roles) if actor else []
        self.role_labels = sorted({_role_label(r) for r in roles})
        self.is_admin_user = is_admin(roles)
        self.second_factor_missing = bool(actor and actor.second_factor_missing)
        self.nav_sections = [
            {"key": s.key, "label": s.label, "route": s.route, "icon": s.icon}
            for s in visible_sections(roles)
        ]

    def cart_owner(self, actor: Actor | None) -> CartOwner:
        return owner_of(actor, self.cart_token)

    def refresh_cart_count(self, actor: Actor | None) -> None:
        with session_scope() as session:
            self.cart_count = commerce_area.cart_count(
                session=session, owner=self.cart_owner(actor)
            )

    def _check_teaching(self, actor: Actor | None) -> None:
        """Whether ``actor`` teaches: one index probe when the signed-in user changes, not on
        every page (the Teaching page refreshes it)."""
        if actor is None:
            self.teaches, self._teaches_user = False, 0
        elif actor.user_id != self._teaches_user:
            with session_scope() as session:
                self.teaches = enrollment_area.teaches_sessions(session, user_id=actor.user_id)
            self._teaches_user = actor.user_id

    @rx.event
    def load_session(self) -> None:
        """Refresh who is signed in and the cart badge (every page calls this on load)."""
        actor = self.current_actor()
        self._show_actor(actor)
        self._check_teaching(actor)
        self.refresh_cart_count(actor)

    async def refresh_session(self) -> Actor | None:
        """What ``load_session`` does, its database work in one worker thread (the event loop
        serves other clients meanwhile); returns the actor."""
        key, cart_token, teaches_user = self.session_key(), self.cart_token, self._teaches_user

        def work(session: Session) -> tuple[Actor | None, bool | None, int]:
            actor = key.resolve(session)
            teaches = (enrollment_area.teaches_sessions(session, user_id=actor.user_id)
                       if actor is not None and actor.user_id != teaches_user else None)
            count = commerce_area.cart_count(session=session, owner=owner_of(actor, cart_token))
            return actor, teaches, count

        actor, teaches, self.cart_count = await with_session(work)
        self._show_actor(actor)
        if actor is None:
            self.teaches, self._teaches_user = False, 0
        elif teaches is not None:
            self.teaches, self._teaches_user = teaches, actor.user_id
        return actor

    @rx.event
    async def load_session_off_loop(self) -> None:
        """``load_session`` for a page's on_load: the same refresh, off the event loop."""
        await self.refresh_session()

    def leave_notices(self, *notices: str) -> None:
        """Notes for the page the coming full-page hop lands on (shown once, there)."""
        kept = [n for n in notices if n]
        self.notice_cookie = json.dumps(kept) if kept else ""

    @rx.event
    def show_notices(self):  # type: ignore[no-untyped-def]
        """The notes left for this page by the one before a full-page hop (every page)."""
        raw, self.notice_cookie = self.notice_cookie, ""
        return [rx.toast.info(n) for n in parse_notices(raw)] or None

    def _backend_address(self, path: str) -> str:
        """``path`` on the API as this browser reaches it: the websocket's own host (the
        page's in production, the backend's port in development)."""
        origin = self.router.headers.origin or get_settings().public_url
        scheme = "https" if origin.startswith("https://") else "http"
        host = self.router.headers.host or origin.split("://", 1)[-1]
        return f"{scheme}://{host}{path}"

    def _page_address(self, path: str) -> str:
        origin = (self.router.headers.origin or get_settings().public_url).rstrip("/")
        return origin + path

    def _hop(self, path: str, **query: str):  # type: ignore[no-untyped-def]
        """A full-page visit to an API path (the cookie hops)."""
        url = self._backend_address(path) + "?" + urlencode(query)
        return rx.call_script(f"window.location.assign({json.dumps(url)})")

    async def _enter(self, verified: platform_area.Verified, landing: str, welcome: str = ""):  # type: ignore[no-untyped-def]
        """Sign the browser in: the guest cart joins the learner's, and a full-page hop
        trades a ticket for the session cookie and lands on ``landing``."""
        cart_token = self.cart_token

        def work(session: Session) -> tuple[list[str], str]:
            messages: list[str] = []
            if cart_token:
                messages = commerce_area.merge_guest_cart(
                    session=session, token=cart_token, user_id=verified.actor.user_id
                ).messages
            return messages, platform_area.issue_ticket(session=session, verified=verified)

        messages, ticket = await with_session(work)
        self.cart_token = ""
        self.leave_notices(welcome, *messages)
        self._show_actor(verified.actor)
        return self._hop(AUTH_SESSION_PATH, ticket=ticket, to=self._page_address(landing))

    async def _after_proof(self, proven: platform_area.Proven, welcome: str = "",
                           landing: str = ""):  # type: ignore[no-untyped-def]
        """Where a proof of identity leads: in (to the page the learner came from, the
        ``next`` page or the one remembered across the confirmation email, else
        ``landing``, else the user's home), or to the code step when the account has
        two-factor sign-in (which then lands there)."""
        landing = self.return_path() or landing
        self.return_cookie = ""  # used once
        if isinstance(proven, platform_area.SecondFactorNeeded):
            self._challenge = proven.challenge
            self._challenge_landing = landing or self._wanted_page()
            self._challenge_welcome = welcome
            return rx.redirect(routes.SECOND_FACTOR)
        return await self._enter(proven, landing or self._landing_for(proven.actor), welcome)

    def _wanted_page(self) -> str:
        return local_path(self.router.url.query_parameters.get("next", "")) or ""

    def return_path(self) -> str:
        """The page to go back to after signing in: this page's ``next`` when it is a path
        of this site, else the one remembered when the learner registered (``RETURN_COOKIE``,
        checked again: a forged cookie never leads off the site); "" for none."""
        return self._wanted_page() or local_path(self.return_cookie) or ""

    def next_query(self) -> str:
        """``?next=<path>`` carrying this page's return path on to another sign-in page
        (register <-> sign in), or "" when there is none."""
        wanted = self._wanted_page()
        return f"?{urlencode({'next': wanted})}" if wanted else ""

    def remember_return(self) -> None:
        """Keep this page's ``next`` for after the emailed confirmation link."""
        wanted = self._wanted_page()
        if wanted:
            self.return_cookie = wanted

    def _landing_for(self, actor: Actor, wanted: str = "") -> str:
        # Only local paths: never send someone to another site after signing in.
        wanted = wanted or self._wanted_page()
        if wanted:
            return wanted
        return routes.ADMIN if is_admin(actor.roles) else routes.ACCOUNT

    @rx.event
    def sign_out(self):  # type: ignore[no-untyped-def]
        """End the session on the server, then drop the cookie with a full-page hop."""
        with session_scope() as session:
            platform_area.sign_out(session=session, token=self._session_token())
        self._show_actor(None)
        self.cart_count = 0
        self.leave_notices("You are signed out.")
        return self._hop(AUTH_SIGNED_OUT_PATH, to=self._page_address(routes.HOME))
