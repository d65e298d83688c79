"""The cart as the learner sees it: every line priced now, the discount and tax spread over
them, display amounts in the chosen currency and what changed since a line was added."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from commerce_dash.domain.cart import (
    CartLineIn,
    CartTotals,
    cart_fingerprint,
    compute_totals,
    taxable_amounts,
)
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.discounts import DiscountApplied, PricedLine, learner_refusal
from commerce_dash.domain.fx import rate_text
from commerce_dash.domain.money import format_minor
from commerce_dash.domain.pricing import ItemType
from commerce_dash.domain.tax import TaxableLine, TaxAddress
from commerce_dash.models.accounts import User
from commerce_dash.models.commerce import Cart, CartLine, Order
from commerce_dash.services.catalog import (
    DisplayAmounts,
    Pricing,
    check_code,
    course_titles,
    credits_notes,
    display_options,
    pricing_for,
    settlement_worth,
    to_display,
)
from commerce_dash.services.commerce.cart_lookups import (
    CartOwner,
    SaleItem,
    and_list,
    find_cart,
    ownership_refusal,
    sale_items,
)
from commerce_dash.services.commerce.cart_prices import LinePrice, line_prices
from commerce_dash.services.commerce.payment_review import review_hold
from commerce_dash.services.commerce.tax import billing_needed, price_tax
from commerce_dash.services.enrollment import owned_course_ids, program_courses
from commerce_dash.services.learning import enrollment_refusals
from commerce_dash.settings import get_settings


@dataclass(frozen=True)
class CartLineView:
    id: int
    key: str
    item_type: str
    item_id: int
    code: str
    title: str
    department: str
    added_amount: int
    amount: int | None  # in force now; None: no longer for sale
    discount: int
    tax: int
    total: int
    display_total: int
    note: str  # price change or availability, for people
    amount_label: str
    discount_label: str = ""
    owned_course_ids: tuple[int, ...] = ()  # a program's courses the learner already owns
    price_change: str = ""  # "Price went up since you added it: ..." (also in the notices)
    # what the line includes besides the item: "Includes 2 private sessions (60 min) and 1
    # group class, valid 90 days" (the session credits of its price; "" when none)
    credits_note: str = ""


@dataclass(frozen=True)
class CartView:
    token: str
    currency: str
    display_currency: str
    display_choices: list[str]
    lines: list[CartLineView]
    discount_code: str
    discount_message: str  # why a stored code does not apply now ("" when it does)
    totals: CartTotals
    display_total: int
    exchange_rate: str
    exchange_rate_at: datetime | None
    tax_label: str
    tax_provider: str
    billing: tuple[str, str, str]
    notices: list[str] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    checkout_order_id: int | None = None
    fingerprint: str = ""  # what a checkout would charge (``domain.cart.cart_fingerprint``)
    # ADR-003: what the charge is worth in the settlement currency (the ledger's amount)
    settlement_currency: str = ""
    settlement_total: int = 0
    # what tax still needs of the billing address, by field (the message shown beside it);
    # checkout refuses until it is given
    billing_errors: dict[str, str] = field(default_factory=dict)
    billing_prefilled: bool = False  # the address is the learner's last order's
    tax_source: str = ""  # taxjar | table | exempt | none (``tax.PricedTax``)
    tax_fallback: bool = False  # TaxJar did not answer; the rate table served
    tax_by_rate: tuple[tuple[str, int], ...] = ()
    tax_rate_rows: tuple[tuple[str, str], ...] = ()  # tax_by_rate as text: ("VAT 19% (DE)", "€19.00")
    # why the learner cannot pay now: held for payment review (and how it is lifted)
    review_hold: str = ""

    @property
    def count(self) -> int:
        return len(self.lines)

    @property
    def can_check_out(self) -> bool:
        """Whether checkout accepts the cart (the web cart also waits for ``billing_errors``,
        see ``ready_to_pay``; an API client may check out without an address)."""
        return bool(self.lines) and not self.blockers and not self.review_hold

    @property
    def ready_to_pay(self) -> bool:
        """What the web cart's Check out waits for: ``can_check_out`` and the billing address
        tax needs."""
        return self.can_check_out and not self.billing_errors


def _empty_totals(currency: str) -> CartTotals:
    return compute_totals(currency, {}, None, {})


def billing_of(session: Session, cart: Cart) -> tuple[tuple[str, str, str], bool]:
    """The cart's billing address (country, region, postal code), else its learner's last
    order's (prefilled: True)."""
    if cart.billing_country or cart.user_id is None:
        return (cart.billing_country, cart.billing_region, cart.billing_postal_code), False
    last = session.exec(
        select(Order).where(Order.user_id == cart.user_id, Order.billing_country != "")
        .order_by(col(Order.created_at).desc(), col(Order.id).desc()).limit(1)
    ).first()
    if last is None:
        return ("", "", ""), False
    return (last.billing_country, last.billing_region, last.billing_postal_code), True


def view_cart(*, session: Session, owner: CartOwner, at: datetime | None = None) -> CartView:
    """The cart priced now: lines, discount, tax, totals, display amounts, what blocks checkout.

    Shown in a currency with a price list, the cart is priced and charged in it (ADR-003):
    items priced in it at that price, the others at their settlement price converted, each
    saying so. Shown in another currency, it is charged in the settlement currency and the
    amounts are shown converted.
    """
    settings = get_settings()
    locale = settings.default_locale
    at = at or utcnow()
    cart = find_cart(session=session, owner=owner)
    choices = display_options(session=session)
    if cart is None or cart.id is None:
        currency = settings.settlement_currency
        totals = _empty_totals(currency)
        return CartView(
            token=owner.token, currency=currency, display_currency=currency,
            display_choices=choices, lines=[], discount_code="", discount_message="",
            totals=totals, display_total=0, exchange_rate="1", exchange_rate_at=None,
            tax_label="", tax_provider="", billing=("", "", ""),
            labels=_labels(totals, 0, currency, locale), settlement_currency=currency,
        )
    rows = list(session.exec(
        select(CartLine).where(CartLine.cart_id == cart.id).order_by(col(CartLine.id))
    ).all())
    pairs = [(r.item_type, r.item_id) for r in rows]
    items = sale_items(session, pairs)
    owned = (owned_course_ids(session=session, user_id=owner.user_id)
             if owner.user_id is not None else set())
    pricing = pricing_for(session=session, display_currency=cart.display_currency, at=at)
    currency = pricing.charge
    prices = line_prices(session, rows, pricing, at, owned)
    blockers: list[str] = []
    sellable: list[CartLine] = []
    line_in: dict[str, CartLineIn] = {}
    for r in rows:
        key = f"{r.item_type}:{r.item_id}"
        current = prices.get((r.item_type, r.item_id))
        item = items[(r.item_type, r.item_id)]
        if current is None or not item.published:
            blockers.append(f"{r.title} is no longer for sale: remove it to check out.")
            line_in[key] = CartLineIn(key, r.title, r.unit_amount, None)
            continue
        refusal = ownership_refusal(session, owner.user_id, item, owned)
        if refusal:
            blockers.append(f"{refusal} Remove it to check out.")
        # a price change is told in the currency the line was added in
        added = r.unit_amount if r.currency == currency else current.list_amount
        line_in[key] = CartLineIn(key, r.title, added, current.list_amount)
        sellable.append(r)
    blockers += _overlaps_in(session, rows)
    refusals = enrollment_refusals(session, owner.user_id, [
        r.item_id for r in sellable if r.item_type == ItemType.COURSE], at)
    blockers += [f"{refusal} Remove it to check out." for refusal in refusals.values()]

    priced = [
        PricedLine(f"{r.item_type}:{r.item_id}", r.item_type, r.item_id, r.department_id,
                   prices[(r.item_type, r.item_id)].amount, currency)
        for r in sellable
    ]
    amounts = {p.key: p.amount for p in priced}
    discount: DiscountApplied | None = None
    discount_message = ""
    if cart.discount_code and priced:
        result = check_code(session=session, code=cart.discount_code, lines=priced,
                            user_id=owner.user_id, at=at)
        if isinstance(result, DiscountApplied):
            discount = result
        else:
            discount_message = learner_refusal(result)[1]
    taxable = taxable_amounts(amounts, discount)
    billing, prefilled = billing_of(session, cart)
    address = TaxAddress(*billing) if billing[0] else None
    email = owner.email
    if owner.user_id is not None and not email:
        user = session.get(User, owner.user_id)
        email = user.email if user else ""
    priced_tax = price_tax(
        session=session,
        lines=[TaxableLine(p.key, p.item_type, p.department_id, taxable[p.key]) for p in priced],
        currency=currency, address=address, user_id=owner.user_id, user_email=email or None,
    )
    quote = priced_tax.quote
    totals = compute_totals(currency, amounts, discount, quote.per_line)
    display = _display(session, pricing, totals, cart.display_currency or currency)
    views = _line_views(session, rows, items, line_in, prices, totals, display, pricing)
    notices = [v.price_change for v in views if v.price_change]
    if discount_message:
        notices.append(f"Code {cart.discount_code}: {discount_message}")
    return CartView(
        token=cart.token if cart.user_id is None else "",
        currency=currency, display_currency=display.currency, display_choices=choices,
        lines=views, discount_code=cart.discount_code, discount_message=discount_message,
        totals=totals, display_total=display.total, exchange_rate=display.rate,
        exchange_rate_at=display.rate_at, tax_label=quote.label, tax_provider=quote.provider,
        billing=billing, notices=notices, blockers=blockers,
        labels=_labels(totals, display.total, display.currency, locale),
        checkout_order_id=cart.checkout_order_id,
        fingerprint=cart_fingerprint(
            totals=totals, display_currency=display.currency, display_total=display.total,
            billing=billing,
            discount_code=cart.discount_code if discount is not None else ""),
        settlement_currency=pricing.settlement,
        settlement_total=settlement_worth(pricing, totals.total),
        billing_errors=billing_needed(session=session, country=billing[0], region=billing[1]),
        billing_prefilled=prefilled, tax_source=priced_tax.source,
        tax_fallback=priced_tax.fallback, tax_by_rate=priced_tax.by_rate,
        tax_rate_rows=tuple((label, format_minor(amount, currency, locale))
                            for label, amount in priced_tax.by_rate),
        review_hold=review_hold(session=session, user_id=owner.user_id),
    )


def currency_note(view: CartView) -> str:
    """How the cart's currency relates to the charge and the settlement, for people."""
    if view.display_currency != view.currency:
        return (f"≈ {view.labels['display_total']} at 1 {view.currency} = {view.exchange_rate} "
                f"{view.display_currency}; you are charged {view.labels['total']} "
                f"({view.currency}).")
    if view.settlement_currency and view.settlement_currency != view.currency:
        return (f"You are charged {view.labels['total']} ({view.currency}). Items without a "
                f"{view.currency} price are converted from {view.settlement_currency} at "
                f"1 {view.settlement_currency} = {view.exchange_rate} {view.currency}.")
    return ""


def _display(session: Session, pricing: Pricing, totals: CartTotals,
             display_currency: str) -> DisplayAmounts:
    """What the learner is shown: the charge itself when it is in their currency (with the
    settlement rate beside it), else the charge converted for display."""
    if pricing.rate is not None:
        return DisplayAmounts([line.total for line in totals.lines], totals.total,
                              pricing.charge, rate_text(pricing.rate.rate),
                              pricing.rate.effective_at)
    return to_display(session=session, amounts=[line.total for line in totals.lines],
                      currency=totals.currency, display_currency=display_currency)


def _line_views(session: Session, rows: list[CartLine], items: dict[tuple[str, int], SaleItem],
                line_in: dict[str, CartLineIn], prices: dict[tuple[str, int], LinePrice],
                totals: CartTotals, display: DisplayAmounts, pricing: Pricing
                ) -> list[CartLineView]:
    locale = get_settings().default_locale
    currency = totals.currency

    def money(amount: int, in_currency: str = currency) -> str:
        return format_minor(amount, in_currency, locale)

    display_by_key = {line.key: d for line, d in zip(totals.lines, display.amounts, strict=True)}
    by_key = {line.key: line for line in totals.lines}
    titles = course_titles(session=session, course_ids={
        c for p in prices.values() if p.bundle for c in p.bundle.owned})
    credits = credits_notes(session, {p.price_id for p in prices.values()})
    views = []
    for r in rows:
        key = f"{r.item_type}:{r.item_id}"
        info = line_in[key]
        t = by_key.get(key)
        notes = []
        change = ""
        if info.current_amount is None:
            notes.append("No longer for sale")
        elif info.current_amount != info.added_amount:
            direction = "went up" if info.current_amount > info.added_amount else "went down"
            change = (f"Price {direction} since you added it: was {money(info.added_amount)}, "
                      f"now {money(info.current_amount)}.")
            notes.append(change)
        item = items[(r.item_type, r.item_id)]
        price = prices.get((r.item_type, r.item_id))
        amount = price.amount if price is not None and info.current_amount is not None else None
        bundle = price.bundle if price is not None else None
        if price is not None and amount is not None and price.converted_from is not None \
                and pricing.rate is not None:
            notes.append(f"Converted from {money(price.converted_from, pricing.settlement)} "
                         f"at 1 {pricing.settlement} = {rate_text(pricing.rate.rate)} "
                         f"{currency}: it has no {currency} price.")
        if bundle is not None and price is not None and amount is not None:
            they = "they are" if len(bundle.owned) > 1 else "it is"
            notes.append(f"You already own {and_list(tuple(titles[c] for c in bundle.owned))}"
                         f": {money(bundle.credit)} off the bundle price of "
                         f"{money(price.list_amount)} (its share of it), and {they} not sold "
                         "again.")
        views.append(CartLineView(
            id=r.id or 0, key=key, item_type=r.item_type, item_id=r.item_id, code=item.code,
            title=r.title, department=item.department,
            added_amount=r.unit_amount, amount=amount,
            discount=t.discount if t else 0, tax=t.tax if t else 0, total=t.total if t else 0,
            display_total=display_by_key.get(key, 0), note=" ".join(notes),
            amount_label=money(amount) if amount is not None else "Unavailable",
            discount_label=money(t.discount) if t else "",
            owned_course_ids=bundle.owned if bundle is not None else (), price_change=change,
            credits_note=credits.get(price.price_id, "") if price is not None else "",
        ))
    return views


def _overlaps_in(session: Session, rows: list[CartLine]) -> list[str]:
    """A course and a program holding it, both in the cart (a program that gained the course
    after both were added): one of them must go before checkout."""
    programs = {r.item_id: r.title for r in rows if r.item_type == ItemType.PROGRAM}
    if not programs:
        return []
    courses_of = program_courses(session=session, program_ids=programs)
    return [f"{r.title} is also part of {programs[p]} in your cart: remove one of them to "
            "check out." for r in rows if r.item_type == ItemType.COURSE
            for p, courses in courses_of.items() if r.item_id in courses]


def _labels(totals: CartTotals, display_total: int, display_currency: str,
            locale: str) -> dict[str, str]:
    c = totals.currency
    return {
        "subtotal": format_minor(totals.subtotal, c, locale),
        "discount": format_minor(totals.discount, c, locale),
        "tax": format_minor(totals.tax, c, locale),
        "total": format_minor(totals.total, c, locale),
        "display_total": format_minor(display_total, display_currency, locale),
    }

