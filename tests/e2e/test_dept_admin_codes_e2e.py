"""A department admin makes a discount code in the prod build (CAT-004): the Discount codes
page offers their department only, the code is saved tied to it, and the list shows theirs."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from commerce_dash.db import build_engine
from commerce_dash.models.catalog import Department
from commerce_dash.models.pricing import DiscountCode
from tests.e2e.conftest import DEMO_PASSWORD, AppServer, NewPage, sign_in

pytestmark = pytest.mark.e2e


def test_dept_admin_creates_a_code_for_their_department(new_page: NewPage,
                                                        app_server: AppServer) -> None:
    page = new_page()
    sign_in(page, "deptadmin@example.com", DEMO_PASSWORD)
    page.goto("/admin/discounts")
    page.locator("#new-code").click()
    page.locator("#code").fill("DANAENG10")
    page.locator("#percent").fill("10")
    page.locator("#create-code-submit").click()
    row = page.locator('.discount-row[data-code="DANAENG10"]')
    expect(row).to_be_visible()
    expect(row).to_contain_text("School of Engineering")
    engine = build_engine(app_server.database_url)
    with Session(engine) as session:
        code = session.exec(select(DiscountCode).where(DiscountCode.code == "DANAENG10")).one()
        dept = session.get(Department, code.department_id)
        assert dept is not None and dept.code == "ENG"
    engine.dispose()
    # only her departments' codes are listed: the Data Science Lab's (a subdepartment of
    # Engineering), not the site-wide ones
    expect(page.locator('.discount-row[data-code="DATA25"]')).to_be_visible()
    codes = page.locator(".discount-row").evaluate_all(
        "rows => rows.map(r => r.getAttribute('data-code'))")
    assert sorted(codes) == ["DANAENG10", "DATA25"]
