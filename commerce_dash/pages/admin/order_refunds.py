"""The "Refunds" card of the admin order page: the order's refund requests, and "Refund…" for
billing admins, which files a request (source admin) that waits in the refund queue."""

from __future__ import annotations

import reflex as rx
from reflex.components.sonner.toast import ToastAction
from reflex.vars import ObjectVar

from commerce_dash import routes
from commerce_dash.components.admin_forms import note, soft_action
from commerce_dash.components.cells import RULED_ENTRY, only_if
from commerce_dash.components.display import money
from commerce_dash.components.refund_form import refund_form_dialog
from commerce_dash.components.refund_rows import amount_lines, decision_lines, source_badge
from commerce_dash.components.store_panels import card_column, card_title
from commerce_dash.db import session_scope
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.refunds import RefundStatus
from commerce_dash.pages.admin.refunds_state import refund_row
from commerce_dash.pages.store.refund_request_state import RefundFormMixin
from commerce_dash.services import commerce as commerce_area
from commerce_dash.state.admin import AdminState
from commerce_dash.state.links import refund_queue_href

SECTION = "orders"  # the page's section; request_refund itself checks the billing role


class OrderRefundsState(RefundFormMixin, AdminState):
    """``AdminOrderDetailState.load`` chains ``load``; it reads the order number from the route."""

    order_refunds: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    refunds_loaded: rx.Field[bool] = rx.field(False)
    waiting: rx.Field[int] = rx.field(0)  # requests waiting for a decision
    queue_link: rx.Field[str] = rx.field(routes.ADMIN_REFUNDS)
    created_message: rx.Field[str] = rx.field("")

    def _fetch_refunds(self, actor: Actor, number: str) -> None:
        with session_scope() as session:
            detail = commerce_area.order_detail(session=session, number=number, actor=actor)
            rows = commerce_area.for_order(session=session, actor=actor, number=detail.number)
            left, lines = commerce_area.refund_options(
                session=session, actor=actor, number=detail.number
            )
        self.order_refunds = [refund_row(r) for r in reversed(rows)]  # newest first
        self.waiting = sum(1 for r in rows if r.status == RefundStatus.REQUESTED)
        self.queue_link = refund_queue_href(detail.learner_email)
        self._fill_options(detail, left, lines)
        self.refunds_loaded = True

    def _forget_refunds(self) -> None:
        self.refunds_loaded, self.order_refunds, self.created_message = False, [], ""

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        yield from self._reload_refunds(routes.ADMIN_ORDERS, lambda: self.guard(SECTION))

    @rx.event
    def submit_refund(self):  # type: ignore[no-untyped-def]
        actor = self.guard(SECTION)
        if actor is None:
            self.refund_open = False
            return rx.toast.error("You may no longer refund orders: sign in again.")
        args = self._refund_args()
        if args is None:
            return None
        try:
            with session_scope() as session:
                request = commerce_area.request_refund(
                    session=session, actor=actor, number=self.refund_number, **args
                )
                amount = money(request.amount, request.currency)
        except DomainError as exc:
            return self._refund_refused(exc)
        self.refund_open = False
        self.created_message = (
            f"Refund request of {amount} created: approve it in Refunds to pay it."
        )
        try:
            self._fetch_refunds(actor, self.refund_number)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return rx.toast.success(
            f"Refund request of {amount} created. Approve it in Refunds.",
            action=ToastAction(label="Open Refunds", on_click=rx.redirect(self.queue_link)),
            duration=10000,
        )


# -- components -------------------------------------------------------------------------------


def _request(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.hstack(amount_lines(row), source_badge(row), align="center", spacing="2"),
            rx.text(row["items"], size="2"),
            note(row["created"], " · ", row["reason"]),
            spacing="1",
            min_width="0",
            flex="1",
        ),
        decision_lines(row),
        gap="0.75em",
        direction=rx.breakpoints(initial="column", sm="row"),  # type: ignore[arg-type]
        **RULED_ENTRY,
        class_name="order-refund",
        data_status=row["status"],
    )


def order_refunds_card() -> rx.Component:
    s = OrderRefundsState
    card = card_column(
        card_title(
            "Refunds",
            rx.link("Refund queue", href=s.queue_link, size="2", id="refund-queue-link"),
            only_if(
                s.refund_can_request,
                soft_action("undo-2", "Refund…", s.open_refund, id="admin-refund"),
            ),
            spacing="3",
            wrap="wrap",
        ),
        rx.cond(
            s.created_message != "",
            rx.callout.root(
                rx.callout.icon(rx.icon("circle-check")),
                rx.callout.text(
                    s.created_message,
                    " ",
                    rx.link("Open Refunds", href=s.queue_link, weight="medium"),
                ),
                color_scheme="green",
                size="1",
                width="100%",
                id="refund-created",
            ),
            only_if(
                s.waiting > 0,
                rx.text(
                    s.waiting.to_string(),
                    " waiting for a decision: ",
                    rx.link("approve or reject in Refunds", href=s.queue_link),
                    size="2",
                    id="refund-waiting-note",
                ),
            ),
        ),
        rx.cond(
            s.order_refunds.length() > 0,
            rx.vstack(rx.foreach(s.order_refunds, _request), spacing="0", width="100%"),
            note(
                rx.cond(
                    s.refund_can_request,
                    "No refunds on this order. Use Refund… to return all or part of the "
                    "payment; the request then waits in Refunds for approval.",
                    "No refunds on this order, and nothing captured is left to refund.",
                ),
                size="2",
            ),
        ),
        id="order-refunds",
    )
    return rx.fragment(
        only_if(s.refunds_loaded, card),
        refund_form_dialog(s, admin=True),
    )
