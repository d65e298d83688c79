"""Roles, admin sections and who may see them: the one table the UI, API and tests share."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class RoleName(StrEnum):
    SUPER_ADMIN = "super_admin"
    BILLING_ADMIN = "billing_admin"
    ENROLLMENT_ADMIN = "enrollment_admin"
    DEPT_ADMIN = "dept_admin"
    LEARNER = "learner"


ROLE_LABELS: Mapping[RoleName, str] = {
    RoleName.SUPER_ADMIN: "Super admin",
    RoleName.BILLING_ADMIN: "Billing admin",
    RoleName.ENROLLMENT_ADMIN: "Enrollment admin",
    RoleName.DEPT_ADMIN: "Department admin",
    RoleName.LEARNER: "Learner",
}

ROLE_DESCRIPTIONS: Mapping[RoleName, str] = {
    RoleName.SUPER_ADMIN: "Everything, plus users, roles and system health",
    RoleName.BILLING_ADMIN: "Prices, bundles, discount codes, orders, refunds, revenue",
    RoleName.ENROLLMENT_ADMIN: "Registration approval queue of their departments",
    RoleName.DEPT_ADMIN: "Courses, approval rules, certificates, discount codes and "
    "registrations of their departments",
    RoleName.LEARNER: "Storefront, orders, courses and certificates",
}

# These roles act only inside the departments they are granted (and their subdepartments).
DEPARTMENT_SCOPED_ROLES = frozenset({RoleName.DEPT_ADMIN, RoleName.ENROLLMENT_ADMIN})
ADMIN_ROLES = frozenset(set(RoleName) - {RoleName.LEARNER})


@dataclass(frozen=True)
class Section:
    """An admin section: a page in the sidebar and the API routes behind it."""

    key: str
    label: str
    route: str
    icon: str
    roles: frozenset[RoleName]


SECTIONS: tuple[Section, ...] = (
    Section("overview", "Overview", "/admin", "layout-dashboard", ADMIN_ROLES),
    Section("courses", "Courses", "/admin/courses", "book-open", frozenset({RoleName.DEPT_ADMIN})),
    Section(
        "sessions", "Sessions", "/admin/sessions", "calendar-days",
        frozenset({RoleName.DEPT_ADMIN}),
    ),
    Section(
        "programs", "Programs", "/admin/programs", "library",
        frozenset({RoleName.BILLING_ADMIN, RoleName.DEPT_ADMIN}),
    ),
    Section(
        "pricing", "Pricing", "/admin/pricing", "tags",
        frozenset({RoleName.BILLING_ADMIN, RoleName.DEPT_ADMIN}),
    ),
    Section(
        "discounts", "Discount codes", "/admin/discounts", "ticket-percent",
        frozenset({RoleName.BILLING_ADMIN, RoleName.DEPT_ADMIN}),
    ),
    Section(
        "registrations", "Registrations", "/admin/registrations", "clipboard-check",
        frozenset({RoleName.ENROLLMENT_ADMIN, RoleName.DEPT_ADMIN}),
    ),
    Section(
        "certificates", "Certificates", "/admin/certificates", "award",
        frozenset({RoleName.DEPT_ADMIN}),
    ),
    Section(
        "orders", "Orders & payments", "/admin/orders", "receipt",
        frozenset({RoleName.BILLING_ADMIN}),
    ),
    Section(
        "subscriptions", "Subscriptions", "/admin/subscriptions", "repeat",
        frozenset({RoleName.BILLING_ADMIN, RoleName.DEPT_ADMIN}),
    ),
    Section(
        "refunds", "Refunds", "/admin/refunds", "undo-2", frozenset({RoleName.BILLING_ADMIN}),
    ),
    Section(
        "revenue", "Revenue", "/admin/revenue", "chart-column",
        frozenset({RoleName.BILLING_ADMIN, RoleName.DEPT_ADMIN}),
    ),
    Section(
        "settings", "Tax & currency", "/admin/settings", "settings",
        frozenset({RoleName.BILLING_ADMIN}),
    ),
    Section(
        "processors", "Payment processors", "/admin/processors", "credit-card",
        frozenset({RoleName.BILLING_ADMIN}),
    ),
    Section("system", "System", "/admin/system", "activity", frozenset({RoleName.SUPER_ADMIN})),
    Section(
        "health", "Health", "/admin/health", "heart-pulse",
        frozenset({RoleName.BILLING_ADMIN}),
    ),
    Section("users", "Users & roles", "/admin/users", "users", frozenset({RoleName.SUPER_ADMIN})),
    Section("audit", "Audit log", "/admin/audit", "scroll-text", frozenset({RoleName.SUPER_ADMIN})),
)
SECTIONS_BY_KEY: Mapping[str, Section] = {s.key: s for s in SECTIONS}


def can_access(roles: Iterable[str], section_key: str) -> bool:
    """Whether a holder of ``roles`` may open the section (super-admins may open all)."""
    held = {RoleName(r) for r in roles if r in RoleName._value2member_map_}
    if RoleName.SUPER_ADMIN in held:
        return True
    return bool(held & SECTIONS_BY_KEY[section_key].roles)


def visible_sections(roles: Iterable[str]) -> list[Section]:
    """The sections to list in the sidebar, in display order."""
    roles = list(roles)
    return [s for s in SECTIONS if can_access(roles, s.key)]


def is_admin(roles: Iterable[str]) -> bool:
    """Whether any admin role is held."""
    return any(r in ADMIN_ROLES for r in roles)


def department_closure(parent_of: Mapping[int, int | None], roots: Iterable[int]) -> frozenset[int]:
    """The given departments plus every subdepartment below them, at any depth.

    ``parent_of`` maps each department id to its parent id (None for a top-level one).
    """
    children: dict[int, list[int]] = {}
    for dept, parent in parent_of.items():
        if parent is not None:
            children.setdefault(parent, []).append(dept)
    found: set[int] = set()
    stack = [r for r in roots if r in parent_of]
    while stack:
        dept = stack.pop()
        if dept in found:
            continue
        found.add(dept)
        stack.extend(children.get(dept, ()))
    return frozenset(found)


def would_create_cycle(parent_of: Mapping[int, int | None], dept: int, new_parent: int) -> bool:
    """Whether making ``new_parent`` the parent of ``dept`` would loop the tree."""
    current: int | None = new_parent
    seen: set[int] = set()
    while current is not None and current not in seen:
        if current == dept:
            return True
        seen.add(current)
        current = parent_of.get(current)
    return False


class RegistrationReviewers(StrEnum):
    """Who reviews a department's registrations (REG-003..006), set per department."""

    ENROLLMENT_ADMINS = "enrollment_admins"
    DEPT_ADMINS = "dept_admins"
    BOTH = "both"


REGISTRATION_REVIEWER_LABELS: Mapping[RegistrationReviewers, str] = {
    RegistrationReviewers.ENROLLMENT_ADMINS: "Enrollment admins",
    RegistrationReviewers.DEPT_ADMINS: "Department admins",
    RegistrationReviewers.BOTH: "Enrollment admins and department admins",
}


def reviews_registrations(role: RoleName, reviewers: str) -> bool:
    """Whether holders of ``role`` (granted on a department) review its registrations when
    the department's setting is ``reviewers`` (an unknown value: both, the default)."""
    if role is RoleName.ENROLLMENT_ADMIN:
        return reviewers != RegistrationReviewers.DEPT_ADMINS
    if role is RoleName.DEPT_ADMIN:
        return reviewers != RegistrationReviewers.ENROLLMENT_ADMINS
    return False
