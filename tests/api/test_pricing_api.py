"""Admin pricing API: create, schedule, history, deactivate, and who may do it."""

from datetime import timedelta

import pytest

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Grant
from commerce_dash.domain.clock import utcnow
from commerce_dash.services.platform import org
from tests.api.conftest import bearer
from tests.conftest import PASSWORD, create_user

PRICES = "/api/v2/admin/pricing"


@pytest.fixture
def published_courses(session, super_admin, engineering_with_subdepartment):
    """A published course in ENG and one in BUS, not priced yet."""
    depts = engineering_with_subdepartment
    return {
        code: org.create_course(
            session=session,
            actor=super_admin,
            code=code,
            title=title,
            department_id=depts[dept],
            published=True,
        ).id
        for code, title, dept in [
            ("ENG-101", "Python Basics", "ENG"),
            ("BUS-101", "Accounting", "BUS"),
        ]
    }


def _headers(client, session, email, grant):
    create_user(session, email, grants=(grant,))
    token = client.post("/api/v2/auth/login", json={"email": email, "password": PASSWORD}).json()[
        "token"
    ]
    return bearer(token)


@pytest.fixture
def billing_admin(client, session):
    return _headers(client, session, "bill@example.com", Grant(RoleName.BILLING_ADMIN))


def _course_price(item_id, amount=4900, **extra):
    return {
        "item_type": "course",
        "item_id": item_id,
        "price_type": "one_time",
        "amount": amount,
        **extra,
    }


def _history(client, headers, item_id):
    response = client.get(
        f"{PRICES}/history", params={"item_type": "course", "item_id": item_id}, headers=headers
    )
    assert response.status_code == 200, response.json()
    return response.json()


def test_a_billing_admin_creates_a_price_in_minor_units(client, billing_admin, published_courses):
    # when the billing admin prices the course at 49.00
    response = client.post(
        PRICES, json=_course_price(published_courses["ENG-101"]), headers=billing_admin
    )
    # then the price is in force, in minor units, with its label and item
    assert response.status_code == 201, response.json()
    price = response.json()
    assert price["amount"] == 4900
    assert price["amount_label"] == "$49.00"
    assert price["currency"] == "USD"
    assert price["status"] == "active"
    assert price["item_title"] == "Python Basics"
    assert price["department"] == "Department ENG"
    assert price["effective_until"] is None
    # and it is listed, and the storefront shows it
    listed = client.get(PRICES, params={"status": "active"}, headers=billing_admin).json()
    assert [p["id"] for p in listed["items"]] == [price["id"]]
    assert listed["total"] == 1
    shop = client.get("/api/v2/catalog/courses").json()["items"]
    assert [(c["code"], c["price"]["amount"]) for c in shop] == [("ENG-101", 4900)]


def test_a_future_price_is_scheduled_and_ends_the_current_one(
    client, billing_admin, published_courses
):
    # given a price in force
    course = published_courses["ENG-101"]
    client.post(PRICES, json=_course_price(course), headers=billing_admin)
    # when a new price is scheduled in 30 days
    starts = (utcnow() + timedelta(days=30)).replace(microsecond=0)
    response = client.post(
        PRICES,
        json=_course_price(course, 5900, effective_from=starts.isoformat()),
        headers=billing_admin,
    )
    # then it waits as scheduled and the current one now ends when it starts
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "scheduled"
    history = _history(client, billing_admin, course)
    assert [(p["amount"], p["status"]) for p in history] == [(4900, "active"), (5900, "scheduled")]
    assert history[0]["effective_until"] == starts.isoformat()
    # and an overlapping window is refused, naming the conflict
    overlap = client.post(
        PRICES,
        json=_course_price(
            course,
            5500,
            effective_from=(starts - timedelta(days=10)).isoformat(),
            effective_until=(starts + timedelta(days=10)).isoformat(),
        ),
        headers=billing_admin,
    )
    assert overlap.status_code == 422
    assert overlap.json()["code"] == "price_overlap"
    assert "$49.00" in overlap.json()["message"]
    assert len(_history(client, billing_admin, course)) == 2


def test_amounts_must_be_whole_minor_units(client, billing_admin, published_courses):
    course = published_courses["ENG-101"]
    for amount in (49.99, "4900", 4900.0, True):
        # when the amount is not an integer
        response = client.post(PRICES, json=_course_price(course, amount), headers=billing_admin)
        # then it is refused, naming the field, and nothing is written
        assert response.status_code == 422, amount
        assert response.json()["code"] == "invalid_request"
        assert "amount" in response.json()["message"]
    assert _history(client, billing_admin, course) == []


def test_dates_without_a_utc_offset_are_refused(client, billing_admin, published_courses):
    # when the start has no offset
    response = client.post(
        PRICES,
        json=_course_price(published_courses["ENG-101"], effective_from="2099-01-01T09:00:00"),
        headers=billing_admin,
    )
    # then the API does not guess a timezone
    assert response.status_code == 422
    assert response.json()["code"] == "naive_datetime"
    assert response.json()["field"] == "effective_from"


def test_history_lists_ended_and_current_prices(client, billing_admin, published_courses):
    # given a price replaced by a new one at once
    course = published_courses["ENG-101"]
    first = client.post(PRICES, json=_course_price(course, 4900), headers=billing_admin).json()
    second = client.post(PRICES, json=_course_price(course, 3900), headers=billing_admin).json()
    # when reading its history
    history = _history(client, billing_admin, course)
    # then the old price is kept as ended, and the new one is active
    assert [(p["id"], p["status"]) for p in history] == [
        (first["id"], "ended"),
        (second["id"], "active"),
    ]
    assert history[0]["effective_until"] == history[1]["effective_from"]
    ended = client.get(PRICES, params={"status": "ended"}, headers=billing_admin).json()
    assert [p["id"] for p in ended["items"]] == [first["id"]]


def test_delete_deactivates_and_the_row_stays_in_history(client, billing_admin, published_courses):
    # given a price in force
    course = published_courses["ENG-101"]
    price = client.post(PRICES, json=_course_price(course), headers=billing_admin).json()
    # when it is deleted without a reason, then with one
    vague = client.request("DELETE", f"{PRICES}/{price['id']}", headers=billing_admin)
    response = client.request(
        "DELETE",
        f"{PRICES}/{price['id']}",
        json={"reason": "Launch price was wrong"},
        headers=billing_admin,
    )
    # then the reason is required, and the price is deactivated, not removed
    assert (vague.status_code, vague.json()["code"]) == (422, "reason_required")
    assert response.status_code == 200
    assert response.json()["status"] == "deactivated"
    assert response.json()["deactivated_reason"] == "Launch price was wrong"
    history = _history(client, billing_admin, course)
    assert [(p["id"], p["status"]) for p in history] == [(price["id"], "deactivated")]
    assert client.get("/api/v2/catalog/courses").json()["items"] == []
    # and a reason in the query string works as well (deactivating twice changes nothing)
    again = client.delete(
        f"{PRICES}/{price['id']}", params={"reason": "double click"}, headers=billing_admin
    )
    assert again.json()["deactivated_reason"] == "Launch price was wrong"
    missing = client.delete(f"{PRICES}/999999", params={"reason": "no such"}, headers=billing_admin)
    assert (missing.status_code, missing.json()["code"]) == (404, "price_not_found")


def test_a_dept_admin_prices_only_their_own_departments(
    client, session, billing_admin, published_courses, engineering_with_subdepartment
):
    # given a BUS department admin and a price on an ENG course
    bus_admin = _headers(
        client,
        session,
        "bea@example.com",
        Grant(RoleName.DEPT_ADMIN, engineering_with_subdepartment["BUS"]),
    )
    eng_course = published_courses["ENG-101"]
    eng_price = client.post(PRICES, json=_course_price(eng_course), headers=billing_admin).json()
    # when they touch the ENG course
    create = client.post(PRICES, json=_course_price(eng_course, 100), headers=bus_admin)
    history = client.get(
        f"{PRICES}/history",
        params={"item_type": "course", "item_id": eng_course},
        headers=bus_admin,
    )
    delete = client.delete(
        f"{PRICES}/{eng_price['id']}", params={"reason": "not mine"}, headers=bus_admin
    )
    # then each is forbidden and the ENG price is not even listed to them
    for response in (create, history, delete):
        assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert client.get(PRICES, headers=bus_admin).json()["items"] == []
    # and their own department's course they may price
    own = client.post(PRICES, json=_course_price(published_courses["BUS-101"]), headers=bus_admin)
    assert own.status_code == 201
    assert own.json()["department"] == "Department BUS"


def test_bad_filters_are_refused(client, billing_admin):
    # when filtering by an unknown status or item type
    status = client.get(PRICES, params={"status": "live"}, headers=billing_admin)
    kind = client.get(PRICES, params={"item_type": "book"}, headers=billing_admin)
    # then the API says so instead of ignoring it
    assert (status.status_code, status.json()["code"]) == (422, "invalid_status")
    assert (kind.status_code, kind.json()["code"]) == (422, "invalid_item_type")
