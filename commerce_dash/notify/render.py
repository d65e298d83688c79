"""Render the transactional emails from their templates, and preview them with real data.

Each template is three files in ``templates/``: ``<name>.subject.txt``, ``<name>.txt`` and
``<name>.html`` (which extends ``base.html``). Callers pass plain strings: amounts are
already formatted (``format_minor``), URLs are absolute.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from sqlmodel import Session, col, select

from commerce_dash import routes
from commerce_dash.domain.clock import utcnow
from commerce_dash.domain.money import format_minor
from commerce_dash.domain.pricing import ItemType
from commerce_dash.models.accounts import User, UserRole
from commerce_dash.models.catalog import Course, Program
from commerce_dash.notify.message import Attachment, EmailMessage
from commerce_dash.services.pricing import prices_in_force
from commerce_dash.settings import get_settings

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
PREVIEW_ORDER_NUMBER = "ORD-PREVIEW-0001"
PREVIEW_REGISTRATION_NUMBER = "REG-PREVIEW-0001"
PREVIEW_CERTIFICATE_NUMBER = "CERT-PREVIEW-0001"

_Item = TypeVar("_Item", Course, Program)


@dataclass(frozen=True)
class TemplateSpec:
    """A template, when it is sent, and the context keys it needs (all strings unless noted)."""

    name: str
    trigger: str
    required: tuple[str, ...]


TEMPLATES: dict[str, TemplateSpec] = {
    spec.name: spec
    for spec in (
        # items: a list of {"title": str, "amount": str}
        TemplateSpec(
            "order-confirmation",
            "payment succeeded",
            ("user_name", "order_number", "items", "total", "order_url"),
        ),
        TemplateSpec(
            "registration-pending",
            "registration needs approval",
            ("user_name", "registration_number", "course_title"),
        ),
        TemplateSpec(
            "registration-approved",
            "an admin approved the registration",
            ("user_name", "registration_number", "course_title", "enrollment_url"),
        ),
        TemplateSpec(
            "registration-rejected",
            "an admin rejected the registration",
            ("user_name", "registration_number", "course_title", "reason"),
        ),
        TemplateSpec(
            "enrollment-welcome",
            "the learner was enrolled",
            ("user_name", "course_title", "start_url"),
        ),
        TemplateSpec(
            "refund-requested", "a refund was requested", ("user_name", "order_number", "amount")
        ),
        TemplateSpec(
            "refund-approved", "a refund was approved", ("user_name", "order_number", "amount")
        ),
        TemplateSpec(
            "refund-rejected", "a refund was declined", ("user_name", "order_number", "reason")
        ),
        # The caller attaches the certificate PDF.
        TemplateSpec(
            "certificate-earned",
            "the learner completed the course",
            ("user_name", "course_title", "certificate_number", "download_url", "verify_url"),
        ),
        TemplateSpec(
            "certificate-revoked",
            "an admin (or a refund) revoked the certificate",
            ("user_name", "course_title", "certificate_number", "category", "reason"),
        ),
        TemplateSpec("verify-email", "a learner registered", ("user_name", "confirm_url")),
        TemplateSpec(
            "account-exists",
            "someone registered with an email that has an account",
            ("user_name", "sign_in_url", "reset_url"),
        ),
        TemplateSpec("account-created", "the learner confirmed their email",
                     ("user_name", "catalog_url")),
        TemplateSpec("password-reset", "someone asked for a new password",
                     ("user_name", "reset_url")),
        TemplateSpec("password-changed", "the password was changed or reset",
                     ("user_name", "changed_at", "reset_url")),
        TemplateSpec(
            "dispute-opened",
            "a chargeback was opened (to billing admins)",
            ("user_name", "order_number", "amount", "reason", "order_url"),
        ),
        TemplateSpec(
            "payment-failed",
            "a payment failed",
            ("user_name", "order_number", "total", "reason", "retry_url"),
        ),
    )
}


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
    )


def _spec(name: str) -> TemplateSpec:
    try:
        return TEMPLATES[name]
    except KeyError:
        raise ValueError(
            f"unknown email template {name!r}; known: {', '.join(sorted(TEMPLATES))}"
        ) from None


def render_email(
    name: str, context: Mapping[str, Any], to: str, attachments: Sequence[Attachment] = ()
) -> EmailMessage:
    """The email ``name`` for ``to`` rendered with ``context``.

    Raises ValueError naming the missing context keys, or an unknown template.
    """
    spec = _spec(name)
    missing = [key for key in spec.required if key not in context]
    if missing:
        raise ValueError(f"email template {name!r} is missing context keys: {', '.join(missing)}")
    env = _environment()
    try:
        subject = env.get_template(f"{name}.subject.txt").render(context)
        text = env.get_template(f"{name}.txt").render(context)
        html = env.get_template(f"{name}.html").render(context)
    except jinja2.UndefinedError as exc:
        raise ValueError(f"email template {name!r} is missing context: {exc.message}") from exc
    return EmailMessage(
        to=to,
        # A header cannot span lines, and a name in the subject must not make it try.
        subject=" ".join(subject.split()),
        text=text.strip() + "\n",
        html=html,
        attachments=tuple(attachments),
    )


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
    spec = _spec(name)
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
    }
    return {key: context[key] for key in spec.required}


def preview_recipient(session: Session) -> str:
    user = _preview_user(session)
    return f"{user.full_name} <{user.email}>" if user else "Sam Sample <sam@example.com>"


def preview(session: Session, name: str) -> EmailMessage:
    """The email ``name`` as it would reach the preview user (see ``preview_context``)."""
    return render_email(name, preview_context(session, name), to=preview_recipient(session))
