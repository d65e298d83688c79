"""A course's completion rule as the domain reads it, when a certificate earned under it
expires, and the course's steps with those a learner attended (the "all steps attended"
rule): what recording progress, attending a step and issuing a certificate all need."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from commerce_dash.domain.completion import CompletionCriteria, Requirement
from commerce_dash.domain.sessions import StepStatus
from commerce_dash.models.certificates import CompletionRule
from commerce_dash.models.enrollment import Enrollment
from commerce_dash.models.sessions import CourseStep, StepProgress


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


def course_step_ids(session: Session, course_id: int) -> list[int]:
    """The course's steps, in their order."""
    return [s for s in session.exec(
        select(CourseStep.id).where(CourseStep.course_id == course_id)
        .order_by(col(CourseStep.position))
    ).all() if s is not None]


def attended_step_ids(session: Session, enrollment: Enrollment) -> set[int]:
    """The steps of the enrollment's course the learner attended: in the registration the
    enrollment came from (a manual enrollment has none: the learner's, in any registration)."""
    query = (select(StepProgress.step_id)
             .join(CourseStep, col(CourseStep.id) == StepProgress.step_id)
             .where(CourseStep.course_id == enrollment.course_id,
                    StepProgress.status == StepStatus.ATTENDED.value))
    if enrollment.registration_id is not None:
        query = query.where(StepProgress.registration_id == enrollment.registration_id)
    else:
        query = query.where(StepProgress.user_id == enrollment.user_id)
    return set(session.exec(query).all())
