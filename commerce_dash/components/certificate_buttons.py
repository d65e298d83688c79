"""The buttons beside a learner's certificate: download the PDF, copy the share link, open the
public page (the account card and the learning page both show them)."""

from __future__ import annotations

import reflex as rx
from reflex.vars import Var

from commerce_dash.components.backend_url import api_href


def download_button(href: Var[str], *, size: str = "2") -> rx.Component:
    # reload_document: the browser follows the link itself; the router would otherwise treat
    # the API address as a page of the app.
    return rx.el.a(
        rx.button(rx.icon("download", size=14), "Download PDF", size=size, variant="soft"),  # type: ignore[arg-type]
        href=api_href(href),
        download="",
        reload_document=True,
        class_name="download-certificate",
    )

def share_button(url: Var[str], *, size: str = "2") -> rx.Component:
    return rx.button(
        rx.icon("link", size=14),
        "Copy share link",
        size=size,  # type: ignore[arg-type]
        variant="soft",
        color_scheme="gray",
        on_click=[rx.set_clipboard(url), rx.toast.success("Share link copied")],
        class_name="copy-share-link",
    )

def public_page_button(href: Var[str], *, size: str = "2") -> rx.Component:
    return rx.link(
        rx.button(
            rx.icon("external-link", size=14),
            "View public page",
            size=size,  # type: ignore[arg-type]
            variant="ghost",
        ),
        href=href,
        class_name="view-public-page",
    )
