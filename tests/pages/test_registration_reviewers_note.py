"""The registration queue page of a dept-admin follows their department's setting: the queue of
the departments they review, and a note naming those others review."""

from __future__ import annotations

from sqlmodel import Session

from commerce_dash import routes
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.models.enrollment import Registration
from commerce_dash.pages.admin.registrations import registrations_page
from commerce_dash.pages.admin.registrations_state import RegistrationsState
from commerce_dash.services import enrollment
from commerce_dash.services.commerce import admin_overview
from tests.builders import build_shop
from tests.conftest import create_user
from tests.pages.harness import PageAs
from tests.pages.harness import run_event as _run


def test_a_dept_admin_works_the_queue_their_departments_give_them(  # type: ignore[no-untyped-def]
        session: Session, page_as: PageAs, shop, learner: Actor, super_admin: Actor) -> None:
    other = build_shop(session, super_admin, code="ELSE")
    session.add(Registration(dedupe_key="note:1", user_id=learner.user_id, kind="course",
                             course_id=shop.courses["PY101"], department_id=shop.department_id,
                             approval_required=True))
    session.commit()
    create_user(session, "dana@example.com", grants=(
        Grant(RoleName.DEPT_ADMIN, shop.department_id),
        Grant(RoleName.DEPT_ADMIN, other.department_id)))
    page = page_as(RegistrationsState, routes.ADMIN_REGISTRATIONS, email="dana@example.com")
    _run(RegistrationsState.load, page)
    assert len(page.rows) == 1 and page.reviewed_elsewhere == ""
    dana = create_user(session, "dana2@example.com", grants=(
        Grant(RoleName.DEPT_ADMIN, shop.department_id),))
    # the overview counts what waits in her queue
    assert admin_overview(session=session, actor=dana).pending_registrations == 1
    enrollment.set_registration_reviewers(session=session, actor=super_admin,
                                          department_id=shop.department_id,
                                          reviewers="enrollment_admins")
    page = page_as(RegistrationsState, routes.ADMIN_REGISTRATIONS, email="dana@example.com")
    _run(RegistrationsState.load, page)
    assert page.rows == []
    assert admin_overview(session=session, actor=dana).pending_registrations == 0
    assert page.reviewed_elsewhere.startswith(
        "Registrations of these departments are reviewed by others (SHOP School: "
        "enrollment admins).")
    assert registrations_page() is not None  # the note renders with the page
