"""Pay for a pending order (/checkout/[number]): summary, then the card form of the order's
processor (the built-in sandbox, Stripe's card field and wallet, Razorpay Checkout, Square's
card and wallets, Elavon's Lightbox), then the result.

One page and one state for every processor: each processor's part is a small form and a
handler or two that hand its script's answer to ``services.commerce``; splitting them would
split the state the page reads."""

from __future__ import annotations

import json
from urllib.parse import quote

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.review_hold import review_hold_banner
from commerce_dash.components.shell import store_page
from commerce_dash.components.store_panels import card_column
from commerce_dash.db import session_scope
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.identifiers import parse_id
from commerce_dash.payments.base import IntentResult, IntentStatus
from commerce_dash.payments.sandbox import TEST_CARDS, CardInput
from commerce_dash.services import commerce as commerce_area
from commerce_dash.settings import get_settings
from commerce_dash.state.auth import AuthState
from commerce_dash.state.offload import with_session
from commerce_dash.state.route_args import route_number

CARD_ELEMENT_ID = "card-element"
_WAIT_AND_MOUNT = """
(async () => {
  for (let i = 0; i < 100 && !(window.cdStripe && window.Stripe); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (!window.cdStripe) { return false; }
  return window.cdStripe.mount(%s, %s, %s);
})()
"""


# the page's own script (rx.script) may still be loading when the first event needs it
_WAIT_FOR = """
(async () => {
  for (let i = 0; i < 100 && !window.%s; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (!window.%s) { return false; }
  return %s;
})()
"""


def _text(form: object, name: str) -> str:
    """A field of a submitted form; "" when the form or the field is no text (a forged
    event can send any JSON)."""
    value = form.get(name, "") if isinstance(form, dict) else ""
    return value if isinstance(value, str) else ""


def _answer(raw: object) -> dict[str, object]:
    """The JSON object a card-form script answers with; {} for anything else."""
    try:
        data = json.loads(raw) if isinstance(raw, str) and raw else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class CheckoutState(AuthState):
    phase: str = "loading"  # loading | pay | done | closed | missing
    order_ref: str = ""
    processor: str = ""
    lines: list[dict[str, str]] = []
    labels: dict[str, str] = {}
    discount_code: str = ""
    tax_label: str = "Tax"
    display_note: str = ""
    locked_until: str = ""
    email: str = ""
    error: str = ""
    paying: bool = False
    card_ready: bool = False
    client_secret: str = ""
    publishable_key: str = ""
    hosted: dict[str, str] = {}
    total_minor: int = 0
    currency: str = ""
    wallet_ready: bool = False  # a wallet button (Google Pay...) is shown beside the card
    success_url: str = ""  # an app's return address (one-call enrollment)
    cancel_url: str = ""
    missing_message: str = ""
    tax_rates: list[list[str]] = []  # [label, amount] of each rate when there are several
    review_hold: str = ""  # held for payment review: why paying is paused, how it is lifted

    def _apply(self, summary: commerce_area.CheckoutSummary) -> None:
        self.order_ref = summary.number
        self.processor = summary.processor
        self.lines = summary.lines
        self.labels = summary.labels
        self.discount_code = summary.discount_code
        self.tax_label = summary.tax_label
        self.tax_rates = summary.tax_rates
        self.review_hold = summary.review_hold
        self.display_note = summary.display_note
        self.locked_until = summary.locked_until
        self.email = summary.email
        self.client_secret = summary.client_secret
        self.publishable_key = summary.publishable_key
        self.hosted = summary.hosted
        self.total_minor, self.currency = summary.total, summary.currency
        self.success_url, self.cancel_url = summary.success_url, summary.cancel_url
        if summary.status == "completed":
            self.phase = "done"
        elif summary.status == "pending":
            self.phase = "pay"
            self.error = summary.hosted.get("error") or summary.failure_reason
        else:
            self.phase = "closed"
            self.error = summary.failure_reason or f"This order is {summary.status}."

    def _refresh(self) -> bool:
        actor = self.current_actor()
        if actor is None:
            return False
        with session_scope() as session:
            self._apply(commerce_area.checkout_summary(session=session, actor=actor,
                                                       number=self.order_ref))
        return True

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        number = route_number(self, routes.CHECKOUT)
        self.load_session()
        here = f"{routes.CHECKOUT}/{quote(number, safe='')}"
        if not self.signed_in:
            yield rx.redirect(f"{routes.LOGIN}?next={quote(here, safe='/')}")
            return
        if number.upper() != self.order_ref.upper():
            self.phase = "loading"
            self.card_ready = False
        self.order_ref = number
        self.error = ""
        try:
            self._refresh()
        except DomainError as exc:
            self.phase, self.missing_message = "missing", exc.message
            return
        if self.phase == "pay" and self.processor == "stripe":
            yield
            yield self._mount_script()
        elif self.phase == "pay" and self.processor == "square" and \
                not self.hosted.get("error"):
            yield
            yield self._mount_square()

    def _mount_script(self):  # type: ignore[no-untyped-def]
        script = _WAIT_AND_MOUNT % (json.dumps(self.publishable_key),
                                    json.dumps(self.client_secret), json.dumps(CARD_ELEMENT_ID))
        return rx.call_script(script, callback=CheckoutState.card_mounted)

    @rx.event
    def card_mounted(self, ok: bool):  # type: ignore[no-untyped-def]
        self.card_ready = bool(ok)
        if not ok:
            self.error = "The card form could not load. Check your connection and reload."
            return None
        if self.processor != "stripe":
            return None
        options = {"amount": self.total_minor, "currency": self.currency,
                   "label": f"Order {self.order_ref}"}
        return rx.call_script(f"window.cdStripe.mountWallet({json.dumps(options)})",
                              callback=CheckoutState.wallet_mounted)

    @rx.event
    def wallet_mounted(self, ok: bool) -> None:
        self.wallet_ready = bool(ok)

    @rx.event
    def pay_stripe_wallet(self):  # type: ignore[no-untyped-def]
        """The wallet's sheet made a PaymentMethod: confirm the intent with it."""
        self.error = ""
        self.paying = True
        return rx.call_script("window.cdStripe.takeWallet()",
                              callback=CheckoutState.stripe_wallet_method)

    @rx.event
    async def stripe_wallet_method(self, answer: str):  # type: ignore[no-untyped-def]
        actor = self.current_actor()
        data = _answer(answer)
        method = str(data.get("payment_method") or "")
        if actor is None or not method:
            self.paying = False
            self.error = str(data.get("message") or "The wallet gave no card.")
            return rx.call_script("window.cdStripe.walletDone(false)")
        number = self.order_ref
        try:
            result = await with_session(lambda s: commerce_area.stripe_pay(
                session=s, actor=actor, number=number, payment_method=method))
        except DomainError as exc:
            self.paying = False
            self.error = exc.message
            return [rx.call_script("window.cdStripe.walletDone(false)"),
                    rx.toast.error(exc.message)]
        done = rx.call_script(
            f"window.cdStripe.walletDone({json.dumps(result.status is not IntentStatus.FAILED)})")
        if result.status is IntentStatus.REQUIRES_ACTION:
            return [done, rx.call_script("window.cdStripe.authenticate()",
                                         callback=CheckoutState.stripe_authenticated)]
        after = self._after(result)
        return [done] if after is None else [done, after]

    def _after(self, result: IntentResult):  # type: ignore[no-untyped-def]
        self.paying = False
        if result.status is IntentStatus.REQUIRES_ACTION and self.processor == "sandbox":
            return rx.redirect(f"{routes.SANDBOX_3DS}/{result.intent_id}")
        self._refresh()
        if result.status is IntentStatus.FAILED:
            self.error = result.failure_message or "The payment did not go through."
            return rx.toast.error(self.error)
        if self.phase == "done":
            self.refresh_cart_count(self.current_actor())  # the bought items left the cart
            return rx.toast.success("Payment received. Thank you!")
        if result.status is IntentStatus.PROCESSING:
            return rx.toast.info("Your payment is being processed.")
        return None

    @rx.event
    async def pay_sandbox(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        actor = self.current_actor()
        if actor is None:
            return rx.redirect(routes.LOGIN)
        self.error = ""
        expiry = _text(form, "expiry").replace(" ", "")
        month_text, _, year_text = expiry.partition("/")
        # ASCII digits only: a month 1-12 and a year as YY or YYYY
        month, year = parse_id(month_text, high=12), parse_id(year_text, high=9999)
        if month is None or year is None:
            self.error = "Enter the expiry as MM/YY."
            return None
        card = CardInput(_text(form, "card_number"), month, year, _text(form, "cvc").strip())
        self.paying = True
        number = self.order_ref
        try:
            result = await with_session(lambda s: commerce_area.sandbox_pay(
                session=s, actor=actor, number=number, card=card))
        except DomainError as exc:
            self.paying = False
            try:
                self._refresh()
            except DomainError as gone:  # no such order of the learner's (the page never
                self.phase, self.missing_message = "missing", gone.message  # loaded one)
            self.error = exc.message  # this answer, not the last decline the refresh shows
            return rx.toast.error(exc.message)
        return self._after(result)

    @rx.event
    def pay_stripe(self):  # type: ignore[no-untyped-def]
        self.error = ""
        self.paying = True
        return rx.call_script("window.cdStripe.tokenize()", callback=CheckoutState.stripe_token)

    @rx.event
    async def stripe_token(self, answer: str):  # type: ignore[no-untyped-def]
        actor = self.current_actor()
        data = _answer(answer)
        if actor is None or not data.get("token"):
            self.paying = False
            self.error = str(data.get("message") or "Check your card details.")
            return None
        number, token, card = self.order_ref, str(data["token"]), str(data.get("card", ""))
        try:
            result = await with_session(lambda s: commerce_area.stripe_pay(
                session=s, actor=actor, number=number, token=token, card_id=card))
        except DomainError as exc:
            self.paying = False
            self.error = exc.message
            return rx.toast.error(exc.message)
        if result.status is IntentStatus.REQUIRES_ACTION:
            return rx.call_script("window.cdStripe.authenticate()",
                                  callback=CheckoutState.stripe_authenticated)
        return self._after(result)

    @rx.event
    async def stripe_authenticated(self, answer: str):  # type: ignore[no-untyped-def]
        actor = self.current_actor()
        if actor is None:
            return rx.redirect(routes.LOGIN)
        data = _answer(answer)
        number = self.order_ref
        try:
            result = await with_session(lambda s: commerce_area.confirm_payment(
                session=s, actor=actor, number=number))
        except DomainError as exc:
            self.paying = False
            self.error = exc.message
            return rx.toast.error(exc.message)
        if result.status is IntentStatus.FAILED and not result.failure_message:
            result = IntentResult(result.intent_id, result.status, result.amount,
                                  result.currency,
                                  failure_message=str(data.get("message") or ""))
        return self._after(result)


    # -- processors whose own script takes the payment (Razorpay, Square, Elavon) ----------
    @rx.event
    async def pay_hosted(self):  # type: ignore[no-untyped-def]
        """Razorpay Checkout or Elavon's Lightbox opens over the page; Square pays with the
        card field mounted on load."""
        actor = self.current_actor()
        if actor is None:
            return rx.redirect(routes.LOGIN)
        if self.hosted.get("error"):
            self.error = self.hosted["error"]
            return None
        self.error = ""
        self.paying = True
        if self.processor == "square":
            return rx.call_script("window.cdSquare.tokenize()",
                                  callback=CheckoutState.hosted_answered)
        number = self.order_ref
        try:
            extra = await with_session(lambda s: commerce_area.hosted_checkout_start(
                session=s, actor=actor, number=number))
        except DomainError as exc:
            self.paying = False
            self.error = exc.message
            return rx.toast.error(exc.message)
        options = {**self.hosted, **extra, "name": "Commerce Dash", "email": self.email,
                   "description": f"Order {number}"}
        script = {"razorpay": "cdRazorpay", "elavon": "cdElavon"}.get(self.processor)
        if script is None:
            self.paying = False
            return None
        return rx.call_script(_WAIT_FOR % (script, script,
                                           f"window.{script}.pay({json.dumps(options)})"),
                              callback=CheckoutState.hosted_answered)

    @rx.event
    def pay_wallet(self):  # type: ignore[no-untyped-def]
        """Google Pay's own button made a token (Square): send it."""
        self.error = ""
        self.paying = True
        return rx.call_script("window.cdSquare.take()", callback=CheckoutState.hosted_answered)

    @rx.event
    async def hosted_answered(self, answer: str):  # type: ignore[no-untyped-def]
        actor = self.current_actor()
        if actor is None:
            return rx.redirect(routes.LOGIN)
        data = _answer(answer)
        if data.get("status") not in ("paid", "declined"):
            self.paying = False
            self.error = str(data.get("message") or "")
            return rx.toast.error(self.error) if self.error else None
        fields = {k: str(v) for k, v in data.items()
                  if k not in ("status", "message") and isinstance(v, str)}
        number = self.order_ref
        try:
            result = await with_session(lambda s: commerce_area.hosted_checkout_pay(
                session=s, actor=actor, number=number, fields=fields))
        except DomainError as exc:
            self.paying = False
            if exc.code == "order_not_payable":  # the webhook was first: show the order
                self._refresh()
                if self.phase == "done":
                    self.refresh_cart_count(actor)
                    return rx.toast.success("Payment received. Thank you!")
            self.error = exc.message
            return rx.toast.error(exc.message)
        return self._after(result)

    def _mount_square(self):  # type: ignore[no-untyped-def]
        return rx.call_script(_WAIT_FOR % ("cdSquare", "cdSquare",
                                           f"window.cdSquare.mount({json.dumps(self.hosted)})"),
                              callback=CheckoutState.card_mounted)


def _summary() -> rx.Component:
    return card_column(
        rx.hstack(rx.heading("Order ", CheckoutState.order_ref, size="4"),
                  rx.spacer(), rx.badge("Prices held until ", CheckoutState.locked_until,
                                        color_scheme="gray"), width="100%", wrap="wrap"),
        rx.foreach(
            CheckoutState.lines,
            lambda line: rx.hstack(
                rx.badge(line["kind"], variant="soft", size="1"),
                rx.vstack(
                    rx.text(line["title"], size="2"),
                    rx.cond(line["credits_note"],
                            rx.text(line["credits_note"], size="1", color_scheme="green",
                                    class_name="line-credits")),
                    spacing="0",
                    align="start",
                ),
                rx.spacer(),
                rx.vstack(rx.text(line["amount"], size="2"),
                          rx.cond(line["discount"] != "",
                                  rx.text(line["discount"], size="1", color_scheme="green")),
                          align="end", spacing="0"),
                width="100%",
                align="center",
            ),
        ),
        rx.divider(),
        rx.hstack(rx.text("Subtotal", size="2"), rx.spacer(),
                  rx.text(CheckoutState.labels["subtotal"], size="2"), width="100%"),
        rx.cond(CheckoutState.discount_code != "",
                rx.hstack(rx.text("Discount (", CheckoutState.discount_code, ")", size="2"),
                          rx.spacer(),
                          rx.text("− ", CheckoutState.labels["discount"], size="2",
                                  color_scheme="green"), width="100%")),
        rx.hstack(rx.text(CheckoutState.tax_label, size="2"), rx.spacer(),
                  rx.text(CheckoutState.labels["tax"], size="2", id="checkout-tax"),
                  width="100%"),
        rx.foreach(CheckoutState.tax_rates,
                   lambda r: rx.hstack(rx.text(r[0], size="1", color_scheme="gray"),
                                       rx.spacer(),
                                       rx.text(r[1], size="1", color_scheme="gray"),
                                       width="100%", class_name="checkout-tax-rate")),
        rx.hstack(rx.text("Total", weight="bold"), rx.spacer(),
                  rx.text(CheckoutState.labels["total"], weight="bold", size="5",
                          id="checkout-total"), width="100%", align="center"),
        rx.cond(CheckoutState.display_note != "",
                rx.text(CheckoutState.display_note, size="1", color_scheme="gray")),
        spacing="2",
    )


def _sandbox_form() -> rx.Component:
    return rx.vstack(
        rx.callout(
            "Test mode: no real card is charged. Use a test card below.",
            icon="flask-conical", color_scheme="blue", size="1",
        ),
        rx.form(
            rx.vstack(
                rx.text("Card number", size="2", weight="medium"),
                rx.input(name="card_number", placeholder="4242 4242 4242 4242", id="card-number",
                         input_mode="numeric", auto_complete="cc-number", width="100%",
                         required=True),
                rx.hstack(
                    rx.vstack(rx.text("Expiry", size="2", weight="medium"),
                              rx.input(name="expiry", placeholder="MM/YY", id="card-expiry",
                                       auto_complete="cc-exp", required=True),
                              spacing="1", flex="1"),
                    rx.vstack(rx.text("CVC", size="2", weight="medium"),
                              rx.input(name="cvc", placeholder="123", id="card-cvc",
                                       input_mode="numeric", auto_complete="cc-csc",
                                       required=True),
                              spacing="1", flex="1"),
                    width="100%",
                ),
                rx.button(rx.icon("lock", size=16), "Pay ", CheckoutState.labels["total"],
                          type="submit", size="3", width="100%", loading=CheckoutState.paying,
                          id="pay"),
                spacing="3",
                width="100%",
            ),
            on_submit=CheckoutState.pay_sandbox,
            reset_on_submit=False,
            width="100%",
        ),
        rx.box(
            rx.text("Test cards", size="1", weight="bold"),
            *[rx.text(f"{number[:4]} {number[4:8]} {number[8:12]} {number[12:]}: {label}",
                      size="1", color_scheme="gray", font_family="monospace")
              for number, label in TEST_CARDS],
            rx.text("Any future expiry and any 3 digits for the CVC.", size="1",
                    color_scheme="gray"),
        ),
        spacing="3",
        width="100%",
    )


def _pay_button(on_click, disabled=False) -> rx.Component:  # type: ignore[no-untyped-def]
    return rx.button(rx.icon("lock", size=16), "Pay ", CheckoutState.labels["total"], size="3",
                     width="100%", loading=CheckoutState.paying,
                     disabled=CheckoutState.hosted.contains("error") | disabled,
                     on_click=on_click, id="pay")


def _processor_form(script: str, processor: str, *body: rx.Component) -> rx.Component:
    """A processor's form: its page script, ``body``, and what never reaches us."""
    return rx.vstack(
        rx.script(src=script),
        *body,
        rx.text(f"Payment details go straight to {processor}; we never see or store them.",
                size="1", color_scheme="gray"),
        spacing="3",
        width="100%",
    )


def _stripe_form() -> rx.Component:
    return _processor_form(
        get_settings().stripe_js_url,
        "Stripe",
        rx.script(src="/js/stripe_checkout.js"),
        rx.text("Card", size="2", weight="medium"),
        rx.box(id=CARD_ELEMENT_ID, padding="0.75em", border=f"1px solid {rx.color('gray', 6)}",
               border_radius="6px", width="100%", min_height="44px"),
        rx.button(rx.icon("lock", size=16), "Pay ", CheckoutState.labels["total"], size="3",
                  width="100%", loading=CheckoutState.paying, disabled=~CheckoutState.card_ready,
                  on_click=CheckoutState.pay_stripe, id="pay"),
        # Google Pay (or Apple Pay) where the browser offers one: Stripe's button
        rx.box(id="stripe-wallet", width="100%",
               display=rx.cond(CheckoutState.wallet_ready, "block", "none")),
        rx.button("Send the wallet payment", on_click=CheckoutState.pay_stripe_wallet,
                  id="stripe-wallet-submit", display="none"),
    )


def _razorpay_form() -> rx.Component:
    return _processor_form(
        "/js/razorpay_checkout.js", "Razorpay",
        rx.text("Pay by card, UPI, net banking or a wallet in Razorpay's secure checkout.",
                size="2"),
        _pay_button(CheckoutState.pay_hosted),
    )


def _square_form() -> rx.Component:
    return _processor_form(
        "/js/square_checkout.js", "Square",
        rx.box(id="square-apple-pay", width="100%"),
        rx.box(id="square-google-pay", width="100%"),
        rx.box(id="square-card", width="100%", min_height="44px"),
        _pay_button(CheckoutState.pay_hosted, disabled=~CheckoutState.card_ready),
        # a wallet's own button presses this one once it has its token
        rx.button("Send the wallet payment", on_click=CheckoutState.pay_wallet,
                  id="square-wallet-submit", display="none"),
    )


def _elavon_form() -> rx.Component:
    return _processor_form(
        "/js/elavon_checkout.js", "Elavon",
        rx.text("Pay by card in Elavon's secure checkout.", size="2"),
        _pay_button(CheckoutState.pay_hosted),
    )


def _pay_card() -> rx.Component:
    return card_column(
        rx.heading("Payment", size="4"),
        rx.cond(CheckoutState.cancel_url != "",
                rx.link("Cancel and return to the app", href=CheckoutState.cancel_url,
                        size="2", id="cancel-to-app")),
        rx.cond(CheckoutState.error != "",
                rx.callout(CheckoutState.error, icon="circle-alert", color_scheme="red",
                           id="payment-error")),
        rx.cond(
            CheckoutState.review_hold != "",
            _held(),
            rx.match(CheckoutState.processor,
                     ("stripe", _stripe_form()),
                     ("razorpay", _razorpay_form()),
                     ("square", _square_form()),
                     ("elavon", _elavon_form()),
                     _sandbox_form()),
        ),
    )


def _held() -> rx.Component:
    """Held for payment review: the reason and how it is lifted, on the page for as long as it
    lasts, and the Pay button disabled beside it."""
    return rx.vstack(
        review_hold_banner(CheckoutState.review_hold),
        rx.button(rx.icon("lock", size=16), "Pay ", CheckoutState.labels["total"], size="3",
                  width="100%", disabled=True, id="pay", aria_describedby="review-hold"),
        spacing="3",
        width="100%",
    )


def _done() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.icon("circle-check", size=48, color=rx.color("green", 9)),
            rx.heading("Thank you! Your order is complete.", size="5", id="order-complete"),
            rx.text("Order ", rx.text.strong(CheckoutState.order_ref), " is paid. A "
                    "confirmation is on its way to ", CheckoutState.email, "."),
            rx.hstack(
                rx.cond(CheckoutState.success_url != "",
                        rx.link(rx.button("Return to the app"), href=CheckoutState.success_url,
                                id="return-to-app")),
                rx.link(rx.button("View order"),
                        href=f"{routes.ORDERS}/" + CheckoutState.order_ref.to(str)),
                rx.link(rx.button("Continue shopping", variant="soft"), href=routes.STORE),
                spacing="3",
                wrap="wrap",
            ),
            align="center",
            spacing="3",
            padding="1.5em",
        ),
        width="100%",
    )


def checkout_page() -> rx.Component:
    return store_page(
        rx.heading("Checkout", size="6"),
        rx.match(
            CheckoutState.phase,
            ("loading", rx.center(rx.spinner(size="3"), width="100%", padding="3em")),
            ("missing", rx.callout(CheckoutState.missing_message, icon="search-x",
                                   color_scheme="gray")),
            ("done", _done()),
            ("closed", rx.vstack(
                rx.callout(CheckoutState.error, icon="clock", color_scheme="amber"),
                rx.cond(CheckoutState.cancel_url != "",
                        rx.link(rx.button("Return to the app"), href=CheckoutState.cancel_url,
                                id="return-to-app"),
                        rx.link(rx.button("Back to your cart"), href=routes.CART)),
            )),
            rx.flex(
                rx.box(_summary(), flex="1", width="100%"),
                rx.box(_pay_card(), flex="1", width="100%"),
                direction=rx.breakpoints(initial="column", md="row"),
                spacing="4",
                width="100%",
                align="start",
            ),
        ),
    )
