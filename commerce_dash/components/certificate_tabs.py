"""The link bar shared by the pages of the certificates section."""

from __future__ import annotations

import reflex as rx

from commerce_dash import routes

TABS = (
    ("certificates", "Certificates", routes.ADMIN_CERTIFICATES, "award"),
    ("progress", "Progress", routes.ADMIN_PROGRESS, "list-checks"),
    ("templates", "Templates", routes.ADMIN_CERT_TEMPLATES, "layout-template"),
)


def certificate_tabs(active: str) -> rx.Component:
    """Links to the section's pages; ``active`` is "certificates", "progress" or "templates"."""
    return rx.hstack(
        *[
            rx.link(
                rx.button(
                    rx.icon(icon, size=16),
                    label,
                    variant="solid" if key == active else "soft",
                    color_scheme="indigo" if key == active else "gray",
                    size="2",
                    aria_current="page" if key == active else None,
                ),
                href=route,
                underline="none",
                data_tab=key,
                class_name="certificate-tab",
            )
            for key, label, route, icon in TABS
        ],
        spacing="2",
        wrap="wrap",
        width="100%",
        padding_bottom="0.5em",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        id="certificate-tabs",
        data_active=active,
    )
