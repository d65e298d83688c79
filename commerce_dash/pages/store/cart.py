"""The cart: lines with their prices, one discount code, tax by billing address, totals,
display currency, and checkout (sign-in first; the cart comes along).

Over 400 lines (452) as one module on purpose for now: the state (about 170 lines) and the
page's pieces are one page's, and every rule they show lives in services.commerce. The natural
cut, if it grows, is the state into cart_state.py as the other store pages have it."""

from __future__ import annotations

import uuid
from typing import Any

import reflex as rx
from babel import Locale

from commerce_dash import routes
from commerce_dash.components.review_hold import review_hold_banner
from commerce_dash.components.shell import store_page
from commerce_dash.components.store_panels import card_column, icon_label_button
from commerce_dash.components.tables import empty_state
from commerce_dash.domain.errors import DomainError
from commerce_dash.services import commerce as commerce_area
from commerce_dash.services.commerce import CartView
from commerce_dash.state.auth import AuthState, owner_of
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
    # what tax still needs, beside its field ("" when given), and whether the address is the
    # learner's last order's
    country_error: str = ""
    region_error: str = ""
    billing_prefilled: bool = False
    tax_amount_label: str = ""  # the tax line's amount, or what it waits for
    tax_rates: list[list[str]] = []  # [label, amount] of each rate when there are several
    tax_note: str = ""  # TaxJar did not answer: the table's rates serve
    review_hold: str = ""  # held for payment review: why, and how it is lifted
    checkout_reason: str = ""  # why Check out is disabled ("" when it is not)
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
        self.tax_label = view.tax_label if view.tax_source != "none" else "Tax"
        self.country_error = view.billing_errors.get("billing_country", "")
        self.region_error = view.billing_errors.get("billing_region", "")
        self.billing_prefilled = view.billing_prefilled
        self.tax_amount_label = ("Needs your billing country" if self.country_error
                                 else "Needs your state or region" if self.region_error
                                 else view.labels["tax"])
        self.tax_rates = ([list(row) for row in view.tax_rate_rows]
                          if len(view.tax_rate_rows) > 1 else [])
        self.tax_note = ("Our tax service did not answer, so tax is from our rate table."
                         if view.tax_fallback else "")
        self.review_hold = view.review_hold
        self.display_currency = view.display_currency
        self.settlement_currency = view.currency
        self.display_choices = view.display_choices
        self.display_note = commerce_area.currency_note(view)
        self.billing_country, self.billing_region = view.billing[0], view.billing[1]
        self.notices = view.notices
        self.blockers = view.blockers
        self.can_check_out = view.ready_to_pay
        self.checkout_reason = _checkout_reason(view)
        self.total_minor = view.totals.total
        self.cart_count = view.count
        if view.fingerprint != self._checkout_key_for or not self.checkout_key:
            # one request per cart state: checking the same cart out again is the same order
            self.checkout_key = f"web-{uuid.uuid4().hex}"
            self._checkout_key_for = view.fingerprint

    async def _reload(self) -> None:
        # pricing the cart may ask TaxJar (a network call): off the event loop, with the
        # session looked up there too
        key, cart_token = self.session_key(), self.cart_token
        self._show(await with_session(lambda s: commerce_area.view_cart(
            session=s, owner=owner_of(key.resolve(s), cart_token))))

    @rx.event
    async def load(self) -> None:
        # who is signed in and the cart badge, then the cart: both off the event loop
        actor = await self.refresh_session()
        self.code_error = ""
        owner = self.cart_owner(actor)
        self._show(await with_session(
            lambda s: commerce_area.view_cart(session=s, owner=owner)))

    async def _change(self, action: Any) -> list[Any]:
        owner = self.cart_owner(await self.actor_off_loop())
        try:
            await with_session(lambda s: action(s, owner))
        except DomainError as exc:
            await self._reload()
            return [rx.toast.error(exc.message)]
        await self._reload()
        return []

    @rx.event
    async def remove(self, line_id: str):  # type: ignore[no-untyped-def]
        title = next((line["title"] for line in self.lines if line["id"] == line_id), "The item")
        events = await self._change(lambda s, o: commerce_area.remove_line(
            session=s, owner=o, line_id=route_int(line_id) or 0))  # 0: not found
        return events or [rx.toast.info(f"{title} was removed from your cart.")]

    @rx.event
    async def apply_code(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        self.code_error = ""
        owner, client_ip = self.cart_owner(await self.actor_off_loop()), self._client_ip()
        try:
            applied = await with_session(lambda s: commerce_area.apply_code(
                session=s, owner=owner, client_ip=client_ip, code=form.get("code", "")))
        except DomainError as exc:
            self.code_error = exc.message
            return None
        await self._reload()
        return rx.toast.success(f"Code {applied.code} applied: you save "
                                f"{self.labels.get('discount', '')}.")

    @rx.event
    async def remove_code(self):  # type: ignore[no-untyped-def]
        await self._change(lambda s, o: commerce_area.remove_code(session=s, owner=o))
        return rx.toast.info("The discount code was removed.")

    @rx.event
    async def set_display_currency(self, value: str):  # type: ignore[no-untyped-def]
        return await self._change(lambda s, o: commerce_area.set_preferences(
            session=s, owner=o, display_currency=value))

    @rx.event
    async def set_country(self, value: str):  # type: ignore[no-untyped-def]
        return await self._change(lambda s, o: commerce_area.set_preferences(
            session=s, owner=o, billing_country=value, billing_region=""))

    @rx.event
    async def set_region(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        return await self._change(lambda s, o: commerce_area.set_preferences(
            session=s, owner=o, billing_region=form.get("region", ""),
            billing_postal_code=form.get("postal_code", "")))

    @rx.event
    async def check_out(self):  # type: ignore[no-untyped-def]
        actor = await self.actor_off_loop()
        if actor is None:
            yield rx.redirect(f"{routes.LOGIN}?next={routes.CART}")
            return
        self.busy = True
        yield
        request = commerce_area.CheckoutRequest(idempotency_key=self.checkout_key,
                                                expected_total=self.total_minor,
                                                require_billing=True)
        try:  # the processor is called to open the payment: off the event loop
            result = await with_session(lambda s: commerce_area.place_order(
                session=s, actor=actor, request=request))
        except DomainError as exc:
            self.busy = False
            await self._reload()
            if exc.field in ("billing_country", "billing_region"):
                return  # the message is beside its field (the reload put it there)
            yield rx.toast.error(exc.message)
            return
        self.busy = False
        yield rx.redirect(f"{routes.CHECKOUT}/{result.number}")


def _checkout_reason(view: CartView) -> str:
    """Why Check out is disabled, said beside it ("" when it is not)."""
    if not view.lines or view.ready_to_pay:
        return ""
    if view.review_hold:
        return "Checkout is paused while your account is reviewed (see above)."
    if view.billing_errors:
        return "Add your billing address above so the tax can be calculated."
    return "Resolve the notes above to check out."


def _review_banner() -> rx.Component:
    """The payment-review hold, on the page for as long as it lasts (not only a toast)."""
    return rx.cond(
        CartState.review_hold != "",
        review_hold_banner(CartState.review_hold),
    )


def _field_error(message: rx.Var[str], id: str) -> rx.Component:
    return rx.cond(message != "", rx.text(message, color_scheme="red", size="1", id=id,
                                          role="alert"))


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
                      id="display-currency",
                      custom_attrs={"aria-label": "Show prices in"}),
            width="100%",
            align="center",
        ),
        rx.vstack(
            rx.text("Billing country (for tax)", size="2", id="billing-country-label"),
            rx.select.root(
                rx.select.trigger(placeholder="Choose your country", width="100%",
                                  id="billing-country", aria_label="Billing country",
                                  aria_invalid=rx.cond(CartState.country_error != "",
                                                       "true", "false")),
                rx.select.content(
                    *[rx.select.item(name, value=code) for code, name in COUNTRIES]
                ),
                value=CartState.billing_country,
                on_change=CartState.set_country,
            ),
            _field_error(CartState.country_error, "billing-country-error"),
            rx.form(
                rx.hstack(
                    rx.input(name="region", placeholder="State / region (e.g. NY)",
                             default_value=CartState.billing_region, flex="1",
                             id="billing-region", aria_label="State or region",
                             key=CartState.billing_region),
                    rx.button("Update", type="submit", variant="soft", size="2",
                              id="billing-region-save"),
                    width="100%",
                ),
                on_submit=CartState.set_region,
                reset_on_submit=False,
                width="100%",
            ),
            _field_error(CartState.region_error, "billing-region-error"),
            rx.cond(CartState.billing_prefilled,
                    rx.text("From your last order; change it if it moved.", size="1",
                            color_scheme="gray", id="billing-prefilled")),
            width="100%",
            spacing="1",
        ),
        rx.divider(),
        _row("Subtotal", CartState.labels["subtotal"], id="cart-subtotal"),
        rx.cond(CartState.has_discount,
                _row("Discount", "− " + CartState.labels["discount"].to(str),
                     color_scheme="green", id="cart-discount")),
        _row(rx.cond(CartState.tax_label != "", CartState.tax_label, "Tax"),
             CartState.tax_amount_label, id="cart-tax"),
        rx.foreach(CartState.tax_rates,
                   lambda r: rx.hstack(rx.text(r[0], size="1"), rx.spacer(),
                                       rx.text(r[1], size="1"), width="100%",
                                       class_name="cart-tax-rate")),
        rx.cond(CartState.tax_note != "",
                rx.text(CartState.tax_note, size="1", color_scheme="gray", id="tax-note")),
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
            aria_describedby=rx.cond(CartState.checkout_reason != "", "checkout-reason", ""),
        ),
        rx.cond(CartState.checkout_reason != "",
                rx.text(CartState.checkout_reason, size="2", color_scheme="red",
                        id="checkout-reason")),
        rx.cond(~AuthState.signed_in, rx.text(  # issue 19: both come back to this cart
            rx.link("Create an account", href=f"{routes.REGISTER}?next={routes.CART}",
                    id="cart-register"), " or ",
            rx.link("sign in", href=f"{routes.LOGIN}?next={routes.CART}", id="cart-sign-in"),
            " and come back to this cart.", size="2")),
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
                            _review_banner(),
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
