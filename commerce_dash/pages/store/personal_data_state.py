"""The state of the account page's "Your data" card: why the account cannot be deleted now
(shown before the learner types anything) and the deletion itself. The password check runs
argon2, so the work goes to a worker thread."""

from __future__ import annotations

import reflex as rx
from sqlmodel import Session

from commerce_dash import routes
from commerce_dash.domain.errors import DomainError
from commerce_dash.services import commerce as commerce_area
from commerce_dash.services import platform as platform_area
from commerce_dash.state.auth import AUTH_SIGNED_OUT_PATH, AuthState
from commerce_dash.state.field_errors import show_field_error
from commerce_dash.state.offload import with_session

# set by ``load``: an address built in the browser, never in the prerendered page (whose
# backend address would be the build's, not the one the visitor reached)
MY_DATA_PATH = "/api/v2/me/data"
DELETED_NOTICE = (
    "Your account was deleted. Your orders stay on record for accounting; your "
    "certificates still verify, without your name."
)


class PersonalDataState(AuthState):
    blockers: list[str] = []
    data_path: str = ""
    confirm_email_error: str = ""
    delete_password_error: str = ""
    delete_error: str = ""
    deleting: bool = False

    def _clear(self) -> None:
        self.confirm_email_error = self.delete_password_error = self.delete_error = ""

    @rx.event
    async def load(self) -> None:
        self._clear()
        self.deleting = False
        self.data_path = MY_DATA_PATH
        token, ip, agent = self._session_token(), self._client_ip(), self._user_agent()

        def read(session: Session) -> list[str]:
            actor = platform_area.resolve_session(
                session=session, token=token, client_ip=ip, user_agent=agent
            )
            if actor is None:
                return []
            problems = commerce_area.deletion_blockers(session=session, user_id=actor.user_id)
            return [p.message for p in problems]

        self.blockers = await with_session(read)

    @rx.event
    async def delete_account(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        self._clear()
        token, ip, agent = self._session_token(), self._client_ip(), self._user_agent()
        confirm, password = form.get("confirm_email", ""), form.get("password", "")
        self.deleting = True
        yield

        def work(session: Session) -> bool:
            actor = platform_area.resolve_session(
                session=session, token=token, client_ip=ip, user_agent=agent
            )
            if actor is None:
                return False
            commerce_area.delete_account(
                session=session, actor=actor, confirm_email=confirm, password=password
            )
            return True

        try:
            done = await with_session(work)
        except DomainError as exc:
            self.deleting = False
            show_field_error(
                self,
                exc,
                {"confirm_email": "confirm_email_error", "password": "delete_password_error"},
                fallback="delete_error",
            )
            return
        self.deleting = False
        if not done:
            yield rx.redirect(f"{routes.LOGIN}?next={routes.ACCOUNT}")
            return
        self._show_actor(None)
        self.cart_count = 0
        self.leave_notices(DELETED_NOTICE)
        yield self._hop(AUTH_SIGNED_OUT_PATH, to=self._page_address(routes.HOME))
