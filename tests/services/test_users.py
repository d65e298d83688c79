from urllib.parse import parse_qs, urlparse

import pytest
from sqlmodel import select

from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Grant
from commerce_dash.domain.errors import DomainError, ErrorKind
from commerce_dash.domain.paging import PageRequest
from commerce_dash.models.audit import AuditLog
from commerce_dash.services.platform import accounts, users
from commerce_dash.services.platform import signup as registration
from commerce_dash.services.platform.accounts import Verified
from tests.conftest import create_user


def _audit(session, action):
    return session.exec(select(AuditLog).where(AuditLog.action == action)).all()


def test_inviting_a_user_gives_a_one_time_link_that_sets_the_password(session, super_admin):
    # when
    created = users.create_user(
        session=session,
        actor=super_admin,
        email="new@example.com",
        full_name="New Admin",
        grants=[Grant(RoleName.BILLING_ADMIN)],
    )
    # then a link is returned and the account cannot sign in yet
    assert created.invitation_link and "/accept-invite?token=" in created.invitation_link
    with pytest.raises(DomainError):
        accounts.sign_in(session=session, email="new@example.com", password="")
    token = parse_qs(urlparse(created.invitation_link).query)["token"][0]
    proven = registration.accept_invitation(session=session, token=token,
                                            password="my-own-secret")
    assert isinstance(proven, Verified)
    assert proven.actor.roles == {RoleName.BILLING_ADMIN}
    assert accounts.sign_in(session=session, email="new@example.com",
                            password="my-own-secret").actor == proven.actor
    # and the link works only once
    with pytest.raises(DomainError) as err:
        registration.accept_invitation(session=session, token=token, password="my-own-secret")
    assert err.value.code == "invite_invalid"
    row = _audit(session, "user.invited")[0]
    assert row.actor_email == "root@example.com"
    assert row.after["grants"] == [{"role": "billing_admin", "department_id": None}]


def test_department_scoped_roles_need_a_department(session, super_admin):
    with pytest.raises(DomainError) as err:
        users.create_user(
            session=session,
            actor=super_admin,
            email="x@example.com",
            full_name="X",
            grants=[Grant(RoleName.DEPT_ADMIN)],
            password="pass-word-1",
        )
    assert err.value.code == "department_required"
    assert session.exec(select(AuditLog)).all() == []


def test_only_super_admins_manage_users(session, engineering_with_subdepartment):
    billing = create_user(session, "bill@example.com", grants=(Grant(RoleName.BILLING_ADMIN),))
    for call in (
        lambda: users.list_users(session=session, actor=billing, page=PageRequest()),
        lambda: users.create_user(
            session=session,
            actor=billing,
            email="y@example.com",
            full_name="Y",
            grants=[Grant(RoleName.LEARNER)],
        ),
        lambda: users.set_active(
            session=session, actor=billing, user_id=billing.user_id, active=False
        ),
    ):
        with pytest.raises(DomainError) as err:
            call()
        assert err.value.kind is ErrorKind.FORBIDDEN


def test_changing_roles_is_audited_with_before_and_after(
    session, super_admin, engineering_with_subdepartment
):
    eng = engineering_with_subdepartment["ENG"]
    target = create_user(session, "eli@example.com")
    users.set_grants(
        session=session,
        actor=super_admin,
        user_id=target.user_id,
        grants=[Grant(RoleName.ENROLLMENT_ADMIN, eng), Grant(RoleName.LEARNER, eng)],
    )
    grants = users.user_grants(session=session, actor=super_admin, user_id=target.user_id)
    # the learner role is not department-scoped: its department is dropped
    assert grants == (Grant("enrollment_admin", eng), Grant("learner", None))
    row = _audit(session, "user.roles_changed")[0]
    assert row.before == {"grants": [{"role": "learner", "department_id": None}]}
    assert {"role": "enrollment_admin", "department_id": eng} in row.after["grants"]


def test_the_last_super_admin_cannot_be_demoted_or_deactivated(session, super_admin):
    with pytest.raises(DomainError) as err:
        users.set_grants(
            session=session,
            actor=super_admin,
            user_id=super_admin.user_id,
            grants=[Grant(RoleName.LEARNER)],
        )
    assert err.value.code == "cannot_demote_self"
    with pytest.raises(DomainError) as err:
        users.set_active(
            session=session, actor=super_admin, user_id=super_admin.user_id, active=False
        )
    assert err.value.code == "cannot_deactivate_self"


def test_list_users_filters_pages_and_shows_pending_invitations(session, super_admin):
    for i in range(7):
        create_user(session, f"learner{i}@example.com", full_name=f"Learner {i}")
    users.create_user(
        session=session,
        actor=super_admin,
        email="inv@example.com",
        full_name="Invited Person",
        grants=[Grant(RoleName.LEARNER)],
    )
    page1 = users.list_users(
        session=session, actor=super_admin, page=PageRequest(1, 5), role="learner"
    )
    page2 = users.list_users(
        session=session, actor=super_admin, page=PageRequest(2, 5), role="learner"
    )
    assert page1.total == 8 and page1.pages == 2
    assert len(page1.items) == 5 and len(page2.items) == 3
    found = users.list_users(
        session=session, actor=super_admin, page=PageRequest(), search="invited"
    )
    assert [(r.email, r.pending_invitation) for r in found.items] == [("inv@example.com", True)]


def test_deactivate_and_reactivate_are_audited(session, super_admin):
    target = create_user(session, "ada@example.com")
    users.set_active(
        session=session,
        actor=super_admin,
        user_id=target.user_id,
        active=False,
        reason="left the company",
    )
    users.set_active(session=session, actor=super_admin, user_id=target.user_id, active=True)
    actions = [r.action for r in session.exec(select(AuditLog).order_by(AuditLog.id)).all()]
    assert actions == ["user.deactivated", "user.reactivated"]
    assert _audit(session, "user.deactivated")[0].reason == "left the company"
