"""One-call enrollment (spec 004): a course or program bought in one request, apart from the
learner's shopping cart, with what the client needs to take the payment; its payment
status; and what a course page of an app shows (price, prerequisites, deadline, whether the
learner may enroll).

The purchase is a direct cart of its own (``CartOwner.direct``, keyed by the learner and the
idempotency key) checked out like any cart, so prices, codes, tax, the processor, ownership
and enrollment rules are the storefront's: nothing here decides them again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from commerce_dash import routes
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.orders import OrderStatus
from commerce_dash.domain.pricing import ItemType
from commerce_dash.domain.registrations import RegistrationStatus
from commerce_dash.models.catalog import Course, Program
from commerce_dash.models.commerce import Order, OrderLine, Payment
from commerce_dash.models.enrollment import Registration
from commerce_dash.payments.configuration import LABELS
from commerce_dash.services.catalog import course_detail
from commerce_dash.services.commerce.cart import add_item, apply_code
from commerce_dash.services.commerce.cart_lookups import CartOwner, find_cart
from commerce_dash.services.commerce.checkout import CheckoutRequest, checkout
from commerce_dash.services.commerce.checkout_views import checkout_summary
from commerce_dash.services.commerce.payments import order_for
from commerce_dash.services.commerce.processor_choice import processor_for_departments
from commerce_dash.services.enrollment import owned_course_ids
from commerce_dash.services.learning import completed_course_ids, enrollment_refusals
from commerce_dash.services.learning import enrollment_rules as rules_of
from commerce_dash.settings import get_settings

MAX_METADATA = 10
MAX_URL = 500


@dataclass(frozen=True)
class EnrollmentRequest:
    idempotency_key: str
    course_id: int | None = None
    program_id: int | None = None
    coupon_code: str = ""
    processor_preference: str = ""
    success_url: str = ""
    cancel_url: str = ""
    metadata: dict[str, str] | None = None


@dataclass(frozen=True)
class PaymentSession:
    processor: str
    checkout_url: str  # this app's checkout page for the order: any processor pays there
    expires_at: datetime  # the prices are held until then
    fields: dict[str, str]  # the processor's own (public) values for a client-side checkout


@dataclass(frozen=True)
class InitializedEnrollment:
    enrollment_id: str  # the order number
    status: str  # pending | enrolled | pending_approval
    payment_required: bool
    original_amount: int
    discount_applied: int
    tax_amount: int
    final_amount: int
    currency: str
    payment_session: PaymentSession | None
    idempotency_key: str
    replayed: bool


def _check_url(url: str, name: str) -> str:
    url = url.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    local = parts.hostname in ("localhost", "127.0.0.1") and parts.scheme == "http"
    if len(url) > MAX_URL or parts.username or parts.password or not parts.hostname or \
            not (parts.scheme == "https" or (local and get_settings().env != "production")):
        raise DomainError("invalid_url", f"{name} must be an https:// address of at most "
                          f"{MAX_URL} characters.", field=name)
    return url


def _check_metadata(metadata: dict[str, str] | None) -> dict[str, str]:
    metadata = metadata or {}
    if len(metadata) > MAX_METADATA or any(
            not isinstance(k, str) or not isinstance(v, str) or len(k) > 40 or len(v) > 200
            for k, v in metadata.items()):
        raise DomainError("invalid_metadata", f"Send at most {MAX_METADATA} metadata entries, "
                          "keys up to 40 and values up to 200 characters of text.",
                          field="metadata")
    return dict(metadata)


def _item(session: Session, request: EnrollmentRequest) -> tuple[str, int, int]:
    """(item type, id, department) of the one course or program asked for."""
    if (request.course_id is None) == (request.program_id is None):
        raise DomainError("invalid_item", "Send a course_id or a program_id (one of them).",
                          field="course_id")
    if request.course_id is not None:
        course = session.get(Course, request.course_id)
        if course is None or not course.published:
            raise not_found("course", request.course_id)
        return ItemType.COURSE.value, request.course_id, course.department_id
    program = session.get(Program, request.program_id)
    if program is None or not program.published:
        raise not_found("program", request.program_id)
    assert program.id is not None
    return ItemType.PROGRAM.value, program.id, program.department_id


def _owner(actor: Actor, key: str) -> CartOwner:
    token = "direct-" + hashlib.sha256(f"{actor.user_id}:{key}".encode()).hexdigest()[:40]
    return CartOwner(user_id=actor.user_id, token=token, email=actor.email, direct=True)


def _same_key_order(session: Session, actor: Actor, key: str) -> Order | None:
    return session.exec(select(Order).where(Order.user_id == actor.user_id,
                                            Order.idempotency_key == key)).first()


def initialize_enrollment(*, session: Session, actor: Actor,
                          request: EnrollmentRequest) -> InitializedEnrollment:
    """Buy one course or program in one call: its pending order, amounts and payment session
    (or the enrollment at once when nothing is to pay). The same key answers the same; the
    same key for something else is refused."""
    key = request.idempotency_key.strip()
    item_type, item_id, department_id = _item(session, request)
    client = {"success_url": _check_url(request.success_url, "success_url"),
              "cancel_url": _check_url(request.cancel_url, "cancel_url"),
              "metadata": _check_metadata(request.metadata)}
    earlier = _same_key_order(session, actor, key)
    if earlier is not None:
        lines = session.exec(select(OrderLine.item_type, OrderLine.item_id).where(
            OrderLine.order_id == earlier.id)).all()
        if list(lines) != [(item_type, item_id)]:
            raise DomainError("idempotency_conflict", "This idempotency key was used for a "
                              "different enrollment.", kind=ErrorKind.CONFLICT)
    else:
        processor = processor_for_departments(session, {department_id})
        wanted = request.processor_preference.strip().lower()
        if wanted and wanted != processor:
            raise DomainError(
                "processor_not_offered",
                f"This course's payments are taken by {LABELS.get(processor, processor)}, "
                f"not {LABELS.get(wanted, wanted)}.", field="payment_method_preference")
        owner = _owner(actor, key)
        cart = find_cart(session=session, owner=owner)
        if cart is None:
            add_item(session=session, owner=owner, item_type=item_type, item_id=item_id)
        if request.coupon_code.strip():
            apply_code(session=session, owner=owner, code=request.coupon_code.strip())
    result = checkout(session=session, actor=actor, request=CheckoutRequest(key),
                      owner=_owner(actor, key))
    order = session.get(Order, result.order_id)
    assert order is not None
    if order.client_context is None:
        order.client_context = client
        session.add(order)
        session.commit()
    session_info = None
    if order.status == OrderStatus.PENDING.value:
        summary = checkout_summary(session=session, actor=actor, number=result.number)
        fields = {k: v for k, v in summary.hosted.items() if k != "error"}
        if result.processor in ("stripe", "sandbox"):
            fields = {"intent_id": result.intent_id, "client_secret": result.client_secret,
                      **({"publishable_key": result.publishable_key}
                         if result.publishable_key else {})}
        base = get_settings().public_url.rstrip("/")
        session_info = PaymentSession(result.processor,
                                      f"{base}{routes.CHECKOUT}/{result.number}",
                                      order.prices_locked_until, fields)
    return InitializedEnrollment(
        enrollment_id=result.number, status=_enrollment_status(session, order),
        payment_required=order.total > 0 and order.status == OrderStatus.PENDING.value,
        original_amount=order.subtotal, discount_applied=order.discount_amount,
        tax_amount=order.tax_amount, final_amount=order.total, currency=order.currency,
        payment_session=session_info, idempotency_key=key, replayed=result.replayed)


def _enrollment_status(session: Session, order: Order) -> str:
    """pending (not paid) | enrolled | pending_approval | failed | cancelled | refunded."""
    if order.status != OrderStatus.COMPLETED.value:
        return {OrderStatus.PENDING.value: "pending"}.get(order.status, order.status)
    waiting = session.exec(select(Registration.id).where(
        Registration.order_id == order.id,
        Registration.status == RegistrationStatus.PENDING.value)).first()
    return "pending_approval" if waiting is not None else "enrolled"


@dataclass(frozen=True)
class EnrollmentPayment:
    enrollment_id: str
    enrollment_status: str
    payment_status: str
    processor: str
    payment_id: str  # the processor's intent / order id
    completed_at: datetime | None
    course_access_urls: list[str]


def enrollment_payment(*, session: Session, actor: Actor, number: str) -> EnrollmentPayment:
    """How the learner's enrollment (order) and its payment stand."""
    order = order_for(session, actor.user_id, number)
    summary = checkout_summary(session=session, actor=actor, number=number)
    payment = session.exec(select(Payment).where(Payment.order_id == order.id)).first()
    courses = session.exec(select(OrderLine.item_id).where(
        OrderLine.order_id == order.id, OrderLine.item_type == ItemType.COURSE.value)).all()
    return EnrollmentPayment(
        enrollment_id=summary.number, enrollment_status=_enrollment_status(session, order),
        payment_status=summary.payment_status or order.payment_status,
        processor=order.processor, payment_id=(payment.intent_id or "") if payment else "",
        completed_at=order.completed_at,
        course_access_urls=[f"/api/v1/courses/{c}/access" for c in courses])


@dataclass(frozen=True)
class Prerequisite:
    course_id: int
    code: str
    title: str
    completed: bool


@dataclass(frozen=True)
class CourseInfo:
    id: int
    code: str
    title: str
    price: int | None
    currency: str
    price_label: str
    estimated_minutes: int
    prerequisites: list[Prerequisite]
    enrollment_deadline: datetime | None
    enrollment_status: str  # not_enrolled | pending | enrolled (None signed in: not_enrolled)
    can_enroll: bool
    reason: str  # why not, when can_enroll is False


def course_info(*, session: Session, actor: Actor | None, course_id: int) -> CourseInfo:
    """A published course as an app's course page shows it, for the learner when known."""
    course = session.get(Course, course_id)
    if course is None or not course.published:
        raise not_found("course", course_id)
    detail = course_detail(session=session, code=course.code)
    rules = rules_of(session, course_id)
    user_id = actor.user_id if actor is not None else None
    done = completed_course_ids(session, user_id, [p.course_id for p in rules.prerequisites]
                                ) if user_id is not None else set()
    status, reason = "not_enrolled", ""
    if user_id is not None:
        if course_id in owned_course_ids(session=session, user_id=user_id):
            status, reason = "enrolled", "You are enrolled in this course."
        elif session.exec(select(Order.id).join(OrderLine, col(OrderLine.order_id) == Order.id)
                          .where(Order.user_id == user_id,
                                 Order.status == OrderStatus.PENDING.value,
                                 OrderLine.item_type == ItemType.COURSE.value,
                                 OrderLine.item_id == course_id)).first() is not None:
            status, reason = "pending", "Your enrollment is waiting for its payment."
    if not reason:
        reason = enrollment_refusals(session, user_id, [course_id]).get(course_id, "")
    if not reason and detail.price is None:
        reason = f"{course.title} has no price yet."
    price = detail.price
    return CourseInfo(
        id=course_id, code=course.code, title=course.title,
        price=price.amount if price else None, currency=price.currency if price else "",
        price_label=price.label if price else "", estimated_minutes=course.estimated_minutes,
        prerequisites=[Prerequisite(p.course_id, p.code, p.title, p.course_id in done)
                       for p in rules.prerequisites],
        enrollment_deadline=rules.deadline, enrollment_status=status, can_enroll=not reason,
        reason=reason)

