"""The Reflex app: pages, theme and the API mounted by ``api_transformer``."""

from __future__ import annotations

import asyncio
import time

import reflex as rx
from reflex.middleware import Middleware

from commerce_dash import metrics, routes
from commerce_dash.api import create_api
from commerce_dash.jobs.scheduler import scheduler_lifespan
from commerce_dash.pages.admin.approval_rules import ApprovalRulesState
from commerce_dash.pages.admin.audit import AuditState, audit_page
from commerce_dash.pages.admin.certificate_templates import (
    CertificateTemplatesState,
    certificate_templates_page,
)
from commerce_dash.pages.admin.certificates import CertificatesAdminState, certificates_admin_page
from commerce_dash.pages.admin.courses import CoursesState, courses_page
from commerce_dash.pages.admin.discounts import DiscountsState, discounts_page
from commerce_dash.pages.admin.emails import EmailPreviewState, emails_page
from commerce_dash.pages.admin.health import health_page
from commerce_dash.pages.admin.health_state import HealthState
from commerce_dash.pages.admin.lms_pending import LmsPendingState
from commerce_dash.pages.admin.order_detail import AdminOrderDetailState, order_detail_admin_page
from commerce_dash.pages.admin.orders import AdminOrdersState, orders_admin_page
from commerce_dash.pages.admin.overview import OverviewState, overview_page
from commerce_dash.pages.admin.payment_events import PaymentEventsState
from commerce_dash.pages.admin.payouts import PayoutsState
from commerce_dash.pages.admin.pricing import PricingState, pricing_page
from commerce_dash.pages.admin.processors import processors_page
from commerce_dash.pages.admin.processors_state import ProcessorsState
from commerce_dash.pages.admin.programs import ProgramsState, programs_page
from commerce_dash.pages.admin.progress import ProgressAdminState, progress_admin_page
from commerce_dash.pages.admin.refunds import RefundsState, refunds_page
from commerce_dash.pages.admin.registrations import RegistrationsState, registrations_page
from commerce_dash.pages.admin.revenue import RevenueState, revenue_page
from commerce_dash.pages.admin.revenue_shares import RevenueSharesState
from commerce_dash.pages.admin.session_detail import session_detail_admin_page
from commerce_dash.pages.admin.session_detail_state import SessionDetailState
from commerce_dash.pages.admin.sessions import sessions_admin_page
from commerce_dash.pages.admin.sessions_state import SessionsState
from commerce_dash.pages.admin.subscription_detail import subscription_detail_admin_page
from commerce_dash.pages.admin.subscription_detail_state import SubscriptionDetailState
from commerce_dash.pages.admin.subscriptions import subscriptions_admin_page
from commerce_dash.pages.admin.subscriptions_state import SubscriptionsState
from commerce_dash.pages.admin.system import SystemState, system_page
from commerce_dash.pages.admin.tax_settings import TaxSettingsState, tax_settings_page
from commerce_dash.pages.admin.users import UsersState, users_page
from commerce_dash.pages.public.accept_invite import accept_invite_page
from commerce_dash.pages.public.confirm_email import ConfirmEmailState, confirm_email_page
from commerce_dash.pages.public.login import LoginState, login_page
from commerce_dash.pages.public.password_reset import (
    ForgotPasswordState,
    ResetPasswordState,
    forgot_password_page,
    reset_password_page,
)
from commerce_dash.pages.public.register import RegisterState, register_page
from commerce_dash.pages.public.second_factor import SecondFactorState, second_factor_page
from commerce_dash.pages.public.verify import VerifyState, verify_page
from commerce_dash.pages.store.account import AccountState, account_page
from commerce_dash.pages.store.cart import CartState, cart_page
from commerce_dash.pages.store.catalog import CatalogState, catalog_page
from commerce_dash.pages.store.certificates import MyCertificatesState, my_certificates_page
from commerce_dash.pages.store.checkout import CheckoutState, checkout_page
from commerce_dash.pages.store.course import CourseState, course_page
from commerce_dash.pages.store.department import DepartmentState, department_page
from commerce_dash.pages.store.home import HomeState, home_page
from commerce_dash.pages.store.learn import LearnState, learn_page
from commerce_dash.pages.store.my_courses import MyCoursesState
from commerce_dash.pages.store.order_detail import OrderDetailState, order_detail_page
from commerce_dash.pages.store.orders import OrdersState, orders_page
from commerce_dash.pages.store.program import ProgramState, program_page
from commerce_dash.pages.store.registrations_card import MyRegistrationsState
from commerce_dash.pages.store.sandbox_3ds import ChallengeState, challenge_page
from commerce_dash.pages.store.schedule import my_schedule_page
from commerce_dash.pages.store.schedule_state import MyScheduleState
from commerce_dash.pages.store.security import SecurityState, security_page
from commerce_dash.pages.store.subscribe import subscribe_page
from commerce_dash.pages.store.subscribe_state import SubscribeState
from commerce_dash.pages.store.subscriptions import my_subscriptions_page
from commerce_dash.pages.store.subscriptions_state import MySubscriptionsState
from commerce_dash.pages.store.teaching import teaching_page
from commerce_dash.pages.store.teaching_state import TeachingState
from commerce_dash.startup import configure_logs, refuse_unsafe_production
from commerce_dash.state.auth import AuthState

# Logs as configured (JSON lines in production); production stops here on unsafe settings
# or a demo account still on the demo password.
configure_logs()
refuse_unsafe_production()


class TimePageEvents(Middleware):
    """Reflex calls ``preprocess`` inside the task that runs an event, once the state lock
    is held (0.10.1 never calls ``postprocess``): the task's end is the handler's end, so a
    done callback on it records the event's duration, by handler."""

    async def preprocess(self, app, state, event):  # type: ignore[no-untyped-def]
        task = asyncio.current_task()
        if task is not None:
            start, name = time.perf_counter(), event.name

            def done(finished: asyncio.Task) -> None:
                failed = not finished.cancelled() and finished.exception() is not None
                metrics.observe_page_event(name, time.perf_counter() - start, failed)

            task.add_done_callback(done)
        return None

app = rx.App(
    api_transformer=create_api(),
    head_components=[rx.el.link(rel="icon", href="/favicon.svg", type="image/svg+xml")],
    # stacked table cards on phones, sticky row actions, screen-reader-only text
    stylesheets=["/commerce.css"],
)

# Scheduled jobs run inside every app process; leases in the database keep each job to one
# run at a time across processes (COMMERCE_SCHEDULER_ENABLED=false leaves them to the worker).
app.register_lifespan_task(scheduler_lifespan)
# How late the event loop wakes a sleeper: commerce_event_loop_lag_seconds on /metrics.
app.register_lifespan_task(metrics.loop_lag_lifespan)
# How long each page event takes: commerce_page_event_duration_seconds.
app.add_middleware(TimePageEvents())

TITLE = "Commerce Dash"
LOAD = AuthState.load_session_off_loop  # the session refresh of every storefront page

# (page, route, title, on_load); admin pages guard their section in their own load event.
PAGES = [
    (home_page, routes.HOME, TITLE, [LOAD, HomeState.load]),
    (login_page, routes.LOGIN, "Sign in", [LOAD, LoginState.load]),
    (second_factor_page, routes.SECOND_FACTOR, "Enter your code",
     [LOAD, SecondFactorState.load]),
    (register_page, routes.REGISTER, "Create account", [LOAD, RegisterState.load]),
    (confirm_email_page, routes.CONFIRM_EMAIL, "Confirm your email",
     [LOAD, ConfirmEmailState.load]),
    (forgot_password_page, routes.FORGOT_PASSWORD, "Forgot password",
     [LOAD, ForgotPasswordState.load]),
    (reset_password_page, routes.RESET_PASSWORD, "New password",
     [LOAD, ResetPasswordState.load]),
    (accept_invite_page, routes.ACCEPT_INVITE, "Set password", None),
    (security_page, routes.ACCOUNT_SECURITY, "Security", SecurityState.load),
    (
        account_page,
        routes.ACCOUNT,
        "My account",
        [AccountState.load, MyCoursesState.load, MyRegistrationsState.load,
         MyCertificatesState.load_card],
    ),
    (cart_page, routes.CART, "Cart", CartState.load),
    (checkout_page, f"{routes.CHECKOUT}/[number]", "Checkout", CheckoutState.load),
    (challenge_page, f"{routes.SANDBOX_3DS}/[intent]", "Confirm payment", ChallengeState.load),
    (orders_page, routes.ORDERS, "My orders", OrdersState.load),
    (my_certificates_page, routes.MY_CERTIFICATES, "My certificates", MyCertificatesState.load),
    (my_subscriptions_page, routes.MY_SUBSCRIPTIONS, "My subscriptions",
     MySubscriptionsState.load),
    (my_schedule_page, routes.SCHEDULE, "My schedule", MyScheduleState.load),
    (teaching_page, routes.TEACHING, "Teaching", TeachingState.load),
    (subscribe_page, f"{routes.SUBSCRIBE}/[code]", "Subscribe", SubscribeState.load),
    (learn_page, f"{routes.LEARN}/[code]", "My course", LearnState.load),
    (verify_page, routes.VERIFY, "Verify a certificate", [LOAD, VerifyState.load]),
    (verify_page, f"{routes.VERIFY}/[number]", "Verify a certificate", [LOAD, VerifyState.load]),
    (order_detail_page, f"{routes.ORDERS}/[number]", "Order", OrderDetailState.load),
    (catalog_page, routes.STORE, "Catalog", [LOAD, CatalogState.load]),
    (course_page, f"{routes.STORE_COURSE}/[code]", "Course", [LOAD, CourseState.load]),
    (program_page, f"{routes.STORE_PROGRAM}/[code]", "Program", [LOAD, ProgramState.load]),
    (
        department_page,
        f"{routes.STORE_DEPARTMENT}/[code]",
        "Department",
        [LOAD, DepartmentState.load],
    ),
    (overview_page, routes.ADMIN, "Admin", OverviewState.load),
    (
        courses_page,
        routes.ADMIN_COURSES,
        "Courses",
        [CoursesState.load, ApprovalRulesState.load],
    ),
    (
        certificates_admin_page,
        routes.ADMIN_CERTIFICATES,
        "Certificates",
        CertificatesAdminState.load,
    ),
    (progress_admin_page, routes.ADMIN_PROGRESS, "Learner progress", ProgressAdminState.load),
    (
        certificate_templates_page,
        routes.ADMIN_CERT_TEMPLATES,
        "Certificate templates",
        CertificateTemplatesState.load,
    ),
    (sessions_admin_page, routes.ADMIN_SESSIONS, "Sessions", SessionsState.load),
    (
        session_detail_admin_page,
        f"{routes.ADMIN_SESSIONS}/[live_session_id]",
        "Session",
        SessionDetailState.load,
    ),
    (programs_page, routes.ADMIN_PROGRAMS, "Programs", ProgramsState.load),
    (pricing_page, routes.ADMIN_PRICING, "Pricing", PricingState.load),
    (discounts_page, routes.ADMIN_DISCOUNTS, "Discount codes", DiscountsState.load),
    (
        registrations_page,
        routes.ADMIN_REGISTRATIONS,
        "Registrations",
        [RegistrationsState.load, LmsPendingState.load],
    ),
    (orders_admin_page, routes.ADMIN_ORDERS, "Orders & payments", AdminOrdersState.load),
    (
        order_detail_admin_page,
        f"{routes.ADMIN_ORDERS}/[number]",
        "Order",
        AdminOrderDetailState.load,
    ),
    (
        subscriptions_admin_page,
        routes.ADMIN_SUBSCRIPTIONS,
        "Subscriptions",
        SubscriptionsState.load,
    ),
    (
        subscription_detail_admin_page,
        f"{routes.ADMIN_SUBSCRIPTIONS}/[number]",
        "Subscription",
        SubscriptionDetailState.load,
    ),
    (refunds_page, routes.ADMIN_REFUNDS, "Refunds", RefundsState.load),
    (revenue_page, routes.ADMIN_REVENUE, "Revenue", [RevenueState.load, PayoutsState.load]),
    (processors_page, routes.ADMIN_PROCESSORS, "Payment processors", ProcessorsState.load),
    (
        tax_settings_page,
        routes.ADMIN_SETTINGS,
        "Tax & currency",
        [TaxSettingsState.load, RevenueSharesState.load],
    ),
    (
        system_page,
        routes.ADMIN_SYSTEM,
        "System",
        [SystemState.load, PaymentEventsState.load],
    ),
    (health_page, routes.ADMIN_HEALTH, "Health", HealthState.load),
    (emails_page, routes.ADMIN_EMAILS, "Email templates", EmailPreviewState.load),
    (users_page, routes.ADMIN_USERS, "Users", UsersState.load),
    (audit_page, routes.ADMIN_AUDIT, "Audit log", AuditState.load),
]

for page, route, title, on_load in PAGES:
    loads = on_load if isinstance(on_load, list) else [on_load] if on_load else []
    app.add_page(
        page,
        route=route,
        title=title if title == TITLE else f"{title} · {TITLE}",
        # notes left by the page before a sign-in or sign-out hop show on the next one
        on_load=[*loads, AuthState.show_notices],
    )
