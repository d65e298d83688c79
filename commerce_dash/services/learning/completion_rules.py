"""A course's completion rule as the domain reads it, and when a certificate earned under it
expires: what recording progress and issuing a certificate both need."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from commerce_dash.domain.completion import CompletionCriteria, Requirement
from commerce_dash.models.certificates import CompletionRule


def criteria_for(session: Session, course_id: int) -> CompletionCriteria:
    rule = session.get(CompletionRule, course_id)
    if rule is None:
        return CompletionCriteria()
    return CompletionCriteria(
        requirement=Requirement(rule.requirement), min_percentage=rule.min_percentage,
        required_modules=frozenset(rule.required_modules or ()),
        assessment_module=rule.assessment_module_id, passing_score=rule.passing_score,
        min_minutes=rule.min_minutes, valid_for_days=rule.valid_for_days,
    )


def expiry(now: datetime, days: int) -> datetime | None:
    return now + timedelta(days=days) if days else None
