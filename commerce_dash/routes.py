"""Route constants, in one place for pages, links, redirects and tests."""

HOME = "/"
LOGIN = "/login"
REGISTER = "/register"
ACCEPT_INVITE = "/accept-invite"
ACCOUNT = "/account"
CART = "/cart"

ADMIN = "/admin"
ADMIN_USERS = "/admin/users"
ADMIN_AUDIT = "/admin/audit"
