"""Every email renders from real catalog data, and what the recipient reads is right."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from commerce_dash.domain.actor import Actor
from commerce_dash.models.catalog import Course
from commerce_dash.notify.render import TEMPLATES, render_email
from commerce_dash.services.commerce.email_previews import (
    PREVIEW_ORDER_NUMBER,
    preview,
    preview_context,
)

ORDER_TEMPLATES = {
    "order-confirmation",
    "refund-requested",
    "refund-approved",
    "refund-rejected",
    "payment-failed",
    "dispute-opened",
}
# Account emails name neither a course nor an order.
ACCOUNT_TEMPLATES = {"verify-email", "account-exists", "account-created", "password-reset",
                     "password-changed"}
SUBSCRIPTION_TEMPLATES = {name for name in TEMPLATES if name.startswith("subscription-")}
# Staff alerts (to billing admins) name neither a course nor an order either.
STAFF_TEMPLATES = {"reconciliation-mismatch"}
COURSE_TEMPLATES = (set(TEMPLATES) - ORDER_TEMPLATES - ACCOUNT_TEMPLATES - SUBSCRIPTION_TEMPLATES
                    - STAFF_TEMPLATES)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_previews_with_real_user_and_course(
    session: Session, ada: Actor, priced_course: Course, name: str
) -> None:
    # given a learner Ada and a published course priced at $129.00
    # when the template is previewed
    message = preview(session, name)

    # then it greets Ada, names the course or the sample order, and has both bodies
    assert message.to == "Ada Lovelace <ada@example.com>"
    for body in (message.text, message.html):
        assert "Hello Ada Lovelace," in body
    assert "Commerce Dash" in message.html
    assert "<html" in message.html and "<html" not in message.text
    if name in SUBSCRIPTION_TEMPLATES:  # the course's department, and where to manage it
        assert "Engineering" in message.subject and "Engineering" in message.text
        assert "/account/subscriptions" in message.text
    elif name in COURSE_TEMPLATES:
        assert "Data Engineering Basics" in message.subject
        assert "Data Engineering Basics" in message.text
    elif name in ACCOUNT_TEMPLATES | STAFF_TEMPLATES:
        assert message.subject and "http://" in message.text
    else:
        assert PREVIEW_ORDER_NUMBER in message.subject
        assert PREVIEW_ORDER_NUMBER in message.html


def test_order_confirmation_lists_the_course_at_its_price_in_force(
    session: Session, ada: Actor, priced_course: Course
) -> None:
    # given Data Engineering Basics at $129.00
    # when the order confirmation is previewed
    message = preview(session, "order-confirmation")

    # then the line and the total show the real price
    assert message.subject == f"Your order {PREVIEW_ORDER_NUMBER} is confirmed"
    assert "- Data Engineering Basics: $129.00" in message.text
    assert "Total paid: $129.00" in message.text
    assert "$129.00" in message.html


def test_refund_preview_shows_the_amount(
    session: Session, ada: Actor, priced_course: Course
) -> None:
    # given a priced course
    # when the refund approval is previewed
    message = preview(session, "refund-approved")

    # then the refunded amount is in the subject
    assert message.subject == (
        f"Your refund of $129.00 for order {PREVIEW_ORDER_NUMBER} is approved"
    )


def test_preview_without_a_catalog_uses_the_builtin_sample(session: Session) -> None:
    # given an empty database
    # when the order confirmation is previewed
    message = preview(session, "order-confirmation")

    # then a sample user and course stand in
    assert message.to == "Sam Sample <sam@example.com>"
    assert "Sample Course: Getting Started: $49.00" in message.text


def test_preview_context_holds_exactly_the_required_keys(
    session: Session, ada: Actor, priced_course: Course
) -> None:
    for name, spec in TEMPLATES.items():
        assert set(preview_context(session, name)) == set(spec.required)


def test_rejection_reason_reaches_the_learner() -> None:
    # given a registration rejected because the cohort is full
    context = {
        "user_name": "Ada",
        "registration_number": "REG-7",
        "course_title": "Rust 101",
        "reason": "The spring cohort is full.",
    }

    # when the rejection email is rendered
    message = render_email("registration-rejected", context, to="ada@example.com")

    # then the reason is in both bodies
    assert message.subject == "Your registration for Rust 101 was not approved"
    assert "Reason: The spring cohort is full." in message.text
    assert "The spring cohort is full." in message.html


def test_missing_context_keys_are_named() -> None:
    # given a refund rejection without its order number and reason
    # when it is rendered
    with pytest.raises(ValueError) as caught:
        render_email("refund-rejected", {"user_name": "Ada"}, to="ada@example.com")

    # then the error names both keys
    assert "order_number" in str(caught.value)
    assert "reason" in str(caught.value)


def test_missing_nested_value_is_a_value_error() -> None:
    # given an order line without its amount
    context = {
        "user_name": "Ada",
        "order_number": "ORD-1",
        "items": [{"title": "Rust 101"}],
        "total": "$10.00",
        "order_url": "http://x/account",
    }

    # when / then
    with pytest.raises(ValueError, match="amount"):
        render_email("order-confirmation", context, to="ada@example.com")


def test_unknown_template_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown email template 'welcome'"):
        render_email("welcome", {}, to="ada@example.com")


def test_html_escapes_markup_in_a_name() -> None:
    # given a user whose name contains a script tag
    context = {
        "user_name": "<script>alert(1)</script>",
        "course_title": "Rust & Go",
        "start_url": "https://example.com/start?a=1&b=2",
    }

    # when the welcome email is rendered
    message = render_email("enrollment-welcome", context, to="x@example.com")

    # then the HTML shows the text instead of running it; plain text is left as written
    assert "<script>" not in message.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in message.html
    assert "Rust &amp; Go" in message.html
    assert "Hello <script>alert(1)</script>," in message.text
    assert message.subject == "Welcome to Rust & Go"


def test_a_line_break_in_a_title_does_not_break_the_subject() -> None:
    context = {"user_name": "Ada", "course_title": "Rust\r\nBcc: x@evil.test", "start_url": "u"}

    message = render_email("enrollment-welcome", context, to="ada@example.com")

    assert message.subject == "Welcome to Rust Bcc: x@evil.test"
