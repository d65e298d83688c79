"""Cancel order… on a billing admin's order page (issue 19): a card that says what cancelling
would do, and a confirm dialog that lists it again and asks for the reason: what is left of
the payment goes to the refund queue (or is paid at once when four-eyes review is off), the
registrations are cancelled, enrollments ended, the LMS told, certificates revoked by number.

A card inside the order page: its ``load`` runs when the card appears (the page loads the
order), its actions run off the event loop and reload the page's order and refunds.
"""

from __future__ import annotations

import reflex as rx
from sqlmodel import Session

from commerce_dash import routes
from commerce_dash.components.dialogs import confirm_dialog
from commerce_dash.components.display import money
from commerce_dash.components.forms import reason_footer
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.dates import WHEN, when
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.refunds import MAX_REASON, MIN_REASON
from commerce_dash.services import commerce as commerce_area
from commerce_dash.state.admin import AdminState
from commerce_dash.state.offload import with_session
from commerce_dash.state.route_args import route_number

SECTION = "refunds"  # cancelling gives money back: billing admins
REASON_LABEL = "Why the order is cancelled (kept in the audit log)"


def effects(preview: commerce_area.OrderCancelPreview) -> list[str]:
    """What cancelling does, one sentence each, as the dialog lists it."""
    out = []
    if preview.refund_left > 0:
        amount = money(preview.refund_left, preview.currency)
        out.append(
            f"{amount} (what is left of the payment) goes to the refund queue for another "
            "billing admin to approve."
            if preview.four_eyes
            else f"{amount} (what is left of the payment) is refunded at once."
        )
    else:
        out.append("Nothing is left to refund.")
    if preview.registrations:
        out.append(
            f"{preview.registrations} registration(s) cancelled: enrollments ended and the "
            "LMS told."
        )
    if preview.certificates:
        out.append("Certificates revoked: " + ", ".join(preview.certificates) + ".")
    out.append("The learner is emailed about the refund; the cancellation is audited.")
    return out


class OrderCancelState(AdminState):
    can_cancel: rx.Field[bool] = rx.field(False)
    cancel_note: rx.Field[str] = rx.field("")  # why not, or when it was cancelled
    cancel_effects: rx.Field[list[str]] = rx.field(default_factory=list)
    cancel_open: rx.Field[bool] = rx.field(False)
    cancel_reason: rx.Field[str] = rx.field("")
    cancel_error: rx.Field[str] = rx.field("")
    cancel_busy: rx.Field[bool] = rx.field(False)
    cancel_number: rx.Field[str] = rx.field("")

    def _show(self, preview: commerce_area.OrderCancelPreview) -> None:
        self.cancel_number = preview.number
        self.can_cancel = preview.cancellable
        self.cancel_effects = effects(preview)
        self.cancel_note = (
            f"Cancelled {when(preview.cancelled_at, WHEN)}."
            if preview.cancelled_at is not None
            else preview.refusal
        )

    async def _read(self, actor: Actor, number: str) -> None:
        preview = await with_session(
            lambda session: commerce_area.cancel_preview(
                session=session, actor=actor, number=number
            )
        )
        self._show(preview)

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        actor = self.guard(SECTION)
        if actor is None:
            self.can_cancel, self.cancel_note = False, ""
            return None  # the page around the card answers refusals
        try:
            await self._read(actor, route_number(self, routes.ADMIN_ORDERS))
        except DomainError:
            self.can_cancel, self.cancel_note = False, ""
        return None

    @rx.event
    def open_cancel(self) -> None:
        self.cancel_reason, self.cancel_error = "", ""
        self.cancel_open = True

    @rx.event
    def set_cancel_open(self, value: bool) -> None:
        self.cancel_open = bool(value) and not self.cancel_busy

    @rx.event
    def set_cancel_reason(self, value: str) -> None:
        self.cancel_reason = str(value).replace("\x00", "")[:MAX_REASON]
        self.cancel_error = ""

    @rx.event
    async def confirm_cancel(self):  # type: ignore[no-untyped-def]
        if self.cancel_busy:
            return None
        actor = self.guard(SECTION)
        if actor is None:
            self.cancel_open = False
            return rx.toast.error("You may no longer cancel orders: sign in again.")
        number, reason = self.cancel_number, self.cancel_reason

        def cancel(session: Session) -> commerce_area.OrderCancellation:
            return commerce_area.cancel_order(
                session=session, actor=actor, number=number, reason=reason
            )

        self.cancel_busy = True
        try:
            done = await with_session(cancel)
        except DomainError as exc:
            if exc.field == "reason":
                self.cancel_error = exc.message
                return None
            self.cancel_open = False
            return rx.toast.error(exc.message)
        finally:
            self.cancel_busy = False
        self.cancel_open = False
        await self._read(actor, number)
        said = f"Order {done.number} cancelled."
        if done.refund_amount and done.status != "refunded":
            said += f" {money(done.refund_amount, done.currency)} waits in the refund queue."
        return rx.toast.success(said)


S = OrderCancelState


def _dialog(after: rx.EventHandler) -> rx.Component:
    return confirm_dialog(
        "Cancel this order?",
        "Cancelling does this:",
        rx.el.ul(
            rx.foreach(S.cancel_effects, lambda e: rx.el.li(rx.text(e, size="2"))),
            padding_left="1.2em",
            margin="0",
            class_name="cancel-effects",
        ),
        rx.text_area(
            placeholder=REASON_LABEL,
            value=S.cancel_reason,
            on_change=S.set_cancel_reason,
            rows="3",
            max_length=MAX_REASON,
            width="100%",
            id="cancel-order-reason",
            aria_label=REASON_LABEL,
        ),
        reason_footer(
            S.cancel_error,
            "cancel-order-reason-error",
            S.cancel_reason.length(),
            MIN_REASON,
            f" / {MAX_REASON}",
        ),
        confirm="Cancel order",
        on_confirm=[S.confirm_cancel, after],
        confirm_id="confirm-cancel-order",
        open=S.cancel_open,
        on_open_change=S.set_cancel_open,
        loading=S.cancel_busy,
        max_width="560px",
    )


def order_cancel_card(after: rx.EventHandler) -> rx.Component:
    """The card on the admin order page; ``after`` (the page's reload) runs once a
    cancellation was tried, so the receipt and the refunds show what it did."""
    card = rx.card(
        rx.vstack(
            rx.heading("Cancel the order", size="4"),
            rx.cond(
                S.can_cancel,
                rx.vstack(
                    rx.text(
                        "Cancelling gives back what is left of the payment and ends the "
                        "learner's places, as a full refund does.",
                        size="2",
                        color_scheme="gray",
                    ),
                    rx.button(
                        rx.icon("ban", size=16),
                        "Cancel order…",
                        color_scheme="red",
                        high_contrast=True,
                        variant="soft",
                        on_click=S.open_cancel,
                        id="cancel-order",
                    ),
                    spacing="2",
                    align="start",
                ),
                rx.text(S.cancel_note, size="2", color_scheme="gray", id="cancel-note"),
            ),
            _dialog(after),
            spacing="2",
            width="100%",
        ),
        width="100%",
        id="order-cancel",
    )
    return rx.box(rx.cond(S.cancel_number != "", card), width="100%", on_mount=S.load)
