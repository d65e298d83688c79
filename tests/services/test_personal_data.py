"""A learner's personal data (issue 19): the JSON copy holds each kind of their data and
nothing of another learner; deleting the account anonymises it, keeps orders, ledger and
audit, ends live registrations, says "held by a deleted account" on the public page, is
harmless twice and is refused while a subscription renews or a payment is being made."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from commerce_dash.api.app import create_api
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.accounts import User, UserSession
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.certificates import Certificate
from commerce_dash.models.commerce import Cart, Order, Payment
from commerce_dash.models.enrollment import Registration
from commerce_dash.models.pricing import Price
from commerce_dash.models.revenue import LedgerEntry
from commerce_dash.models.subscriptions import Subscription
from commerce_dash.services import commerce as commerce_area
from commerce_dash.services import learning as learning_area
from commerce_dash.services import platform as platform_area
from tests.api.conftest import signed_in
from tests.builders import (
    buy,
    checked_out,
    issued_certificate,
    number_of,
    owner_of,
    pending_registration,
)
from tests.conftest import PASSWORD, create_user


@pytest.fixture
def other(session: Session) -> Actor:
    return create_user(session, "olga@example.com", full_name="Olga Other")


@pytest.fixture
def lee_history(session: Session, shop, learner: Actor) -> Certificate:  # type: ignore[no-untyped-def]
    """Lee holds PY101's certificate, waits for approval of ML301 and has SQL101 in the
    cart."""
    certificate = issued_certificate(session, learner, shop.courses["PY101"])
    pending_registration(session, learner, shop.courses["ML301"])
    commerce_area.add_item(
        session=session, owner=owner_of(learner), item_type="course", item_id=shop.courses["SQL101"]
    )
    return certificate


def _count(session: Session, model: type, *where) -> int:  # type: ignore[no-untyped-def]
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def test_the_copy_holds_each_kind_and_nothing_of_another_learner(
    session: Session,
    shop,
    learner: Actor,
    other: Actor,
    lee_history: Certificate,  # type: ignore[no-untyped-def]
) -> None:
    olga_order = buy(session, other, shop, ("course", "PY201"))
    data = commerce_area.export_personal_data(session=session, user_id=learner.user_id)
    assert data["profile"]["email"] == "lee@example.com"
    assert data["profile"]["fullName"] == "Lee Learner"
    assert len(data["orders"]) == 2
    first = data["orders"][0]
    assert first["lines"] and first["payments"] and first["number"].startswith("ORD-")
    assert {r["status"] for r in data["registrations"]} == {"enrolled", "pending"}
    assert data["enrollments"] and data["progress"]["modules"]
    assert [c["number"] for c in data["certificates"]] == [lee_history.number]
    for kind in ("subscriptions", "bookings", "refundRequests", "sessionCredits"):
        assert data[kind] == []
    text = json.dumps(data)
    assert number_of(olga_order) not in text and "olga@example.com" not in text
    for secret in ("password_hash", "totp_secret", "client_secret", "request_hash"):
        assert secret not in text


def test_deleting_anonymises_and_keeps_the_books(
    session: Session,
    shop,
    learner: Actor,
    lee_history: Certificate,  # type: ignore[no-untyped-def]
) -> None:
    token = platform_area.open_session(
        session=session, verified=platform_area.Verified(learner)
    ).token
    orders, payments = _count(session, Order), _count(session, Payment)
    ledger, audit = _count(session, LedgerEntry), _count(session, AuditLog)
    assert ledger > 0
    # when Lee deletes the account, typing the email in another case
    outcome = commerce_area.delete_account(
        session=session, actor=learner, confirm_email=" LEE@example.com ", password=PASSWORD
    )
    session.expire_all()
    assert not outcome.already_deleted and outcome.registrations_ended == 2
    assert outcome.carts_deleted == 1 and outcome.sessions_revoked >= 1
    user = session.get(User, learner.user_id)
    assert user is not None
    assert (user.full_name, user.email, user.password_hash, user.is_active) == (
        "Deleted account",
        f"deleted-{learner.user_id}@invalid",
        "",
        False,
    )
    assert user.deleted_at is not None and user.totp_secret == ""
    # then the books stay, the audit grew by the deletion and its registrations' moves
    assert (_count(session, Order), _count(session, Payment)) == (orders, payments)
    assert _count(session, LedgerEntry) == ledger
    assert _count(session, AuditLog) > audit
    deleted = session.exec(select(AuditLog).where(AuditLog.action == "user.account_deleted")).one()
    assert deleted.actor_email == f"deleted-{learner.user_id}@invalid"
    assert {r.status for r in session.exec(select(Registration))} == {"cancelled"}
    assert _count(session, Cart, Cart.user_id == learner.user_id) == 0
    assert (
        _count(
            session,
            UserSession,
            UserSession.user_id == learner.user_id,
            col(UserSession.revoked_at).is_(None),
        )
        == 0
    )
    assert platform_area.resolve_session(session=session, token=token) is None
    # and the certificate stays valid, held by a deleted account, the name hidden
    found = learning_area.verify(session=session, number=lee_history.number, client="t")
    assert found.status.value == "valid" and found.holder_deleted
    assert found.recipient_name == "" and found.public_json()["recipientName"] is None
    assert found.public_json()["holderDeleted"] is True
    # and doing it again is harmless
    again = commerce_area.delete_account(
        session=session, actor=learner, confirm_email="lee@example.com", password=PASSWORD
    )
    assert again.already_deleted
    assert _count(session, AuditLog, AuditLog.action == "user.account_deleted") == 1


def test_a_payment_under_way_or_a_renewing_subscription_refuses(
    session: Session,
    shop,
    learner: Actor,  # type: ignore[no-untyped-def]
) -> None:
    # a checkout still open for payment refuses
    result = checked_out(session, learner, ("course", shop.courses["PY101"]))
    with pytest.raises(DomainError) as moving:
        commerce_area.delete_account(
            session=session, actor=learner, confirm_email="lee@example.com", password=PASSWORD
        )
    assert moving.value.code == "deletion_payment_in_flight"
    assert moving.value.message.startswith(f"A payment of order {result.number}")
    # once its prices lapsed (abandoned) it no longer does
    order = session.get(Order, result.order_id)
    assert order is not None
    order.prices_locked_until = utcnow() - timedelta(minutes=1)
    session.add(order)
    session.commit()
    assert commerce_area.deletion_blockers(session=session, user_id=learner.user_id) == []
    # a subscription that renews refuses
    price_id = session.exec(select(Price.id)).first()
    session.add(
        Subscription(
            user_id=learner.user_id,
            department_id=shop.department_id,
            live_key=f"{learner.user_id}:{shop.department_id}",
            price_id=price_id,
            interval="monthly",
            currency="USD",
            unit_amount=1000,
            status="active",
            processor="sandbox",
            idempotency_key="sub-1",
        )
    )
    session.commit()
    with pytest.raises(DomainError) as refused:
        commerce_area.delete_account(
            session=session, actor=learner, confirm_email="lee@example.com", password=PASSWORD
        )
    assert refused.value.code == "deletion_subscription_live"
    session.expire_all()
    user = session.get(User, learner.user_id)
    assert user is not None and user.deleted_at is None and user.email == "lee@example.com"
    # once it is cancelled at the period's end, it is no reason to refuse
    sub = session.exec(select(Subscription)).one()
    sub.cancel_at_period_end = True
    session.add(sub)
    session.commit()
    assert commerce_area.deletion_blockers(session=session, user_id=learner.user_id) == []


def test_the_wrong_email_or_password_refuses(session: Session, learner: Actor) -> None:
    with pytest.raises(DomainError) as email:
        commerce_area.delete_account(
            session=session, actor=learner, confirm_email="someone@example.com", password=PASSWORD
        )
    assert (email.value.code, email.value.field) == ("deletion_email_mismatch", "confirm_email")
    with pytest.raises(DomainError) as password:
        commerce_area.delete_account(
            session=session, actor=learner, confirm_email="lee@example.com", password="nope"
        )
    assert password.value.code == "wrong_password"


def test_the_api_answers_the_copy_and_deletes(
    session: Session,
    shop,
    learner: Actor,
    lee_history: Certificate,  # type: ignore[no-untyped-def]
) -> None:
    with TestClient(create_api()) as client:
        assert client.get("/api/v2/me/data").status_code == 401
        headers = signed_in(client, "lee@example.com")
        copy = client.get("/api/v2/me/data", headers=headers)
        assert copy.status_code == 200
        assert copy.headers["content-disposition"].startswith('attachment; filename="my-data-')
        assert copy.json()["certificates"][0]["number"] == lee_history.number
        wrong = client.post(
            "/api/v2/me/delete",
            headers=headers,
            json={"confirmEmail": "x@example.com", "password": PASSWORD},
        )
        assert wrong.status_code == 422 and wrong.json()["code"] == "deletion_email_mismatch"
        bad = client.post("/api/v2/me/delete", headers=headers, json={})
        assert bad.status_code == 422 and "code" in bad.json()
        done = client.post(
            "/api/v2/me/delete",
            headers=headers,
            json={"confirmEmail": "lee@example.com", "password": PASSWORD},
        )
        assert done.status_code == 200, done.text
        assert done.json()["deleted"] and not done.json()["alreadyDeleted"]
        again = client.post(
            "/api/v2/me/delete",
            headers=headers,
            json={"confirmEmail": "lee@example.com", "password": PASSWORD},
        )
        assert again.status_code == 401
    assert session.exec(select(User.deleted_at).where(User.id == learner.user_id)).one()
