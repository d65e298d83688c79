"""The Discount codes page for a department admin (CAT-004), driven through its state as a
browser would: only their departments to choose and their items to list, only their codes
shown, another department's course refused beside the items."""

from __future__ import annotations

from sqlmodel import Session, select

from commerce_dash import routes
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.pricing import DiscountCode
from commerce_dash.pages.admin.discounts import DiscountsState
from commerce_dash.services import catalog
from tests.builders import build_shop, make_code
from tests.conftest import create_user
from tests.pages.harness import PageAs
from tests.pages.harness import run_event as _run
from tests.pages.harness import toast_messages as _toasts

DANA = "dana@example.com"


def test_a_dept_admin_makes_a_code_for_their_course(  # type: ignore[no-untyped-def]
        session: Session, page_as: PageAs, shop, super_admin: Actor) -> None:
    other = build_shop(session, super_admin, code="ELSE")
    make_code(session, super_admin, "EVERYONE", percent=5)
    create_user(session, DANA, grants=(Grant(RoleName.DEPT_ADMIN, shop.department_id),))
    page = page_as(DiscountsState, routes.ADMIN_DISCOUNTS, email=DANA)
    _run(DiscountsState.load, page)
    assert page.rows == []  # the site-wide code is not hers
    _run(DiscountsState.open_create, page)
    assert [d["id"] for d in page.department_choices] == [str(shop.department_id)]
    assert page.form_department == str(shop.department_id)
    keys = {c["key"] for c in page.item_choices}
    assert f"course:{shop.courses['PY101']}" in keys
    assert f"course:{other.courses['PY101']}" not in keys
    _run(DiscountsState.set_form_scope, page, "listed")
    # a forged pick of another department's course is refused beside the items
    _run(DiscountsState.set_item_pick, page, f"course:{other.courses['PY101']}")
    _run(DiscountsState.add_item, page)
    form = {"code": "DANA10", "percent": "10"}
    assert _run(DiscountsState.save_code, page, form) == []
    assert page.errors["items"].startswith("ELSE-PY101 Course PY101 belongs to ")
    _run(DiscountsState.remove_item, page, f"course:{other.courses['PY101']}")
    _run(DiscountsState.set_item_pick, page, f"course:{shop.courses['PY101']}")
    _run(DiscountsState.add_item, page)
    events = _run(DiscountsState.save_code, page, form)
    assert _toasts(events, "success") == ["Code DANA10 created"]
    assert [r["code"] for r in page.rows] == ["DANA10"]
    code = session.exec(select(DiscountCode).where(DiscountCode.code == "DANA10")).one()
    assert code.department_id == shop.department_id
    assert catalog.get_code(session=session, actor=super_admin, code_id=code.id or 0)[1] == [
        ("course", shop.courses["PY101"])]
    audit = session.exec(select(AuditLog).where(AuditLog.action == "discount.created",
                                                AuditLog.entity_id == str(code.id))).one()
    assert (audit.after or {})["department_id"] == shop.department_id


def test_a_billing_admin_still_chooses_any_department(  # type: ignore[no-untyped-def]
        session: Session, page_as: PageAs, shop, billing: Actor) -> None:
    page = page_as(DiscountsState, routes.ADMIN_DISCOUNTS, email="bill@example.com")
    _run(DiscountsState.load, page)
    _run(DiscountsState.open_create, page)
    assert page.department_choices[0] == {"id": "all", "label": "All departments"}
    assert page.form_department == "all"
    events = _run(DiscountsState.save_code, page, {"code": "ALL5", "percent": "5"})
    assert _toasts(events, "success") == ["Code ALL5 created"]
