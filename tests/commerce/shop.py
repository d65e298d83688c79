"""A small shop for commerce tests: a department, priced courses, a program, discount codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.orders import order_number
from commerce_dash.models.commerce import Order
from commerce_dash.payments.sandbox import CardInput
from commerce_dash.services.catalog import discounts, pricing, programs
from commerce_dash.services.commerce import cart as cart_service
from commerce_dash.services.commerce import payments
from commerce_dash.services.commerce.cart import CartOwner
from commerce_dash.services.commerce.checkout import CheckoutRequest, checkout
from commerce_dash.services.platform import org


@dataclass(frozen=True)
class Shop:
    department_id: int
    courses: dict[str, int]  # code -> id; prices below
    program_id: int
    prices: dict[str, int]


COURSE_PRICES = {"PY101": 10_000, "PY201": 15_000, "SQL101": 8_000, "ML301": 20_000}
PROGRAM_PRICE = 30_000  # PY101 + PY201 + SQL101 = 33,000 alone


def build_shop(session: Session, admin: Actor, code: str = "SHOP") -> Shop:
    dept = org.create_department(session=session, actor=admin, code=code, name=f"{code} School")
    assert dept.id is not None
    courses: dict[str, int] = {}
    for course_code, amount in COURSE_PRICES.items():
        course = org.create_course(
            session=session, actor=admin, code=f"{code}-{course_code}",
            title=f"Course {course_code}", department_id=dept.id, published=True,
        )
        assert course.id is not None
        courses[course_code] = course.id
        pricing.create_price(session=session, actor=admin, item_type="course", item_id=course.id,
                             price_type="one_time", amount=amount, currency="USD",
                             )
    program = programs.create_program(
        session=session, actor=admin, code=f"{code}-PATH", title="Python Path",
        department_id=dept.id, published=True,
        course_ids=[courses["PY101"], courses["PY201"], courses["SQL101"]],
    )
    assert program.id is not None
    pricing.create_price(session=session, actor=admin, item_type="program", item_id=program.id,
                         price_type="one_time", amount=PROGRAM_PRICE, currency="USD",
                         )
    return Shop(dept.id, courses, program.id, dict(COURSE_PRICES))


def make_code(session: Session, admin: Actor, code: str, *, percent: int = 0, amount_off: int = 0,
              max_uses: int | None = None, max_uses_per_user: int | None = None) -> None:
    discounts.create_code(session=session, actor=admin, data=discounts.CodeInput(
        code=code, kind="percentage" if percent else "fixed", percent_bps=percent * 100,
        amount_off=amount_off, currency="USD" if amount_off else "",
        valid_from=utcnow() - timedelta(days=1), max_uses=max_uses,
        max_uses_per_user=max_uses_per_user,
    ))


def owner_of(actor: Actor) -> CartOwner:
    return CartOwner(user_id=actor.user_id, email=actor.email)


GOOD_CARD = CardInput("4242424242424242", 12, 2040, "123")


def buy(session: Session, learner: Actor, shop: Shop, *items: tuple[str, str],
        code: str = "", key: str = "") -> Order:
    """The learner puts ``items`` (("course", "PY101"), ("program", "")) in the cart, checks
    out and pays with the sandbox's good card; the completed order."""
    for kind, name in items:
        item_id = shop.program_id if kind == "program" else shop.courses[name]
        cart_service.add_item(session=session, owner=owner_of(learner), item_type=kind,
                              item_id=item_id)
    if code:
        cart_service.apply_code(session=session, owner=owner_of(learner), code=code)
    key = key or f"buy-{learner.user_id}-{'-'.join(n or k for k, n in items)}-{code}"
    result = checkout(session=session, actor=learner, request=CheckoutRequest(key[:100]))
    payments.sandbox_pay(session=session, actor=learner, number=result.number, card=GOOD_CARD)
    session.expire_all()
    order = session.get(Order, result.order_id)
    assert order is not None and order.status == "completed", order
    return order


def number_of(order: Order) -> str:
    return order_number(order.id or 0, order.created_at)
