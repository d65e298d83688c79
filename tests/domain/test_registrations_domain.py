"""Registration and enrollment state machines, and where the approval rule comes from."""

from __future__ import annotations

import pytest

from commerce_dash.domain.errors import DomainError
from commerce_dash.domain.registrations import (
    EnrollmentStatus,
    RegistrationStatus,
    approval_required,
    can_move_enrollment,
    can_move_registration,
    check_rejection_reason,
    require_registration_move,
)

R = RegistrationStatus
ALLOWED = {
    (R.PENDING, R.APPROVED), (R.PENDING, R.REJECTED), (R.PENDING, R.CANCELLED),
    (R.APPROVED, R.ENROLLED), (R.APPROVED, R.CANCELLED), (R.ENROLLED, R.CANCELLED),
    (R.APPROVED, R.REJECTED),  # the LMS refused the enrollment
}


@pytest.mark.parametrize("current", list(R))
@pytest.mark.parametrize("target", list(R))
def test_every_registration_move_is_allowed_or_refused(current: R, target: R) -> None:
    assert can_move_registration(current, target) == ((current, target) in ALLOWED)
    if (current, target) not in ALLOWED:
        with pytest.raises(DomainError) as err:
            require_registration_move(current, target)
        assert err.value.code == "registration_already_decided"


def test_enrollment_moves() -> None:
    E = EnrollmentStatus
    assert can_move_enrollment(E.PENDING, E.ACTIVE)
    assert can_move_enrollment(E.PENDING, E.REJECTED)
    assert can_move_enrollment(E.ACTIVE, E.ENDED)
    assert not can_move_enrollment(E.ACTIVE, E.PENDING)
    assert not can_move_enrollment(E.REJECTED, E.ACTIVE)
    assert not can_move_enrollment(E.ENDED, E.ACTIVE)


def test_a_rejection_reason_has_at_least_ten_characters() -> None:
    with pytest.raises(DomainError) as err:
        check_rejection_reason("  too  short ")
    assert err.value.field == "reason"
    assert check_rejection_reason("  Prerequisites   are missing ") == "Prerequisites are missing"


def test_approval_comes_from_the_course_else_the_nearest_department_that_says() -> None:
    parents = {1: None, 2: 1, 3: 2}  # 3 is inside 2 inside 1
    settings = {1: True, 2: None, 3: None}
    assert approval_required(None, 3, settings, parents) is True  # inherited from the root
    assert approval_required(False, 3, settings, parents) is False  # the course decides
    assert approval_required(None, 3, {1: True, 2: False, 3: None}, parents) is False
    assert approval_required(None, 1, {1: None}, {1: None}) is False  # nobody says: no approval
    assert approval_required(None, 4, {4: None, 5: None}, {4: 5, 5: 4}) is False  # a cycle ends
