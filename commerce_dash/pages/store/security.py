"""Account security (/account/security): password, where you are signed in, two-factor
sign-in with its recovery codes. Password checks run argon2, so those handlers hand their
work to a worker thread."""

from __future__ import annotations

import reflex as rx
from sqlmodel import Session

from commerce_dash import routes
from commerce_dash.components.forms import field, form_error
from commerce_dash.components.shell import store_shell
from commerce_dash.domain.accounts import describe_agent
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError
from commerce_dash.services.platform import accounts, passwords, two_factor
from commerce_dash.services.platform import signup as registration
from commerce_dash.state.auth import AUTH_SIGNED_OUT_PATH, AuthState
from commerce_dash.state.offload import with_session

WHEN = "%Y-%m-%d %H:%M UTC"


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

        def read(session: Session) -> tuple[two_factor.SecurityOverview,
                                             list[accounts.OpenSession]]:
            return (two_factor.overview(session=session, user_id=actor.user_id),
                    accounts.open_sessions(session=session, user_id=actor.user_id,
                                           current_token=token))

        overview, sessions = await with_session(read)
        self.email_verified = overview.email_verified
        self.second_factor_on = overview.second_factor_on
        self.recovery_codes_left = overview.recovery_codes_left
        self.sessions = [
            {"id": str(s.id), "device": describe_agent(s.user_agent),
             "address": s.client_ip or "unknown address",
             "since": s.created_at.strftime(WHEN),
             "seen": s.last_seen_at.strftime(WHEN) if s.last_seen_at else "",
             "current": "yes" if s.current else "",
             "code": "yes" if s.second_factor else ""}
            for s in sessions
        ]

    async def _signed_in(self) -> Actor | None:
        return await with_session(lambda session: accounts.resolve_session(
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
            ended = await with_session(lambda session: passwords.change_password(
                session=session, actor=actor, current_password=current, new_password=new,
                keep_token=token))
        except DomainError as exc:
            self.busy = False
            if exc.field == "current_password":
                self.current_password_error = exc.message
            else:
                self.password_error = exc.message
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
            ended = passwords.sign_out_others(session=session, user_id=actor.user_id,
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
        await with_session(lambda session: passwords.sign_out_everywhere(
            session=session, actor=actor))
        self._show_actor(None)
        self._notices = ["You are signed out everywhere."]
        yield self._hop(AUTH_SIGNED_OUT_PATH, to=self._page_address(routes.HOME))

    @rx.event
    async def resend_confirmation(self):  # type: ignore[no-untyped-def]
        actor = await self._actor_or_login()
        if actor is None:
            return
        client_ip = self._client_ip()
        try:
            message = await with_session(lambda session: registration.resend_confirmation(
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
            enrolment = await with_session(lambda session: two_factor.start_enrolment(
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
            codes = await with_session(lambda session: two_factor.confirm_enrolment(
                session=session, actor=actor, code=code, session_token=token))
        except DomainError as exc:
            if exc.field == "code":
                self.code_error = exc.message
            else:
                yield rx.toast.error(exc.message)
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
            codes = await with_session(lambda session: two_factor.new_recovery_codes(
                session=session, actor=actor, code=code))
        except DomainError as exc:
            if exc.field == "code":
                self.code_error = exc.message
            else:
                yield rx.toast.error(exc.message)
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
            await with_session(lambda session: two_factor.disable(
                session=session, actor=actor, password=password))
        except DomainError as exc:
            self.disable_error = exc.message
            return
        self.recovery_codes = []
        await self._reload(actor)
        self._show_actor(await self._signed_in())
        yield rx.toast.success("Two-factor sign-in is off.")


def _card(title: str, *children: rx.Component, **props: object) -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(title, size="4"), *children, spacing="3", align="start",
                  width="100%"),
        width="100%",
        **props,
    )


def _password_card() -> rx.Component:
    return _card(
        "Password",
        rx.form(
            rx.vstack(
                field("Current password", "current_password",
                      SecurityState.current_password_error, type="password", required=True,
                      auto_complete="current-password"),
                field("New password", "new_password", SecurityState.password_error,
                      type="password", required=True, auto_complete="new-password"),
                field("Repeat the new password", "new_password_confirm", type="password",
                      required=True, auto_complete="new-password"),
                rx.text("Changing it signs out every other session of your account.",
                        size="2", color_scheme="gray"),
                rx.button("Change password", type="submit", loading=SecurityState.busy,
                          id="change-password-submit"),
                spacing="3",
                align="start",
                width="100%",
                max_width="420px",
            ),
            on_submit=SecurityState.change_password,
            reset_on_submit=True,
            width="100%",
        ),
    )


def _session_row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.hstack(
        rx.icon("monitor-smartphone", size=18, aria_hidden="true"),
        rx.vstack(
            rx.hstack(
                rx.text(row["device"], weight="medium"),
                rx.cond(row["current"] != "", rx.badge("This session", color_scheme="grass"),
                        rx.fragment()),
                rx.cond(row["code"] != "", rx.badge("Code checked", variant="soft"),
                        rx.fragment()),
                wrap="wrap",
                spacing="2",
            ),
            rx.text(row["address"], " · since ", row["since"],
                    rx.cond(row["seen"] != "", rx.text.span(" · last used ", row["seen"]),
                            rx.fragment()),
                    size="1", color_scheme="gray"),
            spacing="0",
            align="start",
        ),
        class_name="session-row",
        spacing="3",
        align="center",
        width="100%",
    )


def _sessions_card() -> rx.Component:
    return _card(
        "Where you are signed in",
        rx.vstack(rx.foreach(SecurityState.sessions, _session_row), spacing="3", width="100%",
                  id="open-sessions"),
        rx.hstack(
            rx.button("Sign out other sessions", variant="soft",
                      on_click=SecurityState.sign_out_others, id="sign-out-others"),
            rx.button("Sign out everywhere", variant="soft", color_scheme="red",
                      on_click=SecurityState.sign_out_everywhere, id="sign-out-everywhere"),
            wrap="wrap",
        ),
    )


def _recovery_codes_panel() -> rx.Component:
    return rx.callout.root(
        rx.vstack(
            rx.text("Your recovery codes", weight="bold"),
            rx.text("Each works once in place of a code, if you lose your phone. Keep them "
                    "somewhere safe: they are not shown again.", size="2"),
            rx.grid(
                rx.foreach(SecurityState.recovery_codes,
                           lambda c: rx.code(c, class_name="recovery-code")),
                columns="2",
                spacing="2",
                id="recovery-codes",
            ),
            rx.button("I have saved them", size="1", variant="soft",
                      on_click=SecurityState.hide_recovery_codes),
            spacing="2",
            align="start",
        ),
        color_scheme="amber",
        role="status",
        width="100%",
    )


def _code_form(on_submit, label: str, button: str, button_id: str) -> rx.Component:  # type: ignore[no-untyped-def]
    return rx.form(
        rx.vstack(
            field(label, "code", SecurityState.code_error, required=True,
                  auto_complete="one-time-code"),
            rx.button(button, type="submit", id=button_id),
            spacing="2",
            align="start",
            max_width="320px",
        ),
        on_submit=on_submit,
        reset_on_submit=True,
    )


def _enrolment() -> rx.Component:
    return rx.vstack(
        rx.text("1. Scan this code with an authenticator app (or type the key below).",
                size="2"),
        rx.image(src=SecurityState.enrol_qr, alt="QR code to add Commerce Dash to your "
                 "authenticator app", width="200px", height="200px", id="enrol-qr"),
        rx.text("Key: ", rx.code(SecurityState.enrol_secret, id="enrol-secret"), size="2"),
        rx.text("2. Enter the 6-digit code the app shows.", size="2"),
        _code_form(SecurityState.confirm_enrolment, "Code from the app", "Turn on",
                   "confirm-enrolment"),
        rx.button("Cancel", variant="ghost", size="1", on_click=SecurityState.cancel_enrolment),
        spacing="2",
        align="start",
    )


def _second_factor_card() -> rx.Component:
    return _card(
        "Two-factor sign-in",
        rx.cond(SecurityState.recovery_codes.length() > 0, _recovery_codes_panel(),
                rx.fragment()),
        rx.cond(
            SecurityState.second_factor_on,
            rx.vstack(
                rx.hstack(rx.badge("On", color_scheme="grass", id="second-factor-status"),
                          rx.text(SecurityState.recovery_codes_left,
                                  " recovery codes left", size="2")),
                rx.text("Signing in asks for a code from your authenticator app.", size="2"),
                _code_form(SecurityState.replace_recovery_codes, "Code from the app",
                           "Make new recovery codes", "replace-recovery-codes"),
                rx.form(
                    rx.vstack(
                        field("Password", "password", SecurityState.disable_error,
                              type="password", required=True,
                              auto_complete="current-password"),
                        rx.button("Turn off two-factor sign-in", type="submit",
                                  color_scheme="red", variant="soft",
                                  id="disable-second-factor"),
                        spacing="2",
                        align="start",
                        max_width="320px",
                    ),
                    on_submit=SecurityState.disable_second_factor,
                    reset_on_submit=True,
                ),
                spacing="3",
                align="start",
            ),
            rx.cond(
                SecurityState.enrol_qr != "",
                _enrolment(),
                rx.vstack(
                    rx.hstack(rx.badge("Off", color_scheme="gray", id="second-factor-status")),
                    rx.text("Add a code from your phone to your password, so a stolen "
                            "password alone cannot sign in.", size="2"),
                    rx.button("Set up two-factor sign-in", on_click=SecurityState.start_enrolment,
                              id="start-enrolment"),
                    spacing="2",
                    align="start",
                ),
            ),
        ),
        id="second-factor-card",
    )


def security_page() -> rx.Component:
    return store_shell(
        rx.vstack(
            rx.hstack(
                rx.link("My account", href=routes.ACCOUNT, size="2"),
                rx.text("/", size="2", color_scheme="gray"),
                spacing="2",
            ),
            rx.heading("Security", size="6"),
            form_error(SecurityState.form_error),
            rx.cond(
                SecurityState.second_factor_missing,
                rx.callout("Your admin role needs two-factor sign-in: set it up below (or "
                           "sign in again with your code) to open the admin pages.",
                           icon="shield-alert", color_scheme="amber", role="alert",
                           width="100%", id="second-factor-required"),
                rx.fragment(),
            ),
            rx.cond(
                SecurityState.email_verified,
                rx.fragment(),
                rx.callout.root(
                    rx.callout.text("Your email address is not confirmed yet: paying needs "
                                    "it. "),
                    rx.button("Send the link again", size="1", variant="soft",
                              on_click=SecurityState.resend_confirmation),
                    color_scheme="amber",
                    width="100%",
                ),
            ),
            _second_factor_card(),
            _password_card(),
            _sessions_card(),
            spacing="4",
            width="100%",
        )
    )
