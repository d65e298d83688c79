"""Revenue by program (CAT-009) through a real checkout: a program's revenue is its bundle
sales (every course of the bundle keyed to the program), a course bought on its own stays with
the course ("Courses sold on their own"), and every grouping has the same totals. Also the
admin API: group_by=program and the creator / instructor filters."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from commerce_dash.api import create_api
from commerce_dash.domain.actor import Actor
from commerce_dash.domain.clock import utcnow
from commerce_dash.models.catalog import Course
from commerce_dash.models.revenue import LedgerEntry
from commerce_dash.services.revenue import GROUPINGS, report
from tests.api.conftest import signed_in
from tests.builders import a_learner, build_shop, buy


def _ledger(session: Session, order_id: int) -> list[LedgerEntry]:
    return list(session.exec(select(LedgerEntry).where(LedgerEntry.order_id == order_id)))


def test_a_program_is_its_bundle_sales_and_single_courses_stay_apart(
    session: Session, super_admin: Actor
) -> None:
    shop = build_shop(session, super_admin)
    learner = a_learner(session)
    other = a_learner(session, "olga@example.com")
    bundle = buy(session, learner, shop, ("program", ""))
    single = buy(session, other, shop, ("course", "PY101"))
    assert bundle.id is not None and single.id is not None
    bundle_rows, single_rows = _ledger(session, bundle.id), _ledger(session, single.id)
    assert len(bundle_rows) == 3 and len(single_rows) == 1
    today = utcnow().date()
    result = report(
        session=session,
        actor=super_admin,
        group_by="program",
        start=today - timedelta(days=1),
        end=today,
    )
    figures = {r.label: (r.gross, r.refunds, r.fees, r.net, r.enrollments) for r in result.rows}
    assert figures == {
        "SHOP-PATH · Python Path": (
            30_000,
            0,
            sum(e.processor_fee for e in bundle_rows),
            sum(e.net for e in bundle_rows),
            3,
        ),
        "Courses sold on their own": (
            10_000,
            0,
            single_rows[0].processor_fee,
            single_rows[0].net,
            1,
        ),
    }
    assert [r.key for r in result.rows][0] == str(shop.program_id)
    # every grouping shows the same totals: nothing counted twice
    for group_by in GROUPINGS:
        other_way = report(
            session=session,
            actor=super_admin,
            group_by=group_by,
            start=today - timedelta(days=1),
            end=today,
        )
        assert replace(other_way.totals, completion_rate=None) == result.totals, group_by


def test_the_api_groups_by_program_and_filters_one_creator(
    session: Session, super_admin: Actor
) -> None:
    shop = build_shop(session, super_admin)
    creator = a_learner(session, "cara@example.com", full_name="Cara Creator")
    course = session.get(Course, shop.courses["SQL101"])
    assert course is not None
    course.content_creator_id = creator.user_id
    session.add(course)
    session.commit()
    buy(session, a_learner(session), shop, ("course", "SQL101"), ("course", "PY101"))
    today = utcnow().date().isoformat()
    with TestClient(create_api()) as client:
        headers = signed_in(client, "root@example.com")
        url = "/api/v2/admin/revenue/report"
        by_program = client.get(
            url, params={"group_by": "program", "start": today, "end": today}, headers=headers
        )
        assert by_program.status_code == 200, by_program.text
        assert [(r["label"], r["gross"]) for r in by_program.json()["rows"]] == [
            ("Courses sold on their own", 18_000)
        ]
        one = client.get(
            url,
            params={"start": today, "end": today, "creator_id": creator.user_id},
            headers=headers,
        )
        body = one.json()
        assert body["creator_id"] == creator.user_id
        assert [(r["label"], r["gross"]) for r in body["rows"]] == [
            ("SHOP-SQL101 · Course SQL101", 8_000)
        ]
        as_file = client.get(
            url,
            params={
                "start": today,
                "end": today,
                "format": "csv",
                "instructor_id": creator.user_id,
            },
            headers=headers,
        )
        assert as_file.headers["content-disposition"] == (
            f'attachment; filename="revenue_by-course_{today}_{today}_instructor-'
            f'{creator.user_id}_USD.csv"'
        )
