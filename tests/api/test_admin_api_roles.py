"""Issue 19 item 6: admin API of discount codes, programs and courses (the pages' rules and
audit), dept-admins' codes of their departments, the registration queue by the department's
reviewers, the one-call refund and GET /api/v2/certificates/{id}."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session, col, select

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.commerce import Payment
from commerce_dash.models.enrollment import Registration
from commerce_dash.settings import get_settings
from tests.api.conftest import signed_in
from tests.builders import build_shop, buy
from tests.conftest import create_user

CODES = "/api/v2/admin/discount-codes"


def _actions(session: Session, entity_type: str) -> list[str]:
    session.expire_all()
    return list(session.exec(select(AuditLog.action).where(AuditLog.entity_type == entity_type)
                             .order_by(col(AuditLog.id))).all())


@pytest.fixture
def four_eyes_off(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("COMMERCE_REFUND_FOUR_EYES", "false")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("COMMERCE_REFUND_FOUR_EYES")
    get_settings.cache_clear()


# -- discount codes ----------------------------------------------------------------------------


def test_billing_admin_creates_reads_edits_and_switches_off_a_code(  # type: ignore[no-untyped-def]
        client, session: Session, shop, billing: Actor) -> None:
    headers = signed_in(client, "bill@example.com")
    bad = client.post(CODES, headers=headers, json={"code": "SPRING", "kind": "bogus"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_kind"
    too_much = client.post(CODES, headers=headers, json={
        "code": "SPRING", "kind": "percentage", "percent_bps": 20_000})
    assert too_much.status_code == 422, too_much.json()
    made = client.post(CODES, headers=headers, json={
        "code": "spring", "kind": "percentage", "percent_bps": 1500, "scope": "listed",
        "items": [{"item_type": "course", "item_id": shop.courses["PY101"]}]})
    assert made.status_code == 201, made.json()
    body = made.json()
    assert (body["code"], body["percent_bps"], body["status"]) == ("SPRING", 1500, "active")
    assert body["items"] == [{"item_type": "course", "item_id": shop.courses["PY101"]}]
    taken = client.post(CODES, headers=headers, json={
        "code": "SPRING", "kind": "percentage", "percent_bps": 1000})
    assert taken.status_code == 409 and taken.json()["code"] == "code_taken"
    code_id = body["id"]
    assert client.get(f"{CODES}/{code_id}", headers=headers).json()["code"] == "SPRING"
    listed = client.get(CODES, headers=headers, params={"q": "spr"}).json()
    assert [r["code"] for r in listed["items"]] == ["SPRING"] and listed["total"] == 1
    edited = client.put(f"{CODES}/{code_id}", headers=headers, json={
        "kind": "fixed", "amount_off": 500, "currency": "usd", "max_uses": 10})
    assert edited.status_code == 200, edited.json()
    assert (edited.json()["kind"], edited.json()["amount_off"], edited.json()["currency"],
            edited.json()["items"]) == ("fixed", 500, "USD", [])
    off = client.delete(f"{CODES}/{code_id}", headers=headers)
    assert off.status_code == 200 and off.json()["status"] == "inactive"
    # switching off what is off is harmless and writes nothing
    assert client.delete(f"{CODES}/{code_id}", headers=headers).status_code == 200
    on = client.post(f"{CODES}/{code_id}/active", headers=headers, json={"active": True})
    assert on.json()["is_active"] is True
    assert client.get(f"{CODES}/999999", headers=headers).status_code == 404
    assert _actions(session, "discount_code") == [
        "discount.created", "discount.updated", "discount.deactivated", "discount.activated"]


def test_a_dept_admin_makes_and_sees_codes_of_their_departments_only(  # type: ignore[no-untyped-def]
        client, session: Session, shop, super_admin: Actor, billing: Actor) -> None:
    other = build_shop(session, super_admin, code="ELSE")
    create_user(session, "dana@example.com", grants=(Grant(RoleName.DEPT_ADMIN,
                                                           shop.department_id),))
    dana, bill = signed_in(client, "dana@example.com"), signed_in(client, "bill@example.com")
    site_wide = client.post(CODES, headers=bill, json={
        "code": "EVERYONE", "kind": "percentage", "percent_bps": 500})
    assert site_wide.status_code == 201
    own = {"kind": "percentage", "percent_bps": 1000, "scope": "listed",
           "department_id": shop.department_id}
    no_department = client.post(CODES, headers=dana, json={
        "code": "DANA", "kind": "percentage", "percent_bps": 1000})
    assert no_department.status_code == 422
    assert no_department.json()["code"] == "department_required"
    assert no_department.json()["field"] == "department_id"
    elsewhere = client.post(CODES, headers=dana, json={
        "code": "DANA", "kind": "percentage", "percent_bps": 1000,
        "department_id": other.department_id})
    assert elsewhere.status_code == 403 and elsewhere.json()["code"] == "forbidden"
    foreign = client.post(CODES, headers=dana, json={
        "code": "DANA", **own,
        "items": [{"item_type": "course", "item_id": other.courses["PY101"]}]})
    assert foreign.status_code == 403 and foreign.json()["code"] == "item_not_managed"
    assert foreign.json()["message"].startswith("ELSE-PY101 Course PY101 belongs to ")
    assert "which you do not manage" in foreign.json()["message"]
    made = client.post(CODES, headers=dana, json={
        "code": "DANA", **own, "items": [{"item_type": "course",
                                          "item_id": shop.courses["PY101"]}]})
    assert made.status_code == 201, made.json()
    # she sees her department's codes only; billing admins see all
    assert [r["code"] for r in client.get(CODES, headers=dana).json()["items"]] == ["DANA"]
    assert {r["code"] for r in client.get(CODES, headers=bill).json()["items"]} == {
        "DANA", "EVERYONE"}
    assert client.get(f"{CODES}/{site_wide.json()['id']}", headers=dana).status_code == 404
    assert client.delete(f"{CODES}/{site_wide.json()['id']}", headers=dana).status_code == 404
    moved = client.put(f"{CODES}/{made.json()['id']}", headers=dana, json={
        **own, "department_id": other.department_id,
        "items": [{"item_type": "course", "item_id": shop.courses["PY101"]}]})
    assert moved.status_code == 403 and moved.json()["code"] == "forbidden"
    assert client.delete(f"{CODES}/{made.json()['id']}", headers=dana).status_code == 200


# -- programs and courses ----------------------------------------------------------------------


def test_programs_crud_with_the_pages_rules_and_audit(  # type: ignore[no-untyped-def]
        client, session: Session, shop, billing: Actor) -> None:
    headers = signed_in(client, "bill@example.com")
    path = "/api/v2/admin/programs"
    small = client.post(path, headers=headers, json={
        "code": "DUO", "title": "Duo", "department_id": shop.department_id,
        "course_ids": [shop.courses["PY101"]]})
    assert small.status_code == 422 and small.json()["code"] == "program_too_small"
    made = client.post(path, headers=headers, json={
        "code": "duo", "title": "Duo", "department_id": shop.department_id,
        "course_ids": [shop.courses["SQL101"], shop.courses["ML301"]], "published": True})
    assert made.status_code == 201, made.json()
    program_id = made.json()["id"]
    assert [c["id"] for c in made.json()["courses"]] == [shop.courses["SQL101"],
                                                        shop.courses["ML301"]]
    assert client.post(path, headers=headers, json={
        "code": "DUO", "title": "Again", "department_id": shop.department_id,
        "course_ids": [shop.courses["SQL101"], shop.courses["ML301"]]}).status_code == 409
    listed = client.get(path, headers=headers, params={"q": "duo"}).json()
    assert [p["code"] for p in listed["items"]] == ["DUO"]
    edited = client.put(f"{path}/{program_id}", headers=headers, json={
        "title": "Duo reordered", "published": True,
        "course_ids": [shop.courses["ML301"], shop.courses["SQL101"]]})
    assert edited.status_code == 200
    assert edited.json()["title"] == "Duo reordered"
    assert edited.json()["courses"][0]["id"] == shop.courses["ML301"]
    gone = client.delete(f"{path}/{program_id}", headers=headers)
    assert gone.status_code == 200 and gone.json()["published"] is False
    assert client.get(f"{path}/{program_id}", headers=headers).json()["published"] is False
    assert _actions(session, "program")[-3:] == ["program.created", "program.updated",
                                                 "program.updated"]


def test_courses_crud_by_a_dept_admin(  # type: ignore[no-untyped-def]
        client, session: Session, shop, super_admin: Actor) -> None:
    other = build_shop(session, super_admin, code="ELSE")
    create_user(session, "dana@example.com", grants=(Grant(RoleName.DEPT_ADMIN,
                                                           shop.department_id),))
    headers = signed_in(client, "dana@example.com")
    path = "/api/v2/admin/courses"
    bad = client.post(path, headers=headers, json={
        "code": "no spaces", "title": "X", "department_id": shop.department_id})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_code"
    bad_url = client.post(path, headers=headers, json={
        "code": "NEW1", "title": "X", "department_id": shop.department_id,
        "thumbnail_url": "javascript:alert(1)"})
    assert bad_url.status_code == 422 and bad_url.json()["field"] == "thumbnail_url"
    foreign = client.post(path, headers=headers, json={
        "code": "NEW1", "title": "X", "department_id": other.department_id})
    assert foreign.status_code == 403
    made = client.post(path, headers=headers, json={
        "code": "new1", "title": "New one", "department_id": shop.department_id,
        "category": "Data", "modules": [{"title": "Intro"}, {"title": "Next"}]})
    assert made.status_code == 201, made.json()
    course_id = made.json()["id"]
    assert (made.json()["code"], made.json()["published"]) == ("NEW1", False)
    assert client.post(path, headers=headers, json={
        "code": "NEW1", "title": "Again", "department_id": shop.department_id}
    ).status_code == 409
    edited = client.put(f"{path}/{course_id}", headers=headers, json={
        "title": "New one, edited", "estimated_minutes": 90, "published": True,
        "prerequisites": "shop-py101", "enrollment_deadline": "2099-12-31"})
    assert edited.status_code == 200, edited.json()
    body = edited.json()
    assert (body["title"], body["published"], body["prerequisites"]) == (
        "New one, edited", True, "SHOP-PY101")
    assert body["enrollment_deadline"].startswith("2099-12-31T23:59:59")
    circular = client.put(f"{path}/{course_id}", headers=headers, json={
        "title": "x", "prerequisites": "NEW1"})
    assert circular.status_code == 422 and circular.json()["code"] == "circular_prerequisite"
    rows = client.get(path, headers=headers).json()["items"]
    assert "ELSE-PY101" not in {r["code"] for r in rows} and "NEW1" in {r["code"] for r in rows}
    assert client.get(f"{path}/{other.courses['PY101']}", headers=headers).status_code == 403
    gone = client.delete(f"{path}/{course_id}", headers=headers)
    assert gone.status_code == 200 and gone.json()["published"] is False
    assert client.get(f"{path}/{course_id}", headers=headers).json()["title"] == (
        "New one, edited")  # the refused edit changed nothing
    assert [a for a in _actions(session, "course") if a != "course.created"] == [
        "course.enrollment_rules", "course.updated", "course.published", "course.unpublished"]
    assert _actions(session, "course").count("course.created") == 9  # two shops and NEW1


# -- the registration queue by the department's reviewers --------------------------------------


def test_the_department_setting_says_who_works_its_queue(  # type: ignore[no-untyped-def]
        client, session: Session, shop, learner: Actor, billing: Actor,
        super_admin: Actor) -> None:
    other = build_shop(session, super_admin, code="ELSE")
    pending = [Registration(dedupe_key=f"queue:{i}", user_id=learner.user_id, kind="course",
                            course_id=course, department_id=dept, approval_required=True)
               for i, (course, dept) in enumerate(((shop.courses["PY101"], shop.department_id),
                                                   (shop.courses["PY201"], shop.department_id),
                                                   (other.courses["PY101"],
                                                    other.department_id)))]
    session.add_all(pending)
    session.commit()
    create_user(session, "dana@example.com", grants=(Grant(RoleName.DEPT_ADMIN,
                                                           shop.department_id),))
    create_user(session, "erin@example.com", grants=(Grant(RoleName.ENROLLMENT_ADMIN,
                                                           shop.department_id),))
    dana, erin = signed_in(client, "dana@example.com"), signed_in(client, "erin@example.com")
    bill = signed_in(client, "bill@example.com")
    queue = "/api/v2/admin/registrations"

    def seen(headers: dict[str, str]) -> set[int]:
        return {r["id"] for r in client.get(queue, headers=headers).json()["items"]}

    ours = {pending[0].id, pending[1].id}
    # both (the default): the dept-admin and the enrollment admin of the department
    assert seen(dana) == ours and seen(erin) == ours
    setting = f"/api/v2/admin/departments/{shop.department_id}/registration-reviewers"
    assert client.put(setting, headers=dana, json={"reviewers": "dept_admins"}
                      ).status_code == 403
    assert client.put(setting, headers=bill, json={"reviewers": "nobody"}).status_code == 422
    only_enrollment = client.put(setting, headers=bill, json={"reviewers": "enrollment_admins"})
    assert only_enrollment.status_code == 200
    assert only_enrollment.json()["label"] == "Enrollment admins"
    assert seen(dana) == set() and seen(erin) == ours
    refused = client.post(f"{queue}/{pending[0].id}/approve", headers=dana)
    assert refused.status_code == 404
    client.put(setting, headers=bill, json={"reviewers": "dept_admins"})
    assert seen(erin) == set() and seen(dana) == ours
    approved = client.post(f"{queue}/{pending[0].id}/approve", headers=dana)
    assert approved.status_code == 200 and approved.json()["status"] in {"approved", "enrolled"}
    bulk = client.post(f"{queue}/bulk", headers=dana, json={
        "ids": [pending[1].id, pending[2].id], "action": "reject",
        "reason": "The course is full this term."})
    assert [r["ok"] for r in bulk.json()["results"]] == [True, False]
    listing = client.get("/api/v2/admin/departments/registration-reviewers",
                         headers=bill).json()["items"]
    assert {r["department_id"]: r["reviewers"] for r in listing}[shop.department_id] == (
        "dept_admins")
    # the same setting again writes no audit row
    client.put(setting, headers=bill, json={"reviewers": "dept_admins"})
    assert _actions(session, "department").count("department.registration_reviewers") == 2


# -- the one-call refund -----------------------------------------------------------------------


def _payment_id(session: Session, order_id: int) -> int:
    payment = session.exec(select(Payment).where(Payment.order_id == order_id)).one()
    assert payment.id is not None
    return payment.id


def test_one_call_refund_asks_and_approves_once(  # type: ignore[no-untyped-def]
        client, session: Session, shop, learner: Actor, billing: Actor,
        four_eyes_off: None) -> None:
    order = buy(session, learner, shop, ("course", "PY101"))
    headers = {**signed_in(client, "bill@example.com"), "Idempotency-Key": "refund-001"}
    path = f"/api/v2/admin/payments/{_payment_id(session, order.id)}/refund"
    short = client.post(path, headers=headers, json={"reason": "no"})
    assert short.status_code == 422 and short.json()["field"] == "reason"
    done = client.post(path, headers=headers, json={"reason": "Duplicate purchase by mistake."})
    body = done.json()
    assert done.status_code == 201, body
    assert (body["status"], body["approved"], body["approved_amount"], body["replayed"]) == (
        "refunded", True, order.total, False)
    assert _actions(session, "refund_request")[:2] == ["refund.requested", "refund.approved"]
    audit_rows = len(_actions(session, "refund_request"))
    again = client.post(path, headers=headers, json={"reason": "Duplicate purchase by mistake."})
    assert again.status_code == 200
    assert (again.json()["request_id"], again.json()["replayed"]) == (body["request_id"], True)
    assert len(_actions(session, "refund_request")) == audit_rows
    # without the key, a second refund finds nothing left to refund
    assert client.post(path, headers={"Authorization": headers["Authorization"]},
                       json={"reason": "Duplicate purchase by mistake."}).status_code == 409
    assert client.post("/api/v2/admin/payments/999999/refund", headers=headers | {
        "Idempotency-Key": "other"}, json={"reason": "Duplicate purchase."}).status_code == 404


def test_with_four_eyes_the_call_only_opens_the_request(  # type: ignore[no-untyped-def]
        client, session: Session, shop, learner: Actor, billing: Actor) -> None:
    assert get_settings().refund_four_eyes is True  # the default
    order = buy(session, learner, shop, ("course", "PY101"))
    create_user(session, "bea@example.com", grants=(Grant(RoleName.BILLING_ADMIN),))
    headers = signed_in(client, "bill@example.com")
    path = f"/api/v2/admin/payments/{_payment_id(session, order.id)}/refund"
    opened = client.post(path, headers=headers, json={"reason": "Asked by phone.",
                                                      "amount": 2_000})
    body = opened.json()
    assert opened.status_code == 201, body
    assert (body["status"], body["approved"], body["four_eyes"]) == ("requested", False, True)
    assert "Four-eyes review is on" in body["message"]
    assert _actions(session, "refund_request") == ["refund.requested"]
    # the asker cannot approve it in the queue; another billing admin can
    queue = f"/api/v2/admin/refunds/{body['request_id']}/approve"
    assert client.post(queue, headers=headers, json={}).status_code == 403
    paid = client.post(queue, headers=signed_in(client, "bea@example.com"), json={})
    assert paid.status_code == 200 and paid.json()["status"] == "refunded"
    assert client.post(path, headers=signed_in(client, "lee@example.com"),
                       json={"reason": "Asked by phone."}).status_code == 403


# -- GET /api/v2/certificates/{id} ---------------------------------------------------------------


def test_a_certificate_is_read_by_its_holder_and_its_admins(  # type: ignore[no-untyped-def]
        client, session: Session, shop, earned, super_admin: Actor) -> None:
    other = build_shop(session, super_admin, code="ELSE")
    create_user(session, "sam@example.com")
    create_user(session, "dana@example.com", grants=(Grant(RoleName.DEPT_ADMIN,
                                                           shop.department_id),))
    create_user(session, "otto@example.com", grants=(Grant(RoleName.DEPT_ADMIN,
                                                           other.department_id),))
    path = f"/api/v2/certificates/{earned.id}"
    mine = client.get(path, headers=signed_in(client, "lee@example.com"))
    assert mine.status_code == 200, mine.json()
    assert (mine.json()["number"], mine.json()["status"]) == (earned.number, "valid")
    assert mine.json()["download_url"] == f"/api/v2/certificates/{earned.id}/download"
    assert client.get(path, headers=signed_in(client, "dana@example.com")).status_code == 200
    for stranger in ("sam@example.com", "otto@example.com"):
        refused = client.get(path, headers=signed_in(client, stranger))
        assert refused.status_code == 404 and refused.json()["code"] == "certificate_not_found"
    assert client.get(path).status_code == 401
    assert client.get("/api/v2/certificates/999999",
                      headers=signed_in(client, "lee@example.com")).status_code == 404
    # the public verification route still answers
    verified = client.get(f"/api/v2/certificates/verify/{earned.number}")
    assert verified.status_code == 200 and verified.json()["status"] == "valid"
