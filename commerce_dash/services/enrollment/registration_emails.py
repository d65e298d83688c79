"""The emails a registration sends the learner as it moves (approved, rejected, welcome).
"""

from __future__ import annotations

from sqlmodel import Session

from commerce_dash import routes
from commerce_dash.models.accounts import User
from commerce_dash.models.catalog import Course, Program
from commerce_dash.models.enrollment import Registration
from commerce_dash.notify.outbox_email import queue_email
from commerce_dash.services.enrollment.registration_views import registration_number
from commerce_dash.settings import get_settings


def _title(session: Session, registration: Registration) -> str:
    if registration.course_id is not None:
        course = session.get(Course, registration.course_id)
        return course.title if course else ""
    program = session.get(Program, registration.program_id) if registration.program_id else None
    return program.title if program else ""


def email_learner(session: Session, registration: Registration, template: str) -> None:
    user = session.get(User, registration.user_id)
    if user is None or registration.id is None:
        return
    number = registration_number(registration.id, registration.created_at)
    base = get_settings().public_url.rstrip("/")
    context = {"user_name": user.full_name, "registration_number": number,
               "course_title": _title(session, registration)}
    if template == "registration-approved":
        context["enrollment_url"] = f"{base}{routes.ACCOUNT}"
    if template == "registration-rejected":
        context["reason"] = registration.rejection_reason
    if template == "enrollment-welcome":
        context["start_url"] = f"{base}{routes.ACCOUNT}"
    queue_email(session=session, template=template, to=user.email, context=context,
                dedupe_key=f"{template}:{registration.id}")
