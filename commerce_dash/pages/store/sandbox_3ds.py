"""The sandbox's 3-D Secure challenge (/sandbox/3ds/[intent]): the "bank" asks the learner to
approve the payment, as a real card issuer's page would. Test mode only."""

from __future__ import annotations

from urllib.parse import quote

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.shell import store_shell
from commerce_dash.db import session_scope
from commerce_dash.domain.errors import DomainError
from commerce_dash.services import commerce as commerce_area
from commerce_dash.state.auth import AuthState
from commerce_dash.state.offload import with_session

NOT_WAITING = "No such payment is waiting for you."
MAX_INTENT = 100  # Payment.intent_id's length


def route_intent(state: rx.State) -> str:
    """The ``[intent]`` argument of the page; "" when it can name no intent: it holds a NUL
    (PostgreSQL text cannot, and a comparison with one fails) or is longer than any id."""
    intent = str(getattr(state, "intent", "") or "").strip()
    return "" if "\x00" in intent or len(intent) > MAX_INTENT else intent


class ChallengeState(AuthState):
    intent_ref: str = ""
    amount: str = ""
    order_ref: str = ""
    waiting: bool = False
    message: str = ""
    busy: bool = False

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        intent = route_intent(self)
        self.load_session()
        actor = self.current_actor()
        if actor is None:
            here = f"{routes.SANDBOX_3DS}/{quote(intent, safe='')}"
            return rx.redirect(f"{routes.LOGIN}?next={quote(here, safe='/')}")
        self.intent_ref, self.message = intent, ""
        if not intent:  # no id, or none there can be: not asked of the database
            self.waiting, self.message = False, NOT_WAITING
            return None
        try:
            with session_scope() as session:
                info = commerce_area.challenge_info(session=session, actor=actor,
                                                    intent_id=intent)
        except DomainError as exc:
            self.waiting, self.message = False, exc.message
            return None
        self.amount, self.order_ref = info["amount"], info["number"]
        self.waiting = info["waiting"] == "yes"
        if not self.waiting:
            self.message = "This payment is not waiting for authentication."
        return None

    @rx.event
    async def answer(self, approve: bool):  # type: ignore[no-untyped-def]
        actor = self.current_actor()
        if actor is None:
            return rx.redirect(routes.LOGIN)
        if not self.intent_ref:  # the page found no payment (or an answer came before it did)
            return rx.toast.error(NOT_WAITING)
        self.busy = True
        intent, approved = self.intent_ref, approve is True  # only a true approves ("false")
        try:
            _, number = await with_session(lambda s: commerce_area.sandbox_challenge(
                session=s, actor=actor, intent_id=intent, approve=approved))
        except DomainError as exc:
            self.busy = False
            return rx.toast.error(exc.message)
        self.busy = False
        return rx.redirect(f"{routes.CHECKOUT}/{number}")


def challenge_page() -> rx.Component:
    return store_shell(
        rx.center(
            rx.card(
                rx.vstack(
                    rx.hstack(rx.icon("shield-check", size=28, color=rx.color("indigo", 9)),
                              rx.heading("Sandbox Bank · 3-D Secure", size="4"), align="center"),
                    rx.cond(
                        ChallengeState.waiting,
                        rx.vstack(
                            rx.text("Approve the payment of ", rx.text.strong(
                                ChallengeState.amount), " to Commerce Dash for order ",
                                ChallengeState.order_ref, "?"),
                            rx.text("This is the sandbox's stand-in for your bank's check. "
                                    "Nothing is charged.", size="1", color_scheme="gray"),
                            rx.hstack(
                                rx.button("Complete authentication", id="approve-3ds",
                                          loading=ChallengeState.busy,
                                          on_click=ChallengeState.answer(True)),
                                rx.button("Fail authentication", variant="soft",
                                          color_scheme="red", id="fail-3ds",
                                          on_click=ChallengeState.answer(False)),
                                spacing="3",
                                wrap="wrap",
                            ),
                            spacing="3",
                        ),
                        rx.vstack(
                            rx.text(ChallengeState.message),
                            rx.link("Back to your cart", href=routes.CART),
                        ),
                    ),
                    spacing="4",
                ),
                max_width="480px",
                width="100%",
            ),
            width="100%",
            padding_y="3em",
        )
    )
