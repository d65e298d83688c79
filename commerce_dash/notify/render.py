"""Render the transactional emails from their templates (previews with real data:
``services/commerce/email_previews.py``).

Each template is three files in ``templates/``: ``<name>.subject.txt``, ``<name>.txt`` and
``<name>.html`` (which extends ``base.html``). Callers pass plain strings: amounts are
already formatted (``format_minor``), URLs are absolute.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from commerce_dash.notify.message import Attachment, EmailMessage

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


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
        # lines: a list of str, one per mismatched day or problem (issue 19)
        TemplateSpec(
            "reconciliation-mismatch",
            "the daily reconciliation found differences (to billing admins, once a day)",
            ("user_name", "day", "currency", "mismatched_days", "problem_count", "lines",
             "revenue_url"),
        ),
        TemplateSpec(
            "payment-failed",
            "a payment failed",
            ("user_name", "order_number", "total", "reason", "retry_url"),
        ),
        TemplateSpec(
            "subscription-invoice-paid",
            "a subscription started, renewed or changed plan (with its receipt)",
            ("user_name", "subscription_number", "department_name", "interval", "manage_url",
             "kind", "amount", "receipt_number", "receipt_url", "period_end"),
        ),
        TemplateSpec(
            "subscription-payment-failed",
            "a subscription's renewal failed: dunning, with the update-card link",
            ("user_name", "subscription_number", "department_name", "interval", "manage_url",
             "amount", "reason", "next_retry", "grace_ends", "needs_action"),
        ),
        TemplateSpec(
            "subscription-cancelled",
            "a subscription ended (cancelled, or unpaid after the grace period)",
            ("user_name", "subscription_number", "department_name", "interval", "manage_url",
             "reason"),
        ),
        TemplateSpec(
            "subscription-trial-ending",
            "a subscription's trial ends in a few days",
            ("user_name", "subscription_number", "department_name", "interval", "manage_url",
             "trial_ends", "amount"),
        ),
        # Live sessions (issue 17). course_title and step_name are "" for a session booked
        # with a credit; when/old_when/offered_until are in the learner's time zone, named;
        # uses_credit/credit_returned are booleans. The caller attaches the .ics invitation
        # (confirmed, promoted, rescheduled; a CANCEL for both cancellations).
        TemplateSpec(
            "booking-confirmed",
            "a learner booked a session (with its calendar invitation)",
            ("user_name", "session_title", "course_title", "step_name", "when", "location",
             "meeting_url", "schedule_url", "cancel_policy"),
        ),
        TemplateSpec(
            "booking-cancelled",
            "a learner cancelled a booking (says whether the credit came back)",
            ("user_name", "session_title", "course_title", "step_name", "when", "uses_credit",
             "credit_returned", "schedule_url"),
        ),
        TemplateSpec(
            "session-cancelled",
            "an admin cancelled a session: its bookings are released, credits returned",
            ("user_name", "session_title", "course_title", "step_name", "when", "reason",
             "uses_credit", "credit_returned", "schedule_url"),
        ),
        TemplateSpec(
            "session-rescheduled",
            "an admin moved a session to another time (updated invitation)",
            ("user_name", "session_title", "course_title", "step_name", "old_when", "when",
             "location", "meeting_url", "schedule_url"),
        ),
        TemplateSpec(
            "session-reminder",
            "a booked session starts within the reminder window (the day before)",
            ("user_name", "session_title", "course_title", "step_name", "when", "location",
             "meeting_url", "schedule_url"),
        ),
        TemplateSpec(
            "waitlist-promoted",
            "a seat freed and the learner first on the waitlist got it (with the invitation)",
            ("user_name", "session_title", "course_title", "step_name", "when", "location",
             "meeting_url", "schedule_url", "cancel_policy"),
        ),
        TemplateSpec(
            "waitlist-offer",
            "a seat freed and is held for the learner first on the waitlist until a time",
            ("user_name", "session_title", "course_title", "step_name", "when",
             "offered_until", "accept_url"),
        ),
        # items: a list of {"title": str, "amount": str}; issue 19
        TemplateSpec(
            "cart-reminder",
            "a signed-in learner's cart was left untouched (once a cart, unless opted out)",
            ("user_name", "items", "cart_url", "unsubscribe_url"),
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


def template_spec(name: str) -> TemplateSpec:
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
    spec = template_spec(name)
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
