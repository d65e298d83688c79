"""The approve dialog's preview of a refund: it lists exactly what the approval then does (the
amount, registrations cancelled by number, enrollments ended, the LMS told, certificates
revoked by number, the discount use given back), changes nothing itself, and keeps the
approval's checks (four eyes, a decided request)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.certificates import Certificate
from commerce_dash.models.commerce import Order, RefundRequest
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.models.enrollment import Enrollment, Registration
from commerce_dash.services.commerce import refund_preview, refunds
from commerce_dash.services.enrollment import registration_number
from commerce_dash.services.learning.progress import ProgressReport, record_progress
from commerce_dash.settings import get_settings
from tests.builders import buy, course_modules, make_code, number_of


@pytest.fixture
def lms(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], None]]:
    """Configures an LMS when called (nothing listens: its messages wait in the outbox)."""

    def configure() -> None:
        monkeypatch.setenv("COMMERCE_LMS_ENROLLMENT_URL", "http://127.0.0.1:9/lms")
        monkeypatch.setenv("COMMERCE_LMS_CONNECTOR_KEY", "lms-key")
        get_settings.cache_clear()

    yield configure
    get_settings.cache_clear()


def _state(session: Session, order_id: int) -> dict[str, object]:
    """Everything the cascade may touch, as it stands."""
    session.expire_all()
    registrations = session.exec(
        select(Registration).where(Registration.order_id == order_id)
    ).all()
    enrollments = session.exec(
        select(Enrollment).where(col(Enrollment.registration_id).in_([r.id for r in registrations]))
    ).all()
    return {
        "registrations": {r.id: r.status for r in registrations},
        "enrollments": {e.id: e.status for e in enrollments},
        "certificates": {c.number: c.status for c in session.exec(select(Certificate))},
        "outbox": sorted(m.dedupe_key for m in session.exec(select(OutboxMessage))),
        "requests": {r.id: r.status for r in session.exec(select(RefundRequest))},
        "order": (
            session.get(Order, order_id).status,  # type: ignore[union-attr]
            session.get(Order, order_id).refunded_amount,
        ),  # type: ignore[union-attr]
    }


def test_the_preview_lists_what_the_approval_then_does(  # type: ignore[no-untyped-def]
    session: Session, shop, learner: Actor, super_admin: Actor, lms: Callable[[], None]
) -> None:
    # given Lee bought PY101 and SQL101 with a code, earned PY101's certificate, and SQL101
    # is held at the LMS
    make_code(session, super_admin, "TENOFF", percent=10)
    module = course_modules(session, shop.courses["PY101"], n=1)[0]
    order = buy(session, learner, shop, ("course", "PY101"), ("course", "SQL101"), code="TENOFF")
    assert order.id is not None
    py = session.exec(select(Enrollment).where(Enrollment.course_id == shop.courses["PY101"])).one()
    record_progress(session=session, report=ProgressReport(py.id or 0, module, True))
    certificate = session.exec(select(Certificate)).one()
    sql = session.exec(
        select(Enrollment).where(Enrollment.course_id == shop.courses["SQL101"])
    ).one()
    sql.mode = "lms"
    session.add(sql)
    session.commit()
    lms()
    request = refunds.request_refund(
        session=session,
        actor=learner,
        number=number_of(order),
        reason="The courses were not what I expected.",
    )
    assert request.id is not None
    before = _state(session, order.id)

    # when a billing admin previews the approval
    preview = refund_preview(session=session, actor=super_admin, request_id=request.id)

    # then it lists the amount, both registrations by number, both enrollments, the LMS
    # told about SQL101, the certificate by number, the discount given back
    registrations = session.exec(
        select(Registration).where(Registration.order_id == order.id).order_by(col(Registration.id))
    ).all()
    assert (preview.amount, preview.order_status) == (order.total, "refunded")
    assert [r.number for r in preview.registrations_cancelled] == [
        registration_number(r.id or 0, r.created_at) for r in registrations
    ]
    assert [r.title for r in preview.registrations_cancelled] == ["Course PY101", "Course SQL101"]
    assert preview.enrollments_ended == ("Course PY101", "Course SQL101")
    assert preview.lms_told == ("Course SQL101",)
    assert preview.certificates_revoked == (certificate.number,)
    assert preview.discount_returned == "TENOFF"
    assert any(certificate.number in step for step in preview.steps)
    assert sum(line.amount for line in preview.lines) == order.total
    # and nothing changed
    assert _state(session, order.id) == before

    # when the approval runs, it does exactly that
    refunds.approve(session=session, actor=super_admin, request_id=request.id)
    after = _state(session, order.id)
    cancelled = [
        i
        for i, s in after["registrations"].items()  # type: ignore[attr-defined]
        if s == "cancelled" and before["registrations"][i] != "cancelled"
    ]  # type: ignore[index]
    assert len(cancelled) == len(preview.registrations_cancelled)
    ended = [
        i
        for i, s in after["enrollments"].items()  # type: ignore[attr-defined]
        if s == "ended" and before["enrollments"][i] != "ended"
    ]  # type: ignore[index]
    assert len(ended) == len(preview.enrollments_ended)
    revoked = [
        n
        for n, s in after["certificates"].items()  # type: ignore[attr-defined]
        if s == "revoked" and before["certificates"][n] != "revoked"
    ]  # type: ignore[index]
    assert tuple(revoked) == preview.certificates_revoked
    assert [k for k in after["outbox"] if k.startswith("lms-cancel:")] == [  # type: ignore[attr-defined]
        f"lms-cancel:{sql.id}"
    ]
    assert after["order"] == ("refunded", preview.amount)


def test_a_lower_amount_keeps_the_courses_and_says_so(  # type: ignore[no-untyped-def]
    session: Session, shop, learner: Actor, super_admin: Actor
) -> None:
    order = buy(session, learner, shop, ("course", "PY101"))
    request = refunds.request_refund(
        session=session,
        actor=learner,
        number=number_of(order),
        reason="Half of it, the second half was not useful.",
    )
    preview = refund_preview(
        session=session, actor=super_admin, request_id=request.id or 0, amount=5_000
    )
    assert (preview.amount, preview.amount_label) == (5_000, "$50.00")
    assert preview.order_status == "partially_refunded"
    assert preview.registrations_cancelled == () and preview.certificates_revoked == ()
    assert any("keeps their courses" in step for step in preview.steps)
    refunds.approve(session=session, actor=super_admin, request_id=request.id or 0, amount=5_000)
    session.expire_all()
    assert {e.status for e in session.exec(select(Enrollment))} == {"active"}


def test_the_approvals_checks_hold(  # type: ignore[no-untyped-def]
    session: Session, shop, learner: Actor, super_admin: Actor, billing: Actor
) -> None:
    order = buy(session, learner, shop, ("course", "PY101"))
    request = refunds.request_refund(
        session=session,
        actor=billing,
        number=number_of(order),
        reason="Admin: the learner asked by phone.",
    )
    with pytest.raises(DomainError) as err:  # four eyes: not the admin who asked
        refund_preview(session=session, actor=billing, request_id=request.id or 0)
    assert err.value.code == "four_eyes"
    with pytest.raises(DomainError) as err:
        refund_preview(session=session, actor=learner, request_id=request.id or 0)
    with pytest.raises(DomainError) as err:  # more than asked
        refund_preview(
            session=session, actor=super_admin, request_id=request.id or 0, amount=order.total + 1
        )
    assert err.value.code == "above_request"
    refunds.approve(session=session, actor=super_admin, request_id=request.id or 0)
    with pytest.raises(DomainError) as err:  # decided already
        refund_preview(session=session, actor=super_admin, request_id=request.id or 0)
    assert err.value.code == "invalid_refund_move"


def test_the_api_previews_with_the_same_answers(  # type: ignore[no-untyped-def]
    session: Session, shop, learner: Actor, super_admin: Actor, billing: Actor
) -> None:
    from fastapi.testclient import TestClient

    from commerce_dash.api import create_api
    from tests.api.conftest import signed_in

    order = buy(session, learner, shop, ("course", "PY101"))
    request = refunds.request_refund(
        session=session,
        actor=billing,
        number=number_of(order),
        reason="Admin: the learner asked by phone.",
    )
    url = f"/api/v2/admin/refunds/{request.id}/preview"
    with TestClient(create_api()) as client:
        root = signed_in(client, "root@example.com")
        full = client.get(url, headers=root)
        assert full.status_code == 200, full.text
        body = full.json()
        assert (body["amount"], body["order_status"], body["certificates_revoked"]) == (
            order.total,
            "refunded",
            [],
        )
        assert [r["title"] for r in body["registrations_cancelled"]] == ["Course PY101"]
        assert body["enrollments_ended"] == ["Course PY101"] and body["steps"]
        part = client.get(url, params={"amount": 2_500}, headers=root).json()
        assert (part["amount_label"], part["registrations_cancelled"]) == ("$25.00", [])
        too_much = client.get(url, params={"amount": order.total + 1}, headers=root)
        assert (too_much.status_code, too_much.json()["code"]) == (422, "above_request")
        own = client.get(url, headers=signed_in(client, "bill@example.com"))
        assert (own.status_code, own.json()["code"]) == (403, "four_eyes")
        mine = client.get(url, headers=signed_in(client, "lee@example.com"))
        assert mine.status_code == 403
    session.expire_all()
    assert session.get(RefundRequest, request.id).status == "requested"  # type: ignore[union-attr]
