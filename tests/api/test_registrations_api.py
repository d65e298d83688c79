"""Registrations over the API: the learner's own, the approval queue of enrollment-admins (their
departments and subdepartments only) and super-admins, approve, reject and bulk actions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from commerce_dash.api import create_api
from commerce_dash.api import registrations as registrations_api
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.enrollment import Enrollment, Registration
from commerce_dash.services.catalog import pricing
from commerce_dash.services.platform import org
from tests.api.conftest import bearer
from tests.builders import Shop, build_shop, needs_approval, paid_order
from tests.conftest import PASSWORD, create_user

MINE = "/api/v2/registrations"
QUEUE = "/api/v2/admin/registrations"
BULK = "/api/v2/admin/registrations/bulk"
REASON = "The course is full this term."


def _api() -> FastAPI:
    api = create_api()
    paths = {getattr(route, "path", "") for route in api.router.routes}
    if QUEUE not in paths:  # until create_api includes the registrations router
        before = list(api.router.routes)
        api.include_router(registrations_api.router)
        added = [r for r in api.router.routes if r not in before]
        # ahead of the catch-all that answers unknown /api paths
        api.router.routes[:] = added + before
    return api


@pytest.fixture
def client(session: Session) -> Iterator[TestClient]:
    with TestClient(_api()) as c:
        yield c


def _sign_in(client: TestClient, email: str) -> dict[str, str]:
    response = client.post("/api/v2/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.json()
    return bearer(response.json()["token"])


def _registration_of(session: Session, actor: Actor, course_id: int) -> int:
    session.expire_all()
    found = session.exec(
        select(Registration.id).where(
            Registration.user_id == actor.user_id, Registration.course_id == course_id
        )
    ).one()
    assert found is not None
    return found


def _sub_course(session: Session, admin: Actor, parent: Shop) -> int:
    """A priced course in a subdepartment of ``parent``'s department."""
    sub = org.create_department(session=session, actor=admin, code="ENG-DATA",
                                name="Data School", parent_id=parent.department_id)
    assert sub.id is not None
    course = org.create_course(session=session, actor=admin, code="ENG-DATA-101",
                               title="Data Basics", department_id=sub.id, published=True)
    assert course.id is not None
    pricing.create_price(session=session, actor=admin, item_type="course", item_id=course.id,
                         price_type="one_time", amount=5_000, currency="USD")
    return course.id


@pytest.fixture
def world(session: Session, super_admin: Actor, learner: Actor) -> dict[str, Any]:
    """ENG (with a subdepartment) and BUS; Lee and Omar bought courses needing approval."""
    eng = build_shop(session, super_admin, "ENG")
    bus = build_shop(session, super_admin, "BUS")
    data_course = _sub_course(session, super_admin, eng)
    needs_approval(session, eng.courses["PY101"], eng.courses["SQL101"],
                    bus.courses["PY101"], data_course)
    omar = create_user(session, "omar@example.com", full_name="Omar Other")
    create_user(session, "eve@example.com", full_name="Eve Eng",
                grants=(Grant(RoleName.ENROLLMENT_ADMIN, eng.department_id),))
    create_user(session, "bo@example.com", full_name="Bo Bus",
                grants=(Grant(RoleName.ENROLLMENT_ADMIN, bus.department_id),))
    create_user(session, "bill@example.com", full_name="Bill Billing",
                grants=(Grant(RoleName.BILLING_ADMIN),))
    paid_order(session, learner, ("course", eng.courses["PY101"]),
               ("course", eng.courses["SQL101"]), key="lee-eng-0001")
    paid_order(session, learner, ("course", bus.courses["PY101"]), ("course", data_course),
               key="lee-bus-0001")
    paid_order(session, omar, ("course", eng.courses["PY101"]), key="omar-eng-001")
    return {
        "eng": eng,
        "bus": bus,
        "lee": learner,
        "omar": omar,
        "lee_py": _registration_of(session, learner, eng.courses["PY101"]),
        "lee_sql": _registration_of(session, learner, eng.courses["SQL101"]),
        "lee_bus": _registration_of(session, learner, bus.courses["PY101"]),
        "lee_data": _registration_of(session, learner, data_course),
        "omar_py": _registration_of(session, omar, eng.courses["PY101"]),
        "data_course": data_course,
    }


def _ids(body: dict[str, Any]) -> list[int]:
    return [item["id"] for item in body["items"]]


# -- the queue and who sees it ----------------------------------------------------------------


def test_the_queue_lists_pending_registrations_oldest_first_with_their_order(
    client: TestClient, world: dict[str, Any]
) -> None:
    response = client.get(QUEUE, headers=_sign_in(client, "root@example.com"))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["total"] == 5
    assert _ids(body) == sorted(
        [world["lee_py"], world["lee_sql"], world["lee_bus"], world["lee_data"],
         world["omar_py"]]
    )
    row = next(r for r in body["items"] if r["id"] == world["lee_py"])
    assert row["number"].startswith("REG-") and row["number"].endswith(f"{world['lee_py']:05d}")
    assert (row["status"], row["kind"], row["title"]) == ("pending", "course", "Course PY101")
    assert (row["learner_name"], row["learner_email"]) == ("Lee Learner", "lee@example.com")
    assert row["department"] == "ENG School"
    assert row["order_number"].startswith("ORD-")
    assert (row["amount_label"], row["payment_status"]) == ("$100.00", "completed")
    assert row["created_at"][:4].isdigit() and "T" in row["created_at"]
    assert (row["reviewed_by"], row["reviewed_at"], row["rejection_reason"]) == ("", None, "")


def test_an_enrollment_admin_sees_their_departments_and_subdepartments_only(
    client: TestClient, world: dict[str, Any]
) -> None:
    eve = client.get(QUEUE, headers=_sign_in(client, "eve@example.com")).json()
    bo = client.get(QUEUE, headers=_sign_in(client, "bo@example.com")).json()
    assert sorted(_ids(eve)) == sorted(
        [world["lee_py"], world["lee_sql"], world["omar_py"], world["lee_data"]]
    )
    assert _ids(bo) == [world["lee_bus"]]


def test_an_enrollment_admin_cannot_act_on_another_departments_registration(
    client: TestClient, session: Session, world: dict[str, Any]
) -> None:
    bo = _sign_in(client, "bo@example.com")
    approve = client.post(f"{QUEUE}/{world['lee_py']}/approve", headers=bo)
    reject = client.post(f"{QUEUE}/{world['lee_py']}/reject", headers=bo,
                         json={"reason": REASON})
    for response in (approve, reject):
        assert response.status_code == 404, response.json()
        assert response.json()["code"] == "registration_not_found"
    session.expire_all()
    registration = session.get(Registration, world["lee_py"])
    assert registration is not None and registration.status == "pending"
    # ... while a super-admin may
    root = client.post(f"{QUEUE}/{world['lee_py']}/approve",
                       headers=_sign_in(client, "root@example.com"))
    assert root.status_code == 200, root.json()
    assert root.json()["status"] == "enrolled"


def test_people_without_the_section_are_refused(
    client: TestClient, world: dict[str, Any]
) -> None:
    assert client.get(QUEUE).status_code == 401
    for email in ("lee@example.com", "bill@example.com"):
        headers = _sign_in(client, email)
        listed = client.get(QUEUE, headers=headers)
        acted = client.post(f"{QUEUE}/{world['lee_py']}/approve", headers=headers)
        bulk = client.post(BULK, headers=headers,
                           json={"ids": [world["lee_py"]], "action": "approve"})
        for response in (listed, acted, bulk):
            assert response.status_code == 403, (email, response.json())
            assert response.json()["code"] == "forbidden"


def test_filters_by_course_learner_status_and_pages_on_the_server(
    client: TestClient, world: dict[str, Any]
) -> None:
    headers = _sign_in(client, "root@example.com")
    by_course = client.get(QUEUE, headers=headers,
                           params={"course_id": world["eng"].courses["PY101"]}).json()
    assert sorted(_ids(by_course)) == sorted([world["lee_py"], world["omar_py"]])
    by_learner = client.get(QUEUE, headers=headers, params={"learner": "omar"}).json()
    assert _ids(by_learner) == [world["omar_py"]]
    first = client.get(QUEUE, headers=headers, params={"size": 2, "page": 1}).json()
    third = client.get(QUEUE, headers=headers, params={"size": 2, "page": 3}).json()
    assert (first["total"], first["pages"], first["page_size"], len(first["items"])) == (
        5, 3, 2, 2)
    assert len(third["items"]) == 1
    client.post(f"{QUEUE}/{world['lee_sql']}/approve", headers=headers)
    assert world["lee_sql"] not in _ids(client.get(QUEUE, headers=headers).json())
    enrolled = client.get(QUEUE, headers=headers, params={"status": "enrolled"}).json()
    assert world["lee_sql"] in _ids(enrolled)
    assert all(r["status"] == "enrolled" for r in enrolled["items"])
    assert world["lee_sql"] in _ids(
        client.get(QUEUE, headers=headers, params={"status": "any"}).json()
    )
    bad = client.get(QUEUE, headers=headers, params={"status": "sideways"})
    assert bad.status_code == 422 and bad.json()["field"] == "status"
    future = client.get(QUEUE, headers=headers, params={"date_from": "2999-01-01"}).json()
    assert future["total"] == 0
    bad_date = client.get(QUEUE, headers=headers, params={"date_to": "tomorrow"})
    assert bad_date.status_code == 422


# -- approve and reject -----------------------------------------------------------------------


def test_approve_records_the_reviewer_and_enrolls_the_learner(
    client: TestClient, session: Session, world: dict[str, Any]
) -> None:
    headers = _sign_in(client, "eve@example.com")
    response = client.post(f"{QUEUE}/{world['lee_data']}/approve", headers=headers)
    assert response.status_code == 200, response.json()
    row = response.json()
    assert (row["id"], row["status"], row["reviewed_by"]) == (world["lee_data"], "enrolled",
                                                              "Eve Eng")
    assert row["reviewed_at"] is not None and "T" in row["reviewed_at"]
    session.expire_all()
    enrollment = session.exec(
        select(Enrollment).where(Enrollment.registration_id == world["lee_data"])
    ).one()
    assert enrollment.status == "active"
    # approving it again is harmless: the same answer, no second audit row
    again = client.post(f"{QUEUE}/{world['lee_data']}/approve", headers=headers)
    assert again.status_code == 200, again.json()
    assert (again.json()["status"], again.json()["reviewed_by"]) == ("enrolled", "Eve Eng")
    session.expire_all()
    assert len(session.exec(select(AuditLog).where(
        AuditLog.action == "registration.approved",
        AuditLog.entity_id == str(world["lee_data"]))).all()) == 1
    # rejecting what is approved is refused, saying why
    refused = client.post(f"{QUEUE}/{world['lee_data']}/reject", headers=headers,
                          json={"reason": "Changed our mind about it."})
    assert refused.status_code == 409 and refused.json()["code"] == "registration_already_decided"
    missing = client.post(f"{QUEUE}/999999/approve", headers=headers)
    assert missing.status_code == 404


def test_reject_needs_a_reason_of_ten_characters(
    client: TestClient, session: Session, world: dict[str, Any]
) -> None:
    headers = _sign_in(client, "eve@example.com")
    url = f"{QUEUE}/{world['lee_py']}/reject"
    for body in ({"reason": "too short"}, {"reason": "   "}, {}):
        response = client.post(url, headers=headers, json=body)
        assert response.status_code == 422, response.json()
        assert (response.json()["code"], response.json()["field"]) == (
            "reason_too_short", "reason")
    assert client.post(url, headers=headers).status_code == 422
    session.expire_all()
    registration = session.get(Registration, world["lee_py"])
    assert registration is not None and registration.status == "pending"

    response = client.post(url, headers=headers, json={"reason": f"  {REASON}  "})
    assert response.status_code == 200, response.json()
    row = response.json()
    assert (row["status"], row["rejection_reason"], row["reviewed_by"]) == (
        "rejected", REASON, "Eve Eng")
    # rejecting it again is harmless: the same answer, one refund request, one audit row
    again = client.post(url, headers=headers, json={"reason": REASON})
    assert (again.status_code, again.json()["status"]) == (200, "rejected")
    session.expire_all()
    assert len(session.exec(select(AuditLog).where(
        AuditLog.action == "registration.rejected",
        AuditLog.entity_id == str(world["lee_py"]))).all()) == 1


# -- bulk -------------------------------------------------------------------------------------


def test_bulk_reject_reports_what_happened_to_each_item(
    client: TestClient, session: Session, world: dict[str, Any]
) -> None:
    headers = _sign_in(client, "eve@example.com")
    client.post(f"{QUEUE}/{world['lee_sql']}/approve", headers=headers)
    ids = [world["lee_py"], world["lee_sql"], world["lee_bus"], 999999, world["omar_py"]]
    response = client.post(BULK, headers=headers,
                           json={"ids": ids, "action": "reject", "reason": REASON})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["action"], body["succeeded"], body["failed"]) == ("reject", 2, 3)
    results = {r["id"]: r for r in body["results"]}
    assert list(results) == ids
    assert results[world["lee_py"]]["ok"] and results[world["omar_py"]]["ok"]
    assert results[world["lee_py"]]["number"].startswith("REG-")
    assert not results[world["lee_sql"]]["ok"]
    assert "enrolled" in results[world["lee_sql"]]["message"]
    assert not results[world["lee_bus"]]["ok"]  # BUS is not Eve's department
    assert not results[999999]["ok"]
    session.expire_all()
    statuses = {
        r.id: r.status for r in session.exec(select(Registration)).all()
    }
    assert statuses[world["lee_py"]] == statuses[world["omar_py"]] == "rejected"
    assert statuses[world["lee_sql"]] == "enrolled"
    assert statuses[world["lee_bus"]] == "pending"


def test_bulk_approve_of_the_whole_queue_by_a_super_admin(
    client: TestClient, world: dict[str, Any]
) -> None:
    headers = _sign_in(client, "root@example.com")
    ids = _ids(client.get(QUEUE, headers=headers).json())
    response = client.post(BULK, headers=headers, json={"ids": ids, "action": "approve"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["succeeded"], body["failed"]) == (5, 0)
    assert all(r["ok"] for r in body["results"])
    assert client.get(QUEUE, headers=headers).json()["total"] == 0


def test_bulk_requests_are_validated(client: TestClient, world: dict[str, Any]) -> None:
    headers = _sign_in(client, "root@example.com")
    short = client.post(BULK, headers=headers,
                        json={"ids": [world["lee_py"]], "action": "reject", "reason": "no"})
    assert short.status_code == 422 and short.json()["field"] == "reason"
    for body in (
        {"ids": [], "action": "approve"},
        {"ids": list(range(1, 502)), "action": "approve"},
        {"ids": [world["lee_py"]], "action": "delete"},
        {"ids": ["many"], "action": "approve"},
        {"action": "approve"},
    ):
        response = client.post(BULK, headers=headers, json=body)
        assert response.status_code == 422, (body, response.json())
    assert client.get(QUEUE, headers=headers).json()["total"] == 5


# -- the learner ------------------------------------------------------------------------------


def test_a_learner_sees_only_their_own_registrations(
    client: TestClient, world: dict[str, Any]
) -> None:
    root = _sign_in(client, "root@example.com")
    client.post(f"{QUEUE}/{world['lee_sql']}/reject", headers=root, json={"reason": REASON})
    lee = _sign_in(client, "lee@example.com")
    response = client.get(MINE, headers=lee)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert sorted(_ids(body)) == sorted(
        [world["lee_py"], world["lee_sql"], world["lee_bus"], world["lee_data"]]
    )
    assert body["total"] == 4
    rejected = next(r for r in body["items"] if r["id"] == world["lee_sql"])
    assert (rejected["status"], rejected["rejection_reason"]) == ("rejected", REASON)

    one = client.get(f"{MINE}/{world['lee_py']}", headers=lee)
    assert one.status_code == 200 and one.json()["status"] == "pending"
    others = client.get(f"{MINE}/{world['omar_py']}", headers=lee)
    assert others.status_code == 404, others.json()
    assert others.json()["code"] == "registration_not_found"
    omar = client.get(MINE, headers=_sign_in(client, "omar@example.com")).json()
    assert _ids(omar) == [world["omar_py"]]
    assert client.get(MINE).status_code == 401
    assert client.get(f"{MINE}/0", headers=lee).status_code == 422
