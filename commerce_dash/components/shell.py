"""Page shells: the storefront header and the admin sidebar layout.

One module of about 430 lines on purpose: both shells share the brand, the frame edges, the
single <main> landmark and footer, the account menu and the loading skeletons, and every page
imports its shell from here; splitting the two would move those shared pieces into a third
module for no reader's gain.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from commerce_dash import routes
from commerce_dash.components.tables import skeleton_rows
from commerce_dash.domain.access import SECTIONS
from commerce_dash.state.admin import AdminState
from commerce_dash.state.auth import AuthState

BRAND = "Commerce Dash"


def _frame(edge: str) -> dict[str, Any]:
    """The look of the app's frame (header bars, sidebar): a light panel ruled off on the
    ``edge`` side that faces the content."""
    return {f"border_{edge}": f"1px solid {rx.color('gray', 5)}", "background": rx.color("gray", 1)}


def brand(href: str = routes.HOME) -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.image(src="/logo.svg", width="28px", height="28px", alt=""),
            rx.heading(
                BRAND, size="4", weight="bold", white_space="nowrap", display=["none", "block"]
            ),
            align="center",
            spacing="2",
        ),
        href=href,
        underline="none",
        color="inherit",
        # on a phone the name is hidden and the logo has no text: the link keeps its name
        aria_label=f"{BRAND} home",
    )


def account_menu() -> rx.Component:
    return rx.cond(
        AuthState.signed_in,
        rx.menu.root(
            rx.menu.trigger(
                rx.button(
                    rx.icon("circle-user", size=18),
                    rx.text(AuthState.user_name, display=["none", "inline"]),
                    rx.icon("chevron-down", size=14),
                    variant="ghost",
                    # the name shown on the button starts its accessible name (axe:
                    # label-content-name-mismatch)
                    aria_label=AuthState.user_name.to(str) + ", account menu",
                    id="account-menu",
                ),
            ),
            rx.menu.content(
                rx.box(
                    rx.text(AuthState.user_email, size="1", color_scheme="gray"),
                    padding="0.25em 0.75em",
                ),
                rx.menu.item("My account", on_click=rx.redirect(routes.ACCOUNT)),
                rx.menu.item("My orders", on_click=rx.redirect(routes.ORDERS)),
                rx.menu.item("My certificates", on_click=rx.redirect(routes.MY_CERTIFICATES)),
                rx.menu.item("My subscriptions",
                             on_click=rx.redirect(routes.MY_SUBSCRIPTIONS)),
                rx.menu.item("My schedule", on_click=rx.redirect(routes.SCHEDULE)),
                rx.cond(
                    AuthState.teaches,
                    rx.menu.item("Teaching", on_click=rx.redirect(routes.TEACHING)),
                ),
                rx.cond(
                    AuthState.is_admin_user,
                    rx.menu.item("Admin dashboard", on_click=rx.redirect(routes.ADMIN)),
                ),
                rx.menu.separator(),
                rx.menu.item("Sign out", on_click=AuthState.sign_out, color_scheme="red"),
            ),
        ),
        rx.hstack(
            rx.link(rx.button("Sign in", variant="soft", white_space="nowrap"), href=routes.LOGIN),
            rx.link(rx.button("Create account"), href=routes.REGISTER, display=["none", "inline"]),
            spacing="2",
        ),
    )


def store_header(minimal: bool = False) -> rx.Component:
    """The storefront header; ``minimal`` (the public verification page) leaves out the shop:
    no catalog link and no cart, only the brand and the account menu."""
    if minimal:
        return rx.box(
            rx.hstack(brand(), rx.spacer(), account_menu(), align="center", spacing="3",
                      max_width="1200px", margin="0 auto", padding="0.75em 1em"),
            **_frame("bottom"), width="100%", id="minimal-header",
        )
    return rx.box(
        rx.hstack(
            brand(),
            rx.link("Catalog", href=routes.STORE, weight="medium", margin_left="1em"),
            rx.spacer(),
            rx.link(
                rx.box(
                    rx.icon_button(
                        rx.icon("shopping-cart", size=18), variant="ghost", aria_label="Cart"
                    ),
                    rx.cond(
                        AuthState.cart_count > 0,
                        rx.badge(
                            AuthState.cart_count,
                            variant="solid",
                            radius="full",
                            size="1",
                            position="absolute",
                            top="-6px",
                            right="-8px",
                            id="cart-count",
                        ),
                    ),
                    position="relative",
                ),
                href=routes.CART,
                id="cart-link",
            ),
            account_menu(),
            align="center",
            spacing="3",
            max_width="1200px",
            margin="0 auto",
            padding="0.75em 1em",
        ),
        **_frame("bottom"),
        position="sticky",
        top="0",
        z_index="10",
        width="100%",
    )


def until_loaded(*children: rx.Component, **props: Any) -> rx.Component:
    """The page's content, its form controls disabled until the page has loaded.

    A page's on_load handlers run after the websocket connects, queued behind anything the
    visitor already did: a form sent in the first instant ran before the page's load, which
    then reset what the form had shown ("Check your email" vanished; the browser tests saw
    it). A disabled fieldset holds every input and button inside until Reflex says the
    page is hydrated (its on_load handlers done), and also stops a form sent before the
    scripts load from going out as a plain GET. Links stay usable.
    """
    return rx.el.fieldset(
        *children,
        disabled=~rx.State.is_hydrated,
        **{"border": "0", "margin": "0", "padding": "0", "min_width": "0", **props},
    )


def store_shell(*children: rx.Component, minimal: bool = False) -> rx.Component:
    """The storefront layout: header, content column, footer."""
    return rx.box(
        store_header(minimal),
        # the page's own content is its one main landmark
        rx.el.main(
            until_loaded(*children, max_width="1200px", margin="0 auto",
                         padding=["1em", "1.5em 2em"]),
            id="main-content",
        ),
        rx.el.footer(
            rx.text(
                f"{BRAND} · courses, programs and certificates",
                size="1",
                color_scheme="gray",
                text_align="center",
            ),
            padding="2em 1em",
        ),
        min_height="100vh",
        background=rx.color("gray", 2),
    )


def store_page(*children: rx.Component, spacing: str = "4", minimal: bool = False,
               **props: Any) -> rx.Component:
    """A storefront page: its sections in one full-width column inside ``store_shell``
    (``minimal``: the header without the shop, see ``store_header``)."""
    return store_shell(rx.vstack(*children, spacing=spacing, width="100%", **props),
                       minimal=minimal)


def _nav_icon(key: rx.Var[str]) -> rx.Component:
    return rx.match(
        key,
        *[(s.key, rx.icon(s.icon, size=18)) for s in SECTIONS],
        rx.icon("circle", size=18),
    )


def _nav_items(active_key: str) -> rx.Component:
    return rx.vstack(
        rx.foreach(
            AuthState.nav_sections,
            lambda item: rx.link(
                rx.hstack(
                    _nav_icon(item["key"]),
                    rx.text(item["label"], size="2", weight="medium"),
                    align="center",
                    spacing="3",
                    padding="0.5em 0.75em",
                    border_radius="8px",
                    width="100%",
                    background=rx.cond(
                        item["key"] == active_key, rx.color("accent", 4), "transparent"
                    ),
                    _hover={"background": rx.color("accent", 3)},
                ),
                href=item["route"],
                underline="none",
                color="inherit",
                width="100%",
                data_section=item["key"],
                class_name="admin-nav-link",
            ),
        ),
        spacing="1",
        width="100%",
    )


def _sidebar(active_key: str) -> rx.Component:
    return rx.box(
        rx.vstack(
            brand(routes.ADMIN),
            rx.text("Administration", size="1", color_scheme="gray", padding_top="0.5em"),
            _nav_items(active_key),
            rx.spacer(),
            rx.link(
                rx.hstack(rx.icon("store", size=16), rx.text("Storefront", size="2")),
                href=routes.HOME,
                color="inherit",
            ),
            spacing="3",
            height="100%",
            padding="1em",
        ),
        width="240px",
        min_width="240px",
        height="100vh",
        position="sticky",
        top="0",
        **_frame("right"),
        display=["none", "none", "block"],
        id="admin-sidebar",
    )


def _mobile_nav(active_key: str) -> rx.Component:
    return rx.drawer.root(
        rx.drawer.trigger(
            rx.icon_button(
                rx.icon("menu", size=20),
                variant="ghost",
                aria_label="Open menu",
                id="mobile-menu-button",
            ),
        ),
        rx.drawer.overlay(z_index="20"),
        rx.drawer.portal(
            rx.drawer.content(
                rx.vstack(
                    rx.hstack(
                        brand(routes.ADMIN),
                        rx.spacer(),
                        rx.drawer.close(
                            rx.icon_button(rx.icon("x"), variant="ghost", aria_label="Close menu")
                        ),
                        width="100%",
                    ),
                    _nav_items(active_key),
                    spacing="4",
                    padding="1em",
                ),
                width="80vw",
                max_width="300px",
                height="100%",
                background=rx.color("gray", 1),
                z_index="30",
            ),
        ),
        direction="left",
    )


def _admin_header() -> rx.Component:
    return rx.hstack(
        rx.box(_mobile_nav(""), display=["block", "block", "none"]),
        rx.spacer(),
        rx.vstack(
            rx.text(AuthState.user_name, size="2", weight="medium", id="signed-in-user"),
            rx.hstack(
                rx.foreach(
                    AuthState.role_labels,
                    lambda label: rx.badge(label, variant="soft", size="1"),
                ),
                spacing="1",
                wrap="wrap",
                id="signed-in-roles",
            ),
            spacing="0",
            align="end",
        ),
        rx.button(
            rx.icon("log-out", size=16),
            rx.text("Sign out", display=["none", "inline"]),
            variant="soft",
            color_scheme="gray",
            on_click=AuthState.sign_out,
            id="sign-out",
            aria_label="Sign out",  # on a phone only the icon shows
        ),
        align="center",
        spacing="3",
        padding="0.75em 1.25em",
        **_frame("bottom"),
        width="100%",
    )


def _guard_panel(
    icon: rx.Component,
    heading: str,
    heading_id: str,
    explanation: str,
    actions: rx.Component,
    max_width: str,
) -> rx.Component:
    """What the admin guard shows instead of a section: why, and where to go instead."""
    return rx.center(
        rx.vstack(
            icon,
            rx.heading(heading, size="5", id=heading_id),
            rx.text(explanation, color_scheme="gray", text_align="center"),
            actions,
            align="center",
            spacing="3",
            max_width=max_width,
        ),
        padding="4em 1em",
    )


def refused_panel() -> rx.Component:
    return _guard_panel(
        rx.icon("shield-x", size=40, color=rx.color("red", 9)),
        "You do not have access to this page",
        "access-refused",
        "Your account does not have the role this page needs. "
        "Ask a super-admin if you think it should.",
        rx.hstack(
            rx.link(rx.button("Go to the storefront", variant="soft"), href=routes.HOME),
            rx.cond(
                AuthState.is_admin_user,
                rx.link(rx.button("Admin overview"), href=routes.ADMIN),
            ),
        ),
        "480px",
    )


def second_factor_panel() -> rx.Component:
    return _guard_panel(
        rx.icon("shield-alert", size=40, color=rx.color("amber", 11)),
        "Your admin role needs two-factor sign-in",
        "second-factor-needed",
        "Admin pages open only in a session that passed a code from an authenticator "
        "app. Set up two-factor sign-in, or sign out and in again with your code.",
        rx.hstack(
            rx.link(rx.button("Set up two-factor sign-in"), href=routes.ACCOUNT_SECURITY),
            rx.button("Sign out", variant="soft", on_click=AuthState.sign_out),
            wrap="wrap",
            justify="center",
        ),
        "520px",
    )


def loading_skeleton() -> rx.Component:
    """What an admin page shows until its guard answered: the shape of a page (a title,
    a row of filters, table rows) instead of a bare spinner."""
    return rx.vstack(
        rx.skeleton(rx.box(height="2em", width="14em"), loading=True),
        rx.skeleton(rx.box(height="2.5em", width="100%"), loading=True, width="100%"),
        skeleton_rows(),
        spacing="4",
        width="100%",
        aria_busy="true",
        id="page-loading",
    )


def admin_shell(active_key: str, title: str, *children: rx.Component) -> rx.Component:
    """The admin layout; the content shows only once the guard allowed the section."""
    body = rx.match(
        AdminState.access,
        ("allowed", rx.vstack(rx.heading(title, size="6"), *children, spacing="4", width="100%")),
        ("denied", refused_panel()),
        ("second_factor", second_factor_panel()),
        loading_skeleton(),
    )
    return rx.hstack(
        rx.cond(AuthState.is_admin_user, _sidebar(active_key)),
        rx.vstack(
            _admin_header(),
            # the section's content is the page's one main landmark
            rx.el.main(
                until_loaded(body, padding=["1em", "1.5em 2em"], width="100%",
                             max_width="1280px"),
                id="main-content",
                width="100%",
            ),
            spacing="0",
            width="100%",
            min_width="0",
        ),
        spacing="0",
        align="start",
        min_height="100vh",
        width="100%",
        background=rx.color("gray", 2),
    )
