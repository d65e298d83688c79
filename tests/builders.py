"""Builders named after situations: a learner, an admin, a priced course, a program, the small
shop, a paid order, a pending registration, an issued certificate.

They go through the app's services (cart, checkout, the sandbox card, registrations, progress)
wherever a service exists, so the rows they leave stay valid as the rules change. The few that
write rows directly say so: users (``tests.conftest.create_user``: no invitation round trip),
course modules, and ``recorded_order`` (an order history at chosen dates for the read side).
Money is in integer minor units (cents).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from sqlmodel import Session, select

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.orders import order_number
from commerce_dash.models.catalog import Course, CourseModule, Department
from commerce_dash.models.certificates import Certificate
from commerce_dash.models.commerce import Order, OrderLine, Payment, PaymentEvent
from commerce_dash.models.enrollment import Enrollment, Registration
from commerce_dash.payments.sandbox import CardInput
from commerce_dash.services.catalog import discounts, pricing, programs
from commerce_dash.services.commerce import cart as cart_service
from commerce_dash.services.commerce import payments
from commerce_dash.services.commerce.cart_lookups import CartOwner
from commerce_dash.services.commerce.checkout import CheckoutRequest, checkout
from commerce_dash.services.commerce.checkout_views import CheckoutResult
from commerce_dash.services.learning.progress import ProgressReport, record_progress
from commerce_dash.services.platform import org
from tests.conftest import PASSWORD, create_department, create_user

GOOD_CARD = CardInput("4242424242424242", 12, 2040, "123")

# -- people -----------------------------------------------------------------------------------


def a_learner(session: Session, email: str = "lee@example.com", *, full_name: str | None = None,
              password: str = PASSWORD, verified: bool = True) -> Actor:
    """A signed-up learner (confirmed email unless ``verified`` is False)."""
    return create_user(session, email, full_name=full_name, password=password, verified=verified)


def an_admin(session: Session, email: str = "root@example.com", *,
             grants: Sequence[Grant] = (Grant(RoleName.SUPER_ADMIN),),
             full_name: str | None = None, password: str = PASSWORD) -> Actor:
    """A staff member with ``grants`` (a super-admin unless told otherwise)."""
    return create_user(session, email, grants=tuple(grants), full_name=full_name,
                       password=password)


def owner_of(actor: Actor) -> CartOwner:
    """The cart owner of a signed-in ``actor``."""
    return CartOwner(user_id=actor.user_id, email=actor.email)


# -- catalog ----------------------------------------------------------------------------------


def a_department(session: Session, admin: Actor, code: str = "DEPT", *, name: str = "",
                 parent_id: int | None = None) -> int:
    """A department made by ``admin`` through the org service; its id."""
    dept = org.create_department(session=session, actor=admin, code=code,
                                 name=name or f"{code} School", parent_id=parent_id)
    assert dept.id is not None
    return dept.id


def a_course(session: Session, admin: Actor, code: str = "C101", *, title: str = "",
             department_id: int | None = None, price: int | None = 10_000,
             currency: str = "USD", published: bool = True,
             approval_required: bool | None = None) -> int:
    """A published course with a one-time ``price`` (none when ``price`` is None), in
    ``department_id`` or in a department of its own; its id."""
    if department_id is None:
        department_id = a_department(session, admin, f"{code}-D")
    course = org.create_course(session=session, actor=admin, code=code,
                               title=title or f"Course {code}", department_id=department_id,
                               published=published, approval_required=approval_required)
    assert course.id is not None
    if price is not None:
        pricing.create_price(session=session, actor=admin, item_type="course", item_id=course.id,
                             price_type="one_time", amount=price, currency=currency)
    return course.id


def a_program(session: Session, admin: Actor, course_ids: Sequence[int], code: str = "PATH", *,
              title: str = "Python Path", department_id: int, price: int | None = 30_000,
              currency: str = "USD", published: bool = True) -> int:
    """A program of ``course_ids`` with a one-time ``price``; its id."""
    program = programs.create_program(session=session, actor=admin, code=code, title=title,
                                      department_id=department_id, published=published,
                                      course_ids=list(course_ids))
    assert program.id is not None
    if price is not None:
        pricing.create_price(session=session, actor=admin, item_type="program",
                             item_id=program.id, price_type="one_time", amount=price,
                             currency=currency)
    return program.id


def course_modules(session: Session, course_id: int, n: int = 3) -> list[int]:
    """``n`` modules added to a course (rows written directly); their ids in order."""
    rows = [CourseModule(course_id=course_id, position=i, title=f"Module {i}")
            for i in range(1, n + 1)]
    session.add_all(rows)
    session.commit()
    return [r.id for r in rows if r.id is not None]


def needs_approval(session: Session, *course_ids: int) -> None:
    """The courses now need an enrollment admin's approval after purchase."""
    for course_id in course_ids:
        course = session.get(Course, course_id)
        assert course is not None
        course.approval_required = True
        session.add(course)
    session.commit()


@dataclass(frozen=True)
class Shop:
    department_id: int
    courses: dict[str, int]  # code -> id; prices below
    program_id: int
    prices: dict[str, int]


COURSE_PRICES = {"PY101": 10_000, "PY201": 15_000, "SQL101": 8_000, "ML301": 20_000}
PROGRAM_PRICE = 30_000  # PY101 + PY201 + SQL101 = 33,000 alone


def build_shop(session: Session, admin: Actor, code: str = "SHOP") -> Shop:
    """A small shop: a department, four priced courses (``COURSE_PRICES``) and a program of
    PY101, PY201 and SQL101 (``PROGRAM_PRICE``); course codes are prefixed with ``code``."""
    dept_id = a_department(session, admin, code)
    courses = {
        course_code: a_course(session, admin, f"{code}-{course_code}",
                              title=f"Course {course_code}", department_id=dept_id,
                              price=amount)
        for course_code, amount in COURSE_PRICES.items()
    }
    program_id = a_program(session, admin,
                           [courses["PY101"], courses["PY201"], courses["SQL101"]],
                           f"{code}-PATH", department_id=dept_id, price=PROGRAM_PRICE)
    return Shop(dept_id, courses, program_id, dict(COURSE_PRICES))


def make_code(session: Session, admin: Actor, code: str, *, percent: int = 0, amount_off: int = 0,
              max_uses: int | None = None, max_uses_per_user: int | None = None) -> None:
    """A discount code valid since yesterday: ``percent`` off, or ``amount_off`` USD cents."""
    discounts.create_code(session=session, actor=admin, data=discounts.CodeInput(
        code=code, kind="percentage" if percent else "fixed", percent_bps=percent * 100,
        amount_off=amount_off, currency="USD" if amount_off else "",
        valid_from=utcnow() - timedelta(days=1), max_uses=max_uses,
        max_uses_per_user=max_uses_per_user,
    ))


# -- orders -----------------------------------------------------------------------------------


def checked_out(session: Session, learner: Actor, *items: tuple[str, int], key: str = "",
                code: str = "") -> CheckoutResult:
    """The learner puts ``items`` ((kind, id) pairs) in the cart, applies ``code`` and checks
    out what the cart holds (items put there before included): an order waiting for payment."""
    for kind, item_id in items:
        cart_service.add_item(session=session, owner=owner_of(learner), item_type=kind,
                              item_id=item_id)
    if code:
        cart_service.apply_code(session=session, owner=owner_of(learner), code=code)
    key = key or f"buy-{learner.user_id}-{uuid4().hex}"
    return checkout(session=session, actor=learner, request=CheckoutRequest(key[:100]))


def paid_order(session: Session, learner: Actor, *items: tuple[str, int], key: str = "",
               code: str = "", card: CardInput = GOOD_CARD) -> Order:
    """``checked_out``, then paid with the sandbox's good card: the completed order."""
    result = checked_out(session, learner, *items, key=key, code=code)
    payments.sandbox_pay(session=session, actor=learner, number=result.number, card=card)
    session.expire_all()
    order = session.get(Order, result.order_id)
    assert order is not None and order.status == "completed", order
    return order


def buy(session: Session, learner: Actor, shop: Shop, *items: tuple[str, str],
        code: str = "", key: str = "") -> Order:
    """The learner buys shop ``items`` (("course", "PY101"), ("program", "")) with the good
    card, after applying ``code``: the completed order."""
    ids = [(kind, shop.program_id if kind == "program" else shop.courses[name])
           for kind, name in items]
    key = key or f"buy-{learner.user_id}-{'-'.join(n or k for k, n in items)}-{code}"
    return paid_order(session, learner, *ids, key=key, code=code)


def a_paid_order(session: Session, learner: Actor, admin: Actor, *, lines: int = 1,
                 price: int = 10_000, code: str = "ORD") -> Order:
    """A completed order of ``lines`` courses at ``price`` each, made for it in a department
    ``code`` (course codes ``code``-1, -2, ...)."""
    dept_id = a_department(session, admin, code)
    courses = [a_course(session, admin, f"{code}-{n}", department_id=dept_id, price=price)
               for n in range(1, lines + 1)]
    return paid_order(session, learner, *(("course", c) for c in courses),
                      key=f"paid-order-{code}-{learner.user_id}-{lines}")


def number_of(order: Order) -> str:
    """The order number learners see."""
    assert order.id is not None
    return order_number(order.id, order.created_at)


# -- after the purchase -----------------------------------------------------------------------


def enrolled(session: Session, learner: Actor, kind: str, item_id: int) -> list[Enrollment]:
    """The learner bought the course or program: all the learner's enrollments."""
    paid_order(session, learner, (kind, item_id), key=f"progress-{kind}-{item_id}")
    return list(session.exec(select(Enrollment).where(Enrollment.user_id == learner.user_id)))


def pending_registration(session: Session, learner: Actor, course_id: int, *,
                         key: str = "") -> Registration:
    """The course needs approval and the learner bought it: the registration waiting for an
    enrollment admin."""
    needs_approval(session, course_id)
    paid_order(session, learner, ("course", course_id),
               key=key or f"pending-{learner.user_id}-{course_id}")
    registration = session.exec(select(Registration).where(
        Registration.user_id == learner.user_id, Registration.course_id == course_id)).one()
    assert registration.status == "pending", registration
    return registration


def issued_certificate(session: Session, learner: Actor, course_id: int, *,
                       modules: int = 2) -> Certificate:
    """The learner bought the course and completed its ``modules`` modules: the certificate
    issued for it."""
    module_ids = course_modules(session, course_id, n=modules)
    enrollment = next(e for e in enrolled(session, learner, "course", course_id)
                      if e.course_id == course_id)
    assert enrollment.id is not None
    for module in module_ids:
        record_progress(session=session, report=ProgressReport(enrollment.id, module, True))
    return session.exec(select(Certificate).where(
        Certificate.user_id == learner.user_id, Certificate.course_id == course_id)).one()


# -- order history, written directly (for what learners and admins read) ----------------------

JAN = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)

_ORDER_PAYMENT_STATUS = {
    "succeeded": "completed",
    "failed": "failed",
    "refunded": "refunded",
    "partially_refunded": "partial_refund",
}


def _orders_department(session: Session) -> int:
    dept = session.exec(select(Department).where(Department.code == "ORD")).first()
    if dept is not None and dept.id is not None:
        return dept.id
    return create_department(session, "ORD")


def recorded_order(
    session: Session,
    user: Actor,
    *,
    created_at: datetime = JAN,
    status: str = "completed",
    payment: str | None = "succeeded",
    processor: str = "sandbox",
    lines: Sequence[tuple[str, int]] = (("Python Basics", 4900),),
    discount: int = 0,
    discount_code: str = "",
    tax: int = 0,
    tax_label: str = "",
    currency: str = "USD",
    display_currency: str | None = None,
    display_total: int | None = None,
    exchange_rate: str = "1",
    failure_reason: str = "",
    processor_response: dict[str, Any] | None = None,
    events: Sequence[dict[str, Any]] = (),
    billing: tuple[str, str] = ("US", "CA"),
) -> Order:
    """An order in the history, at ``created_at``, with its lines, payment and payment events
    as checkout and webhooks leave them (rows written directly with the models, so that any
    date, status and processor answer can be set up).

    The discount goes to the first line and the tax to the last one; ``events`` are
    PaymentEvent fields (``event_type`` and ``received_at`` at least).
    """
    dept = _orders_department(session)
    subtotal = sum(amount for _, amount in lines)
    total = subtotal - discount + tax
    order = Order(
        user_id=user.user_id,
        status=status,
        payment_status=_ORDER_PAYMENT_STATUS.get(payment or "", "pending"),
        processor=processor,
        currency=currency,
        subtotal=subtotal,
        discount_amount=discount,
        discount_code=discount_code,
        tax_amount=tax,
        tax_label=tax_label,
        total=total,
        billing_country=billing[0],
        billing_region=billing[1],
        display_currency=display_currency or currency,
        display_total=total if display_total is None else display_total,
        exchange_rate=exchange_rate,
        exchange_rate_at=created_at if display_currency else None,
        idempotency_key=uuid4().hex,
        request_hash="0" * 64,
        prices_locked_until=created_at + timedelta(minutes=15),
        failure_reason=failure_reason,
        created_at=created_at,
        updated_at=created_at,
        completed_at=created_at + timedelta(minutes=1) if status == "completed" else None,
    )
    session.add(order)
    session.flush()
    assert order.id is not None
    for position, (title, amount) in enumerate(lines):
        line_discount = discount if position == 0 else 0
        line_tax = tax if position == len(lines) - 1 else 0
        session.add(
            OrderLine(
                order_id=order.id,
                position=position,
                item_type="course",
                item_id=position + 1,
                department_id=dept,
                title=title,
                list_amount=amount,
                discount_amount=line_discount,
                tax_amount=line_tax,
                total=amount - line_discount + line_tax,
                currency=currency,
            )
        )
    if payment is not None:
        pay = Payment(
            order_id=order.id,
            user_id=user.user_id,
            processor=processor,
            intent_id=f"pi_{order.id}",
            amount=total,
            currency=currency,
            status=payment,
            failure_code="card_declined" if payment == "failed" else "",
            failure_reason=failure_reason if payment == "failed" else "",
            attempts_failed=1 if payment == "failed" else 0,
            processor_response=processor_response,
            created_at=created_at,
            updated_at=created_at + timedelta(minutes=2),
            processed_at=created_at + timedelta(minutes=1) if payment == "succeeded" else None,
        )
        session.add(pay)
        session.flush()
        for n, fields in enumerate(events):
            values = {
                "processor": processor,
                "event_id": f"evt_{order.id}_{n}",
                "source": "webhook",
                "intent_id": pay.intent_id or "",
                "payment_id": pay.id,
                "status": "processed",
                **fields,
            }
            session.add(PaymentEvent(**values))
    session.commit()
    return order
