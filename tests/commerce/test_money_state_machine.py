"""Random sequences of what two learners and the processor do (add, remove, apply a code,
check out, pay: success, decline or a webhook delivered twice; refund a line, a chargeback
won or lost, the LMS refusing an enrollment), with the money invariants checked after every
step, on SQLite and on PostgreSQL:

- nobody is charged twice for a course, and nobody holds a course twice;
- what a learner owns is exactly what they paid for and was not refunded;
- every order's money equals its lines (list - discount + tax) and its lines' sums;
- the ledger holds exactly what was captured less what was refunded, net of fees, each
  entry's split summing to its net;
- nothing pending is left without a way forward.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlmodel import Session, col, func, select

from commerce_dash.db import get_engine
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.commerce import Cart, Order, OrderLine, Payment, RefundRequest
from commerce_dash.models.enrollment import Enrollment, Registration
from commerce_dash.models.revenue import LedgerEntry
from commerce_dash.payments.factory import get_processor
from commerce_dash.payments.sandbox import CardInput
from commerce_dash.services.commerce import cart as cart_service
from commerce_dash.services.commerce import payments, refunds
from commerce_dash.services.commerce.checkout import CheckoutRequest, checkout
from commerce_dash.services.enrollment import registrations
from commerce_dash.services.enrollment.ownership import owned_course_ids
from commerce_dash.settings import get_settings
from tests.builders import GOOD_CARD, build_shop, make_code, number_of, owner_of
from tests.conftest import _truncate_all, create_user

pytestmark = pytest.mark.usefixtures("both_databases")

DECLINED = CardInput("4000000000000002", 12, 2040, "123")
ITEMS = [("course", "PY101"), ("course", "PY201"), ("course", "SQL101"), ("course", "ML301"),
         ("program", "")]
LEARNERS = st.sampled_from([0, 1])
# Enough to meet every path a few times; CI runs the same examples every time (derandomize),
# COMMERCE_MACHINE_EXAMPLES explores more (e.g. 300) when run by hand.
EXAMPLES = int(os.environ.get("COMMERCE_MACHINE_EXAMPLES", "25"))


class Shop(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        _truncate_all()
        self.session = Session(get_engine(), expire_on_commit=False)
        root = create_user(self.session, "root@example.com",
                           grants=(Grant(RoleName.SUPER_ADMIN),))
        self.billing = create_user(self.session, "bill@example.com",
                                   grants=(Grant(RoleName.BILLING_ADMIN),))
        self.shop = build_shop(self.session, root)
        make_code(self.session, root, "SAVE10", percent=10)
        self.learners: list[Actor] = [create_user(self.session, f"l{n}@example.com")
                                      for n in range(2)]
        self.keys = 0

    def teardown(self) -> None:
        self.session.close()

    # -- what people and the processor do -----------------------------------------------------

    def _try(self, action: Any) -> None:
        try:
            action()
        except DomainError:
            self.session.rollback()
        self.session.expire_all()

    def _pending(self, who: int) -> Order | None:
        cart = self.session.exec(select(Cart).where(
            Cart.user_id == self.learners[who].user_id)).first()
        if cart is None or cart.checkout_order_id is None:
            return None
        order = self.session.get(Order, cart.checkout_order_id)
        return order if order is not None and order.status == "pending" else None

    def _has_lines(self) -> bool:
        return any(cart_service.cart_count(session=self.session, owner=owner_of(learner))
                   for learner in self.learners)

    def _with_pending(self) -> list[int]:
        return [who for who in (0, 1) if self._pending(who) is not None]

    def _with_paid(self) -> list[int]:
        return [who for who in (0, 1) if self._paid_orders(who)]

    def _waiting_at_the_lms(self) -> list[Registration]:
        return list(self.session.exec(
            select(Registration).join(Enrollment, col(Enrollment.registration_id)
                                      == Registration.id)
            .where(Enrollment.status == "pending").order_by(col(Registration.id))).all())

    def _paid_orders(self, who: int) -> list[Order]:
        return list(self.session.exec(select(Order).where(
            Order.user_id == self.learners[who].user_id,
            col(Order.status).in_(("completed", "partially_refunded")))
            .order_by(col(Order.id))).all())

    @initialize(first=st.sampled_from(ITEMS), second=st.sampled_from(ITEMS))
    def fill_carts(self, first: tuple[str, str], second: tuple[str, str]) -> None:
        self.add(0, first)
        self.add(1, second)

    @rule(who=LEARNERS, item=st.sampled_from(ITEMS))
    def add(self, who: int, item: tuple[str, str]) -> None:
        kind, code = item
        item_id = self.shop.program_id if kind == "program" else self.shop.courses[code]
        self._try(lambda: cart_service.add_item(session=self.session,
                                                owner=owner_of(self.learners[who]),
                                                item_type=kind, item_id=item_id))

    @precondition(lambda self: self._has_lines())
    @rule(who=LEARNERS, data=st.data())
    def remove(self, who: int, data: st.DataObject) -> None:
        lines = cart_service.view_cart(session=self.session,
                                       owner=owner_of(self.learners[who])).lines
        if lines:
            line = data.draw(st.sampled_from(lines))
            self._try(lambda: cart_service.remove_line(
                session=self.session, owner=owner_of(self.learners[who]), line_id=line.id))

    @precondition(lambda self: self._has_lines())
    @rule(who=LEARNERS)
    def apply_code(self, who: int) -> None:
        self._try(lambda: cart_service.apply_code(session=self.session,
                                                  owner=owner_of(self.learners[who]),
                                                  code="SAVE10"))

    @precondition(lambda self: self._has_lines())
    @rule(who=LEARNERS, again=st.booleans())
    def check_out(self, who: int, again: bool) -> None:
        # ``again``: the same key as the last checkout (a retried request)
        self.keys += 0 if again else 1
        key = f"key-{who}-{self.keys:04d}"
        self._try(lambda: checkout(session=self.session, actor=self.learners[who],
                                   request=CheckoutRequest(key)))

    @precondition(lambda self: bool(self._with_pending()))
    @rule(outcome=st.sampled_from(["success", "success", "decline", "twice"]), data=st.data())
    def pay(self, outcome: str, data: st.DataObject) -> None:
        who = data.draw(st.sampled_from(self._with_pending()))
        order = self._pending(who)
        assert order is not None
        learner = self.learners[who]
        if outcome == "twice":  # the processor's webhook arrives twice
            payment = self.session.exec(select(Payment).where(
                Payment.order_id == order.id)).one()

            def twice() -> None:
                sandbox = get_processor("sandbox")
                _, event = sandbox.pay(intent_id=payment.intent_id or "",  # type: ignore[attr-defined]
                                       client_secret=None, card=GOOD_CARD)
                for _ in range(2):
                    payments.receive_webhook(session=self.session, processor="sandbox",
                                             body=event.body, headers=event.headers)
            self._try(twice)
            return
        card = GOOD_CARD if outcome == "success" else DECLINED
        self._try(lambda: payments.sandbox_pay(session=self.session, actor=learner,
                                               number=number_of(order), card=card))

    @precondition(lambda self: bool(self._with_paid()))
    @rule(data=st.data())
    def refund_line(self, data: st.DataObject) -> None:
        who = data.draw(st.sampled_from(self._with_paid()))
        orders = self._paid_orders(who)
        order = data.draw(st.sampled_from(orders))
        _, lines = refunds.refund_options(session=self.session, actor=self.learners[who],
                                          number=number_of(order))
        open_lines = [line for line in lines if line.left > 0]
        if not open_lines:
            return
        line = data.draw(st.sampled_from(open_lines))

        def ask_and_pay() -> None:
            request = refunds.request_refund(
                session=self.session, actor=self.learners[who], number=number_of(order),
                reason="Please refund this course.",
                lines=[refunds.LineRefund(line.id, line.left)])
            refunds.approve(session=self.session, actor=self.billing,
                            request_id=request.id or 0)
        self._try(ask_and_pay)

    @precondition(lambda self: bool(self._with_paid()))
    @rule(won=st.booleans(), data=st.data())
    def chargeback(self, won: bool, data: st.DataObject) -> None:
        who = data.draw(st.sampled_from(self._with_paid()))
        orders = self._paid_orders(who)
        order = data.draw(st.sampled_from(orders))
        number = number_of(order)

        def dispute() -> None:
            payments.sandbox_processor_event(session=self.session, number=number,
                                             event="dispute")
            payments.sandbox_processor_event(session=self.session, number=number,
                                             event="dispute-won" if won else "dispute-lost")
        self._try(dispute)

    @precondition(lambda self: bool(self._waiting_at_the_lms()))
    @rule(data=st.data())
    def lms_rejects(self, data: st.DataObject) -> None:
        registration = data.draw(st.sampled_from(self._waiting_at_the_lms()))

        def reject() -> None:
            registrations.apply_lms_status(session=self.session, update=registrations.LmsStatus(
                order_item_id=registration.dedupe_key, status="rejected", enrollment_id="",
                reason="No seat left in the LMS."))
            self.session.commit()
            registrations.pay_lms_refund(session=self.session,
                                         order_item_id=registration.dedupe_key)
        self._try(reject)

    # -- what must hold after every step ------------------------------------------------------

    def _sales_left(self) -> dict[tuple[int, int], list[int]]:
        """(learner, course) -> what is left (gross + tax) of each sale entry."""
        entries = self.session.exec(select(LedgerEntry)).all()
        reversed_of = Counter[int]()
        for e in entries:
            if e.reverses_id is not None:
                reversed_of[e.reverses_id] += e.gross + e.tax
        left: dict[tuple[int, int], list[int]] = {}
        for e in entries:
            if e.entry_type == "sale":
                left.setdefault((e.learner_id, e.course_id), []).append(
                    e.gross + e.tax + reversed_of[e.id or 0])
        return left

    @invariant()
    def nobody_pays_twice_and_owns_what_they_paid_for(self) -> None:
        self.session.expire_all()
        left = self._sales_left()
        for (learner_id, course_id), pieces in left.items():
            assert sum(1 for p in pieces if p > 0) <= 1, (learner_id, course_id, pieces)
        for learner in self.learners:
            paid = {course for (who, course), pieces in left.items()
                    if who == learner.user_id and any(p > 0 for p in pieces)}
            assert owned_course_ids(session=self.session, user_id=learner.user_id) == paid
            live = Counter(self.session.exec(select(Registration.course_id).where(
                Registration.user_id == learner.user_id, Registration.kind == "course",
                col(Registration.status).in_(("pending", "approved", "enrolled")))).all())
            assert all(n == 1 for n in live.values()), live

    @invariant()
    def every_order_adds_up(self) -> None:
        for order in self.session.exec(select(Order)).all():
            lines = self.session.exec(select(OrderLine).where(
                OrderLine.order_id == order.id)).all()
            assert all(li.total == li.list_amount - li.discount_amount + li.tax_amount
                       for li in lines)
            assert order.subtotal == sum(li.list_amount for li in lines)
            assert order.discount_amount == sum(li.discount_amount for li in lines)
            assert order.tax_amount == sum(li.tax_amount for li in lines)
            assert order.total == sum(li.total for li in lines)
            assert 0 <= order.refunded_amount <= order.total

    @invariant()
    def the_ledger_holds_what_was_captured_less_refunds(self) -> None:
        captured = refunded = 0
        for payment in self.session.exec(select(Payment).where(col(Payment.status).in_(
                ("succeeded", "partially_refunded", "refunded")))).all():
            captured += payment.amount
            refunded += payment.refunded_amount
        entries = self.session.exec(select(LedgerEntry)).all()
        assert sum(e.gross + e.tax for e in entries) == captured - refunded
        for e in entries:
            assert e.net == e.gross - e.processor_fee
            assert e.platform_amount + e.creator_amount + e.instructor_amount == e.net
        requests = self.session.exec(select(func.coalesce(func.sum(
            RefundRequest.approved_amount), 0)).where(RefundRequest.status == "refunded")).one()
        assert requests == refunded

    @invariant()
    def nothing_pending_is_stuck(self) -> None:
        for order in self.session.exec(select(Order).where(Order.status == "pending")).all():
            payment = self.session.exec(select(Payment).where(
                Payment.order_id == order.id)).one()
            assert payment.intent_id, "a pending order can be paid"
            cart = self.session.exec(select(Cart).where(Cart.user_id == order.user_id)).one()
            assert cart.checkout_order_id == order.id, "one open order per cart"
        stuck = self.session.exec(select(RefundRequest.id).where(
            col(RefundRequest.status).in_(("approved", "processing", "failed")))).all()
        assert not stuck, "every approved refund was paid"


def test_money_invariants_hold_over_random_journeys(monkeypatch: pytest.MonkeyPatch) -> None:
    # the LMS is configured (its requests wait in the outbox) and refuses some enrollments;
    # its refusals are paid back at once
    monkeypatch.setenv("COMMERCE_LMS_ENROLLMENT_URL", "http://127.0.0.1:9/enrollment")
    monkeypatch.setenv("COMMERCE_LMS_CONNECTOR_KEY", "lms-key")
    monkeypatch.setenv("COMMERCE_LMS_REJECTION_REFUND", "auto")
    get_settings.cache_clear()
    try:
        run_state_machine_as_test(Shop, settings=settings(
            max_examples=EXAMPLES, stateful_step_count=25, deadline=None, database=None,
            derandomize="COMMERCE_MACHINE_EXAMPLES" not in os.environ, print_blob=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
    finally:
        get_settings.cache_clear()
