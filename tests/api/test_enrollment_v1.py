"""The enrollment API of spec 004: one call to enroll (idempotent, apart from the shopping
cart), its payment status, a course as an app shows it, course access, and the enrollment
rules (prerequisites, deadline) it shares with the storefront."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError
from commerce_dash.services import learning
from commerce_dash.services.commerce import cart as cart_service
from commerce_dash.services.commerce import checkout_summary, view_cart
from tests.api.conftest import bearer
from tests.builders import (
    a_course,
    a_department,
    course_modules,
    issued_certificate,
    make_code,
    owner_of,
)
from tests.conftest import PASSWORD

PRICE = 25_000
KEY = {"Idempotency-Key": "app-enroll-0001"}


@pytest.fixture
def shop(session: Session, super_admin: Actor) -> dict[str, int]:
    dept = a_department(session, super_admin, "APP", name="App School")
    first = a_course(session, super_admin, "APP-101", title="Foundations", department_id=dept,
                     price=PRICE)
    second = a_course(session, super_admin, "APP-201", title="Advanced", department_id=dept,
                      price=40_000)
    other = a_course(session, super_admin, "APP-301", title="Elsewhere", department_id=dept,
                     price=9_900)
    return {"first": first, "second": second, "other": other}


def _login(client: TestClient, learner: Actor) -> dict[str, str]:
    token = client.post("/api/v2/auth/login",
                        json={"email": learner.email, "password": PASSWORD}).json()["token"]
    return bearer(token)


def test_one_call_enrolls_apart_from_the_cart_and_the_same_key_answers_the_same(
    client: TestClient, session: Session, learner: Actor, shop: dict[str, int]
) -> None:
    cart_service.add_item(session=session, owner=owner_of(learner), item_type="course",
                          item_id=shop["other"])
    headers = {**_login(client, learner), **KEY}
    body = {"course_id": shop["first"], "success_url": "https://app.example.com/done",
            "metadata": {"source": "mobile_app"}}

    first = client.post("/api/v1/enrollments/initialize", json=body, headers=headers)
    again = client.post("/api/v1/enrollments/initialize", json=body, headers=headers)

    assert (first.status_code, again.status_code) == (201, 200), first.text
    data = first.json()
    assert data["enrollment_id"] == again.json()["enrollment_id"]
    assert (data["status"], data["payment_required"]) == ("pending", True)
    assert (data["original_amount"], data["discount_applied"], data["final_amount"],
            data["currency"]) == (PRICE, 0, PRICE, "USD")
    session_info = data["payment_session"]
    assert session_info["processor"] == "sandbox"
    assert session_info["checkout_url"].endswith(f"/checkout/{data['enrollment_id']}")
    assert session_info["fields"]["intent_id"].startswith("sbpi_")
    # the checkout page links back to the app
    page = checkout_summary(session=session, actor=learner, number=data["enrollment_id"])
    assert (page.success_url, page.cancel_url) == ("https://app.example.com/done", "")
    # the shopping cart still holds only what the learner put there
    cart = view_cart(session=session, owner=owner_of(learner))
    assert [line.item_id for line in cart.lines] == [shop["other"]]
    # the same key for another course is refused
    other = client.post("/api/v1/enrollments/initialize", headers=headers,
                        json={"course_id": shop["second"]})
    assert other.status_code == 409 and other.json()["code"] == "idempotency_conflict"


def test_a_paid_enrollment_reports_enrolled_and_opens_the_course(
    client: TestClient, session: Session, learner: Actor, shop: dict[str, int]
) -> None:
    course_modules(session, shop["first"], n=2)
    headers = _login(client, learner)
    made = client.post("/api/v1/enrollments/initialize", headers={**headers, **KEY},
                       json={"course_id": shop["first"]}).json()
    number = made["enrollment_id"]
    paid = client.post("/api/v2/payments/sandbox/pay", headers=headers, json={
        "order_number": number, "card_number": "4242424242424242", "exp_month": 12,
        "exp_year": 2099, "cvc": "123"})
    assert paid.status_code == 200, paid.text

    status = client.get(f"/api/v1/enrollments/{number}/payment-status", headers=headers)
    access = client.get(f"/api/v1/courses/{shop['first']}/access", headers=headers)
    course = client.get(f"/api/v1/courses/{shop['first']}", headers=headers)

    assert status.json()["enrollment_status"] == "enrolled"
    assert status.json()["course_access_urls"] == [f"/api/v1/courses/{shop['first']}/access"]
    assert access.json()["has_access"] is True
    assert access.json()["course_progress"] == 0
    assert access.json()["next_module"]["position"] == 1
    assert (course.json()["enrollment_status"], course.json()["can_enroll"]) == \
        ("enrolled", False)
    # another learner's enrollment is not found
    assert client.get(f"/api/v1/enrollments/{number}/payment-status").status_code == 401


def test_prerequisites_and_the_deadline_refuse_with_the_reason(
    client: TestClient, session: Session, learner: Actor, super_admin: Actor,
    shop: dict[str, int]
) -> None:
    learning.set_enrollment_rules(session=session, actor=super_admin, course_id=shop["second"],
                                  deadline=None, prerequisite_codes="app-101")
    headers = _login(client, learner)

    course = client.get(f"/api/v1/courses/{shop['second']}", headers=headers).json()
    refused = client.post("/api/v1/enrollments/initialize", headers={**headers, **KEY},
                          json={"course_id": shop["second"]})

    assert course["can_enroll"] is False
    assert course["reason"] == "Advanced needs Foundations completed first."
    assert course["prerequisites"] == [{"course_id": shop["first"], "code": "APP-101",
                                        "title": "Foundations", "completed": False}]
    assert refused.status_code == 409 and refused.json()["code"] == "cannot_enroll"
    listed = client.get("/api/v2/catalog/courses/APP-201").json()
    assert listed["prerequisites"] == [{"code": "APP-101", "title": "Foundations"}]
    assert listed["enrollment_deadline"] is None
    with pytest.raises(DomainError, match="needs Foundations completed first"):
        cart_service.add_item(session=session, owner=owner_of(learner), item_type="course",
                              item_id=shop["second"])

    issued_certificate(session, learner, shop["first"])
    course = client.get(f"/api/v1/courses/{shop['second']}", headers=headers).json()
    assert (course["can_enroll"], course["prerequisites"][0]["completed"]) == (True, True)

    learning.set_enrollment_rules(session=session, actor=super_admin, course_id=shop["second"],
                                  deadline=utcnow() - timedelta(days=1),
                                  prerequisite_codes="APP-101")
    closed = client.get(f"/api/v1/courses/{shop['second']}", headers=headers).json()
    assert closed["can_enroll"] is False and closed["reason"].startswith(
        "Enrollment in Advanced closed on ")
    anonymous = client.get(f"/api/v1/courses/{shop['second']}").json()
    assert anonymous["enrollment_status"] == "not_enrolled"


def test_enrollment_rules_refuse_unknown_self_and_circular_prerequisites(
    session: Session, super_admin: Actor, shop: dict[str, int]
) -> None:
    learning.set_enrollment_rules(session=session, actor=super_admin, course_id=shop["second"],
                                  deadline=None, prerequisite_codes="APP-101")
    for codes, message in (("NOPE-1", "No course NOPE-1."),
                           ("APP-201", "A course cannot require itself."),
                           ("APP-201 ,", "A course cannot require itself.")):
        with pytest.raises(DomainError, match=message):
            learning.set_enrollment_rules(session=session, actor=super_admin,
                                          course_id=shop["second"], deadline=None,
                                          prerequisite_codes=codes)
    with pytest.raises(DomainError, match="APP-201 already requires APP-101"):
        learning.set_enrollment_rules(session=session, actor=super_admin,
                                      course_id=shop["first"], deadline=None,
                                      prerequisite_codes="APP-201")


def test_bad_input_is_a_clear_4xx(client: TestClient, learner: Actor,
                                  shop: dict[str, int]) -> None:
    headers = {**_login(client, learner), **KEY}
    cases = [
        ({"course_id": shop["first"], "success_url": "javascript:alert(1)"}, "success_url"),
        ({"course_id": shop["first"], "program_id": 1}, "course_id"),
        ({}, "course_id"),
        ({"course_id": shop["first"], "payment_method_preference": "razorpay"},
         "payment_method_preference"),
        ({"course_id": shop["first"], "metadata": {f"k{i}": "v" for i in range(11)}},
         "metadata"),
    ]
    for body, field in cases:
        answer = client.post("/api/v1/enrollments/initialize", json=body, headers=headers)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["field"] == field, answer.json()
    missing = client.post("/api/v1/enrollments/initialize", json={"course_id": 999_999},
                          headers=headers)
    assert missing.status_code == 404
    assert client.get("/api/v1/courses/999999").status_code == 404
    assert client.get(f"/api/v1/courses/{shop['first']}/access").status_code == 401


def test_a_coupon_is_applied_to_the_one_call_enrollment(
    client: TestClient, session: Session, learner: Actor, super_admin: Actor,
    shop: dict[str, int]
) -> None:
    make_code(session, super_admin, "APP20", percent=20)
    answer = client.post("/api/v1/enrollments/initialize",
                         headers={**_login(client, learner), **KEY},
                         json={"course_id": shop["first"], "coupon_code": "app20"})
    assert answer.status_code == 201, answer.text
    assert (answer.json()["discount_applied"], answer.json()["final_amount"]) == \
        (5_000, 20_000)


def test_an_app_runs_razorpay_checkout_itself_and_reports_its_answer(
    client: TestClient, session: Session, learner: Actor, super_admin: Actor,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    from commerce_dash.payments.factory import reset_processors
    from commerce_dash.settings import get_settings
    from tests.payments.razorpay_fake import RazorpayFake

    with RazorpayFake("rzp_test_App01", "rzp_app_secret", "rzp_app_hook") as fake:
        for name, value in {"PROCESSOR_BY_DEPARTMENT": '{"RZA": "razorpay"}',
                            "RAZORPAY_KEY_ID": "rzp_test_App01",
                            "RAZORPAY_KEY_SECRET": "rzp_app_secret",
                            "RAZORPAY_WEBHOOK_SECRET": "rzp_app_hook",
                            "RAZORPAY_API_BASE": fake.base_url}.items():
            monkeypatch.setenv(f"COMMERCE_{name}", value)
        get_settings.cache_clear()
        reset_processors()
        try:
            dept = a_department(session, super_admin, "RZA", name="App Rupees")
            course = a_course(session, super_admin, "RZA-1", department_id=dept, price=9_900)
            headers = _login(client, learner)
            made = client.post("/api/v1/enrollments/initialize", headers={**headers, **KEY},
                               json={"course_id": course,
                                     "payment_method_preference": "razorpay"}).json()
            fields = made["payment_session"]["fields"]
            assert fields["key"] == "rzp_test_App01" and fields["order_id"].startswith("order_")
            paid = fake.pay(fields["order_id"], method="upi", deliver_webhooks=False)
            answer = {k: paid[k] for k in ("razorpay_payment_id", "razorpay_order_id",
                                           "razorpay_signature")}
            number = made["enrollment_id"]

            forged = client.post("/api/v2/payments/processor-answer", headers=headers, json={
                "order_number": number, "fields": {**answer, "razorpay_signature": "0" * 64}})
            settled = client.post("/api/v2/payments/processor-answer", headers=headers,
                                  json={"order_number": number, "fields": answer})

            assert forged.status_code == 409 and forged.json()["code"] == "signature_invalid"
            assert settled.status_code == 200, settled.text
            assert settled.json()["order_status"] == "completed"
            status = client.get(f"/api/v1/enrollments/{number}/payment-status", headers=headers)
            assert status.json()["enrollment_status"] == "enrolled"
        finally:
            get_settings.cache_clear()
            reset_processors()
