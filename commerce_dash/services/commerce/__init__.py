"""Commerce: taking money. Cart, checkout, orders, payments and settlement, tax, refunds,
disputes, payment reviews, department subscriptions (plans, billing, changes), and the admin overview's key figures.
"""

from .cancellations import (
    OrderCancellation,
    OrderCancelPreview,
    RegistrationCancellation,
    cancel_my_registration,
    cancel_order,
    cancel_preview,
)
from .cart import (
    add_item,
    apply_code,
    expire_carts,
    merge_guest_cart,
    remove_code,
    remove_line,
    set_preferences,
)
from .cart_lookups import CartOwner, cart_count, display_currency, new_cart_token
from .cart_prices import offer_for
from .cart_reminders import (
    REMINDER_BATCH as CART_REMINDER_BATCH,
)
from .cart_reminders import (
    UNSUBSCRIBE_PATH,
    RecoveredOrders,
    opt_out_of_cart_reminders,
    recovered_orders,
    send_cart_reminders,
    unsubscribe_token,
    unsubscribe_user,
)
from .cart_view import CartView, currency_note, view_cart
from .checkout import CheckoutRequest
from .checkout import checkout as place_order
from .checkout_views import CheckoutResult, CheckoutSummary, checkout_summary
from .email_previews import preview
from .enrollment_api import (
    CourseInfo,
    EnrollmentPayment,
    EnrollmentRequest,
    InitializedEnrollment,
    course_info,
    enrollment_payment,
    initialize_enrollment,
)
from .invoice_downloads import credit_note_pdf, invoice_pdf, order_documents
from .invoice_seller import save_seller_details, seller_details
from .invoices import issue_credit_note, issue_invoice
from .item_standing import ItemStanding, item_standing, item_standings
from .order_exports import OrdersExport, orders_export
from .order_receipts import order_detail, payment_timeline
from .order_views import (
    AdminOrderRow,
    OrderDetail,
    OrderLineView,
    OrderSummary,
    PaymentRow,
    PaymentView,
    TimelineEntry,
)
from .orders import (
    ORDER_PAYMENT_STATUSES,
    ORDER_STATUSES,
    list_orders_admin,
    list_orders_for_user,
    payment_history_for_user,
    processor_options,
)
from .overview import Overview, Sales, admin_overview
from .payment_events import (
    event_counts,
    list_events,
    receive_webhook,
    replay_event,
    retry_due_events,
)
from .payment_intents import ensure_intent
from .payment_refund import PaymentRefund, refund_payment
from .payment_review import ReviewRow, clear_review, list_reviews
from .payment_settling import janitor
from .payments import (
    challenge_info,
    confirm_payment,
    hosted_checkout_pay,
    hosted_checkout_start,
    order_for,
    payment_state,
    sandbox_challenge,
    sandbox_pay,
    sandbox_processor_event,
    stripe_pay,
)
from .personal_data import (
    DeletionOutcome,
    delete_account,
    deletion_blockers,
    export_filename,
    export_personal_data,
)
from .processor_choice import ProcessorRow as ProcessorRowView
from .processor_choice import (
    ProcessorScreen,
    choose_processor,
    processor_screen,
    send_test_webhook,
    subscription_processor_of,
    unconfigured_departments,
)
from .refund_amounts import REFUNDABLE_ORDERS
from .refund_decisions import reject
from .refund_preview import RefundPreview, refund_preview
from .refund_queries import RefundableLine, RefundRow, counts, for_order, list_queue, refund_options
from .refund_requests import LineRefund, request_refund
from .refunds import MAX_BULK, approve, bulk, retry, retry_stuck
from .subscription_actions import ChangeOutcome
from .subscription_billing import advance_test_clock, expire_grace, run_sandbox_billing
from .subscription_cancel import cancel_subscription, undo_cancel
from .subscription_changes import (
    change_plan,
    complete_first_payment,
    extend_trial,
    pause_subscription,
    resume_subscription,
    update_card,
)
from .subscription_clock import billing_now
from .subscription_views import (
    HistoryEntry,
    InvoiceView,
    PlanOption,
    SubscriptionView,
    department_plans,
    get_subscription,
    list_my_subscriptions,
    list_subscriptions,
)
from .subscriptions import PlanQuote, plan_quote, subscribe
from .tax_exemption_admin import add_exemption, list_exemptions, revoke_exemption
from .tax_rates import deactivate_tax_rate, list_tax_rates, reactivate_tax_rate, upsert_tax_rate

__all__ = [
    "PaymentRefund",
    "refund_payment",
    "OrderCancellation",
    "OrderCancelPreview",
    "cancel_preview",
    "RegistrationCancellation",
    "cancel_my_registration",
    "cancel_order",
    "CART_REMINDER_BATCH",
    "UNSUBSCRIBE_PATH",
    "RecoveredOrders",
    "opt_out_of_cart_reminders",
    "recovered_orders",
    "send_cart_reminders",
    "unsubscribe_token",
    "unsubscribe_user",
    "DeletionOutcome",
    "delete_account",
    "deletion_blockers",
    "export_filename",
    "export_personal_data",
    "credit_note_pdf",
    "invoice_pdf",
    "issue_credit_note",
    "issue_invoice",
    "order_documents",
    "save_seller_details",
    "seller_details",
    "CourseInfo",
    "EnrollmentPayment",
    "EnrollmentRequest",
    "InitializedEnrollment",
    "course_info",
    "enrollment_payment",
    "initialize_enrollment",
    "ProcessorRowView",
    "ProcessorScreen",
    "choose_processor",
    "processor_screen",
    "send_test_webhook",
    "subscription_processor_of",
    "unconfigured_departments",
    "AdminOrderRow",
    "CartOwner",
    "CartView",
    "ChangeOutcome",
    "CheckoutRequest",
    "CheckoutResult",
    "CheckoutSummary",
    "HistoryEntry",
    "InvoiceView",
    "LineRefund",
    "MAX_BULK",
    "ORDER_PAYMENT_STATUSES",
    "ORDER_STATUSES",
    "OrderDetail",
    "OrderLineView",
    "OrderSummary",
    "OrdersExport",
    "RefundPreview",
    "Overview",
    "PaymentRow",
    "PaymentView",
    "PlanOption",
    "PlanQuote",
    "REFUNDABLE_ORDERS",
    "RefundRow",
    "RefundableLine",
    "ReviewRow",
    "ItemStanding",
    "Sales",
    "SubscriptionView",
    "TimelineEntry",
    "add_exemption",
    "add_item",
    "admin_overview",
    "advance_test_clock",
    "apply_code",
    "approve",
    "billing_now",
    "item_standing",
    "item_standings",
    "bulk",
    "cancel_subscription",
    "cart_count",
    "challenge_info",
    "change_plan",
    "checkout_summary",
    "clear_review",
    "complete_first_payment",
    "confirm_payment",
    "counts",
    "currency_note",
    "deactivate_tax_rate",
    "department_plans",
    "display_currency",
    "ensure_intent",
    "event_counts",
    "expire_carts",
    "expire_grace",
    "extend_trial",
    "for_order",
    "get_subscription",
    "janitor",
    "list_events",
    "list_exemptions",
    "list_my_subscriptions",
    "list_orders_admin",
    "list_orders_for_user",
    "list_queue",
    "list_reviews",
    "list_subscriptions",
    "list_tax_rates",
    "merge_guest_cart",
    "new_cart_token",
    "offer_for",
    "order_detail",
    "order_for",
    "pause_subscription",
    "payment_history_for_user",
    "payment_state",
    "payment_timeline",
    "place_order",
    "plan_quote",
    "preview",
    "orders_export",
    "processor_options",
    "reactivate_tax_rate",
    "receive_webhook",
    "refund_options",
    "refund_preview",
    "reject",
    "remove_code",
    "remove_line",
    "replay_event",
    "request_refund",
    "resume_subscription",
    "retry",
    "retry_due_events",
    "retry_stuck",
    "revoke_exemption",
    "run_sandbox_billing",
    "sandbox_challenge",
    "sandbox_pay",
    "sandbox_processor_event",
    "set_preferences",
    "hosted_checkout_pay",
    "hosted_checkout_start",
    "stripe_pay",
    "subscribe",
    "undo_cancel",
    "update_card",
    "upsert_tax_rate",
    "view_cart",
]
