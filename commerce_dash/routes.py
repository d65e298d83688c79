"""Route constants, in one place for pages, links, redirects and tests."""

HOME = "/"
LOGIN = "/login"
REGISTER = "/register"
ACCEPT_INVITE = "/accept-invite"
ACCOUNT = "/account"
CART = "/cart"

STORE = "/store"
STORE_COURSE = "/store/course"  # + /[code]
STORE_PROGRAM = "/store/program"  # + /[code]
STORE_DEPARTMENT = "/store/department"  # + /[code]

ADMIN = "/admin"
ADMIN_COURSES = "/admin/courses"
ADMIN_PROGRAMS = "/admin/programs"
ADMIN_PRICING = "/admin/pricing"
ADMIN_DISCOUNTS = "/admin/discounts"
ADMIN_SYSTEM = "/admin/system"  # jobs and outbox
ADMIN_EMAILS = "/admin/system/emails"  # template previews
ADMIN_USERS = "/admin/users"
ADMIN_AUDIT = "/admin/audit"
