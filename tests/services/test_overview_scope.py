"""The admin overview counts only what the admin's role covers: department-scoped admins see
their departments' figures, never the platform's users, sessions, audit or sales; the page's
cards link to the sections the admin may open."""

from __future__ import annotations

from sqlmodel import Session, select

from commerce_dash.demo import data as demo_data
from commerce_dash.models.accounts import User
from commerce_dash.pages.admin.overview import _page_of
from commerce_dash.services.commerce import admin_overview
from commerce_dash.services.platform.accounts import load_actor


def _overview(session: Session, email: str):  # type: ignore[no-untyped-def]
    user = session.exec(select(User).where(User.email == email)).one()
    return admin_overview(session=session, actor=load_actor(session=session, user=user))


def test_scoped_admins_see_only_their_departments_figures(session: Session) -> None:
    # given the demo data
    demo_data.load_demo_data(session=session, password="demo-password-1")
    # when the super-admin, a billing admin, an enrollment admin and a dept-admin look
    root = _overview(session, "super@example.com")
    billing = _overview(session, "billing@example.com")
    enrollment = _overview(session, "enrollment@example.com")
    dept = _overview(session, "deptadmin@example.com")
    # then the unscoped admins count the whole platform
    for whole in (root, billing):
        assert whole.users == 6 and whole.active_sessions is not None
        assert whole.audit_events_24h is not None and whole.sales is not None
    # and the department-scoped ones only Engineering and its subdepartment
    for scoped in (enrollment, dept):
        assert (scoped.users, scoped.learners, scoped.active_sessions,
                scoped.audit_events_24h, scoped.sales) == (None, None, None, None, None)
        assert (scoped.departments, scoped.courses, scoped.programs) == (2, 17, 2)
        assert scoped.scope_label == "2 department(s)"
    assert enrollment.pending_registrations is not None


def test_overview_cards_link_only_to_sections_the_admin_may_open() -> None:
    assert _page_of(["enrollment_admin"], "registrations") == "/admin/registrations"
    assert _page_of(["enrollment_admin"], "courses") == ""
    assert _page_of(["billing_admin"], "refunds") == "/admin/refunds"
    assert _page_of(["super_admin"], "users") == "/admin/users"
