"""The catalog's prices kept ready (price_in_force) say what the rule says, on SQLite and
PostgreSQL: after random prices and windows written straight to the table of prices, after
changes and deletions, and at every window edge once the job has run."""

import random
from datetime import timedelta

import pytest
from sqlmodel import select

from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.paging import PageRequest
from commerce_dash.jobs.registry import JOBS
from commerce_dash.models.pricing import Price
from commerce_dash.services import catalog as catalog_area
from commerce_dash.services.catalog import pricing
from commerce_dash.services.platform import org

pytestmark = pytest.mark.usefixtures("both_databases")

CURRENCIES = ("USD", "EUR", "JPY")


@pytest.fixture
def courses(session, super_admin, engineering_with_subdepartment):
    dept = engineering_with_subdepartment["ENG"]
    return dept, [
        org.create_course(session=session, actor=super_admin, code=f"RND-{i}",
                          title=f"Random {i}", department_id=dept, published=True).id
        for i in range(8)
    ]


def _rule(session, at):
    """What the rule (prices_now.prices_in_force) says at ``at`` for every key with a price."""
    keys = {(p.item_type, p.item_id, p.currency, p.interval)
            for p in session.exec(select(Price)).all()}
    found = {}
    for item_type, currency, interval in {(k[0], k[2], k[3]) for k in keys}:
        ids = [k[1] for k in keys if (k[0], k[2], k[3]) == (item_type, currency, interval)]
        for item_id, amount in catalog_area.prices_in_force(
                session=session, item_type=item_type, item_ids=ids, currency=currency,
                at=at, interval=interval).items():
            found[(item_type, item_id, currency, interval)] = amount
    return found


def _table(session):
    return {k: amount for k, (price_id, amount, _) in catalog_area.table_rows(session=session)
            .items() if price_id is not None}


def _random_prices(session, dept, course_ids, rng, now):
    for _ in range(60):
        start = now + timedelta(minutes=rng.randint(-3000, 3000))
        end = (None if rng.random() < 0.4
               else start + timedelta(minutes=rng.randint(1, 4000)))
        session.add(Price(
            item_type="course", item_id=rng.choice(course_ids), department_id=dept,
            price_type="one_time", currency=rng.choice(CURRENCIES),
            amount=rng.randint(0, 50000), effective_from=start, effective_until=end,
            deactivated_at=now if rng.random() < 0.15 else None,
        ))
        if rng.random() < 0.3:  # flushed in several steps, as a service would
            session.flush()
    session.commit()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_table_says_what_the_rule_says_now_and_at_every_edge(session, courses, seed):
    dept, course_ids = courses
    rng = random.Random(seed)
    now = utcnow()
    _random_prices(session, dept, course_ids, rng, now)
    assert _table(session) == _rule(session, utcnow())
    assert _table(session), "the random prices put some in force"

    # changes and deletions through the session keep it exact in the same transaction
    rows = session.exec(select(Price)).all()
    for price in rng.sample(rows, 12):
        choice = rng.random()
        if choice < 0.3:
            session.delete(price)
        elif choice < 0.6:
            price.deactivated_at = now
        else:
            price.effective_until = now + timedelta(minutes=rng.randint(-100, 2000))
            price.effective_from = min(price.effective_from, price.effective_until
                                       - timedelta(minutes=1))
    session.commit()
    assert _table(session) == _rule(session, utcnow())

    # the job at each window edge: the table follows the rule across time
    edges = sorted({t for p in session.exec(select(Price)).all()
                    for t in (p.effective_from, p.effective_until) if t and t > now})
    for edge in edges[:25]:
        at = edge + timedelta(seconds=1)
        catalog_area.refresh_due(session=session, at=at)
        assert _table(session) == _rule(session, at), f"after the edge at {edge}"
        assert not catalog_area.catalog_version(session=session, at=at).stale


def test_a_passed_edge_shows_at_once_and_the_job_writes_it(session, super_admin, courses):
    """A scheduled price whose start has passed: the catalog reads the rule until the job
    writes it, so the new price shows at once, and the job is due every minute."""
    dept, (course, *_) = courses
    pricing.create_price(session=session, actor=super_admin, item_type="course",
                         item_id=course, price_type="one_time", amount=5000)
    start = utcnow() + timedelta(minutes=10)
    pricing.create_price(session=session, actor=super_admin, item_type="course",
                         item_id=course, price_type="one_time", amount=4000,
                         effective_from=start)
    assert _table(session)[("course", course, "USD", "")] == 5000
    later = start + timedelta(seconds=5)
    assert catalog_area.catalog_version(session=session, at=later).stale

    def shown(at):
        cards = catalog_area.browse(session=session, query=catalog_area.CatalogQuery(
            search="RND-0", at=at), page=PageRequest(1, 10)).items
        return [c.amount for c in cards]

    assert shown(later) == [4000]
    before = catalog_area.catalog_version(session=session).token
    assert catalog_area.refresh_due(session=session, at=later)["keys"] == 1
    assert _table(session)[("course", course, "USD", "")] == 4000
    assert catalog_area.catalog_version(session=session).token != before
    assert JOBS["catalog_prices"].trigger == {"trigger": "interval", "minutes": 1}


def test_the_catalog_pages_read_the_table_and_agree_with_the_rule(session, super_admin,
                                                                  courses):
    dept, course_ids = courses
    for i, course in enumerate(course_ids):
        pricing.create_price(session=session, actor=super_admin, item_type="course",
                             item_id=course, price_type="one_time", amount=1000 + i * 100)
    for sort in catalog_area.SORTS:
        now_page = catalog_area.browse(session=session, query=catalog_area.CatalogQuery(
            sort=sort), page=PageRequest(1, 5))
        rule_page = catalog_area.browse(session=session, query=catalog_area.CatalogQuery(
            sort=sort, at=utcnow()), page=PageRequest(1, 5))
        assert now_page == rule_page
        assert now_page.total == len(course_ids)
    detail = catalog_area.course_detail(session=session, code="RND-3")
    assert detail.price is not None and detail.price.amount == 1300
