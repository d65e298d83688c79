"""What an admin sees when previewing an email: each template rendered with real data (a real
user, a real published course and program at the price in force) and sample numbers marked
PREVIEW."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlmodel import Session, col, select

from commerce_dash import routes
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.money import format_minor
from commerce_dash.domain.pricing import ItemType
from commerce_dash.models.accounts import User, UserRole
from commerce_dash.models.catalog import Course, Department, Program
from commerce_dash.notify.message import EmailMessage
from commerce_dash.notify.render import render_email, template_spec
from commerce_dash.services.catalog import prices_in_force
from commerce_dash.settings import get_settings

PREVIEW_ORDER_NUMBER = "ORD-PREVIEW-0001"
PREVIEW_REGISTRATION_NUMBER = "REG-PREVIEW-0001"
PREVIEW_CERTIFICATE_NUMBER = "CERT-PREVIEW-0001"

_Item = TypeVar("_Item", Course, Program)


def _preview_user(session: Session) -> User | None:
    learner = session.exec(
        select(User)
        .join(UserRole, col(UserRole.user_id) == col(User.id))
        .where(UserRole.role == "learner")
        .order_by(col(User.id))
        .limit(1)
    ).first()
    return learner or session.exec(select(User).order_by(col(User.id)).limit(1)).first()


def _first_priced(
    session: Session, model: type[_Item], item_type: str, currency: str
) -> tuple[_Item | None, int | None]:
    """The first published item with a price in force, else the first published item."""
    items = session.exec(
        select(model).where(model.published == True).order_by(col(model.id)).limit(50)  # noqa: E712
    ).all()
    ids = [item.id for item in items if item.id is not None]
    prices = prices_in_force(
        session=session, item_type=item_type, item_ids=ids, currency=currency, at=utcnow()
    )
    for item in items:
        if item.id in prices:
            return item, prices[item.id]
    return (items[0], None) if items else (None, None)


def preview_context(session: Session, name: str) -> dict[str, Any]:
    """A realistic context for ``name`` built from the database: a real user, a real
    published course (and program) with the price in force. Orders, registrations and
    certificates are sample numbers marked PREVIEW. Without courses, a built-in sample."""
    spec = template_spec(name)
    settings = get_settings()
    currency = settings.settlement_currency
    base_url = settings.public_url.rstrip("/")

    user = _preview_user(session)
    course, course_amount = _first_priced(session, Course, ItemType.COURSE, currency)
    program, program_amount = _first_priced(session, Program, ItemType.PROGRAM, currency)

    if course is None:
        course_title, course_code, lines = (
            "Sample Course: Getting Started",
            "SAMPLE-101",
            [("Sample Course: Getting Started", 4900)],
        )
    else:
        course_title, course_code = course.title, course.code
        lines = [(course.title, course_amount or 0)]
        if program is not None and program_amount is not None:
            lines.append((program.title, program_amount))
    total = sum(amount for _, amount in lines)
    context: dict[str, Any] = {
        "user_name": user.full_name if user else "Sam Sample",
        "order_number": PREVIEW_ORDER_NUMBER,
        "registration_number": PREVIEW_REGISTRATION_NUMBER,
        "certificate_number": PREVIEW_CERTIFICATE_NUMBER,
        "items": [{"title": t, "amount": format_minor(a, currency)} for t, a in lines],
        "total": format_minor(total, currency),
        "amount": format_minor(lines[0][1], currency),
        "course_title": course_title,
        "reason": "Sample reason shown in the preview.",
        "order_url": f"{base_url}{routes.ACCOUNT}",
        "enrollment_url": f"{base_url}{routes.STORE_COURSE}/{course_code}",
        "start_url": f"{base_url}{routes.STORE_COURSE}/{course_code}",
        "download_url": f"{base_url}{routes.MY_CERTIFICATES}",
        "verify_url": f"{base_url}{routes.VERIFY}/{PREVIEW_CERTIFICATE_NUMBER}",
        "category": "Issued in error",
        "retry_url": f"{base_url}{routes.CART}",
        "confirm_url": f"{base_url}{routes.CONFIRM_EMAIL}?token=PREVIEW",
        "sign_in_url": f"{base_url}{routes.LOGIN}",
        "reset_url": f"{base_url}{routes.RESET_PASSWORD}?token=PREVIEW",
        "catalog_url": f"{base_url}{routes.STORE}",
        "changed_at": "2026-12-07 09:30 UTC",
        "subscription_number": "SUB-PREVIEW",
        "department_name": _department_name(session, course),
        "interval": "monthly",
        "manage_url": f"{base_url}{routes.MY_SUBSCRIPTIONS}",
        "kind": "renewed",
        "receipt_number": PREVIEW_ORDER_NUMBER,
        "receipt_url": f"{base_url}{routes.order_href(PREVIEW_ORDER_NUMBER)}",
        "period_end": "07 Jan 2027",
        "next_retry": "10 Dec 2026",
        "grace_ends": "14 Dec 2026",
        "needs_action": False,
        "trial_ends": "10 Dec 2026",
        # live sessions (issue 17): times as the learner reads them, in their zone
        "session_title": "Live class: Getting started (PREVIEW)",
        "step_name": "Step 1: Foundations",
        "when": "Thu 10 Dec 2026, 09:00-10:30 (Europe/Berlin)",
        "old_when": "Wed 9 Dec 2026, 09:00-10:30 (Europe/Berlin)",
        "location": "Room 2.14, Main Building",
        "meeting_url": "https://meet.example.com/preview",
        "schedule_url": f"{base_url}{routes.SCHEDULE}",
        "cancel_policy": "You can cancel from your schedule if your plans change.",
        "uses_credit": True,
        "credit_returned": True,
        "offered_until": "Tue 8 Dec 2026, 18:00 (Europe/Berlin)",
        "accept_url": f"{base_url}{routes.SCHEDULE}?offer=PREVIEW",
        # the daily reconciliation's alert to billing admins (issue 19)
        "day": "2026-12-06",
        "currency": currency,
        "mismatched_days": 1,
        "problem_count": 1,
        "lines": ["2026-12-06: captured $129.00, ledger sales $0.00 (PREVIEW)",
                  f"Paid order without ledger sale: {PREVIEW_ORDER_NUMBER} (PREVIEW)"],
        "revenue_url": f"{base_url}{routes.ADMIN_REVENUE}",
        "cart_url": f"{base_url}{routes.CART}",
        "unsubscribe_url": f"{base_url}/api/v2/email/cart-reminders/unsubscribe?token=PREVIEW",
    }
    return {key: context[key] for key in spec.required}


def _department_name(session: Session, course: Course | None) -> str:
    dept = session.get(Department, course.department_id) if course is not None else None
    return dept.name if dept is not None else "Sample Department"


def preview_recipient(session: Session) -> str:
    user = _preview_user(session)
    return f"{user.full_name} <{user.email}>" if user else "Sam Sample <sam@example.com>"


def preview(session: Session, name: str) -> EmailMessage:
    """The email ``name`` as it would reach the preview user (see ``preview_context``)."""
    return render_email(name, preview_context(session, name), to=preview_recipient(session))
