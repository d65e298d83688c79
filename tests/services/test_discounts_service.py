"""Discount codes through the service: defining, editing, switching, checking and figures."""

from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest
from sqlalchemy import text
from sqlmodel import select

from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.discounts import (
    DiscountApplied,
    DiscountRefused,
    FailureReason,
    PricedLine,
)
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.paging import PageRequest
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.pricing import DiscountCode, DiscountRedemption
from commerce_dash.services.catalog import discount_options, programs
from commerce_dash.services.catalog import discounts as svc
from commerce_dash.services.catalog.discounts import CodeInput
from commerce_dash.services.platform import org
from tests.conftest import create_user

_order_refs = count(1)


@pytest.fixture
def catalog(session, super_admin, engineering_with_subdepartment):
    """A published course in ENG, one in ENG-DATA, one in BUS, and a program of the first two."""
    depts = engineering_with_subdepartment

    def course(code: str, dept: str) -> int:
        created = org.create_course(
            session=session,
            actor=super_admin,
            code=code,
            title=f"Course {code}",
            department_id=depts[dept],
            published=True,
        )
        assert created.id is not None
        return created.id

    eng, data, bus = course("ENG-1", "ENG"), course("DATA-1", "ENG-DATA"), course("BUS-1", "BUS")
    program = programs.create_program(
        session=session,
        actor=super_admin,
        code="ENG-PATH",
        title="Engineering path",
        department_id=depts["ENG"],
        course_ids=[eng, data],
        published=True,
    )
    return {
        **depts,
        "eng_course": eng,
        "data_course": data,
        "bus_course": bus,
        "program": program.id,
    }


def create(session, actor, **fields) -> DiscountCode:
    data = CodeInput(**{"code": "SUMMER25", "kind": "percentage", "percent_bps": 2500, **fields})
    return svc.create_code(session=session, actor=actor, data=data)


def line(key: str, item_type: str, item_id: int, department_id: int, amount: int) -> PricedLine:
    return PricedLine(key, item_type, item_id, department_id, amount, "USD")


def redeem(
    session,
    code: DiscountCode,
    user_id: int,
    *,
    at: datetime | None = None,
    status: str = "redeemed",
    revenue: int = 10_000,
    discount: int = 1_000,
) -> None:
    """A use of the code written directly, as checkout would."""
    assert code.id is not None
    session.add(
        DiscountRedemption(
            code_id=code.id,
            user_id=user_id,
            order_ref=f"ORDER-{next(_order_refs)}",
            currency="USD",
            revenue_affected=revenue,
            discount_amount=discount,
            status=status,
            at=at or utcnow(),
        )
    )
    if status != "released":
        code.uses_count += 1
        session.add(code)
    session.commit()


def audit_actions(session, code_id: int | None) -> list[str]:
    return list(
        session.exec(
            select(AuditLog.action)
            .where(AuditLog.entity_type == "discount_code", AuditLog.entity_id == str(code_id))
            .order_by(AuditLog.id)
        ).all()
    )


# -- creating ------------------------------------------------------------------------------


def test_a_percentage_code_for_everything_is_stored_in_capitals_and_audited(session, super_admin):
    # when
    code = create(session, super_admin, code=" summer25 ", description="Summer  sale")
    # then
    assert code.code == "SUMMER25"
    assert (code.kind, code.percent_bps, code.amount_off) == ("percentage", 2500, 0)
    assert (code.scope, code.currency, code.department_id) == ("all", "", None)
    assert code.description == "Summer sale"
    assert code.is_active and code.uses_count == 0
    assert svc.code_status(code, utcnow()) == "active"
    assert audit_actions(session, code.id) == ["discount.created"]


def test_a_fixed_code_for_listed_items_of_a_department_keeps_its_items(
    session, super_admin, catalog
):
    # when
    code = create(
        session,
        super_admin,
        code="ENGPATH10",
        kind="fixed",
        amount_off=1000,
        currency="",
        scope="listed",
        listed_items=frozenset(
            {("course", catalog["eng_course"]), ("program", catalog["program"])}
        ),
        department_id=catalog["ENG"],
    )
    # then the settlement currency is used and the items are stored
    row, items = svc.get_code(session=session, actor=super_admin, code_id=code.id)
    assert (row.kind, row.amount_off, row.currency, row.percent_bps) == ("fixed", 1000, "USD", 0)
    assert row.department_id == catalog["ENG"]
    assert sorted(items) == sorted(
        [("course", catalog["eng_course"]), ("program", catalog["program"])]
    )
    assert discount_options.listed_item_counts(session=session, code_ids=[code.id]) == {code.id: 2}


@pytest.mark.parametrize("scope", ["courses", "programs", "subscriptions"])
def test_a_code_can_cover_a_whole_kind_of_item(session, super_admin, scope):
    code = create(session, super_admin, scope=scope, listed_items=frozenset({("course", 1)}))
    # then the scope is stored and stray listed items are not
    row, items = svc.get_code(session=session, actor=super_admin, code_id=code.id)
    assert row.scope == scope and items == []


def test_a_code_is_unique_whatever_its_case(session, super_admin):
    create(session, super_admin, code="WELCOME")
    with pytest.raises(DomainError) as err:
        create(session, super_admin, code="welcome")
    assert err.value.code == "code_taken"
    assert err.value.kind is ErrorKind.CONFLICT and err.value.field == "code"


@pytest.mark.parametrize(
    ("fields", "field", "error_code"),
    [
        ({"percent_bps": 10_001}, "percent", "percent_out_of_range"),
        ({"percent_bps": 0}, "percent", "percent_out_of_range"),
        ({"kind": "fixed", "amount_off": 0}, "amount_off", "amount_must_be_positive"),
        ({"kind": "fixed", "amount_off": 500, "currency": "XXQ"}, "currency", "invalid_currency"),
        (
            {
                "valid_from": datetime(2027, 6, 1, tzinfo=UTC),
                "valid_until": datetime(2027, 5, 1, tzinfo=UTC),
            },
            "valid_until",
            "window_inverted",
        ),
        ({"max_uses": 10, "max_uses_per_user": 11}, "max_uses_per_user", "invalid_limit"),
        ({"max_uses": 0}, "max_uses", "invalid_limit"),
        ({"scope": "listed"}, "items", "no_items_listed"),
        (
            {"scope": "listed", "listed_items": frozenset({("course", 999)})},
            "items",
            "unknown_item",
        ),
        ({"kind": "bogus"}, "kind", "invalid_kind"),
        ({"scope": "everything"}, "scope", "invalid_scope"),
        ({"code": "a b"}, "code", "invalid_code"),
    ],
)
def test_bad_definitions_name_the_field_to_fix(session, super_admin, fields, field, error_code):
    with pytest.raises(DomainError) as err:
        create(session, super_admin, **fields)
    assert (err.value.field, err.value.code) == (field, error_code)
    assert session.exec(select(DiscountCode)).all() == []


def test_only_pricing_admins_define_codes(session):
    learner = create_user(session, "lee@example.com")
    with pytest.raises(DomainError) as err:
        create(session, learner)
    assert err.value.kind is ErrorKind.FORBIDDEN


# -- editing and switching -----------------------------------------------------------------


def test_editing_keeps_the_text_and_uses_and_refuses_a_limit_below_the_uses(session, super_admin):
    # given a code used three times
    code = create(session, super_admin, max_uses=10)
    buyer = create_user(session, "buyer@example.com")
    for _ in range(3):
        redeem(session, code, buyer.user_id)
    # when the terms change (the code text sent is ignored)
    updated = svc.update_code(
        session=session,
        actor=super_admin,
        code_id=code.id,
        data=CodeInput(code="OTHER", kind="fixed", amount_off=700, currency="usd", max_uses=3),
    )
    # then
    assert (updated.code, updated.kind, updated.amount_off, updated.percent_bps) == (
        "SUMMER25",
        "fixed",
        700,
        0,
    )
    assert (updated.currency, updated.uses_count, updated.max_uses) == ("USD", 3, 3)
    assert svc.code_status(updated, utcnow()) == "used_up"
    entry = session.exec(select(AuditLog).where(AuditLog.action == "discount.updated")).one()
    assert entry.before is not None and entry.after is not None
    assert (entry.before["percent_bps"], entry.after["amount_off"]) == (2500, 700)
    # and a limit below the uses is refused
    with pytest.raises(DomainError) as err:
        svc.update_code(
            session=session,
            actor=super_admin,
            code_id=code.id,
            data=CodeInput(code="SUMMER25", kind="percentage", percent_bps=1000, max_uses=2),
        )
    assert (err.value.code, err.value.field) == ("limit_below_uses", "max_uses")


def test_editing_the_items_replaces_them(session, super_admin, catalog):
    code = create(
        session,
        super_admin,
        scope="listed",
        listed_items=frozenset({("course", catalog["eng_course"])}),
    )
    svc.update_code(
        session=session,
        actor=super_admin,
        code_id=code.id,
        data=CodeInput(
            code="SUMMER25",
            kind="percentage",
            percent_bps=2500,
            scope="listed",
            listed_items=frozenset({("program", catalog["program"])}),
        ),
    )
    _, items = svc.get_code(session=session, actor=super_admin, code_id=code.id)
    assert items == [("program", catalog["program"])]


def test_switching_a_code_off_and_on_is_audited_once_per_change(session, super_admin):
    code = create(session, super_admin)
    # when switched off twice and on again
    svc.set_code_active(session=session, actor=super_admin, code_id=code.id, active=False)
    off = svc.set_code_active(session=session, actor=super_admin, code_id=code.id, active=False)
    assert svc.code_status(off, utcnow()) == "inactive"
    on = svc.set_code_active(session=session, actor=super_admin, code_id=code.id, active=True)
    # then
    assert on.is_active
    assert audit_actions(session, code.id) == [
        "discount.created",
        "discount.deactivated",
        "discount.activated",
    ]


def test_switching_an_unknown_code_is_not_found(session, super_admin):
    with pytest.raises(DomainError) as err:
        svc.set_code_active(session=session, actor=super_admin, code_id=404, active=False)
    assert err.value.kind is ErrorKind.NOT_FOUND


# -- listing -------------------------------------------------------------------------------


def test_the_status_filter_shows_exactly_the_codes_with_that_badge(session, super_admin):
    # given one code of each status
    now = utcnow()
    create(session, super_admin, code="LIVE", description="spring promo")
    create(session, super_admin, code="LATER", valid_from=now + timedelta(days=3))
    create(
        session,
        super_admin,
        code="OVER",
        valid_from=now - timedelta(days=9),
        valid_until=now - timedelta(days=1),
    )
    full = create(session, super_admin, code="FULL", max_uses=1)
    full.uses_count = 1
    session.add(full)
    session.commit()
    off = create(
        session,
        super_admin,
        code="OFF",
        valid_from=now - timedelta(days=9),
        valid_until=now - timedelta(days=1),
    )
    svc.set_code_active(session=session, actor=super_admin, code_id=off.id, active=False)

    def listed(**filters) -> list[str]:
        page = svc.list_codes(
            session=session, actor=super_admin, page=PageRequest(1, 20), **filters
        )
        return sorted(row.code for row in page.items)

    # then each filter matches code_status
    assert listed(status="active") == ["LIVE"]
    assert listed(status="scheduled") == ["LATER"]
    assert listed(status="expired") == ["OVER"]
    assert listed(status="used_up") == ["FULL"]
    assert listed(status="inactive") == ["OFF"]
    assert listed() == ["FULL", "LATER", "LIVE", "OFF", "OVER"]
    assert listed(search="spring") == ["LIVE"] == listed(search="liv")
    for row in svc.list_codes(session=session, actor=super_admin, page=PageRequest(1, 20)).items:
        status = svc.code_status(row, utcnow())
        assert listed(status=status).count(row.code) == 1


def test_item_options_name_every_course_and_program_and_mark_drafts(session, super_admin, catalog):
    org.create_course(
        session=session,
        actor=super_admin,
        code="DRAFT-1",
        title="Soon",
        department_id=catalog["ENG"],
    )
    options = discount_options.item_options(session=session)
    assert [(t, label) for t, _, label in options] == [
        ("course", "Course · BUS-1 — Course BUS-1"),
        ("course", "Course · DATA-1 — Course DATA-1"),
        ("course", "Course · DRAFT-1 — Soon (draft)"),
        ("course", "Course · ENG-1 — Course ENG-1"),
        ("program", "Program · ENG-PATH — Engineering path"),
    ]
    assert ("program", catalog["program"]) in {(t, i) for t, i, _ in options}


# -- checking a code against a cart --------------------------------------------------------


def test_a_code_splits_its_discount_over_the_eligible_lines(session, super_admin, catalog):
    # given 10% off courses of ENG (and so of its subdepartment)
    create(
        session,
        super_admin,
        code="ENG10",
        percent_bps=1000,
        scope="courses",
        department_id=catalog["ENG"],
    )
    cart = [
        line("eng", "course", catalog["eng_course"], catalog["ENG"], 1999),
        line("data", "course", catalog["data_course"], catalog["ENG-DATA"], 999),
        line("bus", "course", catalog["bus_course"], catalog["BUS"], 5000),
        line("path", "program", catalog["program"], catalog["ENG"], 2500),
    ]
    # when
    result = svc.check_code(session=session, code=" eng10 ", lines=cart, user_id=None)
    # then 10% of 29.98 rounds to 3.00, split by largest remainder
    assert isinstance(result, DiscountApplied)
    assert (result.code, result.total, result.currency) == ("ENG10", 300, "USD")
    assert result.eligible_subtotal == 2998
    assert result.per_line == {"eng": 200, "data": 100}


def test_a_fixed_code_for_listed_items_applies_to_those_only(session, super_admin, catalog):
    create(
        session,
        super_admin,
        code="PATH5",
        kind="fixed",
        amount_off=500,
        scope="listed",
        listed_items=frozenset({("program", catalog["program"])}),
    )
    cart = [
        line("c", "course", catalog["eng_course"], catalog["ENG"], 1000),
        line("p", "program", catalog["program"], catalog["ENG"], 4000),
    ]
    result = svc.check_code(session=session, code="PATH5", lines=cart, user_id=None)
    assert isinstance(result, DiscountApplied)
    assert result.per_line == {"p": 500} and result.total == 500


def _refused(session, code: str, cart, user_id: int | None = None) -> FailureReason:
    result = svc.check_code(session=session, code=code, lines=cart, user_id=user_id)
    assert isinstance(result, DiscountRefused), result
    assert result.message
    return result.reason


def test_codes_are_refused_with_the_exact_reason(session, super_admin, catalog):
    # given
    now = utcnow()
    course_line = [line("c", "course", catalog["eng_course"], catalog["ENG"], 1999)]
    program_line = [line("p", "program", catalog["program"], catalog["ENG"], 1999)]
    off = create(session, super_admin, code="PAUSED")
    svc.set_code_active(session=session, actor=super_admin, code_id=off.id, active=False)
    create(
        session,
        super_admin,
        code="GONE",
        valid_from=now - timedelta(days=30),
        valid_until=now - timedelta(days=1),
    )
    create(session, super_admin, code="SOON", valid_from=now + timedelta(days=1))
    create(session, super_admin, code="COURSES", scope="courses")
    create(session, super_admin, code="BIGCART", min_purchase=5000, currency="USD")
    create(session, super_admin, code="OTHERDEPT", department_id=catalog["BUS"])
    # then
    assert _refused(session, "NOPE", course_line) is FailureReason.UNKNOWN
    assert _refused(session, "paused", course_line) is FailureReason.INACTIVE
    assert _refused(session, "GONE", course_line) is FailureReason.EXPIRED
    assert _refused(session, "SOON", course_line) is FailureReason.NOT_YET_VALID
    assert _refused(session, "COURSES", program_line) is FailureReason.NOT_APPLICABLE
    assert _refused(session, "OTHERDEPT", course_line) is FailureReason.NOT_APPLICABLE
    assert _refused(session, "BIGCART", course_line) is FailureReason.BELOW_MINIMUM


def test_per_person_and_total_limits_count_only_uses_that_stand(session, super_admin, catalog):
    # given a code each person may use once, ten times in all
    code = create(session, super_admin, code="ONCE", max_uses=10, max_uses_per_user=1)
    ann = create_user(session, "ann@example.com")
    bob = create_user(session, "bob@example.com")
    cart = [line("c", "course", catalog["eng_course"], catalog["ENG"], 1999)]
    # when Ann's first order was released and her second redeemed
    redeem(session, code, ann.user_id, status="released")
    ok = svc.check_code(session=session, code="ONCE", lines=cart, user_id=ann.user_id)
    assert isinstance(ok, DiscountApplied)
    redeem(session, code, ann.user_id)
    # then Ann is refused, Bob is not
    assert _refused(session, "ONCE", cart, ann.user_id) is FailureReason.USED_UP_FOR_USER
    bobs = svc.check_code(session=session, code="ONCE", lines=cart, user_id=bob.user_id)
    assert isinstance(bobs, DiscountApplied) and bobs.total == 500
    # and once the total limit is reached, everyone is refused
    code.uses_count = 10
    session.add(code)
    session.commit()
    assert _refused(session, "ONCE", cart, bob.user_id) is FailureReason.USED_UP


# -- figures -------------------------------------------------------------------------------


def test_stats_sum_the_uses_that_stand_per_utc_day(session, super_admin):
    # given uses on two days (one late in the UTC evening) and a released one
    code = create(session, super_admin, code="STATS", valid_from=datetime(2026, 1, 1, tzinfo=UTC))
    buyer = create_user(session, "buyer@example.com")
    redeem(
        session,
        code,
        buyer.user_id,
        at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        revenue=10_000,
        discount=2_500,
    )
    redeem(
        session,
        code,
        buyer.user_id,
        at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC),
        revenue=4_000,
        discount=1_000,
    )
    redeem(
        session,
        code,
        buyer.user_id,
        at=datetime(2026, 3, 4, 12, 0, tzinfo=UTC),
        revenue=2_000,
        discount=500,
    )
    redeem(
        session,
        code,
        buyer.user_id,
        at=datetime(2026, 3, 4, 13, 0, tzinfo=UTC),
        revenue=9_999,
        discount=999,
        status="released",
    )
    if session.get_bind().dialect.name == "postgresql":
        # a server in another zone must not move 23:30 UTC to the next day
        session.exec(text("SET LOCAL TIME ZONE 'Asia/Tokyo'"))  # type: ignore[call-overload]
    # when
    stats = svc.code_stats(session=session, actor=super_admin, code_id=code.id)
    # then
    assert (stats.uses, stats.revenue_affected, stats.discount_given) == (3, 16_000, 4_000)
    assert stats.currency == "USD"
    assert stats.uses_by_day == [(date(2026, 3, 1), 2), (date(2026, 3, 4), 1)]


def test_stats_of_an_unused_code_are_zero(session, super_admin):
    code = create(session, super_admin)
    stats = svc.code_stats(session=session, actor=super_admin, code_id=code.id)
    assert (stats.uses, stats.revenue_affected, stats.discount_given) == (0, 0, 0)
    assert stats.uses_by_day == []
