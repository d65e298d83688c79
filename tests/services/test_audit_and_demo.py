from datetime import timedelta

import pytest
from sqlmodel import select

from commerce_dash.demo import data as demo_data
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.paging import PageRequest
from commerce_dash.models.accounts import User
from commerce_dash.models.audit import AuditLog, AuditLogIsAppendOnly
from commerce_dash.models.catalog import Course, Program
from commerce_dash.services.catalog import storefront
from commerce_dash.services.commerce.overview import admin_overview
from commerce_dash.services.platform import audit
from commerce_dash.services.platform.accounts import load_actor


def test_audit_rows_cannot_be_changed_or_deleted(session, super_admin):
    row = audit.record_audit(
        session=session, actor=super_admin, action="thing.done", entity_type="thing", entity_id=1
    )
    session.commit()
    row.action = "thing.undone"
    session.add(row)
    with pytest.raises(AuditLogIsAppendOnly):
        session.commit()
    session.rollback()
    session.delete(session.get(AuditLog, row.id))
    with pytest.raises(AuditLogIsAppendOnly):
        session.commit()
    session.rollback()
    assert session.exec(select(AuditLog.action)).all() == ["thing.done"]


def test_audit_list_filters_by_action_actor_and_date(session, super_admin):
    for action in ("a.one", "a.two", "a.two"):
        audit.record_audit(session=session, actor=super_admin, action=action, entity_type="x")
    audit.record_audit(session=session, actor=None, action="a.two", entity_type="x")
    session.commit()
    two = audit.list_audit(session=session, actor=super_admin, page=PageRequest(), action="a.two")
    assert two.total == 3
    mine = audit.list_audit(
        session=session, actor=super_admin, page=PageRequest(), actor_query="ROOT@"
    )
    assert mine.total == 3
    future = audit.list_audit(
        session=session, actor=super_admin, page=PageRequest(), since=utcnow() + timedelta(hours=1)
    )
    assert future.total == 0


def test_demo_data_fills_an_empty_database_through_the_services(session):
    counts = demo_data.load_demo_data(session=session, password="demo-password-1")
    assert counts == {"departments": 4, "users": 6, "courses": 30, "programs": 4,
                      "prices": 52, "discount_codes": 9, "tax_rates": 5, "fx_rates": 4,
                      "orders": 2, "subscriptions": 2, "live_sessions": 19,
                      "course_steps": 4}
    published = session.exec(select(Course).where(Course.published == True)).all()  # noqa: E712
    assert len(published) == 28
    assert len(session.exec(select(Program)).all()) == 4
    # every creation went through a service, so it is in the audit log
    assert (
        len(session.exec(select(AuditLog).where(AuditLog.action == "course.created")).all()) == 31
    )
    cards = storefront.published_courses(session=session, limit=50)
    # 27 self-paced courses of modules, and the live cohort of 4 steps (its 16 weekly classes
    # and 3 private slots of Ivy's, in New York time)
    assert len(cards) == 28 and all(c.modules >= 3 for c in cards if c.code != "ENG-LIVE")
    from commerce_dash.models.sessions import CourseStep, LiveSession

    live = session.exec(select(Course).where(Course.code == "ENG-LIVE")).one()
    assert len(session.exec(select(CourseStep).where(CourseStep.course_id == live.id)).all()) == 4
    assert {s.time_zone for s in session.exec(select(LiveSession))} == {"America/New_York"}
    # the demo purchases: a certificate earned, a refund waiting, sales in the ledger
    from commerce_dash.models.certificates import Certificate
    from commerce_dash.models.commerce import RefundRequest
    from commerce_dash.models.revenue import LedgerEntry

    assert [c.description for c in session.exec(select(Certificate))] == [
        "Testing with pytest"]
    assert [r.status for r in session.exec(select(RefundRequest))] == ["requested"]
    # three course sales, and the first quarter of the demo subscription ($69 half off)
    entries = session.exec(select(LedgerEntry)).all()
    assert len(entries) == 4 and [e.gross for e in entries if e.course_id is None] == [3450]
    # the demo subscriptions: one in its trial, one paid half off with SUBSHALF (once)
    from commerce_dash.models.pricing import DiscountCode
    from commerce_dash.models.subscriptions import Subscription

    subs = session.exec(select(Subscription).order_by(Subscription.id)).all()
    assert [(s.interval, s.status, s.discount_code, s.discount_duration) for s in subs] == [
        ("monthly", "trialing", "", ""), ("quarterly", "active", "SUBSHALF", "once")]
    assert session.exec(select(DiscountCode).where(
        DiscountCode.code == "SUBSHALF")).one().duration == "once"
    with pytest.raises(RuntimeError):
        demo_data.load_demo_data(session=session, password="demo-password-1")


def test_overview_counts_what_is_in_the_database(session):
    demo_data.load_demo_data(session=session, password="demo-password-1")
    root = load_actor(
        session=session,
        user=session.exec(select(User).where(User.email == "super@example.com")).one(),
    )
    dana = load_actor(
        session=session,
        user=session.exec(select(User).where(User.email == "deptadmin@example.com")).one(),
    )
    figures = admin_overview(session=session, actor=root)
    assert (
        figures.users,
        figures.departments,
        figures.courses,
        figures.published_courses,
        figures.programs,
    ) == (6, 4, 31, 28, 4)  # with the live cohort (ENG-LIVE)
    assert figures.sales is not None and figures.sales.refunds_waiting == 1  # the demo request
    # a dept-admin of Engineering counts Engineering and its Data Science subdepartment
    scoped = admin_overview(session=session, actor=dana)
    assert (scoped.departments, scoped.courses, scoped.programs) == (2, 17, 2)


def test_demo_catalog_has_priced_courses_bundles_history_and_codes(session):
    from commerce_dash.domain.paging import PageRequest
    from commerce_dash.services.catalog import catalog, discounts, pricing

    demo_data.load_demo_data(session=session, password="demo-password-1")
    root = load_actor(session=session, user=session.exec(
        select(User).where(User.email == "super@example.com")).one())
    # every published course and program is for sale in USD
    listed = catalog.browse(session=session, query=catalog.CatalogQuery(),
                            page=PageRequest(1, 100))
    assert listed.total == 28 + 4
    # programs are cheaper than their courses
    program = catalog.program_detail(session=session, code="P-DATA")
    assert program.savings is not None and program.savings.amount > 0
    # a price change left history, a future price is scheduled, a zero-decimal currency exists
    statuses = {r.status for r in pricing.list_prices(session=session, actor=root,
                                                      page=PageRequest(1, 200)).items}
    assert {"active", "ended", "scheduled"} <= statuses
    jpy = pricing.list_prices(session=session, actor=root, page=PageRequest(), currency="JPY")
    assert jpy.total == 5 and jpy.items[0].amount_label.startswith("¥")
    # codes of every kind and state
    rows = discounts.list_codes(session=session, actor=root, page=PageRequest(1, 50)).items
    assert {r.kind for r in rows} == {"percentage", "fixed"}
    assert {r.scope for r in rows} >= {"all", "programs", "listed", "subscriptions", "courses"}
    assert {discounts.code_status(r, utcnow()) for r in rows} >= {"active", "scheduled",
                                                                  "inactive"}
