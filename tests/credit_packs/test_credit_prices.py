"""Prices that give session credits (a course "package", a credit pack) and the credit packs
an admin manages: the credit fields are checked with field errors, packs are scoped to the
admin's departments like courses, and every change is audited (issue 17)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.paging import PageRequest
from commerce_dash.models.audit import AuditLog
from commerce_dash.services.catalog import (
    CreditPackIn,
    create_credit_pack,
    credit_pack_options,
    get_credit_pack,
    list_credit_packs,
    list_prices,
    price_history,
    pricing,
    publish_credit_pack,
    published_credit_packs,
    update_credit_pack,
)
from tests.builders import a_course, a_department, a_program, an_admin


def _pack(session: Session, admin: Actor, department_id: int, code: str = "PACK4",
          *, amount: int | None = 20_000, published: bool = True) -> int:
    pack = create_credit_pack(session=session, actor=admin, published=published, data=CreditPackIn(
        code=code, title="Four private sessions", department_id=department_id,
        description="Book them with any instructor of the department."))
    assert pack.id is not None
    if amount is not None:
        pricing.create_price(session=session, actor=admin, item_type="credit_pack",
                             item_id=pack.id, price_type="one_time", amount=amount,
                             currency="USD", private_credits=4, private_minutes=30,
                             credit_expiry_days=180)
    return pack.id


def test_a_course_price_can_include_credits_and_says_so(session: Session,
                                                        super_admin: Actor) -> None:
    course = a_course(session, super_admin, "PKG", price=None)
    price = pricing.create_price(session=session, actor=super_admin, item_type="course",
                                 item_id=course, price_type="one_time", amount=30_000,
                                 currency="USD", private_credits=2, private_minutes=60,
                                 group_credits=1, credit_expiry_days=90)
    assert (price.private_credits, price.private_minutes, price.group_credits,
            price.credit_expiry_days) == (2, 60, 1, 90)
    row = price_history(session=session, actor=super_admin, item_type="course",
                        item_id=course)[0]
    assert row.credits_note == ("Includes 2 private sessions (60 min) and 1 group class, "
                                "valid 90 days")
    assert (row.private_credits, row.group_credits) == (2, 1)
    audit = session.exec(select(AuditLog).where(AuditLog.action == "price.created",
                                                AuditLog.entity_id == str(price.id))).one()
    assert (audit.after or {})["private_credits"] == 2
    # a plain price says nothing
    plain = a_course(session, super_admin, "PLAIN")
    assert price_history(session=session, actor=super_admin, item_type="course",
                         item_id=plain)[0].credits_note == ""


@pytest.mark.parametrize(("fields", "code", "field"), [
    ({"private_credits": 101}, "invalid_credit_count", "private_credits"),
    ({"group_credits": -1}, "invalid_credit_count", "group_credits"),
    ({"private_credits": 2, "private_minutes": 45}, "invalid_slot_length", "private_minutes"),
    ({"private_credits": 2, "credit_expiry_days": 4_000}, "invalid_credit_expiry",
     "credit_expiry_days"),
])
def test_invalid_credit_fields_are_refused_with_field_errors(
        session: Session, super_admin: Actor, fields: dict[str, int], code: str,
        field: str) -> None:
    course = a_course(session, super_admin, "BAD", price=None)
    with pytest.raises(DomainError) as err:
        pricing.create_price(session=session, actor=super_admin, item_type="course",
                             item_id=course, price_type="one_time", amount=10_000,
                             currency="USD", **fields)
    assert (err.value.code, err.value.field) == (code, field)
    assert price_history(session=session, actor=super_admin, item_type="course",
                         item_id=course) == []


def test_programs_and_plans_give_no_credits(session: Session, super_admin: Actor) -> None:
    dept = a_department(session, super_admin, "PRG")
    courses = [a_course(session, super_admin, f"PRG-{n}", department_id=dept) for n in (1, 2)]
    program = a_program(session, super_admin, courses, "PRG-P", department_id=dept, price=None)
    with pytest.raises(DomainError) as err:
        pricing.create_price(session=session, actor=super_admin, item_type="program",
                             item_id=program, price_type="one_time", amount=15_000,
                             currency="USD", group_credits=2)
    assert (err.value.code, err.value.field) == ("credits_not_allowed", "private_credits")


def test_a_pack_is_priced_once_at_a_time_with_credits(session: Session,
                                                      super_admin: Actor) -> None:
    dept = a_department(session, super_admin, "PK")
    pack = _pack(session, super_admin, dept, amount=None)
    with pytest.raises(DomainError) as err:  # a pack without credits sells nothing
        pricing.create_price(session=session, actor=super_admin, item_type="credit_pack",
                             item_id=pack, price_type="one_time", amount=5_000, currency="USD")
    assert err.value.code == "credits_required"
    with pytest.raises(DomainError) as err:  # and is never free
        pricing.create_price(session=session, actor=super_admin, item_type="credit_pack",
                             item_id=pack, price_type="free", amount=0, currency="USD",
                             group_credits=3)
    assert err.value.code == "price_type_mismatch"
    price = pricing.create_price(session=session, actor=super_admin, item_type="credit_pack",
                                 item_id=pack, price_type="one_time", amount=5_000,
                                 currency="USD", group_credits=3, credit_expiry_days=30)
    assert price.department_id == dept
    rows = list_prices(session=session, actor=super_admin, page=PageRequest(1, 20),
                       item_type="credit_pack").items
    assert [(r.item_title, r.amount, r.credits_note) for r in rows] == [
        ("Four private sessions", 5_000, "Includes 3 group classes, valid 30 days")]
    found = list_prices(session=session, actor=super_admin, page=PageRequest(1, 20),
                        search="PACK4").items
    assert [r.id for r in found] == [price.id]


def test_an_unpublished_pack_cannot_be_priced(session: Session, super_admin: Actor) -> None:
    dept = a_department(session, super_admin, "UNP")
    with pytest.raises(DomainError) as err:
        _pack(session, super_admin, dept, published=False)
    assert err.value.code == "not_published"


def test_packs_are_created_edited_published_and_audited(session: Session,
                                                        super_admin: Actor) -> None:
    dept = a_department(session, super_admin, "CRUD")
    other = a_department(session, super_admin, "CRUD2")
    pack_id = _pack(session, super_admin, dept)
    row = get_credit_pack(session=session, actor=super_admin, pack_id=pack_id)
    assert (row.code, row.department, row.price_label, row.credits_note) == (
        "PACK4", "CRUD School", "$200.00",
        "Includes 4 private sessions (30 min), valid 180 days")
    with pytest.raises(DomainError) as err:
        create_credit_pack(session=session, actor=super_admin, data=CreditPackIn(
            code="pack4", title="Again", department_id=dept))
    assert (err.value.code, err.value.field) == ("code_taken", "code")
    with pytest.raises(DomainError) as err:
        create_credit_pack(session=session, actor=super_admin, data=CreditPackIn(
            code="EMPTY", title="  ", department_id=dept))
    assert err.value.field == "title"
    pack = update_credit_pack(session=session, actor=super_admin, pack_id=pack_id,
                              data=CreditPackIn(code="PACK4", title="Four 30-minute sessions",
                                                department_id=other))
    assert (pack.title, pack.department_id) == ("Four 30-minute sessions", other)
    assert [r.code for r in published_credit_packs(session=session)] == ["PACK4"]
    publish_credit_pack(session=session, actor=super_admin, pack_id=pack_id, published=False)
    publish_credit_pack(session=session, actor=super_admin, pack_id=pack_id, published=False)
    assert published_credit_packs(session=session) == []
    actions = [a.action for a in session.exec(select(AuditLog).where(
        AuditLog.entity_type == "credit_pack").order_by(AuditLog.id)).all()]
    assert actions == ["credit_pack.created", "credit_pack.updated",
                       "credit_pack.unpublished"]


def test_a_department_admin_manages_only_the_packs_of_their_departments(
        session: Session, super_admin: Actor) -> None:
    mine = a_department(session, super_admin, "MINE")
    theirs = a_department(session, super_admin, "THEIRS")
    theirs_pack = _pack(session, super_admin, theirs, "THEIRS-P")
    admin = an_admin(session, "dept@example.com",
                     grants=(Grant(RoleName.DEPT_ADMIN, mine),))
    own = create_credit_pack(session=session, actor=admin, data=CreditPackIn(
        code="MINE-P", title="Group classes", department_id=mine))
    assert [r.code for r in list_credit_packs(session=session, actor=admin)] == ["MINE-P"]
    # the Pricing page offers the published packs of the admin's departments
    assert credit_pack_options(session=session, actor=admin) == []
    publish_credit_pack(session=session, actor=admin, pack_id=own.id or 0)
    assert credit_pack_options(session=session, actor=admin) == [
        (own.id, "MINE-P — Group classes")]
    assert {r.code for r in list_credit_packs(session=session, actor=super_admin)} == {
        "MINE-P", "THEIRS-P"}
    assert [r.code for r in list_credit_packs(session=session, actor=super_admin,
                                              search="theirs")] == ["THEIRS-P"]
    with pytest.raises(DomainError) as err:
        create_credit_pack(session=session, actor=admin, data=CreditPackIn(
            code="SNEAK", title="Not mine", department_id=theirs))
    assert err.value.code == "forbidden"
    for call in (
        lambda: get_credit_pack(session=session, actor=admin, pack_id=theirs_pack),
        lambda: publish_credit_pack(session=session, actor=admin, pack_id=theirs_pack),
        lambda: update_credit_pack(session=session, actor=admin, pack_id=theirs_pack,
                                   data=CreditPackIn("THEIRS-P", "Mine now", mine)),
    ):
        with pytest.raises(DomainError) as err:
            call()
        assert err.value.code == "credit_pack_not_managed"
    with pytest.raises(DomainError) as err:  # nor moved into a department they do not manage
        update_credit_pack(session=session, actor=admin, pack_id=own.id or 0,
                           data=CreditPackIn("MINE-P", "Group classes", theirs))
    assert err.value.code == "forbidden"
