"""Route constants and link builders, in one place for pages, links, redirects and tests."""

from urllib.parse import quote

HOME = "/"
LOGIN = "/login"
REGISTER = "/register"
ACCEPT_INVITE = "/accept-invite"
CONFIRM_EMAIL = "/confirm-email"  # ?token=: the link of the registration email
FORGOT_PASSWORD = "/forgot-password"
RESET_PASSWORD = "/reset-password"  # ?token=: the link of the password email
SECOND_FACTOR = "/sign-in/code"  # the code step of a two-factor sign-in
ACCOUNT_SECURITY = "/account/security"  # password, sessions, two-factor sign-in
ACCOUNT = "/account"
CART = "/cart"
CHECKOUT = "/checkout"  # + /[number]: pay for a pending order
ORDERS = "/account/orders"  # + /[number]: order detail and receipt
LEARN = "/account/learn"  # + /[code]: a course's modules and the learner's progress
MY_CERTIFICATES = "/account/certificates"
MY_SUBSCRIPTIONS = "/account/subscriptions"  # plan, status, invoices, card, pause, cancel
SCHEDULE = "/account/schedule"  # ?offer=<entry id>: bookings, waitlist, credits
TEACHING = "/teaching"  # an instructor's sessions, rosters and attendance
SUBSCRIBE = "/subscribe"  # + /[department code]: choose a plan, a code, a card
VERIFY = "/verify"  # + /[number]: public certificate verification
SANDBOX_3DS = "/sandbox/3ds"  # + /[intent]: the sandbox's 3-D Secure challenge

STORE = "/store"
STORE_COURSE = "/store/course"  # + /[code]
STORE_PROGRAM = "/store/program"  # + /[code]
STORE_DEPARTMENT = "/store/department"  # + /[code]

ADMIN = "/admin"
ADMIN_COURSES = "/admin/courses"
ADMIN_PROGRAMS = "/admin/programs"
ADMIN_SESSIONS = "/admin/sessions"  # live classes and private slots; + /[live_session_id]: roster
ADMIN_PRICING = "/admin/pricing"
ADMIN_DISCOUNTS = "/admin/discounts"
ADMIN_REGISTRATIONS = "/admin/registrations"  # the approval queue
ADMIN_CERTIFICATES = "/admin/certificates"  # + /[number]: detail with history
ADMIN_CERT_TEMPLATES = "/admin/certificates/templates"
ADMIN_PROGRESS = "/admin/certificates/progress"  # record learners' module progress
ADMIN_ORDERS = "/admin/orders"  # + /[number]: order detail with its payment timeline
ADMIN_REFUNDS = "/admin/refunds"  # the refund queue
ADMIN_SUBSCRIPTIONS = "/admin/subscriptions"  # + /[number]: detail with invoices and events
ADMIN_REVENUE = "/admin/revenue"  # reports; + /reconciliation, /payouts, /shares
ADMIN_SETTINGS = "/admin/settings"  # tax rates, exemptions, FX rates
ADMIN_PROCESSORS = "/admin/processors"  # who takes payments, processor set-up
ADMIN_SYSTEM = "/admin/system"  # jobs and outbox
ADMIN_HEALTH = "/admin/health"  # the figures of /metrics: errors, latency, lag, backlogs
ADMIN_EMAILS = "/admin/system/emails"  # template previews
ADMIN_USERS = "/admin/users"
ADMIN_AUDIT = "/admin/audit"


def order_href(number: str) -> str:
    """The learner's page of an order."""
    return f"{ORDERS}/{quote(number, safe='')}"


def admin_order_href(number: str) -> str:
    """The admin page of an order."""
    return f"{ADMIN_ORDERS}/{quote(number, safe='')}"


def admin_subscription_href(number: str) -> str:
    """The admin page of a subscription."""
    return f"{ADMIN_SUBSCRIPTIONS}/{quote(number, safe='')}"


def admin_session_href(session_id: int) -> str:
    """The admin page of a live session (its facts, roster and waitlist)."""
    return f"{ADMIN_SESSIONS}/{int(session_id)}"


def verify_href(number: str) -> str:
    """The public page of a certificate number (local path)."""
    return f"{VERIFY}/{quote(number, safe='')}"
