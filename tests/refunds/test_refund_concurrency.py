"""Two billing admins decide the same refund at the same moment, through the API, on SQLite
(the embedded default) and on PostgreSQL: one processor refund, one audit row per step, and
both admins get an answer, never a 5xx. Deciding again is harmless; deciding your own is not
allowed (four eyes)."""

from __future__ import annotations

from threading import Barrier, Thread
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from commerce_dash.api import create_api
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.commerce import Payment, RefundRequest, SandboxRefund
from commerce_dash.services.commerce import refunds
from tests.builders import build_shop, buy, number_of
from tests.conftest import PASSWORD, create_user

pytestmark = pytest.mark.usefixtures("both_databases")
ROUNDS = 20


def _token(client: TestClient, email: str) -> dict[str, str]:
    answer = client.post("/api/v2/auth/login", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def _audits(session: Session, action: str, request_id: int) -> int:
    return int(session.exec(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == action, AuditLog.entity_type == "refund_request",
        AuditLog.entity_id == str(request_id))).one())


def _billing_admin(session: Session, email: str) -> Actor:
    return create_user(session, email, grants=(Grant(RoleName.BILLING_ADMIN),))


def test_two_admins_approving_one_refund_at_once_pay_it_once(session: Session,
                                                              super_admin: Actor) -> None:
    # given a shop, two billing admins signed in to the API, and learners' refund requests
    shop = build_shop(session, super_admin)
    _billing_admin(session, "ana@example.com")
    _billing_admin(session, "ben@example.com")
    with TestClient(create_api()) as client:
        headers = [_token(client, "ana@example.com"), _token(client, "ben@example.com")]
        for n in range(ROUNDS):
            learner = create_user(session, f"learner{n}@example.com")
            order = buy(session, learner, shop, ("course", "PY101"))
            request = refunds.request_refund(session=session, actor=learner,
                                             number=number_of(order),
                                             reason="I bought the wrong course, sorry.")
            assert request.id is not None
            # when both admins approve it at the same moment
            barrier = Barrier(2)
            answers: list[tuple[int, dict[str, Any]]] = []

            def approve(auth: dict[str, str], request_id: int = request.id,
                        barrier: Barrier = barrier,
                        answers: list[tuple[int, dict[str, Any]]] = answers) -> None:
                barrier.wait(timeout=30)
                reply = client.post(f"/api/v2/admin/refunds/{request_id}/approve", json={},
                                    headers=auth)
                answers.append((reply.status_code, reply.json()))

            threads = [Thread(target=approve, args=(h,)) for h in headers]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            # then both get a 200 and the refund is paid exactly once
            assert sorted(code for code, _ in answers) == [200, 200], (n, answers)
            session.expire_all()
            paid = session.get(RefundRequest, request.id)
            assert paid is not None and paid.status == "refunded", (n, answers)
            payment = session.exec(select(Payment).where(Payment.order_id == order.id)).one()
            assert payment.refunded_amount == 10_000
            assert session.exec(select(func.count()).select_from(SandboxRefund).where(
                col(SandboxRefund.intent_id) == payment.intent_id)).one() == 1
            assert _audits(session, "refund.approved", request.id) == 1
            assert _audits(session, "refund.paid", request.id) == 1
            # and approving it again later answers with the refund as it is
            again = client.post(f"/api/v2/admin/refunds/{request.id}/approve", json={},
                                headers=headers[0])
            assert (again.status_code, again.json()["status"]) == (200, "refunded")
            assert _audits(session, "refund.approved", request.id) == 1


def test_rejecting_twice_is_harmless_and_nobody_decides_their_own_refund(
        session: Session, super_admin: Actor) -> None:
    # given a billing admin who also bought a course, and another billing admin
    shop = build_shop(session, super_admin)
    ana = create_user(session, "ana@example.com",
                      grants=(Grant(RoleName.BILLING_ADMIN), Grant(RoleName.LEARNER)))
    ben = _billing_admin(session, "ben@example.com")
    learner = create_user(session, "lee@example.com")
    own = buy(session, ana, shop, ("course", "PY101"))
    theirs = buy(session, learner, shop, ("course", "PY201"))
    on_own_order = refunds.request_refund(session=session, actor=ana, number=number_of(own),
                                          reason="Please refund my own purchase.")
    asked_by_ana = refunds.request_refund(session=session, actor=ana,
                                          number=number_of(theirs),
                                          reason="Goodwill: the course started late.")
    with TestClient(create_api()) as client:
        ana_auth, ben_auth = _token(client, ana.email), _token(client, ben.email)
        # when ana tries to decide either of them
        for request in (on_own_order, asked_by_ana):
            for action, body in (("approve", {}), ("reject", {"reason": "Not a valid case."})):
                reply = client.post(f"/api/v2/admin/refunds/{request.id}/{action}", json=body,
                                    headers=ana_auth)
                # then she is told another admin must
                assert reply.status_code == 403, reply.text
                assert reply.json()["code"] == "four_eyes"
                assert "another billing admin" in reply.json()["message"]
        # when ben rejects ana's request twice
        for _ in range(2):
            reply = client.post(f"/api/v2/admin/refunds/{asked_by_ana.id}/reject",
                                json={"reason": "Not covered by the refund policy."},
                                headers=ben_auth)
            assert (reply.status_code, reply.json()["status"]) == (200, "rejected")
        # then it is rejected once
        assert asked_by_ana.id is not None
        assert _audits(session, "refund.rejected", asked_by_ana.id) == 1
        # and approving a rejected refund is a conflict, not a 500
        reply = client.post(f"/api/v2/admin/refunds/{asked_by_ana.id}/approve", json={},
                            headers=ben_auth)
        assert reply.status_code == 409 and reply.json()["code"] == "invalid_refund_move"
