"""The state of ``security.py`` (its view): what the page loads and its event handlers."""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session

from commerce_dash import routes
from commerce_dash.domain.accounts import describe_agent
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.dates import when
from commerce_dash.domain.errors import DomainError
from commerce_dash.services import platform as platform_area
from commerce_dash.state.auth import AUTH_SIGNED_OUT_PATH, AuthState
from commerce_dash.state.field_errors import show_field_error
from commerce_dash.state.offload import with_session


class SecurityState(AuthState):
    current_password_error: str = ""
    password_error: str = ""
    code_error: str = ""
    disable_error: str = ""
    form_error: str = ""
    busy: bool = False
    email_verified: bool = True
    second_factor_on: bool = False
    recovery_codes_left: int = 0
    # enrolment in progress: the QR code and the secret to type by hand
    enrol_qr: str = ""
    enrol_secret: str = ""
    # shown once, right after they are made
    recovery_codes: list[str] = []
    sessions: list[dict[str, str]] = []

    async def _reload(self, actor: Actor) -> None:
        token = self._session_token()

        def read(session: Session) -> tuple[platform_area.SecurityOverview,
                                             list[platform_area.OpenSession]]:
            return (platform_area.overview(session=session, user_id=actor.user_id),
                    platform_area.open_sessions(session=session, user_id=actor.user_id,
                                                current_token=token))

        overview, sessions = await with_session(read)
        self.email_verified = overview.email_verified
        self.second_factor_on = overview.second_factor_on
        self.recovery_codes_left = overview.recovery_codes_left
        self.sessions = [
            {"id": str(s.id), "device": describe_agent(s.user_agent),
             "address": s.client_ip or "unknown address",
             "since": when(s.created_at),
             "seen": when(s.last_seen_at),
             "current": "yes" if s.current else "",
             "code": "yes" if s.second_factor else ""}
            for s in sessions
        ]

    async def _signed_in(self) -> Actor | None:
        return await with_session(lambda session: platform_area.resolve_session(
            session=session, token=self._session_token(), client_ip=self._client_ip(),
            user_agent=self._user_agent()))

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        self.current_password_error = self.password_error = self.code_error = ""
        self.disable_error = self.form_error = ""
        self.enrol_qr = self.enrol_secret = ""
        self.recovery_codes = []
        self.busy = False
        actor = await self._signed_in()
        self._show_actor(actor)
        if actor is None:
            return rx.redirect(f"{routes.LOGIN}?next={routes.ACCOUNT_SECURITY}")
        await self._reload(actor)
        return None

    def _code_refused(self, exc: DomainError) -> Any:
        """A refused authenticator code shows under the code box (nothing else to send);
        any other refusal as a toast."""
        if exc.field == "code":
            self.code_error = exc.message
            return None
        return rx.toast.error(exc.message)

    async def _actor_or_login(self) -> Actor | None:
        actor = await self._signed_in()
        if actor is None:
            self._show_actor(None)
        return actor

    @rx.event
    async def change_password(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        self.current_password_error = self.password_error = ""
        actor = await self._actor_or_login()
        if actor is None:
            yield rx.redirect(f"{routes.LOGIN}?next={routes.ACCOUNT_SECURITY}")
            return
        new = form.get("new_password", "")
        if new != form.get("new_password_confirm", ""):
            self.password_error = "The two passwords do not match."
            return
        current, token = form.get("current_password", ""), self._session_token()
        self.busy = True
        yield
        try:
            ended = await with_session(lambda session: platform_area.change_password(
                session=session, actor=actor, current_password=current, new_password=new,
                keep_token=token))
        except DomainError as exc:
            self.busy = False
            show_field_error(self, exc, {"current_password": "current_password_error"},
                             fallback="password_error")
            return
        self.busy = False
        await self._reload(actor)
        others = f" {ended} other session{'s' if ended != 1 else ''} signed out." if ended else ""
        yield rx.toast.success(f"Your password was changed.{others}")

    @rx.event
    async def sign_out_others(self):  # type: ignore[no-untyped-def]
        actor = await self._actor_or_login()
        if actor is None:
            yield rx.redirect(f"{routes.LOGIN}?next={routes.ACCOUNT_SECURITY}")
            return
        token = self._session_token()

        def work(session: Session) -> int:
            ended = platform_area.sign_out_others(session=session, user_id=actor.user_id,
                                                  keep_token=token)
            session.commit()
            return ended

        ended = await with_session(work)
        await self._reload(actor)
        yield rx.toast.success(
            f"Signed out of {ended} other session{'s' if ended != 1 else ''}." if ended
            else "No other session was open.")

    @rx.event
    async def sign_out_everywhere(self):  # type: ignore[no-untyped-def]
        actor = await self._actor_or_login()
        if actor is None:
            yield rx.redirect(routes.LOGIN)
            return
        await with_session(lambda session: platform_area.sign_out_everywhere(
            session=session, actor=actor))
        self._show_actor(None)
        self.leave_notices("You are signed out everywhere.")
        yield self._hop(AUTH_SIGNED_OUT_PATH, to=self._page_address(routes.HOME))

    @rx.event
    async def resend_confirmation(self):  # type: ignore[no-untyped-def]
        actor = await self._actor_or_login()
        if actor is None:
            return
        client_ip = self._client_ip()
        try:
            message = await with_session(lambda session: platform_area.resend_confirmation(
                session=session, email=actor.email, client_ip=client_ip))
        except DomainError as exc:
            yield rx.toast.error(exc.message)
            return
        yield rx.toast.success(message)

    @rx.event
    async def start_enrolment(self):  # type: ignore[no-untyped-def]
        self.code_error = ""
        actor = await self._actor_or_login()
        if actor is None:
            yield rx.redirect(f"{routes.LOGIN}?next={routes.ACCOUNT_SECURITY}")
            return
        try:
            enrolment = await with_session(lambda session: platform_area.start_enrolment(
                session=session, actor=actor))
        except DomainError as exc:
            yield rx.toast.error(exc.message)
            return
        self.enrol_qr, self.enrol_secret = enrolment.qr_svg, enrolment.secret

    @rx.event
    def cancel_enrolment(self) -> None:
        self.enrol_qr = self.enrol_secret = self.code_error = ""

    @rx.event
    async def confirm_enrolment(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        self.code_error = ""
        actor = await self._actor_or_login()
        if actor is None:
            yield rx.redirect(f"{routes.LOGIN}?next={routes.ACCOUNT_SECURITY}")
            return
        code, token = form.get("code", ""), self._session_token()
        try:
            codes = await with_session(lambda session: platform_area.confirm_enrolment(
                session=session, actor=actor, code=code, session_token=token))
        except DomainError as exc:
            yield self._code_refused(exc)
            return
        self.enrol_qr = self.enrol_secret = ""
        self.recovery_codes = codes
        await self._reload(actor)
        # admin roles held back for want of a second factor are back in this session
        self._show_actor(await self._signed_in())
        yield rx.toast.success("Two-factor sign-in is on.")

    @rx.event
    async def replace_recovery_codes(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        self.code_error = ""
        actor = await self._actor_or_login()
        if actor is None:
            yield rx.redirect(f"{routes.LOGIN}?next={routes.ACCOUNT_SECURITY}")
            return
        code = form.get("code", "")
        try:
            codes = await with_session(lambda session: platform_area.new_recovery_codes(
                session=session, actor=actor, code=code))
        except DomainError as exc:
            yield self._code_refused(exc)
            return
        self.recovery_codes = codes
        await self._reload(actor)
        yield rx.toast.success("New recovery codes made; the old ones no longer work.")

    @rx.event
    def hide_recovery_codes(self) -> None:
        self.recovery_codes = []

    @rx.event
    async def disable_second_factor(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        self.disable_error = ""
        actor = await self._actor_or_login()
        if actor is None:
            yield rx.redirect(f"{routes.LOGIN}?next={routes.ACCOUNT_SECURITY}")
            return
        password = form.get("password", "")
        try:
            await with_session(lambda session: platform_area.disable(
                session=session, actor=actor, password=password))
        except DomainError as exc:
            self.disable_error = exc.message
            return
        self.recovery_codes = []
        await self._reload(actor)
        self._show_actor(await self._signed_in())
        yield rx.toast.success("Two-factor sign-in is off.")
