"""The refund pipeline with the sandbox processor: requests, approval, rejection, the cascade
(order, payment, discount, registrations, enrollments, certificates, ledger, emails, payout),
over-refunds, a crash between the processor and the commit, and processor errors."""

from __future__ import annotations

from threading import Barrier, Thread

import pytest
from sqlmodel import Session, func, select

from commerce_dash.db import get_engine
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.certificates import Certificate
from commerce_dash.models.commerce import Order, OrderLine, Payment, RefundRequest, SandboxRefund
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.models.enrollment import Enrollment, Registration
from commerce_dash.models.pricing import DiscountCode, DiscountRedemption
from commerce_dash.models.revenue import LedgerEntry
from commerce_dash.payments.base import ProcessorError
from commerce_dash.payments.sandbox import CardInput, SandboxProcessor
from commerce_dash.services.commerce import refunds
from commerce_dash.services.learning.progress import ProgressReport, record_progress
from tests.builders import buy, course_modules, make_code, number_of
from tests.conftest import create_user

GOOD = CardInput("4242424242424242", 12, 2040, "123")


def _emails(session: Session, template: str) -> list[OutboxMessage]:
    return [m for m in session.exec(select(OutboxMessage).where(OutboxMessage.topic == "email"))
            if (m.payload or {}).get("template") == template]


def _ledger_totals(session: Session, order_id: int) -> tuple[int, int, int, int, int, int]:
    row = session.exec(select(
        func.sum(LedgerEntry.gross), func.sum(LedgerEntry.tax),
        func.sum(LedgerEntry.processor_fee), func.sum(LedgerEntry.platform_amount),
        func.sum(LedgerEntry.creator_amount), func.sum(LedgerEntry.instructor_amount),
    ).where(LedgerEntry.order_id == order_id)).one()
    return tuple(int(v or 0) for v in row)  # type: ignore[return-value]


def test_full_refund_cascades_everywhere(session: Session, shop, learner: Actor,  # type: ignore[no-untyped-def]
                                         super_admin: Actor, payout) -> None:
    make_code(session, super_admin, "TENOFF", percent=10)
    module = course_modules(session, shop.courses["PY101"], n=1)[0]
    order = buy(session, learner, shop, ("course", "PY101"), ("course", "SQL101"),
                code="TENOFF")
    assert order.id is not None
    # the sale is in the ledger: what was paid, split exactly
    sales = session.exec(select(LedgerEntry).where(LedgerEntry.order_id == order.id)).all()
    assert len(sales) == 2 and sum(e.gross + e.tax for e in sales) == order.total
    assert all(e.platform_amount + e.creator_amount + e.instructor_amount == e.net
               for e in sales)
    enrollment = session.exec(select(Enrollment).where(
        Enrollment.course_id == shop.courses["PY101"])).one()
    record_progress(session=session, report=ProgressReport(enrollment.id or 0, module, True))
    certificate = session.exec(select(Certificate)).one()

    request = refunds.request_refund(session=session, actor=learner, number=number_of(order),
                                     reason="The course was not what I expected.")
    assert (request.status, request.amount, request.source) == ("requested", order.total,
                                                                 "learner")
    assert len(_emails(session, "refund-requested")) == 1
    with pytest.raises(DomainError) as err:  # one open request per order for a learner
        refunds.request_refund(session=session, actor=learner, number=number_of(order),
                               reason="Asking a second time, just in case.")
    assert err.value.code == "request_open"

    done = refunds.approve(session=session, actor=super_admin, request_id=request.id or 0)
    assert done.status == "refunded" and done.processor_refund_id.startswith("sbre_")
    session.expire_all()
    order = session.get(Order, order.id)
    payment = session.exec(select(Payment).where(Payment.order_id == order.id)).one()  # type: ignore[union-attr]
    assert (order.status, order.refunded_amount) == ("refunded", order.total)  # type: ignore[union-attr]
    assert (payment.status, payment.refunded_amount) == ("refunded", payment.amount)
    code = session.exec(select(DiscountCode).where(DiscountCode.code == "TENOFF")).one()
    assert code.uses_count == 0
    assert session.exec(select(DiscountRedemption)).one().status == "refunded"
    assert {r.status for r in session.exec(select(Registration))} == {"cancelled"}
    assert {e.status for e in session.exec(select(Enrollment))} == {"ended"}
    session.refresh(certificate)
    assert (certificate.status, certificate.revoked_category) == ("revoked", "refunded")
    # reversals cancel the sales exactly, field by field
    assert _ledger_totals(session, order.id or 0) == (0, 0, 0, 0, 0, 0)  # type: ignore[union-attr]
    assert len(_emails(session, "refund-approved")) == 1
    events = sorted((m.payload or {})["event"] for m in session.exec(
        select(OutboxMessage).where(OutboxMessage.dedupe_key.startswith("payout:"))))  # type: ignore[attr-defined]
    assert events == ["payment.completed"] * 2 + ["refund.issued"] * 2
    refund_bodies = [(m.payload or {})["body"]["payload"] for m in session.exec(
        select(OutboxMessage).where(OutboxMessage.topic == "webhook.refund.issued"))]
    assert all(b["fullRefund"] for b in refund_bodies)
    assert sum(b["refundAmount"] for b in refund_bodies) == order.total  # type: ignore[union-attr]


def test_partial_refund_by_line_with_a_lower_amount(session: Session, shop,  # type: ignore[no-untyped-def]
                                                    learner: Actor, super_admin: Actor,
                                                    billing: Actor) -> None:
    order = buy(session, learner, shop, ("course", "PY101"), ("course", "PY201"))
    lines = session.exec(select(OrderLine).where(OrderLine.order_id == order.id)
                         .order_by(OrderLine.position)).all()
    request = refunds.request_refund(
        session=session, actor=learner, number=number_of(order),
        reason="Only the second course please.",
        lines=[refunds.LineRefund(lines[1].id or 0, lines[1].total)])
    with pytest.raises(DomainError) as err:
        refunds.approve(session=session, actor=super_admin, request_id=request.id or 0,
                        amount=lines[1].total + 1)
    assert err.value.code == "above_request"
    done = refunds.approve(session=session, actor=super_admin, request_id=request.id or 0,
                           amount=5_000, note="Half: most of the course was taken.")
    assert (done.status, done.approved_amount) == ("refunded", 5_000)
    session.expire_all()
    refreshed = session.get(Order, order.id)
    assert (refreshed.status, refreshed.refunded_amount) == ("partially_refunded", 5_000)  # type: ignore[union-attr]
    # part of the line is still paid for: the learner keeps both courses
    assert {e.status for e in session.exec(select(Enrollment))} == {"active"}
    reversal = session.exec(select(LedgerEntry).where(LedgerEntry.entry_type == "reversal")
                            ).one()
    assert (reversal.gross + reversal.tax, reversal.order_line_id) == (-5_000, lines[1].id)
    assert reversal.platform_amount + reversal.creator_amount + reversal.instructor_amount \
        == reversal.net
    # the rest of that line, then nothing more
    rest = refunds.request_refund(session=session, actor=billing, number=number_of(order),
                                  reason="Admin: the rest of the second course.",
                                  lines=[refunds.LineRefund(lines[1].id or 0,
                                                            lines[1].total - 5_000)])
    assert rest.source == "admin"
    refunds.approve(session=session, actor=super_admin, request_id=rest.id or 0)
    statuses = {e.course_id: e.status for e in session.exec(select(Enrollment))}
    assert statuses == {shop.courses["PY101"]: "active", shop.courses["PY201"]: "ended"}
    with pytest.raises(DomainError) as err:
        refunds.request_refund(session=session, actor=billing, number=number_of(order),
                               reason="Too much for the second line.",
                               lines=[refunds.LineRefund(lines[1].id or 0, 1)])
    assert err.value.code == "over_refund"


def test_rejection_tells_the_learner_why(session: Session, shop, learner: Actor,  # type: ignore[no-untyped-def]
                                         super_admin: Actor) -> None:
    order = buy(session, learner, shop, ("course", "ML301"))
    request = refunds.request_refund(session=session, actor=learner, number=number_of(order),
                                     reason="Changed my mind about it.")
    with pytest.raises(DomainError) as err:
        refunds.reject(session=session, actor=super_admin, request_id=request.id or 0,
                       reason="no")
    assert err.value.field == "reason"
    done = refunds.reject(session=session, actor=super_admin, request_id=request.id or 0,
                          reason="The course was completed before the request.")
    assert done.status == "rejected"
    [email] = _emails(session, "refund-rejected")
    assert "completed before the request" in (email.payload or {})["text"]
    with pytest.raises(DomainError) as err:
        refunds.approve(session=session, actor=super_admin, request_id=request.id or 0)
    assert err.value.code == "invalid_refund_move"
    stranger = create_user(session, "sam@example.com")
    with pytest.raises(DomainError) as err:
        refunds.request_refund(session=session, actor=stranger, number=number_of(order),
                               reason="Not my order at all.")
    assert err.value.code == "order_not_found"
    with pytest.raises(DomainError):
        refunds.approve(session=session, actor=learner, request_id=request.id or 0)


def test_a_crash_after_the_processor_paid_never_pays_twice(  # type: ignore[no-untyped-def]
    session: Session, shop, learner: Actor, super_admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = buy(session, learner, shop, ("course", "PY101"))
    request = refunds.request_refund(session=session, actor=learner, number=number_of(order),
                                     reason="Please refund this course.")

    def crash(**_kwargs: object) -> None:
        raise RuntimeError("worker killed after the processor call")

    monkeypatch.setattr(refunds, "settle", crash)
    with pytest.raises(RuntimeError):
        refunds.approve(session=session, actor=super_admin, request_id=request.id or 0)
    monkeypatch.undo()
    session.expire_all()
    assert session.get(RefundRequest, request.id).status == "processing"  # type: ignore[union-attr]
    assert len(session.exec(select(SandboxRefund)).all()) == 1  # the processor paid once
    # the job finds it and finishes it: the processor returns the same refund
    from datetime import timedelta

    assert refunds.retry_stuck(session=session, older_than=timedelta(seconds=-1)) == 1
    assert len(session.exec(select(SandboxRefund)).all()) == 1
    session.expire_all()
    done = session.get(RefundRequest, request.id)
    payment = session.exec(select(Payment).where(Payment.order_id == order.id)).one()
    assert done.status == "refunded" and payment.refunded_amount == payment.amount  # type: ignore[union-attr]
    assert len(session.exec(select(LedgerEntry).where(
        LedgerEntry.entry_type == "reversal")).all()) == 1


def test_a_processor_error_fails_and_a_retry_pays(session: Session, shop,  # type: ignore[no-untyped-def]
                                                 learner: Actor, super_admin: Actor,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    order = buy(session, learner, shop, ("course", "SQL101"))
    request = refunds.request_refund(session=session, actor=learner, number=number_of(order),
                                     reason="Please refund this one.")
    real = SandboxProcessor.refund

    def down(self, call):  # type: ignore[no-untyped-def]
        raise ProcessorError("processor_unavailable", "The processor did not answer.")

    monkeypatch.setattr(SandboxProcessor, "refund", down)
    failed = refunds.approve(session=session, actor=super_admin, request_id=request.id or 0)
    assert (failed.status, failed.last_error) == ("failed", "The processor did not answer.")
    monkeypatch.setattr(SandboxProcessor, "refund", real)
    done = refunds.retry(session=session, actor=super_admin, request_id=request.id or 0)
    assert done.status == "refunded" and done.attempts == 2


def test_a_rejected_registration_is_paid_back_from_its_course_entry(  # type: ignore[no-untyped-def]
    session: Session, shop, learner: Actor, super_admin: Actor, billing: Actor
) -> None:
    from commerce_dash.models.catalog import Course
    from commerce_dash.services.enrollment import registrations

    for key in ("PY101", "PY201", "SQL101"):
        course = session.get(Course, shop.courses[key])
        course.approval_required = True  # type: ignore[union-attr]
        session.add(course)
    session.commit()
    order = buy(session, learner, shop, ("program", "PATH"))
    pending = session.exec(select(Registration).where(
        Registration.course_id == shop.courses["PY201"])).one()
    registrations.reject(session=session, actor=super_admin, registration_id=pending.id or 0,
                         reason="Missing the prerequisite course.")
    request = session.exec(select(RefundRequest)).one()
    entry = session.exec(select(LedgerEntry).where(
        LedgerEntry.course_id == shop.courses["PY201"])).one()
    assert request.amount == entry.gross + entry.tax == pending.amount_paid
    # the admin who rejected the registration asked for the refund: another admin pays it
    refunds.approve(session=session, actor=billing, request_id=request.id or 0)
    reversal = session.exec(select(LedgerEntry).where(LedgerEntry.entry_type == "reversal")
                            ).one()
    assert (reversal.reverses_id, reversal.gross, reversal.net) == (entry.id, -entry.gross,
                                                                    -entry.net)
    session.expire_all()
    assert session.get(Order, order.id).status == "partially_refunded"  # type: ignore[union-attr]


def test_two_approvals_at_once_never_refund_more_than_was_captured(  # type: ignore[no-untyped-def]
    session: Session, shop, learner: Actor, super_admin: Actor, billing: Actor
) -> None:
    order = buy(session, learner, shop, ("course", "PY201"))  # 15,000
    first = refunds.request_refund(session=session, actor=billing, number=number_of(order),
                                   reason="Goodwill credit, part one.", amount=10_000)
    second = refunds.request_refund(session=session, actor=billing,
                                    number=number_of(order),
                                    reason="Goodwill credit, part two.", amount=10_000)
    barrier = Barrier(2)
    outcomes: list[str] = []

    def approve(request_id: int) -> None:
        with Session(get_engine()) as s:
            barrier.wait(timeout=30)
            try:
                outcomes.append(refunds.approve(session=s, actor=super_admin,
                                                request_id=request_id).status)
            except DomainError as exc:
                outcomes.append(exc.code)

    threads = [Thread(target=approve, args=(r.id,)) for r in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["over_refund", "refunded"]
    session.expire_all()
    payment = session.exec(select(Payment).where(Payment.order_id == order.id)).one()
    assert payment.refunded_amount == 10_000
    assert len(session.exec(select(SandboxRefund)).all()) == 1


def test_two_requests_for_one_line_never_refund_more_than_the_line(  # type: ignore[no-untyped-def]
    session: Session, shop, learner: Actor, super_admin: Actor, billing: Actor
) -> None:
    order = buy(session, learner, shop, ("course", "PY101"), ("course", "ML301"))
    line = session.exec(select(OrderLine).where(OrderLine.order_id == order.id)
                        .order_by(OrderLine.position)).first()
    assert line is not None and line.total == 10_000
    asks = [refunds.request_refund(session=session, actor=billing, number=number_of(order),
                                   reason=f"Goodwill on the first course, part {n}.",
                                   lines=[refunds.LineRefund(line.id or 0, 8_000)])
            for n in (1, 2)]
    assert refunds.approve(session=session, actor=super_admin,
                           request_id=asks[0].id or 0).status == "refunded"
    with pytest.raises(DomainError) as err:  # the payment has room, the line does not
        refunds.approve(session=session, actor=super_admin, request_id=asks[1].id or 0)
    assert err.value.code == "over_refund"
    done = refunds.approve(session=session, actor=super_admin, request_id=asks[1].id or 0,
                           amount=2_000)
    assert done.status == "refunded"
    reversed_total = sum(e.gross + e.tax for e in session.exec(select(LedgerEntry).where(
        LedgerEntry.order_line_id == line.id, LedgerEntry.entry_type == "reversal")))
    assert reversed_total == -10_000
