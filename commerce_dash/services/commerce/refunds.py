"""Refunds (ADR-001, US-016, PAY-009, REG-009): requests from learners, rejected registrations
and billing admins; the billing admin's queue; paying a refund at the processor exactly once;
and everything a paid refund changes.

Paying happens in three steps so no database transaction stays open during the processor
call and no crash can pay twice:
1. approve: lock the payment row, check the amount against what was captured less what is
   refunded or promised, move the request to *processing*, commit;
2. call the processor with the idempotency key ``refund-<id>`` (a retry of the same request
   gets the same refund back instead of a second one);
3. settle: in one transaction, the request *refunded*, payment and order statuses, the
   discount use given back on a full refund, registrations of fully refunded lines cancelled
   and their enrollments ended (the LMS told), certificates of those enrollments revoked,
   ledger reversals (which queue ``refund.issued`` for the payout platform), the email.
A processor error leaves the request *failed* with the error; a retry, or the refund_retry
job for requests stuck in *processing*, runs steps 2 and 3 again.

This module pays (steps 2 and 3 and their retries) and is the refunds' public face: requests
(``refund_requests.py``), decisions (``refund_decisions.py``), what a paid refund changes
(``refund_settlement.py``), amounts left (``refund_amounts.py``) and the queue
(``refund_queries.py``) are re-exported, so callers import refunds from here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, select

from commerce_dash.db import for_update
from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind, not_found
from commerce_dash.domain.refunds import LABELS, RefundStatus, check_reason
from commerce_dash.models.commerce import Order, Payment, RefundRequest
from commerce_dash.models.enrollment import Registration
from commerce_dash.payments.base import ProcessorError
from commerce_dash.payments.base import RefundRequest as ProcessorRefund
from commerce_dash.payments.factory import get_processor
from commerce_dash.services import enrollment as enrollment_area
from commerce_dash.services.commerce.refund_amounts import SECTION, locked_request
from commerce_dash.services.commerce.refund_decisions import for_decision, mark_approved, reject
from commerce_dash.services.commerce.refund_queries import refund_options
from commerce_dash.services.commerce.refund_requests import (
    LineRefund,
    refund_rejected_registration,
    request_refund,
)
from commerce_dash.services.commerce.refund_settlement import settle_locked
from commerce_dash.services.commerce.refund_status import transition_refund
from commerce_dash.services.platform import record_audit
from commerce_dash.settings import get_settings

# the refunds' public face: requests, decisions, settlement and queries are re-exported
__all__ = [
    "MAX_BULK",
    "SECTION",
    "BulkOutcome",
    "LineRefund",
    "approve",
    "bulk",
    "idempotency_key",
    "pay_approved",
    "process",
    "refund_options",
    "refund_rejected_registration",
    "reject",
    "request_refund",
    "retry",
    "retry_stuck",
    "settle",
    "settle_locked",
]

log = logging.getLogger(__name__)

MAX_BULK = 200


def idempotency_key(request_id: int) -> str:
    return f"refund-{request_id}"


def pay_approved(*, session: Session, order_id: int) -> int:
    """Pay the refunds of an order that are approved but not yet sent to the processor (the
    system's own approvals, after the commit that made them); returns how many were paid."""
    ids = session.exec(select(RefundRequest.id).where(
        RefundRequest.order_id == order_id,
        RefundRequest.status == RefundStatus.APPROVED.value)).all()
    session.commit()
    paid = 0
    for request_id in ids:
        if request_id is None:
            continue
        try:
            done = process(session=session, request_id=request_id)
        except Exception:  # noqa: BLE001 - the refund_retry job finishes it
            session.rollback()
            log.exception("Paying refund %s failed; the refund_retry job will", request_id)
            continue
        paid += done.status == RefundStatus.REFUNDED.value
    return paid


# Approving a refund that is already approved (or further on) returns it as it is.
_APPROVED_OR_LATER = frozenset({RefundStatus.APPROVED.value, RefundStatus.PROCESSING.value,
                                RefundStatus.FAILED.value, RefundStatus.REFUNDED.value})


def approve(*, session: Session, actor: Actor | None, request_id: int,
            amount: int | None = None, note: str = "") -> RefundRequest:
    """Approve (optionally a lower amount) and pay the refund; returns the request as it
    ended: refunded, or failed with the processor's error (then retry)."""
    actor, request = for_decision(session, actor, request_id)
    if request.status in _APPROVED_OR_LATER:
        session.commit()
        return request
    try:
        mark_approved(session, request, actor, amount, note)
    except DomainError:
        session.rollback()
        raise
    session.commit()
    return process(session=session, request_id=request_id, actor=actor)


def process(*, session: Session, request_id: int, actor: Actor | None = None) -> RefundRequest:
    """Pay a request that is processing (or failed) at the processor, then settle it."""
    request = locked_request(session, request_id)
    if request is None:
        raise not_found("refund_request", request_id)
    if request.status in (RefundStatus.APPROVED.value, RefundStatus.FAILED.value):
        transition_refund(session=session, request=request, target=RefundStatus.PROCESSING,
                          actor=actor, audited_by=("refund.approved"
                                                   if request.status == RefundStatus.APPROVED
                                                   else "refund.retried"))
        request.updated_at = utcnow()
        session.add(request)
    session.commit()  # ends the lock whatever the status
    if request.status != RefundStatus.PROCESSING.value:
        return request
    payment = session.exec(select(Payment).where(Payment.order_id == request.order_id)).one()
    call = ProcessorRefund(intent_id=payment.intent_id or "", amount=request.approved_amount or 0,
                           currency=request.currency, reason=request.reason[:300],
                           idempotency_key=idempotency_key(request_id))
    session.commit()  # nothing held open across the network call
    try:
        if payment.processor == "none" or not payment.intent_id:
            result_id = f"no-charge-{request_id}"
        else:
            result = get_processor(payment.processor).refund(call)
            if result.status == "failed":
                raise ProcessorError("refund_failed", "The processor declined the refund.")
            result_id = result.refund_id
    except ProcessorError as exc:
        return _failed(session, request_id, exc.message, actor)
    return settle(session=session, request_id=request_id, processor_refund_id=result_id,
                  actor=actor)


def _failed(session: Session, request_id: int, error: str, actor: Actor | None) -> RefundRequest:
    request = locked_request(session, request_id)
    assert request is not None
    if request.status == RefundStatus.PROCESSING.value:
        request.attempts += 1
        request.last_error = error[:500]
        request.updated_at = utcnow()
        transition_refund(session=session, request=request, target=RefundStatus.FAILED,
                          actor=actor, action="refund.failed", before=None,
                          after={"status": RefundStatus.FAILED.value,
                                 "attempts": request.attempts}, reason=error[:500])
    session.commit()
    session.refresh(request)
    return request


def settle(*, session: Session, request_id: int, processor_refund_id: str,
           actor: Actor | None = None) -> RefundRequest:
    """Everything a paid refund changes, in one transaction (a second call changes nothing)."""
    request = locked_request(session, request_id)
    assert request is not None
    if request.status != RefundStatus.PROCESSING.value:
        session.commit()
        return request
    order = session.exec(for_update(session, select(Order).where(Order.id == request.order_id))
                         ).one()
    payment = session.exec(for_update(session, select(Payment).where(
        Payment.order_id == order.id))).one()
    settle_locked(session, request, order, payment, processor_refund_id, actor)
    session.commit()
    session.refresh(request)
    return request


def retry(*, session: Session, actor: Actor | None, request_id: int) -> RefundRequest:
    """Run a failed (or stuck) refund again; the idempotency key keeps it to one payment."""
    actor = require_section(actor, SECTION)
    request = session.get(RefundRequest, request_id)
    if request is None:
        raise not_found("refund_request", request_id)
    if request.status == RefundStatus.REFUNDED.value:
        return request  # paid already: nothing to do again
    if request.status not in (RefundStatus.FAILED.value, RefundStatus.PROCESSING.value,
                              RefundStatus.APPROVED.value):
        raise DomainError("not_retryable", "Only a failed or unfinished refund is retried.",
                          kind=ErrorKind.CONFLICT)
    record_audit(session=session, actor=actor, action="refund.retried",
                 entity_type="refund_request", entity_id=request_id,
                 after={"attempts": request.attempts})
    session.commit()
    return process(session=session, request_id=request_id, actor=actor)


def retry_stuck(*, session: Session, older_than: timedelta | None = None) -> int:
    """The refund_retry job: requests left in processing (a crash between the processor and
    the commit) are run again; returns how many were settled."""
    cutoff = utcnow() - (older_than or timedelta(
        minutes=get_settings().refund_retry_after_minutes))
    ids = session.exec(select(RefundRequest.id).where(
        col(RefundRequest.status).in_((RefundStatus.APPROVED.value,
                                       RefundStatus.PROCESSING.value)),
        col(RefundRequest.updated_at) < cutoff).limit(50)).all()
    done = 0
    for request_id in ids:
        if request_id is not None and process(session=session, request_id=request_id
                                              ).status == RefundStatus.REFUNDED.value:
            done += 1
    return done


@dataclass(frozen=True)
class BulkOutcome:
    id: int
    ok: bool
    message: str


def bulk(*, session: Session, actor: Actor | None, ids: Sequence[int], action: str,
         reason: str = "") -> list[BulkOutcome]:
    """Approve (in full) or reject many; each item says what happened."""
    require_section(actor, SECTION)
    if action not in ("approve", "reject"):
        raise DomainError("invalid_action", "Choose approve or reject.", field="action")
    if len(ids) > MAX_BULK:
        raise DomainError("too_many", f"At most {MAX_BULK} at once.", field="ids")
    if action == "reject":
        reason = check_reason(reason)
    out = []
    for request_id in dict.fromkeys(ids):
        try:
            done = (approve(session=session, actor=actor, request_id=request_id)
                    if action == "approve" else
                    reject(session=session, actor=actor, request_id=request_id, reason=reason))
            ok = done.status in (RefundStatus.REFUNDED.value, RefundStatus.REJECTED.value)
            out.append(BulkOutcome(request_id, ok, LABELS[RefundStatus(done.status)]
                                   + (f": {done.last_error}" if done.last_error else "")))
        except DomainError as exc:
            session.rollback()
            out.append(BulkOutcome(request_id, False, exc.message))
    return out


class _PaidPlaceRefunds:
    """This module's refund steps, as enrollment asks for them (``PaidPlaceRefunds``)."""

    def open(self, *, session: Session, registration: Registration, actor: Actor | None,
             reason: str, automatic: bool) -> RefundRequest:
        return refund_rejected_registration(session=session, registration=registration,
                                            actor=actor, reason=reason, automatic=automatic)

    def pay_approved(self, *, session: Session, order_id: int) -> int:
        return pay_approved(session=session, order_id=order_id)



enrollment_area.use_refunds(_PaidPlaceRefunds())
