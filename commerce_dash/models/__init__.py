"""SQLModel tables, one module per area. Importing this package registers every table."""

from commerce_dash.models.accounts import (
    AccountToken,
    LoginAttempt,
    Role,
    User,
    UserRole,
    UserSession,
)
from commerce_dash.models.admin_api import AdminIdempotency
from commerce_dash.models.analytics import FunnelCount
from commerce_dash.models.audit import AuditLog
from commerce_dash.models.cart_reminders import CartReminder, EmailOptOut
from commerce_dash.models.catalog import Course, CourseModule, Department, Program, ProgramCourse
from commerce_dash.models.certificates import (
    Certificate,
    CertificatePdf,
    CertificateTemplate,
    CompletionRule,
    ModuleProgress,
    ProgressEvent,
    StoredImage,
)
from commerce_dash.models.commerce import (
    Cart,
    CartLine,
    Order,
    OrderLine,
    Payment,
    PaymentEvent,
    PaymentReview,
    RateLimitHit,
    RefundRequest,
    SandboxIntent,
    SandboxRefund,
)
from commerce_dash.models.delivery import JobLease, JobRun, OutboxMessage
from commerce_dash.models.enrollment import Enrollment, Registration
from commerce_dash.models.integrations import ApiConnector, SeenSignature
from commerce_dash.models.invoices import CreditNote, Invoice, InvoiceCounter, SellerDetails
from commerce_dash.models.pricing import (
    DiscountCode,
    DiscountCodeItem,
    DiscountRedemption,
    Price,
)
from commerce_dash.models.revenue import LedgerEntry, RevenueShareRule
from commerce_dash.models.sessions import (
    Booking,
    CourseStep,
    CreditPack,
    LiveSession,
    SessionCredit,
    StepOption,
    StepProgress,
    WaitlistEntry,
)
from commerce_dash.models.subscriptions import (
    SandboxClock,
    SandboxSubscription,
    Subscription,
    SubscriptionInvoice,
)
from commerce_dash.models.tax import FxRate, TaxExemption, TaxRate

__all__ = [
    "AdminIdempotency",
    "FunnelCount",
    "CreditNote",
    "Invoice",
    "InvoiceCounter",
    "SellerDetails",
    "Booking",
    "CourseStep",
    "CreditPack",
    "LiveSession",
    "SessionCredit",
    "StepOption",
    "StepProgress",
    "WaitlistEntry",
    "LedgerEntry",
    "RevenueShareRule",
    "Certificate",
    "CertificatePdf",
    "CertificateTemplate",
    "StoredImage",
    "CompletionRule",
    "ModuleProgress",
    "ProgressEvent",
    "Enrollment",
    "Registration",
    "Cart",
    "CartLine",
    "CartReminder",
    "EmailOptOut",
    "FxRate",
    "Order",
    "OrderLine",
    "Payment",
    "PaymentEvent",
    "PaymentReview",
    "RateLimitHit",
    "RefundRequest",
    "SandboxIntent",
    "SandboxRefund",
    "SandboxClock",
    "SandboxSubscription",
    "Subscription",
    "SubscriptionInvoice",
    "TaxExemption",
    "TaxRate",
    "AccountToken",
    "ApiConnector",
    "DiscountCode",
    "DiscountCodeItem",
    "DiscountRedemption",
    "JobLease",
    "JobRun",
    "OutboxMessage",
    "Price",
    "SeenSignature",
    "AuditLog",
    "Course",
    "CourseModule",
    "Department",
    "LoginAttempt",
    "Program",
    "ProgramCourse",
    "Role",
    "User",
    "UserRole",
    "UserSession",
]
