"""Subscribing to a department (/subscribe/[code]?plan=<price id>): the plans, a discount
code, the billing address for tax, the quote (``commerce.plan_quote``: what is charged today
and then every period), the card, and the 3-D Secure step of the first payment.

The quote may ask a tax provider and subscribing talks to the processor: both run off the
event loop (``state/offload.py``).

A department billed through Stripe (``settings.processor_for``) gets Stripe's card field
instead of the sandbox form, loaded and driven the way the checkout's is (Stripe.js from
``settings.stripe_js_url``, scripts through ``rx.call_script``): Stripe.js turns the card into
a PaymentMethod (``pm_…``), which ``commerce.subscribe`` saves on the customer and charges;
when the first invoice's payment asks for 3-D Secure, Stripe.js confirms its client secret
(the bank's step in Stripe's own window) and Stripe's ``invoice.paid`` event activates the
subscription.

Just over 400 lines: one page's state with its two card paths (the sandbox form, Stripe's
field) and the 3-D Secure step, which share the same submit and answer handling; the form and
quote helpers (``state/subscription_form.py``) and Stripe's script (``state/stripe_card.py``)
already live apart.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from urllib.parse import quote

import reflex as rx
from sqlmodel import Session

from commerce_dash import routes
from commerce_dash.db import session_scope
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.money import format_minor
from commerce_dash.domain.tax import TaxAddress
from commerce_dash.pages.store.cart import COUNTRIES
from commerce_dash.services import catalog as catalog_area
from commerce_dash.services import commerce as commerce_area
from commerce_dash.settings import get_settings
from commerce_dash.state.auth import AuthState
from commerce_dash.state.offload import with_session
from commerce_dash.state.route_args import route_code, route_int
from commerce_dash.state.stripe_card import card_answer, mounted, stripe_card_script
from commerce_dash.state.subscription_form import (
    card_from_form,
    form_text,
    plan_row,
    quote_labels,
)

COUNTRY_CODES = frozenset(code for code, _ in COUNTRIES)
STRIPE_CARD_ID = "stripe-card"  # where Stripe's card field appears on the subscribe page


class SubscribeState(AuthState):
    status: str = "loading"  # loading | found | missing
    department_code: str = ""
    department_name: str = ""
    plans: list[dict[str, str]] = []
    plan_id: str = ""
    discount_code: str = ""  # the code applied to the quote
    code_error: str = ""
    billing_country: str = ""
    billing_region: str = ""
    billing_postal_code: str = ""
    summary: dict[str, str] = {}
    first_total: int = 0  # minor units of the quote, as plan_quote answered
    renewal_total: int = 0
    quote_currency: str = ""
    plan_error: str = ""
    card_error: str = ""
    form_error: str = ""
    busy: bool = False
    step: str = "choose"  # choose | authenticate
    sub_ref: str = ""  # an incomplete subscription of this page: a new card retries it
    authenticate_amount: str = ""
    signin_href: str = ""
    processor: str = "sandbox"  # the department's: sandbox (test cards) | stripe
    publishable_key: str = ""
    card_ready: bool = False  # Stripe's card field is on the page
    _key: str = ""

    # -- reading ---------------------------------------------------------------------------

    def _here(self) -> str:
        here = f"{routes.SUBSCRIBE}/{quote(self.department_code, safe='')}"
        return f"{here}?plan={self.plan_id}" if self.plan_id else here

    def _address(self) -> TaxAddress | None:
        if self.billing_country not in COUNTRY_CODES:
            return None
        return TaxAddress(self.billing_country, self.billing_region, self.billing_postal_code)

    async def _requote(self) -> list[Any]:
        """The quote of the chosen plan, code and address (the code's refusal beside it)."""
        price_id = route_int(self.plan_id)
        if price_id is None:
            self.summary, self.first_total, self.renewal_total = {}, 0, 0
            return []
        actor = self.current_actor()
        user_id = actor.user_id if actor else None
        code, address = self.discount_code, self._address()

        def work(session: Session) -> tuple[commerce_area.PlanQuote, datetime]:
            return (commerce_area.plan_quote(session=session, price_id=price_id, code=code,
                                             address=address, user_id=user_id),
                    commerce_area.billing_now(session))

        try:
            found, now = await with_session(work)
        except DomainError as exc:
            if exc.field == "code":
                self.code_error, self.discount_code = exc.message, ""
                return await self._requote()
            self.summary, self.plan_error = {}, exc.message
            return [rx.toast.error(exc.message)]
        self.plan_error = ""
        self.summary = quote_labels(found, now)
        self.first_total, self.renewal_total = found.first_total, found.renewal_total
        self.quote_currency = found.currency
        return []

    def _prefill_address(self) -> None:
        """The billing address the learner gave the cart, when this page has none yet."""
        if self.billing_country:
            return
        try:
            with session_scope() as session:
                view = commerce_area.view_cart(session=session,
                                               owner=self.cart_owner(self.current_actor()))
        except DomainError:
            return
        self.billing_country, self.billing_region, self.billing_postal_code = view.billing

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        self.load_session()
        dept_code = route_code(self)
        wanted = route_int(self.router.url.query_parameters.get("plan", ""))
        if dept_code.upper() != self.department_code.upper():
            self.status, self.step, self.sub_ref = "loading", "choose", ""
            self.discount_code = ""
            yield
        self.code_error = self.card_error = self.form_error = self.plan_error = ""
        try:
            with session_scope() as session:
                options = commerce_area.department_plans(session=session,
                                                         department_code=dept_code)
        except DomainError:
            self.status, self.department_code = "missing", dept_code
            return
        self.department_code = dept_code.upper()
        self.department_name = options[0].department_name if options else ""
        if not options:
            with session_scope() as session:  # the name, for "no plans" (it exists)
                self.department_name = self._department_name(session, dept_code)
        self.plans = [plan_row(p) for p in options]
        ids = [p["id"] for p in self.plans]
        chosen = str(wanted) if wanted is not None and str(wanted) in ids else ""
        self.plan_id = chosen or (self.plan_id if self.plan_id in ids else
                                  (ids[0] if ids else ""))
        self.signin_href = f"{routes.LOGIN}?next={quote(self._here(), safe='/')}"
        self._key = self._key or f"web-{uuid.uuid4().hex}"
        self._prefill_address()
        settings = get_settings()
        try:
            with session_scope() as session:
                self.processor = commerce_area.subscription_processor_of(
                    session=session, department_code=self.department_code)
        except DomainError as exc:
            self.processor, self.form_error = "", exc.message
        self.publishable_key = (settings.stripe_publishable_key
                                if self.processor == "stripe" else "")
        self.status = "found"
        for event in await self._requote():
            yield event
        if self.processor == "stripe" and self.signed_in and self.plans \
                and self.step == "choose":
            yield
            yield self._mount_card()

    # -- Stripe's card field ---------------------------------------------------------------

    def _mount_card(self):  # type: ignore[no-untyped-def]
        self.card_ready = False
        return rx.call_script(stripe_card_script("mount", self.publishable_key,
                                                 STRIPE_CARD_ID),
                              callback=SubscribeState.card_mounted)

    @rx.event
    def card_mounted(self, answer: str) -> None:
        self.card_ready, problem = mounted(answer)
        if problem:
            self.card_error = problem

    @staticmethod
    def _department_name(session: Session, dept_code: str) -> str:

        try:
            return catalog_area.department_detail(session=session, code=dept_code).name
        except DomainError:
            return dept_code

    # -- choosing --------------------------------------------------------------------------

    @rx.event
    async def choose_plan(self, value: str):  # type: ignore[no-untyped-def]
        if not isinstance(value, str) or value not in [p["id"] for p in self.plans]:
            return rx.toast.error("Choose one of the plans shown.")
        self.plan_id = value
        self.signin_href = f"{routes.LOGIN}?next={quote(self._here(), safe='/')}"
        return await self._requote() or None

    @rx.event
    async def apply_code(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        self.code_error = ""
        wanted = form_text(form, "code")
        if not wanted:
            self.code_error = "Enter a discount code."
            return None
        self.discount_code = wanted
        events = await self._requote()
        if self.discount_code and not self.code_error:
            return [*events, rx.toast.success(f"Code {self.discount_code.upper()} applied.")]
        return events or None

    @rx.event
    async def remove_code(self):  # type: ignore[no-untyped-def]
        self.discount_code, self.code_error = "", ""
        return await self._requote() or None

    @rx.event
    async def set_country(self, value: str):  # type: ignore[no-untyped-def]
        if not isinstance(value, str) or value not in COUNTRY_CODES:
            return rx.toast.error("Choose your country from the list.")
        self.billing_country, self.billing_region, self.billing_postal_code = value, "", ""
        return await self._requote() or None

    @rx.event
    async def set_region(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        self.billing_region = form_text(form, "region")[:40]
        self.billing_postal_code = form_text(form, "postal_code")[:20]
        return await self._requote() or None

    # -- subscribing -----------------------------------------------------------------------

    def _landing(self, message: str):  # type: ignore[no-untyped-def]
        self.leave_notices(message)
        self.step, self.sub_ref, self._key, self.busy = "choose", "", "", False
        return rx.redirect(routes.MY_SUBSCRIPTIONS)

    def _after(self, view: commerce_area.SubscriptionView,  # type: ignore[no-untyped-def]
               card: str):
        """Where a subscription the processor answered for leads."""
        self.busy = False
        if view.status != "incomplete":
            return self._landing(
                f"You are subscribed to {view.department_name} ({view.number})."
                if view.status == "active" else
                f"Your {view.department_name} trial has started ({view.number}).")
        self.sub_ref = view.number
        latest = view.invoices[0] if view.invoices else None  # newest first
        # 3-D Secure: the first payment waits for the learner (a client secret and no
        # decline)
        asks = bool(view.client_secret) and (latest is None or latest.status != "failed")
        if not asks:
            self.step = "choose"
            self.card_error = (latest.failure_message if latest is not None else "") \
                or "The payment did not go through: try another card."
            return None
        self.authenticate_amount = format_minor(latest.amount if latest is not None
                                                else self.first_total, view.currency)
        if view.processor == "stripe":  # Stripe.js shows the bank's challenge itself
            self.busy = True
            return rx.call_script(stripe_card_script("confirm", self.publishable_key,
                                                     STRIPE_CARD_ID, view.client_secret),
                                  callback=SubscribeState.stripe_confirmed)
        self.step = "authenticate"  # the card asks for 3-D Secure
        return None

    def _refused(self) -> list[Any] | None:
        """None when subscribing may start, else what the browser is told (to sign in; or
        nothing more: the message is beside the plan)."""
        if self.current_actor() is None:
            return [rx.redirect(self.signin_href or routes.LOGIN)]
        self.card_error = self.form_error = self.plan_error = ""
        if route_int(self.plan_id) is None:
            self.plan_error = "Choose a plan."
            return []
        return None

    @rx.event
    async def subscribe(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        refused = self._refused()
        if refused is not None:
            return refused or None
        if self.processor == "stripe":
            return rx.toast.error("Enter your card in the card field.")
        card, problem = card_from_form(form)
        if problem:
            self.card_error = problem
            return None
        return await self._pay_with(card)

    @rx.event
    def subscribe_stripe(self):  # type: ignore[no-untyped-def]
        """Stripe: the card field's card becomes a PaymentMethod first (``stripe_method``)."""
        refused = self._refused()
        if refused is not None:
            return refused or None
        if self.processor != "stripe":
            return rx.toast.error("Enter a test card below.")
        if self.busy:
            return None
        self.busy = True
        return rx.call_script(stripe_card_script("method", self.publishable_key,
                                                 STRIPE_CARD_ID),
                              callback=SubscribeState.stripe_method)

    @rx.event
    async def stripe_method(self, answer: str):  # type: ignore[no-untyped-def]
        """What Stripe.js made of the card: its PaymentMethod subscribes (or retries the
        first payment of this page's incomplete subscription)."""
        _, method, message = card_answer(answer)
        if not method:
            self.busy = False
            self.card_error = message or "Check your card details."
            return None
        refused = self._refused()
        if refused is not None:
            self.busy = False
            return refused or None
        return await self._pay_with(method)

    @rx.event
    async def stripe_confirmed(self, answer: str):  # type: ignore[no-untyped-def]
        """Stripe.js ran the first payment's 3-D Secure: passed, the learner lands on My
        subscriptions (Stripe's invoice.paid event activates the subscription); failed, the
        message beside the card and another card may pay the same subscription."""
        ok, _, message = card_answer(answer)
        actor, ref = self.current_actor(), self.sub_ref
        self.busy = False
        if actor is None:
            return rx.redirect(self.signin_href or routes.LOGIN)
        if not ref:
            return rx.toast.error("No payment is waiting for authentication.")
        if not ok:
            self.card_error = message or "Authentication failed: try again or use another card."
            return rx.toast.error(self.card_error)
        try:
            view = await with_session(lambda s: commerce_area.get_subscription(
                session=s, actor=actor, ref=ref))
        except DomainError as exc:
            return rx.toast.error(exc.message)
        if view.status in ("active", "trialing"):
            return self._after(view, "")
        return self._landing(f"Payment authenticated: {view.number} starts as soon as "
                             "Stripe confirms the payment.")

    async def _pay_with(self, card: str):  # type: ignore[no-untyped-def]
        """Subscribe with ``card`` (a sandbox test card number or a Stripe PaymentMethod), or
        pay this page's incomplete subscription with it."""
        actor = self.current_actor()
        price_id = route_int(self.plan_id)
        if actor is None or price_id is None:
            self.busy = False
            return rx.redirect(self.signin_href or routes.LOGIN)
        self.busy = True
        code, address, key, ref = self.discount_code, self._address(), self._key, self.sub_ref

        def work(session: Session) -> commerce_area.SubscriptionView:
            if ref:  # the first card was declined: the new one pays the same subscription
                commerce_area.update_card(session=session, actor=actor, ref=ref,
                                          payment_method=card)
                return commerce_area.get_subscription(session=session, actor=actor, ref=ref)
            sub = commerce_area.subscribe(session=session, actor=actor, price_id=price_id,
                                          code=code, address=address, payment_method=card,
                                          idempotency_key=key)
            return commerce_area.get_subscription(session=session, actor=actor,
                                                  ref=sub.id or 0)

        try:
            view = await with_session(work)
        except DomainError as exc:
            self.busy = False
            self._key = f"web-{uuid.uuid4().hex}"  # a refused try is no twin of the next
            field = {"code": "code_error", "price_id": "plan_error",
                     "payment_method": "card_error"}.get(exc.field or "")
            if field:
                setattr(self, field, exc.message)
                return None
            self.form_error = exc.message
            return rx.toast.error(exc.message)
        return self._after(view, card)

    @rx.event
    async def authenticate(self, approve: bool):  # type: ignore[no-untyped-def]
        actor = self.current_actor()
        if actor is None:
            return rx.redirect(self.signin_href or routes.LOGIN)
        if self.step != "authenticate" or not self.sub_ref:
            return rx.toast.error("No payment is waiting for authentication.")
        ref, approved = self.sub_ref, approve is True  # only a true approves ("false")
        self.busy = True

        def work(session: Session) -> tuple[str, commerce_area.SubscriptionView]:
            outcome = commerce_area.complete_first_payment(session=session, actor=actor,
                                                           ref=ref, approve=approved)
            return outcome.message, commerce_area.get_subscription(session=session,
                                                                   actor=actor, ref=ref)

        try:
            message, view = await with_session(work)
        except DomainError as exc:
            self.busy = False
            return rx.toast.error(exc.message)
        self.busy = False
        if view.status in ("active", "trialing"):
            return self._landing(message)
        self.step = "choose"
        self.card_error = message
        return rx.toast.error(message)
