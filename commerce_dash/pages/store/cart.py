"""The cart: lines with their prices, one discount code, tax by billing address, totals,
display currency, and checkout (sign-in first; the cart comes along)."""

from __future__ import annotations

import uuid
from typing import Any

import reflex as rx
from babel import Locale

from commerce_dash import routes
from commerce_dash.components.shell import store_page
from commerce_dash.components.store_panels import card_column, icon_label_button
from commerce_dash.components.tables import empty_state
from commerce_dash.db import session_scope
from commerce_dash.domain.errors import DomainError
from commerce_dash.services import commerce as commerce_area
from commerce_dash.services.commerce import CartView
from commerce_dash.state.auth import AuthState
from commerce_dash.state.links import item_href
from commerce_dash.state.offload import with_session
from commerce_dash.state.route_args import route_int

_TERRITORIES = Locale("en").territories
COUNTRIES = sorted(
    ((code, name) for code, name in _TERRITORIES.items() if len(code) == 2 and code.isalpha()),
    key=lambda pair: pair[1],
)


class CartState(AuthState):
    loaded: bool = False
    lines: list[dict[str, str]] = []
    labels: dict[str, str] = {}
    has_discount: bool = False
    discount_code: str = ""
    code_error: str = ""
    tax_label: str = ""
    display_currency: str = "USD"
    settlement_currency: str = "USD"
    display_choices: list[str] = []
    display_note: str = ""
    billing_country: str = ""
    billing_region: str = ""
    notices: list[str] = []
    blockers: list[str] = []
    can_check_out: bool = False
    total_minor: int = 0
    checkout_key: str = ""
    _checkout_key_for: str = ""  # the cart state (fingerprint) the key was made for
    busy: bool = False

    def _show(self, view: CartView) -> None:
        self.loaded = True
        self.lines = [
            {
                "id": str(line.id), "title": line.title,
                "kind": line.item_type.replace("_", " ").capitalize(),
                # a credit pack has no page of its own: its title is not a link
                "href": "" if line.item_type == "credit_pack"
                else item_href(line.item_type, line.code),
                "department": line.department, "credits_note": line.credits_note,
                "price": line.amount_label, "note": line.note,
                "discount": f"− {line.discount_label}" if line.discount else "",
                "unavailable": "yes" if line.amount is None else "",
            }
            for line in view.lines
        ]
        self.labels = view.labels
        self.has_discount = bool(view.discount_code) and view.totals.discount > 0
        self.discount_code = view.discount_code
        self.tax_label = view.tax_label
        self.display_currency = view.display_currency
        self.settlement_currency = view.currency
        self.display_choices = view.display_choices
        self.display_note = commerce_area.currency_note(view)
        self.billing_country, self.billing_region = view.billing[0], view.billing[1]
        self.notices = view.notices
        self.blockers = view.blockers
        self.can_check_out = view.can_check_out
        self.total_minor = view.totals.total
        self.cart_count = view.count
        if view.fingerprint != self._checkout_key_for or not self.checkout_key:
            # one request per cart state: checking the same cart out again is the same order
            self.checkout_key = f"web-{uuid.uuid4().hex}"
            self._checkout_key_for = view.fingerprint

    def _reload(self) -> None:
        actor = self.current_actor()
        with session_scope() as session:
            self._show(commerce_area.view_cart(session=session, owner=self.cart_owner(actor)))

    @rx.event
    def load(self) -> None:
        self.load_session()
        self.code_error = ""
        self._reload()

    def _change(self, action: Any) -> list[Any]:
        actor = self.current_actor()
        try:
            with session_scope() as session:
                action(session, self.cart_owner(actor))
        except DomainError as exc:
            self._reload()
            return [rx.toast.error(exc.message)]
        self._reload()
        return []

    @rx.event
    def remove(self, line_id: str):  # type: ignore[no-untyped-def]
        title = next((line["title"] for line in self.lines if line["id"] == line_id), "The item")
        events = self._change(lambda s, o: commerce_area.remove_line(
            session=s, owner=o, line_id=route_int(line_id) or 0))  # 0: not found
        return events or [rx.toast.info(f"{title} was removed from your cart.")]

    @rx.event
    def apply_code(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        self.code_error = ""
        actor = self.current_actor()
        try:
            with session_scope() as session:
                applied = commerce_area.apply_code(session=session, owner=self.cart_owner(actor),
                                                   client_ip=self._client_ip(),
                                                   code=form.get("code", ""))
        except DomainError as exc:
            self.code_error = exc.message
            return None
        self._reload()
        return rx.toast.success(f"Code {applied.code} applied: you save "
                                f"{self.labels.get('discount', '')}.")

    @rx.event
    def remove_code(self):  # type: ignore[no-untyped-def]
        self._change(lambda s, o: commerce_area.remove_code(session=s, owner=o))
        return rx.toast.info("The discount code was removed.")

    @rx.event
    def set_display_currency(self, value: str):  # type: ignore[no-untyped-def]
        return self._change(lambda s, o: commerce_area.set_preferences(
            session=s, owner=o, display_currency=value))

    @rx.event
    def set_country(self, value: str):  # type: ignore[no-untyped-def]
        return self._change(lambda s, o: commerce_area.set_preferences(
            session=s, owner=o, billing_country=value, billing_region=""))

    @rx.event
    def set_region(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        return self._change(lambda s, o: commerce_area.set_preferences(
            session=s, owner=o, billing_region=form.get("region", ""),
            billing_postal_code=form.get("postal_code", "")))

    @rx.event
    async def check_out(self):  # type: ignore[no-untyped-def]
        actor = self.current_actor()
        if actor is None:
            yield rx.redirect(f"{routes.LOGIN}?next={routes.CART}")
            return
        self.busy = True
        yield
        request = commerce_area.CheckoutRequest(idempotency_key=self.checkout_key,
                                                expected_total=self.total_minor)
        try:  # the processor is called to open the payment: off the event loop
            result = await with_session(lambda s: commerce_area.place_order(
                session=s, actor=actor, request=request))
        except DomainError as exc:
            self.busy = False
            self._reload()
            yield rx.toast.error(exc.message)
            return
        self.busy = False
        yield rx.redirect(f"{routes.CHECKOUT}/{result.number}")


def _line(line: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.hstack(
                rx.badge(line["kind"], variant="soft", size="1"),
                rx.cond(line["href"] != "",
                        rx.link(line["title"], href=line["href"], weight="medium"),
                        rx.text(line["title"], weight="medium")),
                align="center",
                spacing="2",
                wrap="wrap",
            ),
            rx.cond(line["credits_note"] != "",
                    rx.text(line["credits_note"], size="1", color_scheme="green",
                            class_name="line-credits")),
            rx.text(line["department"], size="1", color_scheme="gray"),
            rx.cond(
                line["note"] != "",
                rx.callout(line["note"], icon="info", color_scheme="amber", size="1"),
            ),
            spacing="1",
            align="start",
            flex="1",
        ),
        rx.vstack(
            rx.text(line["price"], weight="bold", class_name="line-price"),
            rx.cond(line["discount"] != "",
                    rx.text(line["discount"], size="1", color_scheme="green")),
            align="end",
            spacing="0",
        ),
        rx.icon_button(
            rx.icon("trash-2", size=16),
            variant="ghost",
            color_scheme="red",
            aria_label=f"Remove {line['title']}",
            on_click=CartState.remove(line["id"]),
        ),
        align="start",
        spacing="3",
        width="100%",
        padding_y="0.75em",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        class_name="cart-line",
    )


def _code_box() -> rx.Component:
    return rx.cond(
        CartState.has_discount,
        rx.hstack(
            rx.badge(rx.icon("ticket-percent", size=14), CartState.discount_code, size="2",
                     color_scheme="green", id="applied-code"),
            rx.text("− ", CartState.labels["discount"], color_scheme="green", size="2"),
            rx.spacer(),
            rx.button("Remove code", variant="ghost", size="1", on_click=CartState.remove_code),
            align="center",
            width="100%",
        ),
        rx.form(
            rx.vstack(
                rx.hstack(
                    rx.input(name="code", placeholder="Discount code", id="discount-code",
                             flex="1", aria_label="Discount code"),
                    rx.button("Apply", type="submit", variant="soft", id="apply-code"),
                    width="100%",
                ),
                rx.cond(CartState.code_error != "",
                        rx.text(CartState.code_error, color_scheme="red", size="1",
                                id="code-error")),
                width="100%",
                spacing="1",
            ),
            on_submit=CartState.apply_code,
            reset_on_submit=False,
            width="100%",
        ),
    )


def _row(label: str | rx.Var[str], value: rx.Var[str], **props: Any) -> rx.Component:
    return rx.hstack(rx.text(label, size="2"), rx.spacer(), rx.text(value, size="2", **props),
                     width="100%")


def _summary() -> rx.Component:
    return card_column(
        rx.heading("Summary", size="4"),
        rx.hstack(
            rx.text("Show prices in", size="2"),
            rx.spacer(),
            rx.select(CartState.display_choices, value=CartState.display_currency,
                      on_change=CartState.set_display_currency, size="1",
                      id="display-currency"),
            width="100%",
            align="center",
        ),
        rx.vstack(
            rx.text("Billing country (for tax)", size="2"),
            rx.select.root(
                rx.select.trigger(placeholder="Choose your country", width="100%",
                                  id="billing-country"),
                rx.select.content(
                    *[rx.select.item(name, value=code) for code, name in COUNTRIES]
                ),
                value=CartState.billing_country,
                on_change=CartState.set_country,
            ),
            rx.form(
                rx.hstack(
                    rx.input(name="region", placeholder="State / region (e.g. NY)",
                             default_value=CartState.billing_region, flex="1",
                             id="billing-region"),
                    rx.button("Update", type="submit", variant="soft", size="2"),
                    width="100%",
                ),
                on_submit=CartState.set_region,
                reset_on_submit=False,
                width="100%",
            ),
            width="100%",
            spacing="1",
        ),
        rx.divider(),
        _row("Subtotal", CartState.labels["subtotal"], id="cart-subtotal"),
        rx.cond(CartState.has_discount,
                _row("Discount", "− " + CartState.labels["discount"].to(str),
                     color_scheme="green", id="cart-discount")),
        _row(rx.cond(CartState.tax_label != "", CartState.tax_label, "Tax"),
             CartState.labels["tax"], id="cart-tax"),
        rx.divider(),
        rx.hstack(rx.text("Total", weight="bold"), rx.spacer(),
                  rx.text(CartState.labels["total"], weight="bold", size="5",
                          id="cart-total"), width="100%", align="center"),
        rx.cond(CartState.display_note != "",
                rx.text(CartState.display_note, size="1", color_scheme="gray",
                        id="display-note")),
        rx.foreach(CartState.blockers,
                   lambda b: rx.callout(b, icon="triangle-alert", color_scheme="red",
                                        size="1")),
        icon_label_button(
            "lock",
            rx.cond(AuthState.signed_in, "Check out", "Sign in to check out"),
            size="3",
            width="100%",
            disabled=~CartState.can_check_out,
            loading=CartState.busy,
            on_click=CartState.check_out,
            id="checkout",
        ),
        rx.text("Secure payment. You can review everything before paying.", size="1",
                color_scheme="gray"),
    )


def cart_page() -> rx.Component:
    return store_page(
        rx.heading("Your cart", size="6"),
        rx.cond(
            ~CartState.loaded,
            rx.center(rx.spinner(size="3"), width="100%", padding="3em"),
            rx.cond(
                CartState.lines.length() == 0,
                rx.card(
                    rx.vstack(
                        empty_state(
                            "shopping-cart",
                            "Your cart is empty",
                            "Browse the catalog to find a course or a program.",
                        ),
                        rx.link(rx.button("Browse courses"), href=routes.STORE),
                        align="center",
                    ),
                    width="100%",
                ),
                rx.flex(
                    rx.card(
                        rx.vstack(
                            rx.foreach(CartState.notices,
                                       lambda n: rx.callout(n, icon="info", size="1",
                                                            color_scheme="amber")),
                            rx.box(rx.foreach(CartState.lines, _line), width="100%",
                                   id="cart-lines"),
                            _code_box(),
                            spacing="3",
                            width="100%",
                        ),
                        flex="2",
                        width="100%",
                    ),
                    rx.box(_summary(), flex="1", width="100%", min_width=["auto", "320px"]),
                    direction=rx.breakpoints(initial="column", md="row"),
                    spacing="4",
                    width="100%",
                    align="start",
                ),
            ),
        ),
    )
