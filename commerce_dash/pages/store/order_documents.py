"""The invoice and credit notes of one order as download links (issue 19), shown on the
learner's order page and on the admin order page.

The links point at the API (the browser downloads with its session cookie); the PDFs are
rendered there, in the thread pool, never in a Reflex event handler. The list loads when the
card mounts, from the page's order number.
"""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from commerce_dash import routes
from commerce_dash.components.backend_url import api_href
from commerce_dash.domain.errors import DomainError
from commerce_dash.services import commerce as commerce_area
from commerce_dash.state.auth import AuthState
from commerce_dash.state.offload import with_session
from commerce_dash.state.route_args import route_number


class OrderDocumentsState(AuthState):
    documents: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)

    async def _list(self, base: str, *, admin: bool) -> None:
        actor = self.current_actor()
        number = route_number(self, base)
        self.documents = []
        if actor is None or not number:
            return
        # off the event loop: an order paid before invoices existed gets its invoice here
        try:
            links = await with_session(lambda session: commerce_area.order_documents(
                session=session,
                number=number,
                **({"actor": actor} if admin else {"user_id": actor.user_id}),
            ))
        except DomainError:
            return
        self.documents = [{"label": label, "href": href} for label, href in links]

    @rx.event
    async def load_mine(self) -> None:
        await self._list(routes.ORDERS, admin=False)

    @rx.event
    async def load_admin(self) -> None:
        await self._list(routes.ADMIN_ORDERS, admin=True)


def _link(document: ObjectVar[dict[str, str]]) -> rx.Component:
    # reload_document: the browser follows the link itself (an API address, not a page)
    return rx.el.a(
        rx.button(
            rx.icon("file-down", size=14),
            document["label"],
            size="2",  # type: ignore[arg-type]
            variant="soft",
        ),
        href=api_href(document["href"]),
        download="",
        reload_document=True,
        class_name="order-document",
    )


def order_documents(*, admin: bool = False) -> rx.Component:
    """Download links of the order's invoice and credit notes (nothing before it is paid)."""
    s = OrderDocumentsState
    return rx.box(
        rx.cond(
            s.documents.length() > 0,
            rx.hstack(
                rx.text("Invoice and credit notes", size="2", weight="medium"),
                rx.foreach(s.documents, _link),
                align="center",
                spacing="2",
                wrap="wrap",
            ),
        ),
        on_mount=s.load_admin if admin else s.load_mine,
        width="100%",
        id="order-documents",
    )
