"""The Reflex app: pages, theme and the API mounted by ``api_transformer``."""

from __future__ import annotations

import reflex as rx

from commerce_dash import routes
from commerce_dash.api import create_api
from commerce_dash.pages.admin.audit import AuditState, audit_page
from commerce_dash.pages.admin.overview import OverviewState, overview_page
from commerce_dash.pages.admin.users import UsersState, users_page
from commerce_dash.pages.public.accept_invite import accept_invite_page
from commerce_dash.pages.public.login import login_page
from commerce_dash.pages.public.register import register_page
from commerce_dash.pages.store.account import AccountState, account_page
from commerce_dash.pages.store.cart import cart_page
from commerce_dash.pages.store.home import HomeState, home_page
from commerce_dash.state.auth import AuthState

app = rx.App(
    api_transformer=create_api(),
    head_components=[rx.el.link(rel="icon", href="/favicon.svg", type="image/svg+xml")],
)

TITLE = "Commerce Dash"

app.add_page(
    home_page, route=routes.HOME, title=TITLE, on_load=[AuthState.load_session, HomeState.load]
)
app.add_page(
    login_page, route=routes.LOGIN, title=f"Sign in · {TITLE}", on_load=AuthState.load_session
)
app.add_page(
    register_page,
    route=routes.REGISTER,
    title=f"Create account · {TITLE}",
    on_load=AuthState.load_session,
)
app.add_page(accept_invite_page, route=routes.ACCEPT_INVITE, title=f"Set password · {TITLE}")
app.add_page(
    account_page, route=routes.ACCOUNT, title=f"My account · {TITLE}", on_load=AccountState.load
)
app.add_page(cart_page, route=routes.CART, title=f"Cart · {TITLE}", on_load=AuthState.load_session)

app.add_page(
    overview_page, route=routes.ADMIN, title=f"Admin · {TITLE}", on_load=OverviewState.load
)
app.add_page(
    users_page, route=routes.ADMIN_USERS, title=f"Users · {TITLE}", on_load=UsersState.load
)
app.add_page(
    audit_page, route=routes.ADMIN_AUDIT, title=f"Audit log · {TITLE}", on_load=AuditState.load
)
