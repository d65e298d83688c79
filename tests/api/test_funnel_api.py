"""GET /api/v2/admin/revenue/funnel (issue 20 part 5): the revenue page's funnel per day and in
total with its conversion rates; a department admin gets theirs only, a learner nothing."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlmodel import Session

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.models.catalog import Course
from commerce_dash.services import revenue as revenue_area
from tests.api.conftest import signed_in
from tests.conftest import create_department, create_user

DAY = date(2026, 11, 5)
PERIOD = {"start": "2026-11-04", "end": "2026-11-05"}


def _course(session: Session, code: str, department_id: int) -> int:
    course = Course(code=code, title=code, department_id=department_id)
    session.add(course)
    session.commit()
    assert course.id is not None
    return course.id


def test_the_funnel_answers_per_day_with_rates_in_the_callers_scope(
        client: TestClient, session: Session, billing: Actor, learner: Actor) -> None:
    eng, bus = create_department(session, "ENG"), create_department(session, "BUS")
    py, acc = _course(session, "PY101", eng), _course(session, "ACC101", bus)
    revenue_area.add_counts(session, {(DAY, "view", eng, py): 40, (DAY, "cart", eng, py): 8,
                                      (DAY, "view", bus, acc): 10})
    create_user(session, "eng-admin@example.com", grants=(Grant(RoleName.DEPT_ADMIN, eng),))

    answer = client.get("/api/v2/admin/revenue/funnel", params=PERIOD,
                        headers=signed_in(client, "bill@example.com"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["period"] == PERIOD
    assert body["totals"] == {"view": 50, "cart": 8, "checkout": 0, "payment": 0, "paid": 0,
                              "enrolled": 0}
    assert body["rates"]["view_to_cart"] == 0.16 and body["rates"]["payment_to_paid"] is None
    assert [d["day"] for d in body["days"]] == ["2026-11-04", "2026-11-05"]
    assert body["days"][0]["counts"]["view"] == 0 and body["days"][1]["counts"]["view"] == 50

    theirs = signed_in(client, "eng-admin@example.com")
    mine = client.get("/api/v2/admin/revenue/funnel", params=PERIOD, headers=theirs)
    assert mine.json()["totals"]["view"] == 40
    other = client.get("/api/v2/admin/revenue/funnel",
                       params={**PERIOD, "department_id": bus}, headers=theirs)
    assert other.status_code == 403 and other.json()["code"] == "forbidden"
    hidden = client.get("/api/v2/admin/revenue/funnel",
                        params={**PERIOD, "course_id": acc}, headers=theirs)
    assert hidden.status_code == 404

    refused = client.get("/api/v2/admin/revenue/funnel", params=PERIOD,
                         headers=signed_in(client, "lee@example.com"))
    assert refused.status_code == 403
