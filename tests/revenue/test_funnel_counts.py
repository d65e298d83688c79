"""The enrollment funnel (issue 20 part 5): page views and cart adds counted in memory and
flushed exactly once (two flushers at once, a failing flush, Redis), and the funnel report's
stages, conversion rates and department scope, on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, delete, func, select

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError
from commerce_dash.models.analytics import FunnelCount
from commerce_dash.models.catalog import Course
from commerce_dash.models.commerce import Order, OrderLine, Payment
from commerce_dash.models.enrollment import Registration
from commerce_dash.services import revenue as revenue_area
from commerce_dash.settings import get_settings
from tests.conftest import create_department, create_user

pytestmark = pytest.mark.usefixtures("both_databases")

NOV = (date(2026, 11, 1), date(2026, 11, 3))


@pytest.fixture
def counting(session: Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    """No flusher thread (the test flushes), no Redis, nothing pending, no counts stored."""
    monkeypatch.setenv("COMMERCE_FUNNEL_FLUSH_SECONDS", "0")
    monkeypatch.delenv("COMMERCE_FUNNEL_REDIS_URL", raising=False)
    get_settings.cache_clear()
    revenue_area.flush_memory()
    session.exec(delete(FunnelCount))  # type: ignore[call-overload]
    session.commit()
    yield session
    revenue_area.flush_memory()
    get_settings.cache_clear()


def stored(session: Session) -> dict[tuple[str, int, int], int]:
    """funnel_count as (stage, department, course) -> count, read fresh."""
    session.expire_all()
    rows = session.exec(select(FunnelCount)).all()
    return {(r.stage, r.department_id, r.course_id): r.count for r in rows}


def total_stored(session: Session) -> int:
    session.expire_all()
    return int(session.exec(select(func.coalesce(func.sum(FunnelCount.count), 0))).one())


# -- counting and flushing --------------------------------------------------------------------


def test_counts_add_up_in_memory_until_a_flush_adds_them_to_the_table(counting: Session):
    revenue_area.count("view", 7, 70)
    revenue_area.count("view", 7, 70)
    revenue_area.count("cart", 7, 70)
    revenue_area.count("view", 8, 80, n=5)
    today = utcnow().date()
    assert revenue_area.pending_counts() == {(today, "view", 7, 70): 2, (today, "cart", 7, 70): 1,
                                             (today, "view", 8, 80): 5}
    assert stored(counting) == {}  # nothing written per view

    assert revenue_area.flush_memory() == 8
    assert revenue_area.pending_counts() == {}
    assert stored(counting) == {("view", 7, 70): 2, ("cart", 7, 70): 1, ("view", 8, 80): 5}

    revenue_area.count("view", 7, 70, n=3)
    assert revenue_area.flush_memory() == 3
    assert revenue_area.flush_memory() == 0  # nothing twice
    assert stored(counting)[("view", 7, 70)] == 5


def test_only_the_counted_stages_are_counted(counting: Session):
    with pytest.raises(ValueError):
        revenue_area.count("paid", 1, 1)
    revenue_area.count("view", 1, 1, n=0)
    assert revenue_area.pending_counts() == {}


def test_a_failing_flush_keeps_every_count_for_the_next_one(
    counting: Session, monkeypatch: pytest.MonkeyPatch
):
    revenue_area.count("view", 3, 30, n=4)

    def refused(_session: Session, _counts: object) -> None:
        raise RuntimeError("database down")

    monkeypatch.setattr("commerce_dash.services.revenue.funnel.add_counts", refused)
    with pytest.raises(RuntimeError):
        revenue_area.flush_memory()
    revenue_area.count("view", 3, 30)  # counted while the database was down
    assert sum(revenue_area.pending_counts().values()) == 5
    assert stored(counting) == {}

    monkeypatch.undo()
    monkeypatch.setenv("COMMERCE_FUNNEL_FLUSH_SECONDS", "0")
    assert revenue_area.flush_memory() == 5
    assert stored(counting) == {("view", 3, 30): 5}


def test_threads_counting_and_flushing_at_once_store_every_count_once(counting: Session):
    threads, per_thread = 6, 200
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def work() -> None:
        start.wait(timeout=10)
        for i in range(per_thread):
            revenue_area.count("view", 1, 10 + i % 3)
            if i % 50 == 49:
                try:
                    revenue_area.flush_memory()
                except Exception as exc:  # a refused flush keeps its counts: still exact
                    errors.append(exc)

    running = [threading.Thread(target=work) for _ in range(threads)]
    for t in running:
        t.start()
    for t in running:
        t.join(timeout=60)
    revenue_area.flush_memory()
    assert revenue_area.pending_counts() == {}
    assert total_stored(counting) == threads * per_thread


def test_two_processes_adding_the_same_keys_at_once_add_up(counting: Session):
    """Each process flushes its own sums: the upsert adds, so concurrent flushes of the same
    (day, stage, department, course) neither overwrite nor lose each other."""
    from commerce_dash.db import session_scope

    day = date(2026, 11, 2)
    counts = {(day, "view", 2, 20): 3, (day, "cart", 2, 20): 1}
    rounds = 15
    start = threading.Barrier(2)

    def flusher() -> None:
        start.wait(timeout=10)
        for _ in range(rounds):
            with session_scope() as s:
                revenue_area.add_counts(s, counts)

    running = [threading.Thread(target=flusher) for _ in range(2)]
    for t in running:
        t.start()
    for t in running:
        t.join(timeout=60)
    assert stored(counting) == {("view", 2, 20): 2 * rounds * 3, ("cart", 2, 20): 2 * rounds}


# -- Redis ------------------------------------------------------------------------------------


@pytest.fixture
def redis_url(counting: Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A redis-server of this test's own on 127.0.0.1, configured for the funnel."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("no redis-server")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no"], stdout=subprocess.DEVNULL)
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        url = f"redis://127.0.0.1:{port}/0"
        monkeypatch.setenv("COMMERCE_FUNNEL_REDIS_URL", url)
        get_settings.cache_clear()
        yield url
    finally:
        monkeypatch.delenv("COMMERCE_FUNNEL_REDIS_URL")
        get_settings.cache_clear()
        client.close()
        process.terminate()
        process.wait(timeout=10)


def test_with_redis_processes_flush_into_a_hash_per_day_and_the_job_drains_it(
    redis_url: str, counting: Session
):
    import redis

    client = redis.Redis.from_url(redis_url)
    today = utcnow().date().isoformat()
    revenue_area.count("view", 4, 40, n=2)
    assert revenue_area.flush_memory() == 2
    revenue_area.count("view", 4, 40)
    revenue_area.count("cart", 4, 40)
    assert revenue_area.flush_memory() == 2  # another process's flush, into the same hash
    assert client.hgetall(f"commerce:funnel:{today}") == {b"view:4:40": b"3", b"cart:4:40": b"1"}
    assert stored(counting) == {}

    assert revenue_area.flush_counts() == {"flushed": 0, "from_redis": 4}
    assert stored(counting) == {("view", 4, 40): 3, ("cart", 4, 40): 1}
    assert client.keys("commerce:funnel:*") == []
    assert revenue_area.drain_redis() == 0  # taken once


def test_two_drainers_at_once_move_each_count_once(redis_url: str, counting: Session):
    import redis

    client = redis.Redis.from_url(redis_url)
    days = [f"2026-11-{d:02d}" for d in range(1, 21)]
    for day in days:
        client.hincrby(f"commerce:funnel:{day}", "view:5:50", 7)
    start = threading.Barrier(2)
    moved: list[int] = []

    def drainer() -> None:
        start.wait(timeout=10)
        moved.append(revenue_area.drain_redis())

    running = [threading.Thread(target=drainer) for _ in range(2)]
    for t in running:
        t.start()
    for t in running:
        t.join(timeout=60)
    assert sum(moved) == 7 * len(days)
    assert total_stored(counting) == 7 * len(days)


def test_a_drain_the_database_refuses_puts_the_counts_back_into_redis(
    redis_url: str, counting: Session, monkeypatch: pytest.MonkeyPatch
):
    import redis

    client = redis.Redis.from_url(redis_url)
    client.hincrby("commerce:funnel:2026-11-02", "cart:6:60", 9)

    def refused(_session: Session, _counts: object) -> None:
        raise RuntimeError("database down")

    monkeypatch.setattr("commerce_dash.services.revenue.funnel.add_counts", refused)
    with pytest.raises(RuntimeError):
        revenue_area.drain_redis()
    assert client.hgetall("commerce:funnel:2026-11-02") == {b"cart:6:60": b"9"}
    monkeypatch.setattr("commerce_dash.services.revenue.funnel.add_counts",
                        revenue_area.add_counts)
    assert revenue_area.drain_redis() == 9
    assert stored(counting) == {("cart", 6, 60): 9}


# -- the report -------------------------------------------------------------------------------


def at(day: str, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=UTC)


class Shop:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.eng = create_department(session, "ENG")
        self.data = create_department(session, "ENG-DATA", parent_id=self.eng)
        self.bus = create_department(session, "BUS")
        self.lee = create_user(session, "lee@example.com", full_name="Lee Learner")
        self.py = self._course("PY101", self.data)
        self.acc = self._course("ACC101", self.bus)
        self._n = 0

    def _course(self, code: str, department_id: int) -> Course:
        course = Course(code=code, title=code, department_id=department_id)
        self.session.add(course)
        self.session.flush()
        return course

    def order(self, created: datetime, *items: Course | str, payment: datetime | None = None,
              completed: datetime | None = None) -> list[OrderLine]:
        self._n += 1
        order = Order(user_id=self.lee.user_id, status="completed" if completed else "pending",
                      currency="USD", subtotal=100, total=100, display_currency="USD",
                      display_total=100, idempotency_key=f"funnel-{self._n}",
                      request_hash="x" * 64, prices_locked_until=created, created_at=created,
                      completed_at=completed)
        self.session.add(order)
        self.session.flush()
        assert order.id is not None
        lines = []
        for item in items:
            program = isinstance(item, str)
            line = OrderLine(order_id=order.id, item_type="program" if program else "course",
                             item_id=1 if isinstance(item, str) else item.id or 0,
                             department_id=self.data if isinstance(item, str)
                             else item.department_id,
                             title="t", list_amount=100, total=100, currency="USD")
            self.session.add(line)
            lines.append(line)
        self.session.flush()
        if payment is not None:
            self.session.add(Payment(order_id=order.id, user_id=order.user_id,
                                     processor="sandbox", amount=100, currency="USD",
                                     created_at=payment))
        self.session.commit()
        return lines

    def registered(self, line: OrderLine, course: Course, when: datetime, *,
                   source: str = "order", parent_id: int | None = None) -> Registration:
        registration = Registration(
            dedupe_key=f"{line.id}:{course.id}:{source}:{parent_id}", user_id=self.lee.user_id,
            kind="course", course_id=course.id, parent_id=parent_id,
            department_id=course.department_id, order_id=line.order_id, order_line_id=line.id,
            source=source, created_at=when)
        self.session.add(registration)
        self.session.commit()
        return registration


@pytest.fixture
def shop(counting: Session) -> Shop:
    s = Shop(counting)
    py, acc = s.py, s.acc
    assert py.id is not None and acc.id is not None
    revenue_area.add_counts(counting, {
        (date(2026, 11, 1), "view", s.data, py.id): 10,
        (date(2026, 11, 1), "cart", s.data, py.id): 4,
        (date(2026, 11, 2), "view", s.bus, acc.id): 5,
        (date(2026, 11, 2), "cart", s.bus, acc.id): 2,
        (date(2026, 10, 31), "view", s.data, py.id): 99,  # before the period
    })
    # paid the same day and enrolled
    (one,) = s.order(at("2026-11-01", 10), py, payment=at("2026-11-01", 10, 1),
                     completed=at("2026-11-01", 10, 5))
    s.registered(one, py, at("2026-11-01", 10, 5))
    s.order(at("2026-11-01", 11), py, payment=at("2026-11-01", 11, 1))  # payment never done
    s.order(at("2026-11-01", 12), py)  # checkout left before paying
    # paid just after midnight: checkout and payment on the 2nd, paid and enrolled the 3rd
    (four,) = s.order(at("2026-11-02", 23, 50), acc, payment=at("2026-11-02", 23, 51),
                      completed=at("2026-11-03", 0, 30))
    s.registered(four, acc, at("2026-11-03", 0, 30))
    # two courses in one order: two items at every stage
    five_py, five_acc = s.order(at("2026-11-02", 9), py, acc, payment=at("2026-11-02", 9, 1),
                                completed=at("2026-11-02", 9, 2))
    s.registered(five_py, py, at("2026-11-02", 9, 2))
    parent = s.registered(five_acc, acc, at("2026-11-02", 9, 2))
    # not in the funnel: a program line, a program's course, a subscriber's self-enrollment,
    # an order before the period
    s.order(at("2026-11-02", 8), "program", payment=at("2026-11-02", 8),
            completed=at("2026-11-02", 8))
    s.registered(five_acc, py, at("2026-11-02", 9, 3), parent_id=parent.id)
    s.registered(one, py, at("2026-11-02", 9, 4), source="subscription")
    (old,) = s.order(at("2026-10-31", 9), py, payment=at("2026-10-31", 9),
                     completed=at("2026-10-31", 9))
    s.registered(old, py, at("2026-10-31", 9))
    return s


def by_day(report: revenue_area.FunnelReport) -> dict[str, dict[str, int]]:
    return {d.day.isoformat(): dict(d.counts) for d in report.days}


def test_the_report_counts_each_stage_per_day_from_the_rows(
    shop: Shop, counting: Session, super_admin: Actor
):
    report = revenue_area.funnel_report(session=counting, actor=super_admin, start=NOV[0],
                                        end=NOV[1])
    assert by_day(report) == {
        "2026-11-01": {"view": 10, "cart": 4, "checkout": 3, "payment": 2, "paid": 1,
                       "enrolled": 1},
        "2026-11-02": {"view": 5, "cart": 2, "checkout": 3, "payment": 3, "paid": 2,
                       "enrolled": 2},
        "2026-11-03": {"view": 0, "cart": 0, "checkout": 0, "payment": 0, "paid": 1,
                       "enrolled": 1},
    }
    assert dict(report.totals) == {"view": 15, "cart": 6, "checkout": 6, "payment": 5,
                                   "paid": 4, "enrolled": 4}
    assert report.rates == {"view_to_cart": 0.4, "cart_to_checkout": 1.0,
                            "checkout_to_payment": 0.8333, "payment_to_paid": 0.8,
                            "paid_to_enrolled": 1.0, "view_to_paid": 0.2667}
    assert report.days[2].rates["view_to_cart"] is None  # no views that day: no rate


def test_a_course_filter_keeps_its_lines_only(shop: Shop, counting: Session, super_admin: Actor):
    report = revenue_area.funnel_report(session=counting, actor=super_admin, start=NOV[0],
                                        end=NOV[1], course_id=shop.acc.id)
    assert dict(report.totals) == {"view": 5, "cart": 2, "checkout": 2, "payment": 2,
                                   "paid": 2, "enrolled": 2}


def test_a_department_admin_sees_the_funnel_of_their_departments_only(
    shop: Shop, counting: Session
):
    admin = create_user(counting, "eng-admin@example.com",
                        grants=(Grant(RoleName.DEPT_ADMIN, shop.eng),))
    report = revenue_area.funnel_report(session=counting, actor=admin, start=NOV[0], end=NOV[1])
    # PY101 is in ENG-DATA, under ENG; ACC101 (BUS) is not theirs
    assert dict(report.totals) == {"view": 10, "cart": 4, "checkout": 4, "payment": 3,
                                   "paid": 2, "enrolled": 2}
    with pytest.raises(DomainError) as refused:
        revenue_area.funnel_report(session=counting, actor=admin, start=NOV[0], end=NOV[1],
                                   department_id=shop.bus)
    assert refused.value.code == "forbidden"
    with pytest.raises(DomainError) as hidden:
        revenue_area.funnel_report(session=counting, actor=admin, start=NOV[0], end=NOV[1],
                                   course_id=shop.acc.id)
    assert hidden.value.code == "course_not_found"
    with pytest.raises(DomainError):
        revenue_area.funnel_report(session=counting, actor=shop.lee, start=NOV[0], end=NOV[1])


def test_the_funnel_flush_job_is_registered_every_minute():
    from commerce_dash.jobs.registry import JOBS

    spec = JOBS["funnel_flush"]
    assert spec.func is revenue_area.flush_counts
    assert spec.trigger == {"trigger": "interval", "minutes": 1}
