
import pytest

from commerce_dash.domain.access import (
    SECTIONS,
    RoleName,
    can_access,
    department_closure,
    visible_sections,
    would_create_cycle,
)
from commerce_dash.domain.accounts import (
    check_password_policy,
    login_delay_seconds,
    normalise_email,
)
from commerce_dash.domain.actor import Actor, Grant, require_section
from commerce_dash.domain.errors import DomainError, ErrorKind


def test_super_admin_sees_every_section():
    # given / when
    keys = [s.key for s in visible_sections([RoleName.SUPER_ADMIN])]
    # then
    assert keys == [s.key for s in SECTIONS]
    assert {"overview", "users", "audit"} <= set(keys)


@pytest.mark.parametrize(
    "role", [RoleName.BILLING_ADMIN, RoleName.ENROLLMENT_ADMIN, RoleName.DEPT_ADMIN]
)
def test_other_admins_see_overview_but_not_users_or_audit(role):
    assert can_access([role], "overview")
    assert not can_access([role], "users")
    assert not can_access([role], "audit")


def test_learner_and_nobody_see_no_admin_section():
    assert visible_sections([RoleName.LEARNER]) == []
    assert visible_sections([]) == []
    assert visible_sections(["made_up_role"]) == []


def test_department_closure_includes_subdepartments_at_any_depth():
    # given ENG > DATA > ML, and BUS alone
    parents = {1: None, 2: 1, 3: 2, 4: None}
    # when / then
    assert department_closure(parents, [1]) == {1, 2, 3}
    assert department_closure(parents, [2]) == {2, 3}
    assert department_closure(parents, [4]) == {4}
    assert department_closure(parents, [99]) == frozenset()


def test_moving_a_department_below_its_own_child_is_a_cycle():
    parents = {1: None, 2: 1, 3: 2}
    assert would_create_cycle(parents, 1, 3)
    assert would_create_cycle(parents, 2, 2)
    assert not would_create_cycle(parents, 3, 1)


def test_scoped_actor_covers_subdepartments_only_for_its_role():
    # given a dept-admin of department 1 (which has child 2)
    actor = Actor(1, "a@example.com", "A", (Grant(RoleName.DEPT_ADMIN, 1),))
    parents = {1: None, 2: 1, 3: None}
    # then
    assert actor.departments_for(RoleName.DEPT_ADMIN, parents) == {1, 2}
    assert actor.departments_for(RoleName.ENROLLMENT_ADMIN, parents) == frozenset()


def test_require_section_distinguishes_anonymous_from_forbidden():
    with pytest.raises(DomainError) as anon:
        require_section(None, "users")
    assert anon.value.kind is ErrorKind.UNAUTHENTICATED
    billing = Actor(1, "b@example.com", "B", (Grant(RoleName.BILLING_ADMIN),))
    with pytest.raises(DomainError) as refused:
        require_section(billing, "users")
    assert refused.value.kind is ErrorKind.FORBIDDEN
    assert require_section(billing, "overview") is billing


def test_emails_are_normalised_to_lower_case():
    assert normalise_email("  Ada.Lovelace@Example.COM ") == "ada.lovelace@example.com"


@pytest.mark.parametrize("raw", ["", "not-an-email", "a@", "@b.com"])
def test_bad_emails_are_refused_beside_the_email_field(raw):
    with pytest.raises(DomainError) as err:
        normalise_email(raw)
    assert err.value.field == "email"


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short", "password_too_short"),
        ("aaaaaaaaaa", "password_too_simple"),
        ("ada@example.com", "password_is_email"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password, code):
    with pytest.raises(DomainError) as err:
        check_password_policy(password, email="ada@example.com", min_length=8)
    assert err.value.code == code


def test_the_sign_in_delay_doubles_past_the_free_failures_and_stops_at_its_cap():
    assert [login_delay_seconds(over, cap=60) for over in range(0, 9)] == [
        0, 1, 2, 4, 8, 16, 32, 60, 60]
    assert login_delay_seconds(10**6, cap=60) == 60
