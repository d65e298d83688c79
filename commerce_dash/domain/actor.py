"""Who is acting: the signed-in user with their role grants."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from commerce_dash.domain.access import (
    DEPARTMENT_SCOPED_ROLES,
    RoleName,
    can_access,
    department_closure,
)
from commerce_dash.domain.errors import DomainError, ErrorKind


@dataclass(frozen=True, order=True)
class Grant:
    """A role held by a user; ``department_id`` is set for department-scoped roles."""

    role: str
    department_id: int | None = None


@dataclass(frozen=True)
class Actor:
    user_id: int
    email: str
    full_name: str
    grants: tuple[Grant, ...] = ()
    client_ip: str = field(default="", compare=False)
    # admin roles were held back: this session has not passed the second factor they need
    second_factor_missing: bool = field(default=False, compare=False)

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(g.role for g in self.grants)

    @property
    def is_super_admin(self) -> bool:
        return RoleName.SUPER_ADMIN in self.roles

    def has_role(self, role: RoleName) -> bool:
        return self.is_super_admin or role in self.roles

    def department_roots(self, role: RoleName) -> frozenset[int]:
        return frozenset(
            g.department_id for g in self.grants if g.role == role and g.department_id is not None
        )

    def departments_for(
        self, role: RoleName, parent_of: Mapping[int, int | None]
    ) -> frozenset[int] | None:
        """Departments the actor may act on with ``role``; None means every department.

        A grant on a department covers its subdepartments.
        """
        if self.is_super_admin or (role in self.roles and role not in DEPARTMENT_SCOPED_ROLES):
            return None
        return department_closure(parent_of, self.department_roots(role))


def require_section(actor: Actor | None, section_key: str) -> Actor:
    """Return the actor if signed in and allowed into the admin section, else raise."""
    if actor is None:
        raise DomainError("not_signed_in", "Sign in to continue.", kind=ErrorKind.UNAUTHENTICATED)
    if not can_access(actor.roles, section_key) and actor.second_factor_missing:
        raise DomainError(
            "second_factor_required",
            "Your admin role needs two-factor sign-in: sign in with your code, or set it up "
            "on your account's security page.",
            kind=ErrorKind.FORBIDDEN,
        )
    if not can_access(actor.roles, section_key):
        raise DomainError(
            "forbidden", "You do not have access to this area.", kind=ErrorKind.FORBIDDEN
        )
    return actor
