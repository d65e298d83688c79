"""Registrations from paid orders, the approval queue and local enrollment."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.paging import PageRequest
from commerce_dash.models.catalog import Department
from commerce_dash.models.commerce import Order, OrderLine
from commerce_dash.models.delivery import OutboxMessage
from commerce_dash.models.enrollment import Enrollment, Registration
from commerce_dash.services.enrollment import registrations as regs
from tests.builders import build_shop, needs_approval, number_of, paid_order
from tests.conftest import create_user


def _templates(session: Session) -> list[str]:
    return sorted((m.payload or {}).get("template", "") for m in
                  session.exec(select(OutboxMessage)).all())



def test_a_course_without_approval_is_enrolled_at_once(session: Session, shop,  # type: ignore[no-untyped-def]
                                                       learner: Actor) -> None:
    paid_order(session, learner, ("course", shop.courses["PY101"]), key="reg-auto-01")
    registration = session.exec(select(Registration)).one()
    assert (registration.kind, registration.status, registration.amount_paid) == (
        "course", "enrolled", 10_000)
    enrollment = session.exec(select(Enrollment)).one()
    assert (enrollment.status, enrollment.mode, enrollment.source) == (
        "active", "local", "registration")
    assert "enrollment-welcome" in _templates(session)


def test_a_program_gives_one_registration_per_course_linked_to_the_program(  # type: ignore[no-untyped-def]
    session: Session, shop, learner: Actor
) -> None:
    needs_approval(session, shop.courses["SQL101"])
    paid_order(session, learner, ("program", shop.program_id), key="reg-prog-01")
    rows = session.exec(select(Registration).order_by(Registration.id)).all()
    parent = next(r for r in rows if r.kind == "program")
    children = [r for r in rows if r.kind == "course"]
    assert len(children) == 3 and all(c.parent_id == parent.id for c in children)
    assert sum(c.amount_paid for c in children) == parent.amount_paid == 30_000
    assert sorted(c.status for c in children) == ["enrolled", "enrolled", "pending"]
    assert parent.status == "pending"
    assert _templates(session).count("registration-pending") == 1


def test_exactly_one_registration_per_order_item(session: Session, shop,  # type: ignore[no-untyped-def]
                                                 learner: Actor) -> None:
    number = number_of(paid_order(session, learner, ("course", shop.courses["ML301"]),
                                  key="reg-once-01"))
    order = session.exec(select(Order)).one()
    lines = list(session.exec(select(OrderLine)).all())
    with pytest.raises(IntegrityError):
        regs.create_for_order(session, order, lines)
    session.rollback()
    assert len(session.exec(select(Registration)).all()) == 1
    assert number.startswith("ORD-")


@pytest.fixture
def two_departments(session: Session, super_admin: Actor, shop):  # type: ignore[no-untyped-def]
    other = build_shop(session, super_admin, code="FAR")
    for dept_id in (shop.department_id, other.department_id):
        dept = session.get(Department, dept_id)
        assert dept is not None
        dept.approval_required = True
        session.add(dept)
    session.commit()
    return other


def test_the_queue_is_scoped_to_the_admins_departments(session: Session, shop, two_departments,  # type: ignore[no-untyped-def]
                                                       learner: Actor, super_admin: Actor) -> None:
    paid_order(session, learner, ("course", shop.courses["PY101"]),
               ("course", two_departments.courses["PY101"]), key="reg-scope-1")
    near = create_user(session, "near@example.com",
                       grants=(Grant(RoleName.ENROLLMENT_ADMIN, shop.department_id),))
    mine = regs.list_queue(session=session, actor=near, page=PageRequest())
    assert [r.title for r in mine.items] == ["Course PY101"]
    assert mine.items[0].department == "SHOP School"
    assert mine.items[0].learner_email == learner.email
    assert mine.items[0].amount_label == "$100.00"
    assert regs.list_queue(session=session, actor=super_admin, page=PageRequest()).total == 2
    foreign = session.exec(select(Registration).where(
        Registration.department_id == two_departments.department_id)).one()
    assert foreign.id is not None
    with pytest.raises(DomainError) as err:
        regs.approve(session=session, actor=near, registration_id=foreign.id)
    assert err.value.code == "registration_not_found"
    with pytest.raises(DomainError):
        regs.list_queue(session=session, actor=learner, page=PageRequest())


def test_approve_enrolls_and_reject_needs_a_reason(session: Session, shop, two_departments,  # type: ignore[no-untyped-def]
                                                   learner: Actor, super_admin: Actor) -> None:
    paid_order(session, learner, ("course", shop.courses["PY101"]),
               ("course", shop.courses["SQL101"]), key="reg-decide-1")
    first, second = regs.list_queue(session=session, actor=super_admin,
                                    page=PageRequest()).items
    approved = regs.approve(session=session, actor=super_admin, registration_id=first.id)
    assert (approved.status, approved.reviewed_by) == ("enrolled", "Root Admin")
    assert session.exec(select(Enrollment)).one().status == "active"
    with pytest.raises(DomainError) as err:
        regs.reject(session=session, actor=super_admin, registration_id=second.id, reason="no")
    assert err.value.field == "reason"
    rejected = regs.reject(session=session, actor=super_admin, registration_id=second.id,
                           reason="The prerequisites are not met yet")
    assert (rejected.status, rejected.rejection_reason) == (
        "rejected", "The prerequisites are not met yet")
    with pytest.raises(DomainError) as err:
        regs.approve(session=session, actor=super_admin, registration_id=second.id)
    assert err.value.code == "registration_already_decided"
    templates = _templates(session)
    assert templates.count("registration-approved") == 1
    assert templates.count("registration-rejected") == 1
    mine = regs.list_for_learner(session=session, user_id=learner.user_id)
    assert sorted(r.status for r in mine) == ["enrolled", "rejected"]


def test_bulk_reports_each_item(session: Session, shop, two_departments, learner: Actor,  # type: ignore[no-untyped-def]
                                super_admin: Actor) -> None:
    paid_order(session, learner, *[("course", shop.courses[c])
                                   for c in ("PY101", "PY201", "SQL101", "ML301")],
               key="reg-bulk-01")
    rows = regs.list_queue(session=session, actor=super_admin, page=PageRequest()).items
    regs.reject(session=session, actor=super_admin, registration_id=rows[0].id,
                reason="Decided before the bulk action")
    outcomes = regs.bulk(session=session, actor=super_admin, action="approve",
                         ids=[r.id for r in rows])
    assert [o.ok for o in outcomes] == [False, True, True, True]
    assert "rejected" in outcomes[0].message
    with pytest.raises(DomainError):
        regs.bulk(session=session, actor=super_admin, action="reject", ids=[rows[1].id],
                  reason="short")
    assert len(session.exec(select(Enrollment)).all()) == 3


def test_a_department_admin_sets_the_approval_rule_of_their_departments(  # type: ignore[no-untyped-def]
    session: Session, shop, super_admin: Actor, learner: Actor
) -> None:
    from commerce_dash.models.audit import AuditLog

    other = build_shop(session, super_admin, code="ELSE")
    dana = create_user(session, "dana@example.com",
                       grants=(Grant(RoleName.DEPT_ADMIN, shop.department_id),))
    rules = regs.approval_rules(session=session, actor=dana)
    assert [(r.department, r.setting, r.effective) for r in rules] == [
        ("SHOP School", None, False)]
    rule = regs.set_department_approval(session=session, actor=dana,
                                        department_id=shop.department_id, setting=True)
    assert rule.effective is True
    with pytest.raises(DomainError) as err:
        regs.set_department_approval(session=session, actor=dana,
                                     department_id=other.department_id, setting=True)
    assert err.value.code == "forbidden"
    audit = session.exec(select(AuditLog).where(
        AuditLog.action == "department.approval_rule_changed")).one()
    assert audit.after == {"approval_required": True}
    # the rule applies to the next purchase
    paid_order(session, learner, ("course", shop.courses["PY201"]), key="reg-rule-01")
    assert session.exec(select(Registration)).one().status == "pending"


def test_a_rejection_records_a_refund_request_the_learner_and_admins_see(  # type: ignore[no-untyped-def]
    session: Session, shop, two_departments, learner: Actor, super_admin: Actor
) -> None:
    from commerce_dash.models.commerce import RefundRequest

    paid_order(session, learner, ("course", shop.courses["ML301"]), key="reg-refund-1")
    row = regs.list_queue(session=session, actor=super_admin, page=PageRequest()).items[0]
    rejected = regs.reject(session=session, actor=super_admin, registration_id=row.id,
                           reason="The cohort is full this term")
    assert rejected.refund == "Refund of $200.00 requested"
    request = session.exec(select(RefundRequest)).one()
    assert (request.amount, request.currency, request.source, request.status) == (
        20_000, "USD", "registration_rejected", "requested")
    assert request.reason == "Registration rejected: The cohort is full this term"
    mine = regs.list_for_learner(session=session, user_id=learner.user_id)
    assert mine[0].refund == "Refund of $200.00 requested"
