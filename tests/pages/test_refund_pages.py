"""Refunds driven through their page states as a browser would (no server): the learner asks on
the receipt page, a billing admin decides in the queue, and refunds from the admin order page."""

from __future__ import annotations

import pytest
import reflex as rx
from reflex.constants import RouteArgType
from sqlmodel import Session, select

from commerce_dash import routes
from commerce_dash.domain.actor import Actor
from commerce_dash.models.commerce import OrderLine, RefundRequest
from commerce_dash.pages.admin.order_refunds import OrderRefundsState
from commerce_dash.pages.admin.refunds_state import RefundsState
from commerce_dash.pages.store.refund_request import RefundRequestState
from commerce_dash.payments.base import ProcessorError
from commerce_dash.payments.sandbox import SandboxProcessor
from commerce_dash.services.commerce import refunds
from tests.builders import buy, number_of
from tests.pages.harness import page_state as _state
from tests.pages.harness import run_event as _run
from tests.pages.harness import toasts as _toasts
from tests.pages.harness import token_for as _token

# The app installs this when it registers /account/orders/[number] and /admin/orders/[number].
rx.State.setup_dynamic_args({"number": RouteArgType.SINGLE})





@pytest.fixture
def two_course_order(session: Session, shop, learner: Actor) -> str:  # type: ignore[no-untyped-def]
    """Lee paid for PY101 ($100) and PY201 ($150); returns the order number."""
    return number_of(buy(session, learner, shop, ("course", "PY101"), ("course", "PY201")))


def _receipt_refunds(number: str, token: str) -> RefundRequestState:
    state = _state(RefundRequestState, f"{routes.ORDERS}/{number}", {"number": number}, token)
    _run(RefundRequestState.load, state)
    return state


def _queue(token: str, **query: str) -> RefundsState:
    state = _state(RefundsState, routes.ADMIN_REFUNDS, {}, token, query)
    _run(RefundsState.load, state)
    return state


def test_a_learner_asks_for_one_course_back(session: Session, two_course_order: str) -> None:
    # given Lee opens the receipt of a paid order
    page = _receipt_refunds(two_course_order, _token(session, "lee@example.com"))
    assert page.refunds_loaded and page.refund_can_request and page.my_refunds == []
    assert page.refund_left_label == "$250.00"
    # when Lee asks for some items without ticking any, with a short reason
    _run(RefundRequestState.open_refund, page)
    _run(RefundRequestState.set_refund_mode, page, "items")
    _run(RefundRequestState.set_refund_reason, page, "meh")
    assert _run(RefundRequestState.submit_refund, page) == []
    # then both mistakes are shown beside their fields and nothing is asked
    assert page.refund_lines_error == "Tick the items to refund."
    assert page.refund_reason_error == "Give a reason of at least 10 characters."
    assert session.exec(select(RefundRequest)).first() is None
    # when Lee ticks the second course and explains
    second = page.refund_lines[1]
    assert (second["title"], second["left"]) == ("Course PY201", "$150.00")
    _run(RefundRequestState.toggle_refund_line, page, second["id"])
    _run(RefundRequestState.set_refund_reason, page, "The second course repeats the first.")
    assert page.refund_asked_label == "$150.00"
    events = _run(RefundRequestState.submit_refund, page)
    # then the request is filed and the card shows it waiting, with no second button
    assert "Refund requested: a billing administrator will review it." in _toasts(events)
    assert not page.refund_open and page.refund_waiting and not page.refund_can_request
    [row] = page.my_refunds
    assert (row["status"], row["status_label"], row["amount"]) == (
        "requested",
        "Waiting for review",
        "$150.00",
    )
    assert "Course PY201" in row["items"]


def test_billing_admin_lowers_the_amount_and_pays(
    session: Session, two_course_order: str, learner: Actor
) -> None:
    # given Lee asked for the whole order back
    refunds.request_refund(
        session=session,
        actor=learner,
        number=two_course_order,
        reason="Bought these by mistake, sorry.",
    )
    queue = _queue(_token(session, "root@example.com"))
    [row] = queue.rows
    assert (row["order_number"], row["learner"], row["amount"], row["status_label"]) == (
        two_course_order,
        "Lee Learner",
        "$250.00",
        "Requested",
    )
    assert row["order_href"] == f"{routes.ADMIN_ORDERS}/{two_course_order}"
    assert row["source_label"] == "Learner" and row["progress"]
    assert [c["label"] for c in queue.counts] == ["1 requested"]
    # when the admin opens Approve… it is prefilled with what was asked
    _run(RefundsState.open_approve, queue, row["id"])
    assert (queue.approve_amount, queue.approve_max_label) == ("250.00", "$250.00")
    # and more than asked is refused beside the amount
    _run(RefundsState.set_approve_amount, queue, "300")
    _run(RefundsState.confirm_approve, queue)
    assert queue.approve_error == "At most $250.00, the amount asked for." and queue.approve_open
    _run(RefundsState.set_approve_amount, queue, "12.345")
    _run(RefundsState.confirm_approve, queue)
    assert "decimal places" in queue.approve_error
    # when a lower amount is approved with a note
    _run(RefundsState.set_approve_amount, queue, "100.00")
    _run(RefundsState.set_approve_note, queue, "The first course was finished.")
    events = _run(RefundsState.confirm_approve, queue)
    # then it is paid, the waiting queue is empty and the request shows both amounts
    assert "Refund of $100.00 paid to Lee Learner." in _toasts(events)
    assert not queue.approve_open and not queue.busy and queue.rows == []
    _run(RefundsState.set_status_filter, queue, "refunded")
    [paid] = queue.rows
    assert (paid["status"], paid["amount"], paid["asked"]) == ("refunded", "$100.00", "$250.00")
    assert paid["decision_reason"] == "The first course was finished."
    # and the learner reads it on the receipt, with $150 still refundable
    page = _receipt_refunds(two_course_order, _token(session, "lee@example.com"))
    assert [r["status_label"] for r in page.my_refunds] == ["Refunded"]
    assert page.refund_can_request and page.refund_left_label == "$150.00"


def test_reject_needs_a_reason_and_the_learner_reads_it(
    session: Session, two_course_order: str, learner: Actor
) -> None:
    refunds.request_refund(
        session=session, actor=learner, number=two_course_order, reason="Changed my mind about it."
    )
    queue = _queue(_token(session, "root@example.com"))
    [row] = queue.rows
    _run(RefundsState.open_reject, queue, row["id"], row["order_number"])
    _run(RefundsState.set_reject_reason, queue, "no")
    _run(RefundsState.confirm_reject, queue)
    assert queue.reject_error == "Give a reason of at least 10 characters." and queue.reject_open
    _run(RefundsState.set_reject_reason, queue, "Both courses were completed already.")
    assert queue.reject_error == "" and queue.reject_length == 36
    events = _run(RefundsState.confirm_reject, queue)
    assert "rejected; the learner is emailed why" in _toasts(events)
    assert queue.rows == [] and not queue.reject_open
    page = _receipt_refunds(two_course_order, _token(session, "lee@example.com"))
    [mine] = page.my_refunds
    assert (mine["status"], mine["decision_reason"]) == (
        "rejected",
        "Both courses were completed already.",
    )
    assert page.refund_can_request  # decided: Lee may ask again


def test_a_failed_payment_shows_its_error_and_retry_pays(  # type: ignore[no-untyped-def]
    session: Session, shop, learner: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = number_of(buy(session, learner, shop, ("course", "SQL101")))
    refunds.request_refund(
        session=session, actor=learner, number=order, reason="Please refund this one."
    )
    real = SandboxProcessor.refund

    def down(self, call):  # type: ignore[no-untyped-def]
        raise ProcessorError("processor_unavailable", "The processor did not answer.")

    monkeypatch.setattr(SandboxProcessor, "refund", down)
    queue = _queue(_token(session, "root@example.com"))
    _run(RefundsState.open_approve, queue, queue.rows[0]["id"])
    events = _run(RefundsState.confirm_approve, queue)
    assert "the refund failed (The processor did not answer.)" in _toasts(events)
    _run(RefundsState.set_status_filter, queue, "failed")
    [failed] = queue.rows
    assert (failed["can_retry"], failed["last_error"]) == ("yes", "The processor did not answer.")
    assert [c["label"] for c in queue.counts] == ["1 failed"]
    monkeypatch.setattr(SandboxProcessor, "refund", real)
    events = _run(
        RefundsState.retry, queue, failed["id"], failed["order_number"], failed["learner"]
    )
    assert "Refund of $80.00 paid to Lee Learner." in _toasts(events)
    assert queue.rows == [] and [c["label"] for c in queue.counts] == ["1 refunded"]


def test_bulk_approve_reports_each_request(
    session: Session,
    shop,  # type: ignore[no-untyped-def]
    learner: Actor,
    super_admin: Actor,
) -> None:
    first = number_of(buy(session, learner, shop, ("course", "PY101")))
    # (buy's checkout key counts items: a second order needs another count)
    second = number_of(buy(session, learner, shop, ("course", "ML301"), ("course", "SQL101")))
    for number in (first, second):
        refunds.request_refund(
            session=session, actor=learner, number=number, reason="Not for me after all."
        )
    queue = _queue(_token(session, "root@example.com"))
    # a request decided elsewhere meanwhile is reported, not fatal
    refunds.reject(
        session=session,
        actor=super_admin,
        request_id=int(queue.rows[1]["id"]),
        reason="Decided by a colleague already.",
    )
    _run(RefundsState.toggle_page, queue)
    assert queue.selected_count == 2 and queue.all_on_page_selected
    events = _run(RefundsState.bulk_approve, queue)
    assert "1 refund paid, 1 not done." in _toasts(events)
    assert [(r["number"], r["ok"]) for r in queue.bulk_results] == [(first, "yes"), (second, "")]
    assert "rejected refund cannot become approved" in queue.bulk_results[1]["message"]
    assert queue.selected == [] and queue.rows == []


def test_billing_admin_refunds_an_amount_from_the_order_page(
    session: Session, two_course_order: str
) -> None:
    token = _token(session, "root@example.com")
    card = _state(
        OrderRefundsState,
        f"{routes.ADMIN_ORDERS}/{two_course_order}",
        {"number": two_course_order},
        token,
    )
    _run(OrderRefundsState.load, card)
    assert card.refunds_loaded and card.refund_can_request and card.order_refunds == []
    assert card.queue_link == f"{routes.ADMIN_REFUNDS}?learner=lee@example.com"
    # when the admin asks for more than was paid, then for $40
    _run(OrderRefundsState.open_refund, card)
    assert card.refund_amount == "250.00"
    _run(OrderRefundsState.set_refund_mode, card, "amount")
    _run(OrderRefundsState.set_refund_amount, card, "400")
    _run(OrderRefundsState.set_refund_reason, card, "Goodwill credit for the outage.")
    _run(OrderRefundsState.submit_refund, card)
    assert card.refund_amount_error == "At most $250.00." and card.refund_open
    _run(OrderRefundsState.set_refund_amount, card, "40")
    events = _run(OrderRefundsState.submit_refund, card)
    # then a request from the admin waits in the queue, and the page says where to approve it
    assert "Refund request of $40.00 created. Approve it in Refunds." in _toasts(events)
    assert "Open Refunds" in _toasts(events)
    assert card.created_message.startswith("Refund request of $40.00 created")
    [row] = card.order_refunds
    assert (row["source"], row["status"], row["amount"]) == ("admin", "requested", "$40.00")
    assert card.waiting == 1
    queue = _queue(token, learner="lee@example.com")
    assert queue.search == "lee@example.com"
    [queued] = queue.rows
    assert (queued["source_label"], queued["amount"]) == ("Billing admin", "$40.00")


def test_a_learner_cannot_open_the_queue(session: Session, two_course_order: str) -> None:
    queue = _queue(_token(session, "lee@example.com"))
    assert queue.access == "denied" and queue.rows == []


def test_a_whole_order_request_asks_for_everything_left(
    session: Session, two_course_order: str
) -> None:
    lines = session.exec(select(OrderLine).order_by(OrderLine.position)).all()
    page = _receipt_refunds(two_course_order, _token(session, "lee@example.com"))
    assert [ln["left_minor"] for ln in page.refund_lines] == [str(ln.total) for ln in lines]
    _run(RefundRequestState.open_refund, page)
    _run(RefundRequestState.set_refund_reason, page, "Everything please, wrong purchase.")
    events = _run(RefundRequestState.submit_refund, page)
    assert "Refund requested" in _toasts(events)
    request = session.exec(select(RefundRequest)).one()
    assert (request.amount, request.lines) == (sum(ln.total for ln in lines), None)
