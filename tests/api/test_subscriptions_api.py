"""Issue 16 through the HTTP API, on the sandbox processor: a department's plans and a quote
(public), subscribing (Idempotency-Key, replay, a second subscription refused naming the
first), the learner's own list and detail (nobody else's), cancel, pause, resume and plan
changes answered with the sentence to show, self-enrollment, the admins' list and actions
scoped to their departments, and bad input answered 4xx with the error body, never 500.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.payments.sandbox_cards import SUCCESS_CARD
from commerce_dash.services import catalog
from tests.api.conftest import signed_in
from tests.builders import a_course
from tests.conftest import create_department, create_user

SUBSCRIPTIONS = "/api/v2/subscriptions"
ADMIN = "/api/v2/admin/subscriptions"


@pytest.fixture
def plans(session: Session, super_admin: Actor, shop) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """The shop's department sells a monthly plan ($29, no trial) and a quarterly one ($69,
    14-day trial)."""
    made = {}
    for interval, amount, trial in (("monthly", 2900, 0), ("quarterly", 6900, 14)):
        price = catalog.create_price(session=session, actor=super_admin,
                                     item_type="subscription", item_id=shop.department_id,
                                     price_type="subscription", amount=amount, currency="USD",
                                     interval=interval, trial_days=trial)
        made[interval] = price.id or 0
    return made


@pytest.fixture
def lee(client: TestClient, learner: Actor) -> dict[str, str]:
    return signed_in(client, learner.email)


def _subscribe(client: TestClient, headers: dict[str, str], price_id: int, key: str = "k1",
               **extra: Any) -> Any:
    return client.post(SUBSCRIPTIONS, headers={**headers, "Idempotency-Key": key},
                       json={"price_id": price_id, "payment_method": SUCCESS_CARD, **extra})


def _subscribed(client: TestClient, headers: dict[str, str], price_id: int,
                key: str = "k1") -> dict[str, Any]:
    response = _subscribe(client, headers, price_id, key)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code and body["message"], body
    return body


# -- plans --------------------------------------------------------------------------------------


def test_a_departments_plans_and_a_quote_need_no_sign_in(client, shop, plans) -> None:  # type: ignore[no-untyped-def]
    listed = client.get("/api/v2/catalog/departments/shop/plans")
    assert listed.status_code == 200, listed.text
    rows = listed.json()["items"]
    assert [(p["interval"], p["amount"], p["currency"], p["trial_days"]) for p in rows] == [
        ("monthly", 2900, "USD", 0), ("quarterly", 6900, "USD", 14)]
    assert [p["price_id"] for p in rows] == [plans["monthly"], plans["quarterly"]]
    by_id = client.get(f"/api/v2/catalog/departments/{shop.department_id}/plans")
    assert by_id.json()["items"] == rows

    quote = client.get(f"/api/v2/catalog/plans/{plans['quarterly']}/quote",
                       params={"country": "us"})
    assert quote.status_code == 200, quote.text
    body = quote.json()
    assert (body["interval"], body["trial_days"], body["unit_amount"], body["currency"]) == (
        "quarterly", 14, 6900, "USD")
    assert body["first_total"] == body["renewal_total"] == 6900 + body["tax"]
    assert body["trial_ends_at"] is not None

    _error(client.get("/api/v2/catalog/departments/NOPE/plans"), 404, "department_not_found")
    _error(client.get(f"/api/v2/catalog/plans/{shop.courses['PY101']}/quote"), 404,
           "plan_not_found")


# -- subscribing --------------------------------------------------------------------------------


def test_subscribe_answers_201_and_the_list_shows_it_with_its_invoice(client, lee, plans) -> None:  # type: ignore[no-untyped-def]
    sub = _subscribed(client, lee, plans["monthly"])
    assert sub["status"] == "active" and sub["has_access"] is True
    assert sub["number"].startswith("SUB-") and sub["card"].endswith("4242")
    assert (sub["unit_amount"], sub["currency"], sub["interval"]) == (2900, "USD", "monthly")
    [invoice] = sub["invoices"]
    assert (invoice["status"], invoice["amount"]) == ("paid", 2900)
    assert invoice["order_number"].startswith("ORD-")
    assert sub["timeline"], "the detail says what happened"

    mine = client.get(SUBSCRIPTIONS, headers=lee)
    assert mine.status_code == 200, mine.text
    assert mine.json()["total"] == 1
    [row] = mine.json()["items"]
    assert (row["id"], row["status"], len(row["invoices"])) == (sub["id"], "active", 1)

    again = _subscribe(client, lee, plans["monthly"], key="k1")  # the same key: a replay
    assert again.status_code == 200, again.text
    assert again.json()["id"] == sub["id"]
    assert client.get(SUBSCRIPTIONS, headers=lee).json()["total"] == 1


def test_subscribe_needs_an_idempotency_key_and_a_sign_in(client, lee, plans) -> None:  # type: ignore[no-untyped-def]
    body = {"price_id": plans["monthly"], "payment_method": SUCCESS_CARD}
    refused = _error(client.post(SUBSCRIPTIONS, headers=lee, json=body), 422,
                     "idempotency_key_required")
    assert refused["field"] == "idempotency_key"
    _error(client.post(SUBSCRIPTIONS, headers={"Idempotency-Key": "x"}, json=body), 401,
           "not_signed_in")
    assert client.get(SUBSCRIPTIONS, headers=lee).json()["total"] == 0


def test_a_second_subscription_to_the_department_is_a_409_naming_the_first(
        client, lee, plans) -> None:  # type: ignore[no-untyped-def]
    first = _subscribed(client, lee, plans["monthly"])
    refused = _error(_subscribe(client, lee, plans["quarterly"], key="k2"), 409,
                     "already_subscribed")
    assert first["number"] in refused["message"]
    assert client.get(SUBSCRIPTIONS, headers=lee).json()["total"] == 1


def test_an_unknown_plan_is_a_404(client, lee, plans, shop) -> None:  # type: ignore[no-untyped-def]
    _error(_subscribe(client, lee, 999_999), 404, "plan_not_found")
    _error(_subscribe(client, lee, shop.courses["PY101"], key="k2"), 404, "plan_not_found")
    assert client.get(SUBSCRIPTIONS, headers=lee).json()["total"] == 0


def test_a_learner_never_sees_nor_changes_anothers_subscription(
        client, session, lee, plans) -> None:  # type: ignore[no-untyped-def]
    sub = _subscribed(client, lee, plans["monthly"])
    create_user(session, "kim@example.com")
    kim = signed_in(client, "kim@example.com")
    _error(client.get(f"{SUBSCRIPTIONS}/{sub['id']}", headers=kim), 404,
           "subscription_not_found")
    _error(client.post(f"{SUBSCRIPTIONS}/{sub['id']}/cancel", headers=kim, json={}), 404,
           "subscription_not_found")
    assert client.get(SUBSCRIPTIONS, headers=kim).json()["total"] == 0
    assert client.get(f"{SUBSCRIPTIONS}/{sub['id']}", headers=lee).json()["status"] == "active"


# -- changes ------------------------------------------------------------------------------------


def test_cancel_at_period_end_twice_changes_nothing_the_second_time(client, lee, plans) -> None:  # type: ignore[no-untyped-def]
    sub = _subscribed(client, lee, plans["monthly"])
    url = f"{SUBSCRIPTIONS}/{sub['id']}/cancel"
    first = client.post(url, headers=lee, json={"reason": "Too busy this month"})
    assert first.status_code == 200, first.text
    ended = first.json()["subscription"]
    assert ended["cancel_at_period_end"] is True and ended["status"] == "active"
    assert ended["next_charge_at"] is None and ended["has_access"] is True
    assert sub["number"] in first.json()["message"]
    assert first.json()["refund_request_id"] is None

    second = client.post(url, headers=lee, json={})
    assert second.status_code == 200, second.text
    assert "already" in second.json()["message"]
    again = second.json()["subscription"]
    assert again["current_period_end"] == ended["current_period_end"]
    assert len(again["timeline"]) == len(ended["timeline"])

    kept = client.post(f"{SUBSCRIPTIONS}/{sub['id']}/undo-cancel", headers=lee)
    assert kept.status_code == 200, kept.text
    assert kept.json()["subscription"]["cancel_at_period_end"] is False


def test_pause_then_resume(client, lee, plans) -> None:  # type: ignore[no-untyped-def]
    sub = _subscribed(client, lee, plans["monthly"])
    paused = client.post(f"{SUBSCRIPTIONS}/{sub['id']}/pause", headers=lee)
    assert paused.status_code == 200, paused.text
    view = paused.json()["subscription"]
    assert (view["status"], view["has_access"], view["next_charge_at"]) == ("paused", False, None)
    twice = client.post(f"{SUBSCRIPTIONS}/{sub['id']}/pause", headers=lee)
    assert twice.status_code == 200 and twice.json()["subscription"]["status"] == "paused"
    assert "already paused" in twice.json()["message"]

    resumed = client.post(f"{SUBSCRIPTIONS}/{sub['id']}/resume", headers=lee)
    assert resumed.status_code == 200, resumed.text
    view = resumed.json()["subscription"]
    assert (view["status"], view["has_access"]) == ("active", True)
    assert view["next_charge_at"] is not None


def test_change_plan_to_a_longer_interval_moves_now(client, lee, plans) -> None:  # type: ignore[no-untyped-def]
    sub = _subscribed(client, lee, plans["monthly"])
    changed = client.post(f"{SUBSCRIPTIONS}/{sub['id']}/change-plan", headers=lee,
                          json={"price_id": plans["quarterly"]})
    assert changed.status_code == 200, changed.text
    view = changed.json()["subscription"]
    assert (view["interval"], view["price_id"], view["unit_amount"]) == (
        "quarterly", plans["quarterly"], 6900)
    assert "quarterly" in changed.json()["message"]
    same = client.post(f"{SUBSCRIPTIONS}/{sub['id']}/change-plan", headers=lee,
                       json={"price_id": plans["quarterly"]})
    assert same.status_code == 200 and "already" in same.json()["message"]
    _error(client.post(f"{SUBSCRIPTIONS}/{sub['id']}/change-plan", headers=lee,
                       json={"price_id": 999_999}), 409, "plan_not_available")


def test_a_new_card_is_saved(client, lee, plans) -> None:  # type: ignore[no-untyped-def]
    sub = _subscribed(client, lee, plans["monthly"])
    saved = client.post(f"{SUBSCRIPTIONS}/{sub['id']}/card", headers=lee,
                        json={"payment_method": "5555555555554444"})
    assert saved.status_code == 200, saved.text
    assert saved.json()["subscription"]["card"].endswith("4444")
    _error(client.post(f"{SUBSCRIPTIONS}/{sub['id']}/card", headers=lee,
                       json={"payment_method": "  "}), 422, "payment_method_required")


# -- self-enrollment ----------------------------------------------------------------------------


def test_self_enroll_in_an_included_course_but_not_another_departments(
        client, session, super_admin, lee, plans, shop) -> None:  # type: ignore[no-untyped-def]
    url = f"{SUBSCRIPTIONS}/enroll"
    _error(client.post(url, headers=lee, json={"course_id": shop.courses["PY101"]}), 403,
           "subscription_required")
    _subscribed(client, lee, plans["monthly"])
    enrolled = client.post(url, headers=lee, json={"course_id": shop.courses["PY101"]})
    assert enrolled.status_code == 200, enrolled.text
    row = enrolled.json()
    assert (row["kind"], row["title"], row["status"]) == ("course", "Course PY101", "enrolled")
    mine = client.get("/api/v2/registrations", headers=lee).json()["items"]
    assert [r["id"] for r in mine] == [row["id"]]

    elsewhere = a_course(session, super_admin, "OTHER-101", price=None)
    _error(client.post(url, headers=lee, json={"course_id": elsewhere}), 403,
           "subscription_required")


# -- admins -------------------------------------------------------------------------------------


def test_the_admin_list_filters_by_status(client, session, billing, lee, plans) -> None:  # type: ignore[no-untyped-def]
    active = _subscribed(client, lee, plans["monthly"])
    create_user(session, "kim@example.com")
    trial = _subscribed(client, signed_in(client, "kim@example.com"), plans["quarterly"])
    assert trial["status"] == "trialing"
    admin = signed_in(client, billing.email)
    everything = client.get(ADMIN, headers=admin)
    assert everything.status_code == 200, everything.text
    assert everything.json()["total"] == 2
    for status, expected in (("trialing", trial), ("active", active)):
        found = client.get(ADMIN, headers=admin, params={"status": status}).json()
        assert [r["id"] for r in found["items"]] == [expected["id"]], status
    assert client.get(ADMIN, headers=admin, params={"status": "paused"}).json()["total"] == 0
    assert client.get(ADMIN, headers=admin, params={"q": "kim@"}).json()["total"] == 1
    row = client.get(ADMIN, headers=admin, params={"interval": "monthly"}).json()["items"][0]
    assert (row["learner_email"], row["client_secret"]) == ("lee@example.com", "")
    _error(client.get(ADMIN, headers=admin, params={"status": "sleeping"}), 422,
           "invalid_request")

    detail = client.get(f"{ADMIN}/{active['id']}", headers=admin)
    assert detail.status_code == 200 and detail.json()["invoices"], detail.text
    cancelled = client.post(f"{ADMIN}/{active['id']}/cancel", headers=admin,
                            json={"at_period_end": False, "reason": "Asked by phone",
                                  "refund": False})
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["subscription"]["status"] == "cancelled"
    assert cancelled.json()["refund_request_id"] is None


def test_a_dept_admin_of_another_department_sees_none(client, session, lee, plans) -> None:  # type: ignore[no-untyped-def]
    sub = _subscribed(client, lee, plans["monthly"])
    other = create_department(session, "ELSEWHERE")
    create_user(session, "dana@example.com", grants=(Grant(RoleName.DEPT_ADMIN, other),))
    dana = signed_in(client, "dana@example.com")
    listed = client.get(ADMIN, headers=dana)
    assert listed.status_code == 200, listed.text
    assert (listed.json()["total"], listed.json()["items"]) == (0, [])
    _error(client.get(f"{ADMIN}/{sub['id']}", headers=dana), 404, "subscription_not_found")
    _error(client.post(f"{ADMIN}/{sub['id']}/pause", headers=dana), 404,
           "subscription_not_found")
    assert client.get(f"{SUBSCRIPTIONS}/{sub['id']}", headers=lee).json()["status"] == "active"


def test_a_learner_is_refused_the_admin_routes(client, lee, plans) -> None:  # type: ignore[no-untyped-def]
    sub = _subscribed(client, lee, plans["monthly"])
    _error(client.get(ADMIN, headers=lee), 403, "forbidden")
    _error(client.post(f"{ADMIN}/{sub['id']}/cancel", headers=lee, json={}), 403, "forbidden")


def test_an_admin_extends_a_trial(client, billing, lee, plans) -> None:  # type: ignore[no-untyped-def]
    trial = _subscribed(client, lee, plans["quarterly"])
    admin = signed_in(client, billing.email)
    extended = client.post(f"{ADMIN}/{trial['id']}/extend-trial", headers=admin,
                           json={"days": 7})
    assert extended.status_code == 200, extended.text
    assert extended.json()["subscription"]["trial_ends_at"] > trial["trial_ends_at"]


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("ref", ["-1", "0", "abc", "1.5", str(2**31), "１"])
def test_a_subscription_id_that_is_no_id_is_a_422(client, lee, billing, ref) -> None:  # type: ignore[no-untyped-def]
    admin = signed_in(client, billing.email)
    for method, url, headers in (("GET", f"{SUBSCRIPTIONS}/{ref}", lee),
                                 ("POST", f"{SUBSCRIPTIONS}/{ref}/pause", lee),
                                 ("GET", f"{ADMIN}/{ref}", admin),
                                 ("POST", f"{ADMIN}/{ref}/cancel", admin)):
        body = _error(client.request(method, url, headers=headers), 422, "invalid_request")
        assert "subscription_id" in body["message"], (method, url, body)


def test_missing_or_wrong_body_fields_are_a_422(client, lee, billing, plans) -> None:  # type: ignore[no-untyped-def]
    sub = _subscribed(client, lee, plans["quarterly"])
    admin = signed_in(client, billing.email)
    cases = [
        (f"{SUBSCRIPTIONS}", lee, {}, "price_id"),
        (f"{SUBSCRIPTIONS}", lee, {"price_id": -3}, "price_id"),
        (f"{SUBSCRIPTIONS}", lee, {"price_id": "many"}, "price_id"),
        (f"{SUBSCRIPTIONS}/{sub['id']}/change-plan", lee, {}, "price_id"),
        (f"{SUBSCRIPTIONS}/{sub['id']}/card", lee, {}, "payment_method"),
        (f"{SUBSCRIPTIONS}/{sub['id']}/cancel", lee, {"at_period_end": "maybe"},
         "at_period_end"),
        (f"{SUBSCRIPTIONS}/enroll", lee, {"course_id": 2**40}, "course_id"),
        (f"{ADMIN}/{sub['id']}/extend-trial", admin, {"days": 0}, "days"),
        (f"{ADMIN}/{sub['id']}/extend-trial", admin, {}, "days"),
    ]
    for url, headers, body, field in cases:
        answer = client.post(url, headers={**headers, "Idempotency-Key": "bad"}, json=body)
        refused = _error(answer, 422, "invalid_request")
        assert field in refused["message"], (url, body, refused)
    assert client.get(f"{SUBSCRIPTIONS}/{sub['id']}", headers=lee).json()["status"] == \
        "trialing"


# -- plans in the pricing API -------------------------------------------------------------------


def test_a_plan_priced_through_the_api_may_include_subdepartments(
        client, super_admin, shop) -> None:  # type: ignore[no-untyped-def]
    root = signed_in(client, super_admin.email)
    made = client.post("/api/v2/admin/pricing", headers=root, json={
        "item_type": "subscription", "item_id": shop.department_id,
        "price_type": "subscription", "interval": "annual", "amount": 29_000,
        "includes_subdepartments": True})
    assert made.status_code == 201, made.text
    assert made.json()["includes_subdepartments"] is True
    plain = client.post("/api/v2/admin/pricing", headers=root, json={
        "item_type": "subscription", "item_id": shop.department_id,
        "price_type": "subscription", "interval": "monthly", "amount": 2_900})
    assert plain.json()["includes_subdepartments"] is False
    rows = client.get("/api/v2/admin/pricing", headers=root,
                      params={"item_type": "subscription"}).json()["items"]
    assert {(r["interval"], r["includes_subdepartments"]) for r in rows} == {
        ("annual", True), ("monthly", False)}
    history = client.get("/api/v2/admin/pricing/history", headers=root, params={
        "item_type": "subscription", "item_id": shop.department_id}).json()
    assert {r["id"]: r["includes_subdepartments"] for r in history} == {
        made.json()["id"]: True, plain.json()["id"]: False}
    plans = client.get(f"/api/v2/catalog/departments/{shop.department_id}/plans").json()
    assert [p["includes_subdepartments"] for p in plans["items"]] == [False, True]
    course = client.get("/api/v2/admin/pricing", headers=root,
                        params={"item_type": "course"}).json()["items"]
    assert course and not any(r["includes_subdepartments"] for r in course)
