"""Revenue-share rules: the shares of a sale by department (the nearest rule up the tree, else
the default), and their administration.

Re-exported by ``ledger.py``, the ledger's public face.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from commerce_dash.domain.actor import Actor, require_section
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.errors import DomainError, not_found
from commerce_dash.domain.ledger import DEFAULT_SHARES, Shares, check_shares
from commerce_dash.models.catalog import Course, Department
from commerce_dash.models.revenue import RevenueShareRule
from commerce_dash.services.platform import department_options, department_parents, record_audit

SECTION = "revenue"


def _rule(session: Session, scope_key: str) -> Shares | None:
    row = session.exec(select(RevenueShareRule).where(RevenueShareRule.scope_key == scope_key)
                       ).first()
    return None if row is None else Shares(row.platform_bps, row.creator_bps,
                                           row.instructor_bps)


def shares_for(session: Session, course: Course,
               parents: dict[int, int | None] | None = None) -> Shares:
    """The course's rule, else its department's (nearest ancestor with one), else the
    default rule, else 30 / 40 / 30."""
    found = _rule(session, f"course:{course.id}")
    if found is not None:
        return found
    return department_shares(session, course.department_id, parents)


def department_shares(session: Session, department_id: int,
                      parents: dict[int, int | None] | None = None) -> Shares:
    """The department's rule (nearest ancestor with one), else the default rule, else
    30 / 40 / 30: what a course without its own rule gets, and a department's subscription
    revenue."""
    parents = parents if parents is not None else department_parents(session=session)
    current: int | None = department_id
    seen: set[int] = set()
    while current is not None and current not in seen:
        seen.add(current)
        found = _rule(session, f"department:{current}")
        if found is not None:
            return found
        current = parents.get(current)
    return _rule(session, "default") or DEFAULT_SHARES


@dataclass(frozen=True)
class ShareRuleRow:
    scope_key: str
    label: str
    platform_bps: int
    creator_bps: int
    instructor_bps: int
    updated_at: str


def list_share_rules(*, session: Session, actor: Actor | None) -> list[ShareRuleRow]:
    _require_billing(actor)
    rows = session.exec(select(RevenueShareRule).order_by(col(RevenueShareRule.scope_key))).all()
    labels = _scope_labels(session, rows)
    out = [ShareRuleRow(r.scope_key, labels.get(r.scope_key, r.scope_key), r.platform_bps,
                        r.creator_bps, r.instructor_bps, f"{r.updated_at:%Y-%m-%d}")
           for r in rows]
    if not any(r.scope_key == "default" for r in out):
        d = DEFAULT_SHARES
        out.insert(0, ShareRuleRow("default", "Default (built in)", d.platform_bps,
                                   d.creator_bps, d.instructor_bps, ""))
    return sorted(out, key=lambda r: (r.scope_key != "default", r.label.lower()))


def _scope_labels(session: Session, rows: Sequence[RevenueShareRule]) -> dict[str, str]:
    labels = {"default": "Default"}
    for r in rows:
        if r.course_id is not None:
            course = session.get(Course, r.course_id)
            labels[r.scope_key] = f"Course {course.code} · {course.title}" if course else r.scope_key
        elif r.department_id is not None:
            dept = session.get(Department, r.department_id)
            labels[r.scope_key] = f"Department {dept.name}" if dept else r.scope_key
    return labels


def _require_billing(actor: Actor | None) -> Actor:
    """Revenue shares are settings: billing admins and super-admins."""
    return require_section(actor, "settings")


def set_share_rule(*, session: Session, actor: Actor | None, scope: str, target_id: int | None,
                   shares: Shares) -> ShareRuleRow:
    """Create or change the rule of a course, a department or the default (commits, audited).

    Entries already recorded keep the split they were recorded with."""
    actor = _require_billing(actor)
    check_shares(shares)
    if scope == "default":
        key, course_id, department_id = "default", None, None
    elif scope == "course" and target_id is not None and (
            session.get(Course, target_id) is not None):
        key, course_id, department_id = f"course:{target_id}", target_id, None
    elif scope == "department" and target_id is not None and (
            session.get(Department, target_id) is not None):
        key, course_id, department_id = f"department:{target_id}", None, target_id
    else:
        raise DomainError("invalid_scope", "Choose a course, a department or the default.",
                          field="scope")
    row = session.exec(select(RevenueShareRule).where(RevenueShareRule.scope_key == key)).first()
    before = None if row is None else {"platform_bps": row.platform_bps,
                                       "creator_bps": row.creator_bps,
                                       "instructor_bps": row.instructor_bps}
    row = row or RevenueShareRule(scope_key=key, course_id=course_id,
                                  department_id=department_id, platform_bps=0, creator_bps=0,
                                  instructor_bps=0)
    row.platform_bps, row.creator_bps = shares.platform_bps, shares.creator_bps
    row.instructor_bps = shares.instructor_bps
    row.updated_by_id, row.updated_at = actor.user_id, utcnow()
    session.add(row)
    record_audit(session=session, actor=actor, action="revenue_share.set",
                 entity_type="revenue_share_rule", entity_id=key, before=before,
                 after={"platform_bps": shares.platform_bps, "creator_bps": shares.creator_bps,
                        "instructor_bps": shares.instructor_bps})
    session.commit()
    return next(r for r in list_share_rules(session=session, actor=actor) if r.scope_key == key)


def share_rule_options(*, session: Session, actor: Actor | None
                       ) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(courses, departments) a rule can be set for."""
    _require_billing(actor)
    courses = [(i, f"{code} · {title}") for i, code, title in session.exec(
        select(Course.id, Course.code, Course.title).order_by(col(Course.code))) if i]
    return courses, department_options(session=session)


def delete_share_rule(*, session: Session, actor: Actor | None, scope_key: str) -> None:
    actor = _require_billing(actor)
    row = session.exec(select(RevenueShareRule).where(RevenueShareRule.scope_key == scope_key)
                       ).first()
    if row is None:
        raise not_found("revenue_share_rule", scope_key)
    record_audit(session=session, actor=actor, action="revenue_share.deleted",
                 entity_type="revenue_share_rule", entity_id=scope_key,
                 before={"platform_bps": row.platform_bps, "creator_bps": row.creator_bps,
                         "instructor_bps": row.instructor_bps})
    session.delete(row)
    session.commit()
