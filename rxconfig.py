"""Reflex configuration; the database URL and public address come from commerce_dash.settings."""

import reflex as rx

from commerce_dash.settings import get_settings

settings = get_settings()

config = rx.Config(
    app_name="commerce_dash",
    db_url=settings.database_url,
    backend_host="127.0.0.1",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    default_color_mode="light",
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(appearance="light", accent_color="indigo", radius="medium")
        )
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
