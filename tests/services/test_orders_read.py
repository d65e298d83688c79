"""What learners and admins see of orders and payments: lists, receipts, filters, timelines
and the payment review queue. Rows are written directly with the models
(``tests.builders.recorded_order``)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, select

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.paging import PageRequest
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.commerce import (
    Order,
    PaymentEvent,
    PaymentReview,
)
from commerce_dash.services.commerce import orders
from tests.builders import JAN, number_of, recorded_order
from tests.conftest import create_user


@pytest.fixture
def billing_admin(session: Session) -> Actor:
    return create_user(
        session, "bill@example.com", grants=(Grant(RoleName.BILLING_ADMIN),), full_name="Bill Ing"
    )


@pytest.fixture
def other_learner(session: Session) -> Actor:
    return create_user(session, "olga_100%@example.com", full_name="Olga Other")


# -- learner ----------------------------------------------------------------------------------


def test_a_learner_sees_only_their_orders_newest_first_one_page_at_a_time(
    session, learner, other_learner
):
    # given three orders of the learner on three days and one of somebody else
    first = recorded_order(session, learner, created_at=JAN)
    second = recorded_order(
        session, learner, created_at=JAN + timedelta(days=1), lines=[("A", 1000), ("B", 2500)]
    )
    third = recorded_order(session, learner, created_at=JAN + timedelta(days=2), status="pending",
                        payment="pending")
    recorded_order(session, other_learner, created_at=JAN + timedelta(days=3))

    # when the learner pages through their orders two at a time
    page_one = orders.list_orders_for_user(
        session=session, user_id=learner.user_id, page=PageRequest(1, 2)
    )
    page_two = orders.list_orders_for_user(
        session=session, user_id=learner.user_id, page=PageRequest(2, 2)
    )

    # then they see their own three, newest first, with item counts and money labels
    assert (page_one.total, page_one.pages) == (3, 2)
    assert [o.number for o in page_one.items] == [number_of(third), number_of(second)]
    assert [o.number for o in page_two.items] == [number_of(first)]
    newest, middle = page_one.items
    assert (newest.status, newest.payment_status) == ("pending", "pending")
    assert middle.item_count == 2
    assert (middle.total, middle.currency, middle.total_label) == (3500, "USD", "$35.00")
    assert middle.number.startswith("ORD-2026-")


def test_a_receipt_shows_lines_discount_tax_total_payment_and_display_currency(session, learner):
    # given a paid order with a discount, tax, a card and a price shown in euros
    order = recorded_order(
        session,
        learner,
        lines=[("Python Basics", 4900), ("Data Science", 9900)],
        discount=1000,
        discount_code="SPRING10",
        tax=1100,
        tax_label="Sales tax 8% (US-CA)",
        display_currency="EUR",
        display_total=13700,
        exchange_rate="0.92",
        processor_response={"id": "pi_x", "charges": [{"card": {"last4": "4242"}}]},
    )

    detail = orders.order_detail(
        session=session, number=number_of(order), user_id=learner.user_id
    )

    assert detail.number == number_of(order)
    assert [(ln.title, ln.list_amount, ln.discount_amount, ln.tax_amount, ln.total)
            for ln in detail.lines] == [
        ("Python Basics", 4900, 1000, 0, 3900),
        ("Data Science", 9900, 0, 1100, 11000),
    ]
    assert (detail.subtotal_label, detail.discount_label, detail.tax_amount_label) == (
        "$148.00", "$10.00", "$11.00",
    )
    assert (detail.discount_code, detail.tax_name) == ("SPRING10", "Sales tax 8% (US-CA)")
    assert (detail.total, detail.total_label) == (14900, "$149.00")
    assert detail.shows_display_currency
    assert detail.display_total_label == "€137.00"
    assert detail.exchange_rate_label == "1 USD = 0.92 EUR"
    assert detail.exchange_rate_at == JAN
    assert detail.payment is not None
    assert (detail.payment.processor, detail.payment.status) == ("sandbox", "succeeded")
    assert (detail.payment.card_last4, detail.payment.intent_id) == ("4242", f"pi_{order.id}")
    assert detail.payment.processed_at == JAN + timedelta(minutes=1)
    assert (detail.learner_name, detail.learner_email) == ("Lee Learner", "lee@example.com")
    assert (detail.billing_country, detail.billing_region) == ("US", "CA")
    assert not detail.can_retry


def test_same_currency_orders_show_no_exchange_rate(session, learner):
    order = recorded_order(session, learner)
    detail = orders.order_detail(session=session, number=number_of(order), user_id=learner.user_id)
    assert not detail.shows_display_currency
    assert detail.exchange_rate_label == ""


def test_a_declined_pending_order_can_be_paid_again_with_its_reason(session, learner):
    order = recorded_order(
        session, learner, status="pending", payment="failed",
        failure_reason="Your card was declined.",
    )
    detail = orders.order_detail(
        session=session, number=number_of(order).lower(), user_id=learner.user_id
    )
    assert detail.can_retry
    assert detail.retry_reason == "Your card was declined."
    assert detail.payment is not None and detail.payment.failure_code == "card_declined"


def test_another_learners_order_is_missing_exactly_like_an_unknown_number(
    session, learner, other_learner
):
    theirs = recorded_order(session, other_learner)
    with pytest.raises(DomainError) as hidden:
        orders.order_detail(session=session, number=number_of(theirs), user_id=learner.user_id)
    unknown = f"ORD-2026-{(theirs.id or 0) + 50:05d}"
    with pytest.raises(DomainError) as missing:
        orders.order_detail(session=session, number=unknown, user_id=learner.user_id)
    assert hidden.value.kind is missing.value.kind is ErrorKind.NOT_FOUND
    assert hidden.value.code == missing.value.code == "order_not_found"
    # a right id under the wrong year, and garbage, are missing too
    wrong_year = number_of(theirs).replace("ORD-2026", "ORD-2025")
    for number in (wrong_year, "nonsense", "ORD-2026-99999999999999"):
        with pytest.raises(DomainError) as other:
            orders.order_detail(session=session, number=number, user_id=other_learner.user_id)
        assert other.value.code == "order_not_found"


def test_admins_with_the_orders_section_see_any_order_and_others_are_refused(
    session, learner, billing_admin
):
    order = recorded_order(session, learner)
    detail = orders.order_detail(session=session, number=number_of(order), actor=billing_admin)
    assert detail.learner_email == "lee@example.com"
    with pytest.raises(DomainError) as refused:
        orders.order_detail(session=session, number=number_of(order), actor=learner)
    assert refused.value.kind is ErrorKind.FORBIDDEN


def test_payment_history_lists_payments_newest_first_with_their_orders(session, learner):
    paid = recorded_order(session, learner, created_at=JAN)
    declined = recorded_order(
        session, learner, created_at=JAN + timedelta(days=1), status="pending",
        payment="failed", failure_reason="Insufficient funds.", lines=[("Stats", 1999)],
    )
    recorded_order(session, learner, created_at=JAN + timedelta(days=2), payment=None)

    history = orders.payment_history_for_user(
        session=session, user_id=learner.user_id, page=PageRequest(1, 10)
    )

    assert history.total == 2
    seen = [(p.order_number, p.status, p.amount_label, p.failure_reason) for p in history.items]
    assert seen == [
        (number_of(declined), "failed", "$19.99", "Insufficient funds."),
        (number_of(paid), "succeeded", "$49.00", ""),
    ]
    assert history.items[1].at == JAN + timedelta(minutes=1)  # when it was processed


# -- admin list -------------------------------------------------------------------------------


@pytest.fixture
def shop(session, learner, other_learner) -> dict[str, Order]:
    """Five orders over five days, two processors, several statuses and totals."""
    return {
        "small": recorded_order(session, learner, created_at=JAN, lines=[("S", 1000)]),
        "stripe": recorded_order(session, other_learner, created_at=JAN + timedelta(days=1),
                              processor="stripe", lines=[("M", 5000)]),
        "failed": recorded_order(session, learner, created_at=JAN + timedelta(days=2),
                              status="failed", payment="failed", lines=[("F", 7000)],
                              failure_reason="Card declined."),
        "pending": recorded_order(session, other_learner, created_at=JAN + timedelta(days=3),
                               status="pending", payment="pending", lines=[("P", 9000)]),
        "refunded": recorded_order(session, learner, created_at=JAN + timedelta(days=4),
                                status="refunded", payment="refunded", lines=[("R", 20000)]),
    }


def _admin_numbers(session, actor, **filters):
    result = orders.list_orders_admin(
        session=session, actor=actor, page=PageRequest(1, 50), **filters
    )
    return result.total, [row.number for row in result.items]


def _nums(shop, *keys):
    return [number_of(shop[k]) for k in keys]


def test_admin_list_is_newest_first_and_paged_in_sql(session, billing_admin, shop):
    page = orders.list_orders_admin(session=session, actor=billing_admin, page=PageRequest(2, 2))
    assert (page.total, page.pages) == (5, 3)
    assert [r.number for r in page.items] == _nums(shop, "failed", "stripe")
    failed, stripe = page.items
    assert (failed.learner_email, failed.learner_name, failed.item_count) == (
        "lee@example.com", "Lee Learner", 1,
    )
    assert (failed.status, failed.payment_status, failed.failure_reason) == (
        "failed", "failed", "Card declined.",
    )
    assert (stripe.total, stripe.total_label, stripe.processor) == (5000, "$50.00", "stripe")
    assert stripe.learner_email == "olga_100%@example.com"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status": "completed"}, ("stripe", "small")),
        ({"status": "FAILED"}, ("failed",)),
        ({"payment_status": "pending"}, ("pending",)),
        ({"payment_status": "refunded"}, ("refunded",)),
        ({"processor": "stripe"}, ("stripe",)),
        ({"processor": "paypal"}, ()),
        (
            {"date_from": JAN + timedelta(days=1), "date_to": JAN + timedelta(days=3)},
            ("failed", "stripe"),
        ),
        ({"date_from": JAN + timedelta(days=3)}, ("refunded", "pending")),
        ({"min_total": 5000, "max_total": 9000}, ("pending", "failed", "stripe")),
        ({"max_total": 999}, ()),
        ({"learner": "LEE@"}, ("refunded", "failed", "small")),
        ({"learner": "olga other"}, ("pending", "stripe")),
        ({"learner": "100%"}, ("pending", "stripe")),  # % is taken literally
        ({"learner": "0%"}, ("pending", "stripe")),
        ({"learner": "%"}, ("pending", "stripe")),
        ({"learner": "_"}, ("pending", "stripe")),  # only Olga's email has an underscore
        ({"learner": "lee", "status": "completed", "processor": "sandbox"}, ("small",)),
        ({"learner": "  "}, ("refunded", "pending", "failed", "stripe", "small")),
    ],
)
def test_admin_filters_return_the_right_rows_and_counts(
    session, billing_admin, shop, filters, expected
):
    total, numbers = _admin_numbers(session, billing_admin, **filters)
    assert numbers == _nums(shop, *expected)
    assert total == len(expected)


@pytest.mark.parametrize(
    ("filters", "code"),
    [
        ({"status": "shipped"}, "invalid_status"),
        ({"payment_status": "succeeded"}, "invalid_payment_status"),
        ({"min_total": -1}, "invalid_amount"),
        ({"min_total": 500, "max_total": 100}, "invalid_amount_range"),
        ({"date_from": JAN, "date_to": JAN}, "invalid_date_range"),
        ({"date_from": datetime(2026, 1, 1)}, "invalid_date"),  # noqa: DTZ001
    ],
)
def test_admin_filters_refuse_nonsense(session, billing_admin, filters, code):
    with pytest.raises(DomainError) as refused:
        orders.list_orders_admin(
            session=session, actor=billing_admin, page=PageRequest(), **filters
        )
    assert refused.value.code == code
    assert refused.value.kind is ErrorKind.INVALID


def test_the_admin_list_is_refused_to_learners_and_anonymous(session, learner):
    for actor, kind in ((learner, ErrorKind.FORBIDDEN), (None, ErrorKind.UNAUTHENTICATED)):
        with pytest.raises(DomainError) as refused:
            orders.list_orders_admin(session=session, actor=actor, page=PageRequest())
        assert refused.value.kind is kind


def test_processor_options_list_the_processors_in_use(session, billing_admin, shop):
    assert orders.processor_options(session=session, actor=billing_admin) == ["sandbox", "stripe"]


# -- timeline ---------------------------------------------------------------------------------


def test_the_payment_timeline_is_chronological_with_raw_payloads_and_the_processor_answer(
    session, learner, other_learner, super_admin
):
    # given a declined then retried payment: events stored out of order, one known only by
    # its intent id, plus another order's event that must not show
    order = recorded_order(
        session,
        learner,
        processor_response={"id": "pi_x", "status": "succeeded"},
        events=[
            {"event_type": "payment_intent.succeeded", "received_at": JAN + timedelta(minutes=5),
             "payload": {"type": "payment_intent.succeeded", "data": {"amount": 4900}},
             "outcome": "order completed"},
            {"event_type": "payment_intent.created", "source": "api", "received_at": JAN,
             "payload": {"type": "payment_intent.created"}},
            {"event_type": "payment_intent.payment_failed", "status": "failed",
             "received_at": JAN + timedelta(minutes=2), "last_error": "database busy",
             "attempts": 2},
        ],
    )
    session.add(
        PaymentEvent(
            processor="sandbox", event_id="evt_unlinked", event_type="charge.updated",
            intent_id=f"pi_{order.id}", payment_id=None, received_at=JAN + timedelta(minutes=3),
        )
    )
    recorded_order(session, other_learner, events=[{"event_type": "noise", "received_at": JAN}])
    session.commit()

    timeline = orders.payment_timeline(session=session, actor=super_admin, number=number_of(order))

    assert [(e.event_type, e.source) for e in timeline] == [
        ("payment_intent.created", "api"),
        ("payment_intent.payment_failed", "webhook"),
        ("charge.updated", "webhook"),
        ("payment_intent.succeeded", "webhook"),
        ("processor_response", "processor"),
    ]
    failed = timeline[1]
    assert (failed.status, failed.error, failed.attempts) == ("failed", "database busy", 2)
    succeeded = timeline[3]
    assert succeeded.outcome == "order completed"
    assert json.loads(succeeded.payload_json) == {
        "type": "payment_intent.succeeded", "data": {"amount": 4900},
    }
    assert "\n  " in succeeded.payload_json  # pretty-printed
    assert json.loads(timeline[-1].payload_json) == {"id": "pi_x", "status": "succeeded"}
    assert timeline[2].payload_json == ""


def test_an_order_without_a_payment_has_an_empty_timeline(session, learner, billing_admin):
    order = recorded_order(session, learner, status="pending", payment=None)
    assert orders.payment_timeline(
        session=session, actor=billing_admin, number=number_of(order)
    ) == []


def test_the_timeline_is_for_admins_only(session, learner):
    order = recorded_order(session, learner)
    with pytest.raises(DomainError) as refused:
        orders.payment_timeline(session=session, actor=learner, number=number_of(order))
    assert refused.value.kind is ErrorKind.FORBIDDEN


# -- payment reviews --------------------------------------------------------------------------


def _hold(session, user: Actor, failures: int, since: datetime) -> None:
    session.add(
        PaymentReview(
            user_id=user.user_id, reason=f"{failures} declined payments in an hour",
            failures=failures, since=since,
        )
    )
    session.commit()


def test_clearing_a_review_lets_the_learner_go_and_is_audited(
    session, learner, other_learner, billing_admin
):
    _hold(session, learner, 5, JAN + timedelta(hours=1))
    _hold(session, other_learner, 3, JAN)

    held = orders.list_reviews(session=session, actor=billing_admin)
    assert [(r.learner_email, r.failures) for r in held] == [
        ("olga_100%@example.com", 3), ("lee@example.com", 5),
    ]

    cleared = orders.clear_review(
        session=session, actor=billing_admin, user_id=learner.user_id, note="Spoke to the bank"
    )
    assert cleared.cleared_at is not None
    assert cleared.cleared_by_id == billing_admin.user_id
    assert [r.learner_email for r in orders.list_reviews(session=session, actor=billing_admin)] == [
        "olga_100%@example.com"
    ]
    audit = session.exec(select(AuditLog).where(AuditLog.action == "payment_review.cleared")).all()
    assert len(audit) == 1
    assert audit[0].actor_email == "bill@example.com"
    assert audit[0].entity_id == str(learner.user_id)
    assert audit[0].reason == "Spoke to the bank"
    assert audit[0].before == {
        "reason": "5 declined payments in an hour", "failures": 5, "cleared_at": None,
    }

    # clearing again changes nothing and writes nothing
    again = orders.clear_review(session=session, actor=billing_admin, user_id=learner.user_id)
    assert again.cleared_at == cleared.cleared_at
    assert len(
        session.exec(select(AuditLog).where(AuditLog.action == "payment_review.cleared")).all()
    ) == 1


def test_clearing_needs_a_held_learner_and_the_orders_section(session, learner, billing_admin):
    with pytest.raises(DomainError) as missing:
        orders.clear_review(session=session, actor=billing_admin, user_id=learner.user_id)
    assert missing.value.kind is ErrorKind.NOT_FOUND
    _hold(session, learner, 4, JAN)
    with pytest.raises(DomainError) as refused:
        orders.clear_review(session=session, actor=learner, user_id=learner.user_id)
    assert refused.value.kind is ErrorKind.FORBIDDEN
    with pytest.raises(DomainError):
        orders.list_reviews(session=session, actor=learner)
    assert session.get(PaymentReview, learner.user_id).cleared_at is None
