"""Every admin API route against every role: allowed or refused, nothing in between."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlmodel import select

from commerce_dash.api import create_api
from commerce_dash.domain.access import RoleName, can_access
from commerce_dash.domain.actor import Grant
from commerce_dash.domain.orders import order_number
from commerce_dash.models.catalog import Course, CourseModule, Program, ProgramCourse
from commerce_dash.models.certificates import Certificate, CertificateTemplate
from commerce_dash.models.commerce import Payment, PaymentReview, RefundRequest
from commerce_dash.models.enrollment import Enrollment, Registration
from commerce_dash.models.pricing import DiscountCode
from commerce_dash.payments.sandbox_cards import SUCCESS_CARD
from commerce_dash.services import commerce, enrollment, learning
from commerce_dash.services.catalog import pricing
from tests.api.conftest import bearer
from tests.builders import recorded_order
from tests.conftest import PASSWORD, create_department, create_user

# route -> admin section it belongs to; a new admin route must be added here.
ADMIN_ROUTES = {
    ("GET", "/api/v2/admin/revenue/subscriptions"): "revenue",
    ("GET", "/api/v2/admin/overview"): "overview",
    ("GET", "/api/v2/admin/processors"): "processors",
    ("PUT", "/api/v2/admin/processors/default"): "processors",
    ("PUT", "/api/v2/admin/processors/departments/{department_id}"): "processors",
    ("POST", "/api/v2/admin/processors/{processor}/test-webhook"): "processors",
    ("GET", "/api/v2/admin/courses/{course_id}/steps"): "courses",
    ("POST", "/api/v2/admin/courses/{course_id}/steps"): "courses",
    ("GET", "/api/v2/admin/steps/{step_id}"): "courses",
    ("PUT", "/api/v2/admin/steps/{step_id}"): "courses",
    ("DELETE", "/api/v2/admin/steps/{step_id}"): "courses",
    ("POST", "/api/v2/admin/steps/{step_id}/options"): "courses",
    ("DELETE", "/api/v2/admin/steps/options/{option_id}"): "courses",
    ("GET", "/api/v2/admin/sessions"): "sessions",
    ("GET", "/api/v2/admin/sessions/calendar"): "sessions",
    ("POST", "/api/v2/admin/sessions"): "sessions",
    ("POST", "/api/v2/admin/sessions/private-slots"): "sessions",
    ("GET", "/api/v2/admin/sessions/{session_id}"): "sessions",
    ("PUT", "/api/v2/admin/sessions/{session_id}"): "sessions",
    ("POST", "/api/v2/admin/sessions/{session_id}/reschedule"): "sessions",
    ("PUT", "/api/v2/admin/sessions/{session_id}/waitlist"): "sessions",
    ("POST", "/api/v2/admin/sessions/{session_id}/cancel"): "sessions",
    ("GET", "/api/v2/admin/users"): "users",
    ("POST", "/api/v2/admin/users"): "users",
    ("PUT", "/api/v2/admin/users/{user_id}/roles"): "users",
    ("POST", "/api/v2/admin/users/{user_id}/active"): "users",
    ("GET", "/api/v2/admin/audit"): "audit",
    ("GET", "/api/v2/admin/pricing"): "pricing",
    ("POST", "/api/v2/admin/pricing"): "pricing",
    ("GET", "/api/v2/admin/pricing/history"): "pricing",
    ("DELETE", "/api/v2/admin/pricing/{price_id}"): "pricing",
    ("GET", "/api/v2/admin/orders"): "orders",
    ("GET", "/api/v2/admin/orders/{number}"): "orders",
    ("POST", "/api/v2/admin/orders/{number}/cancel"): "refunds",
    ("GET", "/api/v2/admin/orders/{number}/invoice.pdf"): "orders",
    ("GET", "/api/v2/admin/orders/{number}/credit-notes/{credit_note}.pdf"): "orders",
    ("GET", "/api/v2/admin/seller-details"): "settings",
    ("PUT", "/api/v2/admin/seller-details"): "settings",
    ("GET", "/api/v2/admin/payment-reviews"): "orders",
    ("POST", "/api/v2/admin/payment-reviews/{user_id}/clear"): "orders",
    ("GET", "/api/v2/admin/registrations"): "registrations",
    ("POST", "/api/v2/admin/registrations/bulk"): "registrations",
    ("POST", "/api/v2/admin/registrations/{registration_id}/approve"): "registrations",
    ("POST", "/api/v2/admin/registrations/{registration_id}/reject"): "registrations",
    ("GET", "/api/v2/admin/certificates"): "certificates",
    ("POST", "/api/v2/admin/certificates"): "certificates",
    ("GET", "/api/v2/admin/certificates/{certificate_id}"): "certificates",
    ("POST", "/api/v2/admin/certificates/{certificate_id}/revoke"): "certificates",
    ("POST", "/api/v2/admin/enrollments/{enrollment_id}/progress"): "certificates",
    ("GET", "/api/v2/admin/certificate-templates"): "certificates",
    ("POST", "/api/v2/admin/certificate-templates"): "certificates",
    ("POST", "/api/v2/admin/certificate-templates/preview"): "certificates",
    ("GET", "/api/v2/admin/certificate-templates/{template_id}"): "certificates",
    ("PUT", "/api/v2/admin/certificate-templates/{template_id}"): "certificates",
    ("POST", "/api/v2/admin/certificate-templates/{template_id}/default"): "certificates",
    ("DELETE", "/api/v2/admin/certificate-templates/{template_id}"): "certificates",
    ("POST", "/api/v2/admin/images"): "certificates",
    ("GET", "/api/v2/admin/refunds"): "refunds",
    ("GET", "/api/v2/admin/refunds/{request_id}/preview"): "refunds",  # before approve
    ("POST", "/api/v2/admin/refunds/{request_id}/approve"): "refunds",
    ("POST", "/api/v2/admin/refunds/{request_id}/reject"): "refunds",
    ("POST", "/api/v2/admin/refunds/{request_id}/retry"): "refunds",
    ("POST", "/api/v2/admin/refunds/bulk"): "refunds",
    ("GET", "/api/v2/admin/revenue/shares"): "settings",
    ("PUT", "/api/v2/admin/revenue/shares"): "settings",
    ("DELETE", "/api/v2/admin/revenue/shares/{scope_key}"): "settings",
    ("GET", "/api/v2/admin/payouts"): "revenue",
    ("GET", "/api/v2/admin/revenue/report"): "revenue",
    ("GET", "/api/v2/admin/revenue/funnel"): "revenue",
    ("GET", "/api/v2/admin/revenue/reconciliation"): "orders",
    ("GET", "/api/v2/admin/exports/orders-payments"): "orders",
    ("GET", "/api/v2/admin/subscriptions"): "subscriptions",
    ("GET", "/api/v2/admin/subscriptions/{subscription_id}"): "subscriptions",
    ("POST", "/api/v2/admin/subscriptions/{subscription_id}/cancel"): "subscriptions",
    ("POST", "/api/v2/admin/subscriptions/{subscription_id}/pause"): "subscriptions",
    ("POST", "/api/v2/admin/subscriptions/{subscription_id}/resume"): "subscriptions",
    ("POST", "/api/v2/admin/subscriptions/{subscription_id}/extend-trial"): "subscriptions",
    # issue 19: admin API of discount codes, programs, courses, one-call refund, reviewers
    ("GET", "/api/v2/admin/discount-codes"): "discounts",
    ("POST", "/api/v2/admin/discount-codes"): "discounts",
    ("GET", "/api/v2/admin/discount-codes/{code_id}"): "discounts",
    ("PUT", "/api/v2/admin/discount-codes/{code_id}"): "discounts",
    ("POST", "/api/v2/admin/discount-codes/{code_id}/active"): "discounts",
    ("DELETE", "/api/v2/admin/discount-codes/{code_id}"): "discounts",
    ("GET", "/api/v2/admin/programs"): "programs",
    ("POST", "/api/v2/admin/programs"): "programs",
    ("GET", "/api/v2/admin/programs/{program_id}"): "programs",
    ("PUT", "/api/v2/admin/programs/{program_id}"): "programs",
    ("DELETE", "/api/v2/admin/programs/{program_id}"): "programs",
    ("GET", "/api/v2/admin/courses"): "courses",
    ("POST", "/api/v2/admin/courses"): "courses",
    ("GET", "/api/v2/admin/courses/{course_id}"): "courses",
    ("PUT", "/api/v2/admin/courses/{course_id}"): "courses",
    ("DELETE", "/api/v2/admin/courses/{course_id}"): "courses",
    ("POST", "/api/v2/admin/payments/{payment_id}/refund"): "refunds",
    ("GET", "/api/v2/admin/departments/registration-reviewers"): "settings",
    ("PUT", "/api/v2/admin/departments/{department_id}/registration-reviewers"): "settings",
}
TINY_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
# "{name}" values in bodies and query strings are filled in like the path placeholders.
BODIES = {
    ("POST", "/api/v2/admin/orders/{number}/cancel"): {"reason": "Role matrix cancellation."},
    ("PUT", "/api/v2/admin/seller-details"): {"name": "Acme Learning Ltd"},
    ("PUT", "/api/v2/admin/processors/default"): {"processor": "sandbox"},
    ("PUT", "/api/v2/admin/processors/departments/{department_id}"): {"processor": None},
    ("POST", "/api/v2/admin/users"): {
        "email": "m@example.com",
        "full_name": "M",
        "grants": [{"role": "learner"}],
    },
    ("PUT", "/api/v2/admin/users/{user_id}/roles"): {"grants": [{"role": "learner"}]},
    ("POST", "/api/v2/admin/users/{user_id}/active"): {"active": True},
    ("POST", "/api/v2/admin/pricing"): {
        "item_type": "subscription",
        "item_id": "{department_id}",
        "price_type": "subscription",
        "interval": "monthly",
        "amount": 1900,
    },
    ("DELETE", "/api/v2/admin/pricing/{price_id}"): {"reason": "role matrix check"},
    ("POST", "/api/v2/admin/registrations/bulk"): {"ids": [999999], "action": "approve"},
    ("POST", "/api/v2/admin/registrations/{registration_id}/reject"): {
        "reason": "role matrix check"
    },
    ("POST", "/api/v2/admin/certificates"): {
        "email": "target@example.com", "course_id": "{second_course_id}",
        "note": "role matrix check",
    },
    ("POST", "/api/v2/admin/certificates/{certificate_id}/revoke"): {
        "category": "other", "reason": "role matrix check",
    },
    ("POST", "/api/v2/admin/enrollments/{enrollment_id}/progress"): {
        "module_id": "{module_id}", "completed": True,
    },
    ("POST", "/api/v2/admin/certificate-templates"): {
        "department_id": "{department_id}", "name": "Matrix",
    },
    ("POST", "/api/v2/admin/certificate-templates/preview"): {
        "department_id": "{department_id}", "name": "Matrix",
    },
    ("PUT", "/api/v2/admin/certificate-templates/{template_id}"): {
        "department_id": "{department_id}", "name": "Matrix edited",
    },
    ("POST", "/api/v2/admin/images"): {"purpose": "logo", "data_base64": TINY_PNG},
    ("POST", "/api/v2/admin/refunds/{request_id}/approve"): {},
    ("POST", "/api/v2/admin/refunds/{request_id}/reject"): {"reason": "role matrix check"},
    ("POST", "/api/v2/admin/refunds/bulk"): {"ids": [999999], "action": "approve"},
    ("PUT", "/api/v2/admin/revenue/shares"): {
        "scope": "default", "platform_bps": 3000, "creator_bps": 4000, "instructor_bps": 3000,
    },
    ("POST", "/api/v2/admin/subscriptions/{subscription_id}/extend-trial"): {"days": 7},
    ("POST", "/api/v2/admin/courses/{course_id}/steps"): {"label": "Step 9", "title": "Matrix"},
    ("PUT", "/api/v2/admin/steps/{step_id}"): {"label": "Step 1", "title": "Matrix edited"},
    ("POST", "/api/v2/admin/steps/{step_id}/options"): {"session_id": "{session_id}"},
    ("POST", "/api/v2/admin/sessions"): {
        "department_id": "{department_id}", "title": "Matrix class", "day": "{next_year_day}",
        "start": "10:00", "end": "11:00", "time_zone": "UTC", "capacity": 5,
    },
    ("POST", "/api/v2/admin/sessions/private-slots"): {
        "department_id": "{department_id}", "instructor_id": "{user_id}",
        "day": "{next_year_day}", "start": "14:00", "end": "15:00", "time_zone": "UTC",
        "minutes": 30,
    },
    ("PUT", "/api/v2/admin/sessions/{session_id}"): {"title": "Matrix edited", "capacity": 6},
    ("POST", "/api/v2/admin/sessions/{session_id}/reschedule"): {
        "day": "{next_year_day}", "start": "16:00", "end": "17:00", "time_zone": "UTC",
    },
    ("PUT", "/api/v2/admin/sessions/{session_id}/waitlist"): {"entry_ids": []},
    ("POST", "/api/v2/admin/sessions/{session_id}/cancel"): {"reason": "role matrix check"},
    ("POST", "/api/v2/admin/discount-codes"): {
        "code": "MATRIXNEW", "kind": "percentage", "percent_bps": 1000,
        "department_id": "{department_id}",
    },
    ("PUT", "/api/v2/admin/discount-codes/{code_id}"): {
        "kind": "percentage", "percent_bps": 1500, "department_id": "{department_id}",
    },
    ("POST", "/api/v2/admin/discount-codes/{code_id}/active"): {"active": True},
    ("POST", "/api/v2/admin/programs"): {
        "code": "MATRIX-NEWP", "title": "New program", "department_id": "{department_id}",
        "course_ids": ["{published_course_id}", "{second_published_course_id}"],
    },
    ("PUT", "/api/v2/admin/programs/{program_id}"): {
        "title": "Matrix program edited", "course_ids": ["{course_id}", "{second_course_id}"],
    },
    ("POST", "/api/v2/admin/courses"): {
        "code": "MATRIX-NEWC", "title": "New course", "department_id": "{department_id}",
    },
    ("PUT", "/api/v2/admin/courses/{course_id}"): {"title": "Matrix edited"},
    ("POST", "/api/v2/admin/payments/{payment_id}/refund"): {
        "reason": "role matrix check", "amount": 100,
    },
    ("PUT", "/api/v2/admin/departments/{department_id}/registration-reviewers"): {
        "reviewers": "both",
    },
}
# Routes that decide something take their own row, so each allowed call finds it undecided.
PER_ROUTE = {
    ("POST", "/api/v2/admin/orders/{number}/cancel"): {"{number}": "{cancel_number}"},
    ("DELETE", "/api/v2/admin/steps/{step_id}"): {"{step_id}": "{second_step_id}"},
    ("POST", "/api/v2/admin/sessions/{session_id}/cancel"): {
        "{session_id}": "{second_session_id}"
    },
    ("POST", "/api/v2/admin/registrations/{registration_id}/reject"): {
        "{registration_id}": "{second_registration_id}"
    },
    ("DELETE", "/api/v2/admin/certificate-templates/{template_id}"): {
        "{template_id}": "{second_template_id}"
    },
    ("POST", "/api/v2/admin/refunds/{request_id}/reject"): {
        "{request_id}": "{second_request_id}"
    },
    ("POST", "/api/v2/admin/refunds/{request_id}/retry"): {
        "{request_id}": "{failed_request_id}"
    },
    ("POST", "/api/v2/admin/subscriptions/{subscription_id}/extend-trial"): {
        "{subscription_id}": "{trialing_subscription_id}"
    },
}
QUERIES = {
    ("GET", "/api/v2/admin/sessions/calendar"): {"week_start": "{next_year_day}"},
    ("GET", "/api/v2/admin/pricing/history"): {
        "item_type": "subscription",
        "item_id": "{department_id}",
    },
}
ROLES = [None, *RoleName]


def _live_sessions(session, owner, course_id, dept):
    """Two steps (one to delete), two group classes (one to cancel), an attached option."""
    day = date.today() + timedelta(days=365)
    made = enrollment.schedule_sessions(session, actor=owner, data=enrollment.SessionIn(
        department_id=dept, title="Matrix class", day=day, start=time(9), end=time(10),
        time_zone="UTC", capacity=5, repeat_weeks=3))
    steps = [learning.create_step(session, actor=owner, course_id=course_id,
                                  data=learning.StepIn(f"Step {i}", f"Matrix {i}"))
             for i in (1, 2)]
    option = learning.attach_option(session, actor=owner, step_id=steps[0].id,
                                    session_id=made[2].id)
    session.commit()
    return {"{course_id}": course_id, "{step_id}": steps[0].id,
            "{second_step_id}": steps[1].id, "{session_id}": made[0].id,
            "{second_session_id}": made[1].id, "{option_id}": option.id,
            "{next_year_day}": (day + timedelta(days=1)).isoformat()}


def _invoice_rows(session, order, request):
    """The order's invoice and a credit note, for the invoice download routes."""
    commerce.issue_invoice(session, order)
    note = commerce.issue_credit_note(session, request, order)
    session.commit()
    return {"{credit_note}": note.number}


def _admin_api_rows(session, dept, course_id, second_course_id, order_id):
    """Issue 19's admin API rows: a code and a program of the department, two published
    courses a new program can take, the recorded order's payment."""
    code = DiscountCode(code="MATRIX10", kind="percentage", percent_bps=1000,
                        department_id=dept, valid_from=datetime(2026, 1, 1, tzinfo=UTC))
    published = [Course(code=f"MATRIX-P{i}", title=f"Published {i}", department_id=dept,
                        published=True) for i in (1, 2)]
    program = Program(code="MATRIX-PROG", title="Matrix program", department_id=dept)
    session.add_all([code, program, *published])
    session.flush()
    session.add_all([ProgramCourse(program_id=program.id, course_id=c, position=i)
                     for i, c in enumerate((course_id, second_course_id), start=1)])
    payment = session.exec(select(Payment).where(Payment.order_id == order_id)).one()
    session.commit()
    return {"{code_id}": code.id, "{program_id}": program.id, "{payment_id}": payment.id,
            "{published_course_id}": published[0].id,
            "{second_published_course_id}": published[1].id}


def _cancel_rows(session, user):
    """An order of its own for the cancel route, so the routes of the first still find it
    completed."""
    order = recorded_order(session, user)
    return {"{cancel_number}": order_number(order.id, order.created_at)}


def _filled(values, placeholders):
    if values is None:
        return None
    return {k: _value(v, placeholders) for k, v in values.items()}


def _value(value, placeholders):
    if isinstance(value, list):
        return [_value(v, placeholders) for v in value]
    return placeholders.get(value, value) if isinstance(value, str) else value


def test_the_matrix_lists_every_admin_route():
    paths = create_api().openapi()["paths"]
    routes = {
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith("/api/v2/admin")
        for method in operations
    }
    assert routes == set(ADMIN_ROUTES)


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_each_role_gets_exactly_its_admin_routes(client, session, role):
    dept = create_department(session, "ENG")
    target = create_user(session, "target@example.com")
    owner = create_user(session, "owner@example.com", grants=(Grant(RoleName.SUPER_ADMIN),))
    annual = pricing.create_price(
        session=session,
        actor=owner,
        item_type="subscription",
        item_id=dept,
        price_type="subscription",
        interval="annual",
        amount=19000,
    )
    order = recorded_order(session, target)
    session.add(PaymentReview(user_id=target.user_id, reason="role matrix", failures=5))
    session.commit()
    course = Course(code="MATRIX-1", title="Matrix", department_id=dept)
    session.add(course)
    session.flush()
    pending = [
        Registration(dedupe_key=f"matrix:{i}", user_id=target.user_id, kind="course",
                     course_id=course.id, department_id=dept, approval_required=True)
        for i in range(2)
    ]
    session.add_all(pending)
    other_course = Course(code="MATRIX-2", title="Matrix 2", department_id=dept)
    module = CourseModule(course_id=course.id, position=1, title="Matrix module")
    enrollment = Enrollment(user_id=target.user_id, course_id=course.id, source="manual",
                            mode="local", status="active")
    session.add_all([module, enrollment, other_course])
    session.flush()
    certificate = Certificate(number="CERT-2026-MATRIX0001", user_id=target.user_id,
                              kind="course", course_id=course.id, department_id=dept,
                              recipient_name="Target", title="Certificate of Completion",
                              description="Matrix")
    templates_made = [CertificateTemplate(department_id=dept, name=f"T{i}", body_text="x")
                      for i in range(2)]
    refund_requests = [
        RefundRequest(order_id=order.id, user_id=target.user_id, amount=1000, currency="USD",
                      reason="role matrix check", source="learner")
        for _ in range(3)
    ]
    refund_requests[2].status, refund_requests[2].approved_amount = "failed", 1000
    session.add_all([certificate, *templates_made, *refund_requests])
    session.commit()
    # subscriptions: the target's active annual one; another learner's trial of a monthly plan
    monthly = pricing.create_price(session=session, actor=owner, item_type="subscription",
                                   item_id=dept, price_type="subscription", interval="monthly",
                                   amount=1900, trial_days=14)
    subscribed = commerce.subscribe(session=session, actor=target, price_id=annual.id,
                                    payment_method=SUCCESS_CARD)
    trialing = commerce.subscribe(session=session,
                                  actor=create_user(session, "trial@example.com"),
                                  price_id=monthly.id, payment_method=SUCCESS_CARD)
    placeholders = {"{user_id}": target.user_id, "{department_id}": dept, "{price_id}": annual.id,
                    "{number}": order_number(order.id, order.created_at),
                    "{registration_id}": pending[0].id,
                    "{second_registration_id}": pending[1].id,
                    "{second_course_id}": other_course.id, "{module_id}": module.id,
                    "{enrollment_id}": enrollment.id, "{certificate_id}": certificate.id,
                    "{template_id}": templates_made[0].id,
                    "{second_template_id}": templates_made[1].id,
                    "{request_id}": refund_requests[0].id,
                    "{second_request_id}": refund_requests[1].id,
                    "{failed_request_id}": refund_requests[2].id,
                    "{scope_key}": "default",
                    "{processor}": "sandbox",
                    "{subscription_id}": subscribed.id,
                    "{trialing_subscription_id}": trialing.id,
                    **_live_sessions(session, owner, course.id, dept),
                    **_admin_api_rows(session, dept, course.id, other_course.id, order.id),
                    **_invoice_rows(session, order, refund_requests[0]),
                    **_cancel_rows(session, target)}
    headers = {}
    if role is not None:
        scoped = role in (RoleName.DEPT_ADMIN, RoleName.ENROLLMENT_ADMIN)
        create_user(session, "who@example.com", grants=(Grant(role, dept if scoped else None),))
        token = client.post(
            "/api/v2/auth/login", json={"email": "who@example.com", "password": PASSWORD}
        ).json()["token"]
        headers = bearer(token)
    for (method, path), section in ADMIN_ROUTES.items():
        url = path
        for name, alias in PER_ROUTE.get((method, path), {}).items():
            url = url.replace(name, alias)
        for name, value in placeholders.items():
            url = url.replace(name, str(value))
        response = client.request(
            method,
            url,
            headers=headers,
            json=_filled(BODIES.get((method, path)), placeholders),
            params=_filled(QUERIES.get((method, path)), placeholders),
        )
        if role is None:
            expected = 401
        elif can_access([role], section):
            expected = None
        else:
            expected = 403
        if expected is None:
            assert response.status_code < 400, (role, method, path, response.json())
        else:
            assert response.status_code == expected, (role, method, path, response.json())
            assert response.json()["code"] in {"not_signed_in", "forbidden"}
