"""Cancellations (issue 19): a learner cancels a registration waiting for approval (a paid one
opens a refund request in the queue); a billing admin cancels a completed order (what is left
is asked back through the refund pipeline, four eyes; the registrations end as a refund ends
them; twice is harmless); refund-on-reject is a setting (queue by default, or automatic)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.certificates import Certificate
from commerce_dash.models.commerce import Order, RefundRequest
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.models.enrollment import Enrollment, Registration
from commerce_dash.services import commerce as commerce_area
from commerce_dash.services.commerce import refunds
from commerce_dash.services.enrollment import registrations
from commerce_dash.settings import Settings, get_settings
from tests.builders import (
    buy,
    checked_out,
    make_code,
    needs_approval,
    number_of,
    pending_registration,
)

REASON = "The learner asked us to cancel the order."


def _emails(session: Session, template: str) -> list[OutboxMessage]:
    return [
        m
        for m in session.exec(select(OutboxMessage).where(OutboxMessage.topic == "email"))
        if (m.payload or {}).get("template") == template
    ]


def _audits(session: Session, action: str) -> list[AuditLog]:
    return list(session.exec(select(AuditLog).where(AuditLog.action == action)))


# -- a learner cancels a registration waiting for approval ------------------------------------


def test_a_learner_cancels_a_paid_pending_registration_and_a_refund_is_asked(
    session: Session, shop, learner: Actor, billing: Actor
) -> None:  # type: ignore[no-untyped-def]
    # given Lee paid for PY101, which waits for an enrollment admin
    registration = pending_registration(session, learner, shop.courses["PY101"])

    # when Lee cancels it, twice
    first = commerce_area.cancel_my_registration(
        session=session, actor=learner, registration_id=registration.id or 0
    )
    again = commerce_area.cancel_my_registration(
        session=session, actor=learner, registration_id=registration.id or 0
    )

    # then it is cancelled by Lee, and one refund request of what was paid waits in the queue
    session.expire_all()
    assert session.get(Registration, registration.id).status == "cancelled"  # type: ignore[union-attr]
    assert (first.changed, again.changed) == (True, False)
    assert first.refund_request_id is not None
    assert again.refund_request_id == first.refund_request_id
    request = session.exec(select(RefundRequest)).one()
    assert (request.status, request.amount, request.source) == (
        "requested",
        registration.amount_paid,
        "registration_cancelled",
    )
    (audit,) = _audits(session, "registration.cancelled_by_learner")
    assert audit.actor_id == learner.user_id
    assert len(_emails(session, "refund-requested")) == 1
    # and a billing admin pays it back through the same pipeline
    done = refunds.approve(session=session, actor=billing, request_id=request.id or 0)
    assert done.status == "refunded"
    session.expire_all()
    assert session.exec(select(Order)).one().status == "refunded"


def test_a_learner_cancels_a_free_pending_registration_without_a_refund(
    session: Session, shop, learner: Actor, super_admin: Actor
) -> None:  # type: ignore[no-untyped-def]
    # given Lee got PY101 free with a code, and it waits for approval
    make_code(session, super_admin, "FREE100", percent=100)
    needs_approval(session, shop.courses["PY101"])
    checked_out(session, learner, ("course", shop.courses["PY101"]), code="FREE100")
    registration = session.exec(select(Registration)).one()
    assert (registration.status, registration.amount_paid) == ("pending", 0)

    # when Lee cancels it
    done = commerce_area.cancel_my_registration(
        session=session, actor=learner, registration_id=registration.id or 0
    )

    # then it is cancelled and no refund is asked
    assert (done.status, done.refund_request_id) == ("cancelled", None)
    assert session.exec(select(RefundRequest)).all() == []


def test_only_the_learners_own_pending_registration_can_be_cancelled(
    session: Session, shop, learner: Actor, super_admin: Actor
) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import create_user

    registration = pending_registration(session, learner, shop.courses["PY101"])
    kim = create_user(session, "kim@example.com")
    # someone else's: not found
    with pytest.raises(DomainError) as err:
        commerce_area.cancel_my_registration(
            session=session, actor=kim, registration_id=registration.id or 0
        )
    assert err.value.code == "registration_not_found"
    # once approved: refused
    registrations.approve(session=session, actor=super_admin, registration_id=registration.id or 0)
    with pytest.raises(DomainError) as err:
        commerce_area.cancel_my_registration(
            session=session, actor=learner, registration_id=registration.id or 0
        )
    assert err.value.code == "registration_not_cancellable"
    assert session.exec(select(RefundRequest)).all() == []


# -- a billing admin cancels a completed order ------------------------------------------------


def test_cancelling_a_completed_order_refunds_it_all_and_cascades(
    session: Session, shop, learner: Actor, billing: Actor, super_admin: Actor, earned: Certificate
) -> None:  # type: ignore[no-untyped-def]
    # given Lee's completed order of PY101 (certificate earned)
    order = session.exec(select(Order)).one()
    number = number_of(order)

    # when a billing admin cancels it, twice
    first = commerce_area.cancel_order(session=session, actor=billing, number=number, reason=REASON)
    again = commerce_area.cancel_order(session=session, actor=billing, number=number, reason=REASON)

    # then the order is cancelled, the registration ended, the certificate revoked, and one
    # refund of the whole order waits for a second pair of eyes
    assert (first.changed, again.changed) == (True, False)
    assert (first.status, first.refund_amount, first.registrations_ended) == (
        "cancelled",
        order.total,
        1,
    )
    assert again.refund_request_id == first.refund_request_id
    session.expire_all()
    assert {r.status for r in session.exec(select(Registration))} == {"cancelled"}
    assert {e.status for e in session.exec(select(Enrollment))} == {"ended"}
    session.refresh(earned)
    assert (earned.status, earned.revoked_category) == ("revoked", "refunded")
    (audit,) = _audits(session, "order.cancelled")
    assert audit.actor_id == billing.user_id
    request = session.exec(select(RefundRequest)).one()
    assert (request.status, request.source, request.amount) == (
        "requested",
        "order_cancelled",
        order.total,
    )
    with pytest.raises(DomainError) as err:  # four eyes: not the admin who cancelled
        refunds.approve(session=session, actor=billing, request_id=request.id or 0)
    assert err.value.code == "four_eyes"
    done = refunds.approve(session=session, actor=super_admin, request_id=request.id or 0)
    assert done.status == "refunded"
    session.expire_all()
    paid_back = session.get(Order, order.id)
    assert paid_back is not None
    assert (paid_back.status, paid_back.refunded_amount) == ("refunded", order.total)
    assert paid_back.cancelled_at is not None


@pytest.mark.skipif(
    "refund_four_eyes" not in Settings.model_fields, reason="no four-eyes setting in this tree"
)
def test_with_four_eyes_off_the_cancelling_admin_pays_the_rest_at_once(
    session: Session, shop, learner: Actor, billing: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    order = buy(session, learner, shop, ("course", "PY101"))
    monkeypatch.setenv("COMMERCE_REFUND_FOUR_EYES", "false")
    get_settings.cache_clear()
    try:
        done = commerce_area.cancel_order(
            session=session, actor=billing, number=number_of(order), reason=REASON
        )
    finally:
        monkeypatch.delenv("COMMERCE_REFUND_FOUR_EYES")
        get_settings.cache_clear()
    assert (done.status, done.refund_amount) == ("refunded", order.total)
    request = session.exec(select(RefundRequest)).one()
    assert (request.status, request.decided_by_id) == ("refunded", billing.user_id)


def test_cancelling_after_a_partial_refund_asks_back_the_rest(
    session: Session, shop, learner: Actor, billing: Actor, super_admin: Actor
) -> None:  # type: ignore[no-untyped-def]
    # given Lee's order of two courses, 30.00 of which was refunded
    order = buy(session, learner, shop, ("course", "PY101"), ("course", "SQL101"))
    partial = refunds.request_refund(
        session=session,
        actor=learner,
        number=number_of(order),
        reason="Part of it was not for me.",
        amount=3_000,
    )
    refunds.approve(session=session, actor=billing, request_id=partial.id or 0)
    session.expire_all()
    assert session.get(Order, order.id).status == "partially_refunded"  # type: ignore[union-attr]

    # when a billing admin cancels the order
    done = commerce_area.cancel_order(
        session=session, actor=super_admin, number=number_of(order), reason=REASON
    )

    # then the rest is asked back, and paid by another admin the order is refunded in full
    assert done.refund_amount == order.total - 3_000
    assert done.registrations_ended == 2
    request = session.get(RefundRequest, done.refund_request_id)
    assert request is not None and request.amount == order.total - 3_000
    refunds.approve(session=session, actor=billing, request_id=request.id or 0)
    session.expire_all()
    final = session.get(Order, order.id)
    assert final is not None
    assert (final.status, final.refunded_amount) == ("refunded", order.total)


def test_an_order_that_is_not_completed_cannot_be_cancelled(
    session: Session, shop, learner: Actor, billing: Actor
) -> None:  # type: ignore[no-untyped-def]
    order = buy(session, learner, shop, ("course", "PY101"))
    request = refunds.request_refund(
        session=session, actor=learner, number=number_of(order), reason="Please refund all of it."
    )
    refunds.approve(session=session, actor=billing, request_id=request.id or 0)
    with pytest.raises(DomainError) as err:
        commerce_area.cancel_order(
            session=session, actor=billing, number=number_of(order), reason=REASON
        )
    assert err.value.code == "order_not_cancellable"
    with pytest.raises(DomainError) as err:  # a learner may not
        commerce_area.cancel_order(
            session=session, actor=learner, number=number_of(order), reason=REASON
        )
    assert err.value.code == "forbidden"


# -- refund on reject -------------------------------------------------------------------------


@pytest.mark.parametrize(("setting", "status"), [("queue", "requested"), ("automatic", "refunded")])
def test_rejecting_a_paid_registration_refunds_as_the_setting_says(
    session: Session,
    shop,
    learner: Actor,
    super_admin: Actor,
    monkeypatch: pytest.MonkeyPatch,
    setting: str,
    status: str,
) -> None:  # type: ignore[no-untyped-def]
    # given the refund-on-reject setting and Lee's paid registration waiting for approval
    monkeypatch.setenv("COMMERCE_REFUND_ON_REJECT", setting)
    get_settings.cache_clear()
    try:
        registration = pending_registration(session, learner, shop.courses["PY101"])

        # when an enrollment admin rejects it
        registrations.reject(
            session=session,
            actor=super_admin,
            registration_id=registration.id or 0,
            reason="The prerequisite course is missing.",
        )
    finally:
        monkeypatch.delenv("COMMERCE_REFUND_ON_REJECT")
        get_settings.cache_clear()

    # then the refund waits in the queue (the default), or is paid at once
    session.expire_all()
    request = session.exec(select(RefundRequest)).one()
    assert (request.status, request.amount) == (status, registration.amount_paid)
    order = session.exec(select(Order)).one()
    assert order.status == ("completed" if setting == "queue" else "refunded")


def test_refund_on_reject_defaults_to_the_queue() -> None:
    assert get_settings().refund_on_reject == "queue"


def test_bulk_rejection_follows_the_setting_too(
    session: Session, shop, learner: Actor, super_admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COMMERCE_REFUND_ON_REJECT", "automatic")
    get_settings.cache_clear()
    try:
        registration = pending_registration(session, learner, shop.courses["PY101"])
        (outcome,) = registrations.bulk(
            session=session,
            actor=super_admin,
            ids=[registration.id or 0],
            action="reject",
            reason="The prerequisite course is missing.",
        )
    finally:
        monkeypatch.delenv("COMMERCE_REFUND_ON_REJECT")
        get_settings.cache_clear()
    assert outcome.ok
    session.expire_all()
    assert [r.status for r in session.exec(select(RefundRequest))] == ["refunded"]
    assert (
        session.exec(
            select(RefundRequest.id).where(col(RefundRequest.source) == "registration_rejected")
        ).first()
        is not None
    )
