"""Reflex configuration; the database URL and public address come from commerce_dash.settings."""

from urllib.parse import urlsplit

import reflex as rx

from commerce_dash.settings import get_settings

settings = get_settings()
_public = urlsplit(settings.public_url.strip())

config = rx.Config(
    app_name="commerce_dash",
    db_url=settings.database_url,
    backend_host="127.0.0.1",
    # the client address behind reverse proxies: the same rule as the API's (api/deps.py)
    trusted_proxy_hops=settings.trusted_proxy_hops,
    # Reflex's CORS layers and its websocket's origin check: the public URL's origin only
    # (the API adds the same in commerce_dash/api/app.py)
    cors_allowed_origins=[f"{_public.scheme}://{_public.netloc}".lower()],
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
