from datetime import timedelta
from threading import Barrier, Thread

import pytest
from sqlmodel import Session, select

from commerce_dash.db import get_engine
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Grant
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.paging import PageRequest
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.pricing import Price
from commerce_dash.services.catalog import pricing, programs
from commerce_dash.services.platform import org
from tests.conftest import create_user


@pytest.fixture
def catalog(session, super_admin, engineering_with_subdepartment):
    depts = engineering_with_subdepartment
    ids = {}
    for code, dept, published in [("PY", "ENG", True), ("SQL", "ENG", True),
                                  ("ML", "ENG-DATA", True), ("DRAFT", "ENG", False),
                                  ("FIN", "BUS", True)]:
        ids[code] = org.create_course(session=session, actor=super_admin, code=code,
                                      title=f"Course {code}", department_id=depts[dept],
                                      published=published).id
    ids["BUNDLE"] = programs.create_program(session=session, actor=super_admin, code="BUNDLE",
                                       title="Bundle", department_id=depts["ENG"],
                                       course_ids=[ids["PY"], ids["SQL"]], published=True).id
    return ids


def _price(session, actor, item_id, amount, item_type="course", **kw):
    return pricing.create_price(session=session, actor=actor, item_type=item_type,
                                item_id=item_id, price_type=kw.pop("price_type", "one_time"),
                                amount=amount, **kw)


def test_a_new_price_archives_the_one_in_force_and_both_stay_in_history(
    session, super_admin, catalog
):
    # given a price in force
    first = _price(session, super_admin, catalog["PY"], 4900)
    # when a new price is set
    second = _price(session, super_admin, catalog["PY"], 5900)
    # then the first one ended when the second started, and history shows both
    history = pricing.price_history(session=session, actor=super_admin, item_type="course",
                                    item_id=catalog["PY"])
    assert [(r.id, r.amount, r.status) for r in history] == [
        (first.id, 4900, "ended"), (second.id, 5900, "active")]
    assert history[0].effective_until == second.effective_from
    assert pricing.prices_in_force(session=session, item_type="course",
                                   item_ids=[catalog["PY"]], currency="USD",
                                   at=utcnow()) == {catalog["PY"]: 5900}
    actions = session.exec(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions[-3:] == ["price.created", "price.closed", "price.created"]


def test_a_scheduled_price_takes_over_at_its_start(session, super_admin, catalog):
    now = utcnow()
    _price(session, super_admin, catalog["PY"], 4900)
    _price(session, super_admin, catalog["PY"], 3900, effective_from=now + timedelta(days=7))
    prices = lambda at: pricing.prices_in_force(  # noqa: E731
        session=session, item_type="course", item_ids=[catalog["PY"]], currency="USD", at=at)
    assert prices(now + timedelta(days=6)) == {catalog["PY"]: 4900}
    assert prices(now + timedelta(days=8)) == {catalog["PY"]: 3900}
    rows = pricing.list_prices(session=session, actor=super_admin, page=PageRequest(),
                               status="scheduled")
    assert [r.amount for r in rows.items] == [3900]


def test_currencies_have_separate_histories_and_zero_decimal_amounts(
    session, super_admin, catalog
):
    _price(session, super_admin, catalog["PY"], 4900)
    _price(session, super_admin, catalog["PY"], 7500, currency="jpy")
    rows = pricing.list_prices(session=session, actor=super_admin, page=PageRequest(),
                               currency="JPY")
    assert [(r.amount, r.amount_label, r.status) for r in rows.items] == [(7500, "¥7,500",
                                                                            "active")]


def test_only_published_courses_get_a_price(session, super_admin, catalog):
    with pytest.raises(DomainError) as err:
        _price(session, super_admin, catalog["DRAFT"], 4900)
    assert err.value.code == "not_published"
    assert session.exec(select(Price)).all() == []


def test_bad_input_writes_nothing(session, super_admin, catalog):
    for kwargs, code in [({"amount": 0}, "amount_must_be_positive"),
                         ({"amount": 100, "currency": "ABC"}, "invalid_currency"),
                         ({"amount": 100, "effective_from": utcnow() - timedelta(days=2)},
                          "start_in_past")]:
        with pytest.raises(DomainError) as err:
            _price(session, super_admin, catalog["PY"], **kwargs)
        assert err.value.code == code
    assert session.exec(select(Price)).all() == []
    assert session.exec(select(AuditLog).where(AuditLog.entity_type == "price")).all() == []


def test_a_bundle_must_be_cheaper_than_its_courses(session, super_admin, catalog):
    _price(session, super_admin, catalog["PY"], 4900)
    with pytest.raises(DomainError) as missing:
        _price(session, super_admin, catalog["BUNDLE"], 5000, item_type="program")
    assert missing.value.code == "course_without_price"
    _price(session, super_admin, catalog["SQL"], 5900)
    with pytest.raises(DomainError) as dear:
        _price(session, super_admin, catalog["BUNDLE"], 10800, item_type="program")
    assert dear.value.code == "bundle_not_cheaper"
    bundle = _price(session, super_admin, catalog["BUNDLE"], 8900, item_type="program")
    saved = pricing.program_savings(session=session, program_id=catalog["BUNDLE"],
                                    bundle_price=bundle.amount, currency="USD", at=utcnow())
    assert (saved.courses_total, saved.savings) == (10800, 1900)


def test_dept_admins_price_only_their_departments_and_subdepartments(
    session, catalog, engineering_with_subdepartment
):
    dana = create_user(session, "dana@example.com",
                       grants=(Grant(RoleName.DEPT_ADMIN, engineering_with_subdepartment["ENG"]),))
    _price(session, dana, catalog["ML"], 9900)
    with pytest.raises(DomainError) as err:
        _price(session, dana, catalog["FIN"], 9900)
    assert err.value.kind is ErrorKind.FORBIDDEN
    learner = create_user(session, "lee@example.com")
    with pytest.raises(DomainError) as refused:
        pricing.list_prices(session=session, actor=learner, page=PageRequest())
    assert refused.value.kind is ErrorKind.FORBIDDEN
    billing = create_user(session, "bea@example.com", grants=(Grant(RoleName.BILLING_ADMIN),))
    _price(session, billing, catalog["FIN"], 9900)
    assert pricing.list_prices(session=session, actor=dana, page=PageRequest()).total == 1
    assert pricing.list_prices(session=session, actor=billing, page=PageRequest()).total == 2


def test_deactivating_keeps_the_row_and_needs_a_reason(session, super_admin, catalog):
    price = _price(session, super_admin, catalog["PY"], 4900)
    with pytest.raises(DomainError):
        pricing.deactivate_price(session=session, actor=super_admin, price_id=price.id,
                                 reason="no")
    pricing.deactivate_price(session=session, actor=super_admin, price_id=price.id,
                             reason="course is being rewritten")
    history = pricing.price_history(session=session, actor=super_admin, item_type="course",
                                    item_id=catalog["PY"])
    assert [(r.status, r.deactivated_reason) for r in history] == [
        ("deactivated", "course is being rewritten")]
    assert pricing.prices_in_force(session=session, item_type="course",
                                   item_ids=[catalog["PY"]], currency="USD", at=utcnow()) == {}


def test_subscription_plans_are_priced_per_interval(session, super_admin,
                                                    engineering_with_subdepartment):
    eng = engineering_with_subdepartment["ENG"]
    for interval, amount in (("monthly", 2900), ("annual", 29000)):
        _price(session, super_admin, eng, amount, item_type="subscription",
               price_type="subscription", interval=interval, trial_days=14)
    monthly = pricing.prices_in_force(session=session, item_type="subscription", item_ids=[eng],
                                      currency="USD", at=utcnow(), interval="monthly")
    assert monthly == {eng: 2900}


def test_concurrent_first_prices_for_one_course_never_overlap(session, super_admin, catalog):
    # the item's row lock on PostgreSQL, BEGIN IMMEDIATE on SQLite
    barrier = Barrier(4)
    outcomes: list[str] = []

    def worker(amount: int) -> None:
        with Session(get_engine()) as s:
            barrier.wait(timeout=10)
            try:
                _price(s, super_admin, catalog["SQL"], amount)
                outcomes.append("ok")
            except DomainError as exc:
                outcomes.append(exc.code)

    threads = [Thread(target=worker, args=(1000 + i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    # every writer succeeded in turn, each closing the previous: one price in force
    rows = session.exec(select(Price).where(Price.item_id == catalog["SQL"])).all()
    in_force = [p for p in rows if pricing.window_of(p).covers(utcnow())]
    assert sorted(outcomes) == ["ok"] * 4
    assert len(rows) == 4 and len(in_force) == 1


def test_cancelling_a_scheduled_price_keeps_the_current_price_in_force(
    session, super_admin, catalog
):
    # given a current price and a change scheduled for next week
    current = _price(session, super_admin, catalog["PY"], 4900)
    later = _price(session, super_admin, catalog["PY"], 3900,
                   effective_from=utcnow() + timedelta(days=7))
    # when the scheduled change is cancelled
    pricing.deactivate_price(session=session, actor=super_admin, price_id=later.id,
                             reason="campaign cancelled")
    # then the current price runs on with no end
    session.refresh(current)
    assert current.effective_until is None
    assert pricing.prices_in_force(session=session, item_type="course",
                                   item_ids=[catalog["PY"]], currency="USD",
                                   at=utcnow() + timedelta(days=30)) == {catalog["PY"]: 4900}
    actions = session.exec(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions[-2:] == ["price.reopened", "price.deactivated"]
